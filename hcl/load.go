package hcl

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/sfsync/sfsync/hcl/funcs"
)

// FileSuffix ends the name of every configuration file.
const FileSuffix = ".sfsync.hcl"

// LoadOptions are the inputs of a load besides the files.
type LoadOptions struct {
	// Vars are the -var and -var-file arguments in command-line order.
	Vars []VarInput
	// Getenv reads SFSYNC_VAR_name variables; nil reads none.
	Getenv func(string) string
	// SkipCSVRows reads only the header of each records_csv file. By
	// default every row is checked (key values present and unique, the
	// right number of values), streaming.
	SkipCSVRows bool
}

var (
	rootSchema = &hclv2.BodySchema{Blocks: []hclv2.BlockHeaderSchema{
		{Type: "org"},
		{Type: "backend", LabelNames: []string{"type"}},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "data", LabelNames: []string{"object", "name"}},
		{Type: "object", LabelNames: []string{"name"}},
	}}
	orgSchema = &hclv2.BodySchema{Attributes: []hclv2.AttributeSchema{
		{Name: "local"}, {Name: "alias"}, {Name: "instance_url"}, {Name: "login_url"},
		{Name: "username"}, {Name: "client_id"}, {Name: "jwt_key_file"}, {Name: "auth"},
		{Name: "password"}, {Name: "password_env"}, {Name: "password_file"},
		{Name: "security_token"}, {Name: "security_token_env"}, {Name: "security_token_file"},
		{Name: "client_secret"}, {Name: "client_secret_env"}, {Name: "client_secret_file"},
		{Name: "access_token"}, {Name: "access_token_env"}, {Name: "access_token_file"},
		{Name: "refresh_token"}, {Name: "refresh_token_env"}, {Name: "refresh_token_file"},
		{Name: "api_version"}, {Name: "bulk"},
	}}
	localBackendSchema = &hclv2.BodySchema{Attributes: []hclv2.AttributeSchema{{Name: "path"}}}
	pgBackendSchema    = &hclv2.BodySchema{Attributes: []hclv2.AttributeSchema{
		{Name: "conn_str"}, {Name: "conn_str_env"}, {Name: "schema"}, {Name: "workspace"},
	}}
	variableSchema = &hclv2.BodySchema{
		Attributes: []hclv2.AttributeSchema{{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"}},
		Blocks:     []hclv2.BlockHeaderSchema{{Type: "validation"}},
	}
	validationSchema = &hclv2.BodySchema{Attributes: []hclv2.AttributeSchema{
		{Name: "condition", Required: true}, {Name: "error_message", Required: true},
	}}
	dataSchema   = &hclv2.BodySchema{Attributes: []hclv2.AttributeSchema{{Name: "where", Required: true}}}
	objectSchema = &hclv2.BodySchema{
		Attributes: []hclv2.AttributeSchema{
			{Name: "key", Required: true}, {Name: "where"}, {Name: "delete"}, {Name: "ignore"},
			{Name: "max_deletes"}, {Name: "replace"}, {Name: "batch_size"}, {Name: "records_csv"},
		},
		Blocks: []hclv2.BlockHeaderSchema{{Type: "record", LabelNames: []string{"label"}}},
	}
)

// reservedRoots cannot be object names: references starting with them
// mean something else.
var reservedRoots = map[string]bool{"var": true, "local": true, "each": true, "data": true, "self": true, "count": true}

var fieldNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

func validFieldName(s string) bool { return fieldNameRe.MatchString(s) && !strings.Contains(s, "___") }

// MaxBatchSize is the largest batch_size: Bulk API 1.0's limit of records
// per batch.
const MaxBatchSize = 10000

type loader struct {
	cfg     *Config
	parser  *hclparse.Parser
	diags   hclv2.Diagnostics
	ev      *evaluator
	session *session
	vars    map[string]*varState
	inputs  map[string]bool
	blocks  []*hclv2.Block // object blocks, in order

	objContent []*hclv2.BodyContent // parallel to blocks
	dataWhere  []*hclv2.Attribute   // parallel to cfg.Data
	declList   []*declNode          // record blocks, in order
}

func (l *loader) errorf(rng hclv2.Range, summary, format string, args ...any) {
	r := rng
	l.diags = append(l.diags, &hclv2.Diagnostic{Severity: hclv2.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: &r})
}

// secretf reports an error about an attribute whose value is, or may be,
// a secret: value is masked in every snippet rendered with the
// diagnostic (see SecretSource), which still names the file, line and
// attribute.
func (l *loader) secretf(subject, value hclv2.Range, summary, format string, args ...any) {
	r := subject
	l.diags = append(l.diags, &hclv2.Diagnostic{Severity: hclv2.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: &r,
		Extra: SecretSource{Value: value}})
}

func (l *loader) input(abs string) { l.inputs[abs] = true }

// Load reads every *.sfsync.hcl file in dir and builds the model. It always
// returns a Config — with Files set, for rendering diagnostics — but the
// model is complete only when the diagnostics have no errors.
func Load(dir string, opts LoadOptions) (*Config, hclv2.Diagnostics) {
	names, err := configFiles(dir)
	if err != nil {
		return &Config{Dir: dir, Files: map[string]*hclv2.File{}}, hclv2.Diagnostics{{
			Severity: hclv2.DiagError, Summary: "Cannot read the configuration directory", Detail: err.Error(),
		}}
	}
	if len(names) == 0 {
		return &Config{Dir: dir, Files: map[string]*hclv2.File{}}, hclv2.Diagnostics{{
			Severity: hclv2.DiagError,
			Summary:  "No configuration files",
			Detail:   fmt.Sprintf("There is no *%s file in %s. Write one, or point -chdir at the directory that holds them.", FileSuffix, dir),
		}}
	}
	srcs := make(map[string][]byte, len(names))
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return &Config{Dir: dir, Files: map[string]*hclv2.File{}}, hclv2.Diagnostics{{
				Severity: hclv2.DiagError, Summary: "Cannot read a configuration file", Detail: err.Error(),
			}}
		}
		srcs[n] = b
	}
	return LoadSources(dir, srcs, opts)
}

// LoadSources is Load with the configuration files' contents given, by
// name relative to dir. Other files (CSV, file(), -var-file) are still read
// from dir.
func LoadSources(dir string, srcs map[string][]byte, opts LoadOptions) (*Config, hclv2.Diagnostics) {
	l := &loader{
		cfg:    &Config{Dir: dir, Files: map[string]*hclv2.File{}},
		parser: hclparse.NewParser(),
		vars:   map[string]*varState{},
		inputs: map[string]bool{},
	}
	l.ev = &evaluator{
		cfg:     l.cfg,
		vars:    map[string]cty.Value{},
		varDecl: map[string]*Variable{},
		locals:  map[string]*localNode{},
		objects: map[string]*objectNode{},
		data:    map[string]map[string]*dataNode{},
		infos:   map[hclv2.Expression]*exprInfo{},
	}
	l.ev.funcs = funcs.Table(dir, l.input)
	l.cfg.ev = l.ev
	l.session = &session{ev: l.ev}
	l.load(srcs, opts)

	l.diags = append(l.diags, l.session.diags...)
	for p := range l.inputs {
		l.cfg.Inputs = append(l.cfg.Inputs, p)
	}
	sort.Strings(l.cfg.Inputs)
	return l.cfg, l.diags
}

func configFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), FileSuffix) && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

func (l *loader) load(srcs map[string][]byte, opts LoadOptions) {
	var blocks []*hclv2.Block
	for _, name := range mapKeys(srcs) {
		l.input(filepath.Join(l.cfg.Dir, name))
		f, diags := l.parser.ParseHCL(srcs[name], name)
		l.diags = append(l.diags, diags...)
		if f == nil {
			continue
		}
		l.cfg.Files[name] = f
		if diags.HasErrors() {
			continue
		}
		content, diags := f.Body.Content(rootSchema)
		l.diags = append(l.diags, diags...)
		blocks = append(blocks, content.Blocks...)
	}
	if l.diags.HasErrors() && len(blocks) == 0 {
		return
	}

	// Declarations first, so that any block can refer to any other.
	for _, b := range blocks {
		switch b.Type {
		case "variable":
			l.decodeVariable(b)
		case "locals":
			l.decodeLocals(b)
		case "data":
			l.decodeData(b)
		case "object":
			l.declareObject(b)
		}
	}
	for _, v := range l.cfg.Variables {
		l.ev.varDecl[v.Name] = v
	}
	l.assignVariables(opts)

	for _, b := range blocks {
		switch b.Type {
		case "org":
			l.decodeOrg(b)
		case "backend":
			l.decodeBackend(b)
		}
	}
	for _, d := range l.cfg.Data {
		l.evalDataWhere(d)
	}
	for _, name := range mapKeys(l.ev.locals) {
		l.session.local(name, l.ev.locals[name].local.Range)
	}
	for i, b := range l.blocks {
		l.decodeObject(l.cfg.Objects[i], b)
	}
	// Every for_each is expanded before any field is evaluated, so that
	// fields can refer to any instance.
	for _, o := range l.cfg.Objects {
		for _, dn := range l.declOrder(o) {
			l.expand(o, dn)
		}
	}
	for _, o := range l.cfg.Objects {
		for _, r := range o.Records {
			for i := range r.Fields {
				l.session.field(r, i)
			}
		}
	}
	l.diags = append(l.diags, l.session.diags...)
	l.session.diags = nil
	l.checkKeys()
	l.checkKeyCycles()
	for _, o := range l.cfg.Objects {
		l.checkCSV(o, opts.SkipCSVRows)
	}
	for _, d := range l.cfg.Data {
		dn := l.ev.data[d.Object][d.Name]
		dn.fields["Id"] = true
		d.Fields = mapKeys(dn.fields)
	}
}

func sortedAttrs(attrs hclv2.Attributes) []*hclv2.Attribute {
	list := make([]*hclv2.Attribute, 0, len(attrs))
	for _, a := range attrs {
		list = append(list, a)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i].Range, list[j].Range
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
	return list
}

func (l *loader) decodeLocals(b *hclv2.Block) {
	attrs, diags := b.Body.JustAttributes()
	l.diags = append(l.diags, diags...)
	for _, a := range sortedAttrs(attrs) {
		if prev := l.ev.locals[a.Name]; prev != nil {
			l.errorf(a.NameRange, "Duplicate local value", "local.%s is already defined at %s.", a.Name, prev.local.Range)
			continue
		}
		loc := &Local{Name: a.Name, Range: a.Range}
		l.ev.locals[a.Name] = &localNode{local: loc, expr: a.Expr}
		l.cfg.Locals = append(l.cfg.Locals, loc)
	}
}

// static evaluates a setting that must be known when loading: it may use
// variables, locals and functions, but no records or data lookups.
func (l *loader) static(a *hclv2.Attribute, what string) (cty.Value, bool) {
	v := l.session.eval(a.Expr, &scope{what: what})
	if v.HasMark(poisonMark{}) {
		return cty.NilVal, false
	}
	v, _ = v.UnmarkDeep()
	if !v.IsWhollyKnown() {
		l.errorf(a.Expr.Range(), "Value not known when loading", "%s must be known when the configuration is loaded.", capitalize(what))
		return cty.NilVal, false
	}
	return v, true
}

func (l *loader) staticValue(a *hclv2.Attribute, ty cty.Type) (cty.Value, bool) {
	v, ok := l.static(a, a.Name)
	if !ok {
		return cty.NilVal, false
	}
	cv, err := convert.Convert(v, ty)
	if err != nil || cv.IsNull() {
		l.errorf(a.Expr.Range(), fmt.Sprintf("Invalid %s", a.Name), "%s must be %s, not %s.", a.Name, article(ty), typeName(v.Type()))
		return cty.NilVal, false
	}
	return cv, true
}

func article(ty cty.Type) string {
	switch {
	case ty == cty.String:
		return "a string"
	case ty == cty.Number:
		return "a number"
	case ty == cty.Bool:
		return "true or false"
	case ty.IsListType():
		return "a list of strings"
	}
	return ty.FriendlyName()
}

func (l *loader) staticString(a *hclv2.Attribute, what string) string {
	if a == nil {
		return ""
	}
	v, ok := l.staticValue(a, cty.String)
	if !ok {
		return ""
	}
	return v.AsString()
}

func (l *loader) staticStrings(a *hclv2.Attribute) ([]string, bool) {
	v, ok := l.staticValue(a, cty.List(cty.String))
	if !ok {
		return nil, false
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			l.errorf(a.Expr.Range(), fmt.Sprintf("Invalid %s", a.Name), "%s cannot hold null.", a.Name)
			return nil, false
		}
		out = append(out, e.AsString())
	}
	return out, true
}

func (l *loader) staticInt(a *hclv2.Attribute, min, max int) (int, bool) {
	v, ok := l.staticValue(a, cty.Number)
	if !ok {
		return 0, false
	}
	bf := v.AsBigFloat()
	i, acc := bf.Int64()
	if !bf.IsInt() || acc != 0 || i < int64(min) || i > int64(max) {
		l.errorf(a.Expr.Range(), fmt.Sprintf("Invalid %s", a.Name), "%s must be a whole number from %d to %d.", a.Name, min, max)
		return 0, false
	}
	return int(i), true
}

var apiVersionRe = regexp.MustCompile(`^[1-9][0-9]*\.0$`)

var secretNames = []string{"password", "security_token", "client_secret", "access_token", "refresh_token"}

func (l *loader) decodeOrg(b *hclv2.Block) {
	if l.cfg.Org != nil {
		l.errorf(b.DefRange, "Duplicate org block", "The org is already configured at %s; a configuration talks to one org.", l.cfg.Org.DeclRange)
		return
	}
	content, diags := b.Body.Content(orgSchema)
	l.diags = append(l.diags, diags...)
	o := &Org{DeclRange: b.DefRange}
	l.cfg.Org = o
	str := func(name string) string { return l.staticString(content.Attributes[name], name) }
	o.Local, o.Alias = str("local"), str("alias")
	o.InstanceURL, o.LoginURL = str("instance_url"), str("login_url")
	o.Username, o.ClientID, o.JWTKeyFile = str("username"), str("client_id"), str("jwt_key_file")
	o.APIVersion = str("api_version")
	secrets := map[string]*Secret{"password": &o.Password, "security_token": &o.SecurityToken, "client_secret": &o.ClientSecret, "access_token": &o.AccessToken, "refresh_token": &o.RefreshToken}
	for _, name := range secretNames {
		if a := content.Attributes[name]; a != nil {
			l.secretf(a.NameRange, a.Expr.Range(), "Secret in configuration", "Secrets are never written in configuration, which is kept in Git and shown in reviews. Name the environment variable that holds it with %s_env, or a file with %s_file.", name, name)
		}
		s := secrets[name]
		if a := content.Attributes[name+"_env"]; a != nil {
			s.Env, s.Range = l.staticString(a, name+"_env"), a.Range
			if s.Env != "" && !envNameRe.MatchString(s.Env) {
				l.secretf(a.Expr.Range(), a.Expr.Range(), "Invalid environment variable name", "%s names an environment variable, such as SF_PASSWORD, not the secret itself.", name+"_env")
				s.Env = ""
			}
		}
		if a := content.Attributes[name+"_file"]; a != nil {
			if s.Env != "" {
				l.errorf(a.NameRange, "Conflicting secret sources", "Set %s_env or %s_file, not both.", name, name)
			}
			s.File, s.Range = l.staticString(a, name+"_file"), a.Range
		}
	}
	if a := content.Attributes["auth"]; a != nil {
		s := l.staticString(a, "auth")
		for i, n := range authNames {
			if i > 0 && n == s {
				o.Auth = AuthFlow(i)
			}
		}
		if o.Auth == AuthUnset && s != "" {
			l.errorf(a.Expr.Range(), "Invalid auth", "auth is one of %s, not %q.", strings.Join(quoteAll(authNames[1:]), ", "), s)
		}
	}
	if a := content.Attributes["bulk"]; a != nil {
		switch s := l.staticString(a, "bulk"); s {
		case "1.0", "1":
			o.Bulk = Bulk1
		case "2.0", "2":
			o.Bulk = Bulk2
		case "":
		default:
			l.errorf(a.Expr.Range(), "Invalid bulk", "bulk is \"1.0\" (Bulk API 1.0) or \"2.0\" (Bulk API 2.0), not %q.", s)
		}
	}
	if a := content.Attributes["api_version"]; a != nil && o.APIVersion != "" && !apiVersionRe.MatchString(o.APIVersion) {
		l.errorf(a.Expr.Range(), "Invalid api_version", "api_version is a Salesforce API version such as \"62.0\", not %q.", o.APIVersion)
	}
	for _, name := range []string{"instance_url", "login_url"} {
		if a := content.Attributes[name]; a != nil {
			if s := str(name); s != "" && !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
				l.errorf(a.Expr.Range(), "Invalid "+name, "%s is a URL such as https://example.my.salesforce.com, not %q.", name, s)
			}
		}
	}
	if a := content.Attributes["local"]; a != nil && o.Local != "" {
		for _, other := range []string{"alias", "instance_url", "login_url", "username", "client_id", "jwt_key_file"} {
			if oa := content.Attributes[other]; oa != nil {
				l.errorf(oa.NameRange, "Conflicting org settings", "org.local runs the embedded local org, so %s does not apply. Remove one of them.", other)
			}
		}
		if o.Auth != AuthUnset && o.Auth != AuthLocal {
			l.errorf(a.NameRange, "Conflicting org settings", "org.local runs the embedded local org, which does not use auth = %q.", o.Auth)
		}
	}
	if a := content.Attributes["alias"]; a != nil && o.Alias != "" && content.Attributes["instance_url"] != nil {
		l.errorf(content.Attributes["instance_url"].NameRange, "Conflicting org settings", "org.alias reuses an sf CLI login, which already knows its instance URL. Remove instance_url or alias.")
	}
}

var envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// pgPasswordKeyRe finds a password keyword in a key=value connection
// string (host=db password=x), and in a URL's query string
// (?password=x, &sslpassword=x): libpq reads both.
var pgPasswordKeyRe = regexp.MustCompile(`(?i)(^|[\s?&])(ssl)?password\s*=`)

// pgUserinfoPasswordRe finds user:password@ after a URL's scheme, for a
// URL that net/url cannot parse (a password with an unescaped slash).
var pgUserinfoPasswordRe = regexp.MustCompile(`://[^@]*:[^@]*@`)

// connStrHasPassword reports whether a PostgreSQL connection string, as a
// URL (postgres://user:pw@host/db?password=pw) or as key=value pairs
// (host=db password=pw), holds a password or a client key's passphrase.
// It errs on the side of yes: a connection string is kept in Git.
func connStrHasPassword(s string) bool {
	if pgPasswordKeyRe.MatchString(s) {
		return true
	}
	lower := strings.ToLower(strings.TrimSpace(s))
	if !strings.HasPrefix(lower, "postgres://") && !strings.HasPrefix(lower, "postgresql://") {
		return false
	}
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return pgUserinfoPasswordRe.MatchString(s)
	}
	if pw, ok := u.User.Password(); ok && pw != "" {
		return true
	}
	for k := range u.Query() {
		if strings.EqualFold(k, "password") || strings.EqualFold(k, "sslpassword") {
			return true
		}
	}
	return false
}

func (l *loader) decodeBackend(b *hclv2.Block) {
	if l.cfg.Backend != nil {
		l.errorf(b.DefRange, "Duplicate backend block", "The backend is already configured at %s.", l.cfg.Backend.DeclRange)
		return
	}
	be := &Backend{DeclRange: b.DefRange}
	switch b.Labels[0] {
	case "local":
		be.Type = BackendLocal
		content, diags := b.Body.Content(localBackendSchema)
		l.diags = append(l.diags, diags...)
		be.Path = l.staticString(content.Attributes["path"], "path")
	case "postgres", "pg":
		// "pg" is an alias: both name the same backend.
		be.Type = BackendPostgres
		content, diags := b.Body.Content(pgBackendSchema)
		l.diags = append(l.diags, diags...)
		be.ConnStr = l.staticString(content.Attributes["conn_str"], "conn_str")
		be.ConnStrEnv = l.staticString(content.Attributes["conn_str_env"], "conn_str_env")
		be.Schema = l.staticString(content.Attributes["schema"], "schema")
		be.Workspace = l.staticString(content.Attributes["workspace"], "workspace")
		if a := content.Attributes["conn_str"]; a != nil && connStrHasPassword(be.ConnStr) {
			l.secretf(a.Expr.Range(), a.Expr.Range(), "Secret in configuration", "conn_str holds a password. Leave it out and set PGPASSWORD (or a .pgpass file), or keep the whole connection string in an environment variable named by conn_str_env.")
		}
		if be.ConnStr != "" && be.ConnStrEnv != "" {
			l.errorf(content.Attributes["conn_str_env"].NameRange, "Conflicting backend settings", "Set conn_str or conn_str_env, not both.")
		}
	default:
		l.errorf(b.LabelRanges[0], "Unknown backend type", "The backend is \"local\" (a state file beside the configuration) or \"postgres\" (alias \"pg\": a table shared by a team), not %q.", b.Labels[0])
		return
	}
	l.cfg.Backend = be
}

func (l *loader) decodeData(b *hclv2.Block) {
	obj, name := b.Labels[0], b.Labels[1]
	if !validFieldName(obj) {
		l.errorf(b.LabelRanges[0], "Invalid object name", "%q is not a Salesforce object API name.", obj)
		return
	}
	if !hclsyntax.ValidIdentifier(name) {
		l.errorf(b.LabelRanges[1], "Invalid data block name", "%q is not a valid name: use letters, digits, underscores and dashes, starting with a letter.", name)
		return
	}
	if prev := l.ev.data[obj][name]; prev != nil {
		l.errorf(b.DefRange, "Duplicate data block", "data %q %q is already declared at %s.", obj, name, prev.data.DeclRange)
		return
	}
	d := &DataLookup{Object: obj, Name: name, DeclRange: b.DefRange}
	content, diags := b.Body.Content(dataSchema)
	l.diags = append(l.diags, diags...)
	if a := content.Attributes["where"]; a != nil {
		d.WhereRange = a.Expr.Range()
	}
	if l.ev.data[obj] == nil {
		l.ev.data[obj] = map[string]*dataNode{}
	}
	l.ev.data[obj][name] = &dataNode{data: d, fields: map[string]bool{}}
	l.dataWhere = append(l.dataWhere, content.Attributes["where"])
	l.cfg.Data = append(l.cfg.Data, d)
}

func (l *loader) evalDataWhere(d *DataLookup) {
	for i, x := range l.cfg.Data {
		if x == d && l.dataWhere[i] != nil {
			d.Where = l.staticString(l.dataWhere[i], "where")
			if strings.TrimSpace(d.Where) == "" && !l.diags.HasErrors() {
				l.errorf(l.dataWhere[i].Expr.Range(), "Empty where", "A data lookup must match exactly one record, so its where condition cannot be empty.")
			}
		}
	}
}

// declareObject registers an object block's name and record labels, so
// that references can be checked before anything is evaluated.
func (l *loader) declareObject(b *hclv2.Block) {
	name := b.Labels[0]
	if !validFieldName(name) {
		l.errorf(b.LabelRanges[0], "Invalid object name", "%q is not a Salesforce object API name (letters, digits and underscores, starting with a letter).", name)
		return
	}
	if reservedRoots[name] {
		l.errorf(b.LabelRanges[0], "Reserved object name", "%q starts other kinds of references (var., local., each., data.), so it cannot name an object.", name)
		return
	}
	if prev := l.ev.objects[name]; prev != nil {
		l.errorf(b.DefRange, "Duplicate object block", "Object %s is already declared at %s. Put all of its records in one object block.", name, prev.obj.DeclRange)
		return
	}
	o := &Object{Name: name, DeclRange: b.DefRange, MaxDeletes: -1, Delete: DeleteManaged}
	on := &objectNode{obj: o, decls: map[string]*declNode{}, csvKeys: map[string]bool{}, csvRefRng: map[string]hclv2.Range{}}
	l.ev.objects[name] = on
	l.cfg.Objects = append(l.cfg.Objects, o)
	l.blocks = append(l.blocks, b)

	content, diags := b.Body.Content(objectSchema)
	l.diags = append(l.diags, diags...)
	l.objContent = append(l.objContent, content)
	if content.Attributes["records_csv"] != nil {
		on.hasCSV = true
	}
	for _, rb := range content.Blocks {
		label := rb.Labels[0]
		switch {
		case label == CSVLabel:
			l.errorf(rb.LabelRanges[0], "Reserved record label", "The label %q names the rows of records_csv (%s.csv[\"KEY\"]); choose another label.", CSVLabel, name)
			continue
		case !hclsyntax.ValidIdentifier(label) || strings.Contains(label, "-"):
			l.errorf(rb.LabelRanges[0], "Invalid record label", "%q is not a valid record label: use letters, digits and underscores, starting with a letter, so that %s.%s can be referred to.", label, name, "LABEL")
			continue
		}
		if prev := on.decls[label]; prev != nil {
			l.errorf(rb.LabelRanges[0], "Duplicate record label", "%s.%s is already declared at %s. Each record block in an object needs its own label.", name, label, prev.decl.DeclRange)
			continue
		}
		decl := &RecordDecl{Object: name, Label: label, DeclRange: rb.DefRange}
		dn := &declNode{decl: decl}
		attrs, diags := rb.Body.JustAttributes()
		l.diags = append(l.diags, diags...)
		for _, a := range sortedAttrs(attrs) {
			if a.Name == "for_each" {
				decl.ForEach, decl.ForEachRange, dn.forEach = true, a.Range, a.Expr
				continue
			}
			switch {
			case !validFieldName(a.Name):
				l.errorf(a.NameRange, "Invalid field name", "%q is not a Salesforce field API name (letters, digits and underscores, starting with a letter).", a.Name)
				continue
			case strings.EqualFold(a.Name, "Id"):
				l.errorf(a.NameRange, "Id cannot be set", "Records are matched to the org by their key fields, never by Id, so a record of %s does not set Id.", name)
				continue
			}
			fd := &FieldDecl{Name: a.Name, Expr: a.Expr, NameRange: a.NameRange, ValueRange: a.Expr.Range()}
			decl.Fields = append(decl.Fields, fd)
		}
		for i, fd := range decl.Fields {
			for _, prev := range decl.Fields[:i] {
				if strings.EqualFold(prev.Name, fd.Name) {
					l.errorf(fd.NameRange, "Duplicate field", "%s.%s sets %s twice (field names are case-insensitive): also at %s.", name, label, fd.Name, prev.NameRange)
				}
			}
		}
		on.decls[label] = dn
		l.declList = append(l.declList, dn)
	}
}

func (l *loader) declOrder(o *Object) []*declNode {
	var out []*declNode
	for _, dn := range l.declList {
		if dn.decl.Object == o.Name {
			out = append(out, dn)
		}
	}
	return out
}

func (l *loader) decodeObject(o *Object, b *hclv2.Block) {
	var content *hclv2.BodyContent
	for i, x := range l.blocks {
		if x == b {
			content = l.objContent[i]
		}
	}
	attrs := content.Attributes
	if a := attrs["key"]; a != nil {
		o.KeyRange = a.Range
		if keys, ok := l.staticStrings(a); ok {
			l.checkFieldList(a, keys, "key")
			if len(keys) == 0 {
				l.errorf(a.Expr.Range(), "Empty key", "key names one or more fields that identify a record in the org, e.g. key = [\"External_Id__c\"].")
			}
			o.Key = keys
		}
	}
	if a := attrs["where"]; a != nil {
		o.Where, o.WhereRange = l.staticString(a, "where"), a.Range
	}
	if a := attrs["delete"]; a != nil {
		o.DeleteRange = a.Range
		switch s := l.staticString(a, "delete"); s {
		case "managed":
			o.Delete = DeleteManaged
		case "scoped":
			o.Delete = DeleteScoped
		case "never":
			o.Delete = DeleteNever
		case "":
		default:
			l.errorf(a.Expr.Range(), "Invalid delete mode", "delete is \"managed\" (records sfsync created or adopted that left the configuration), \"scoped\" (every record inside where that the configuration does not declare) or \"never\", not %q.", s)
		}
		if o.Delete == DeleteScoped && strings.TrimSpace(o.Where) == "" {
			l.errorf(a.Expr.Range(), "Scoped delete without where", "delete = \"scoped\" deletes every record inside where that the configuration does not declare, so it needs a where condition: without one it would delete every %s in the org.", o.Name)
		}
	}
	if a := attrs["ignore"]; a != nil {
		if list, ok := l.staticStrings(a); ok {
			l.checkFieldList(a, list, "ignore")
			for _, f := range list {
				if o.IsKey(f) {
					l.errorf(a.Expr.Range(), "Key field ignored", "%s is a key field of %s; key fields are always compared.", f, o.Name)
				}
			}
			o.Ignore = list
		}
	}
	if a := attrs["max_deletes"]; a != nil {
		if n, ok := l.staticInt(a, 0, 1<<31-1); ok {
			o.MaxDeletes = n
		}
	}
	if a := attrs["replace"]; a != nil {
		if v, ok := l.staticValue(a, cty.Bool); ok {
			o.Replace = v.True()
		}
	}
	if a := attrs["batch_size"]; a != nil {
		if n, ok := l.staticInt(a, 1, MaxBatchSize); ok {
			o.BatchSize = n
		}
	}
	if a := attrs["records_csv"]; a != nil {
		l.decodeCSV(o, a)
	}
}

func (l *loader) checkFieldList(a *hclv2.Attribute, names []string, what string) {
	seen := map[string]bool{}
	for _, n := range names {
		switch {
		case !validFieldName(n):
			l.errorf(a.Expr.Range(), "Invalid field name", "%s lists %q, which is not a Salesforce field API name.", what, n)
		case strings.EqualFold(n, "Id"):
			l.errorf(a.Expr.Range(), "Id in "+what, "Records are matched by their key fields, never by Id, so %s cannot list Id.", what)
		case seen[strings.ToLower(n)]:
			l.errorf(a.Expr.Range(), "Duplicate field", "%s lists %s twice.", what, n)
		}
		seen[strings.ToLower(n)] = true
	}
}

// expand evaluates a record block's for_each and creates its instances.
func (l *loader) expand(o *Object, dn *declNode) {
	decl := dn.decl
	for _, fd := range decl.Fields {
		info := l.ev.info(fd.Expr)
		fd.info = info
		if len(info.refs) == 0 {
			// No references: one evaluation serves every instance.
			fd.static = true
			s := l.session
			fd.staticVal = s.eval(fd.Expr, &scope{what: "a field"})
		}
	}
	newRecord := func(addr Address, each *eachValue) *Record {
		r := &Record{Addr: addr, Decl: decl, Fields: make([]Field, len(decl.Fields)), each: each}
		for i, fd := range decl.Fields {
			r.Fields[i].Decl = fd
		}
		o.Records = append(o.Records, r)
		return r
	}
	if !decl.ForEach {
		dn.single = newRecord(Address{Object: o.Name, Label: decl.Label}, nil)
		return
	}
	dn.instances = map[string]*Record{}
	v := l.session.eval(dn.forEach, &scope{what: "for_each"})
	if v.HasMark(poisonMark{}) {
		return
	}
	rng := dn.forEach.Range()
	if v.HasMarkDeep(sensitiveMark{}) {
		l.errorf(rng, "Sensitive for_each", "The keys of for_each become record addresses, which are shown in plans and kept in state, so for_each cannot be derived from a sensitive variable.")
		return
	}
	if !v.IsWhollyKnown() {
		l.errorf(rng, "for_each not known when loading", "for_each must be known when the configuration is loaded.")
		return
	}
	if v.IsNull() {
		l.errorf(rng, "Invalid for_each", "for_each is null; use {} for no instances.")
		return
	}
	ty := v.Type()
	switch {
	case ty.IsMapType() || ty.IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			key := k.AsString()
			dn.keys = append(dn.keys, key)
			dn.instances[key] = newRecord(Address{Object: o.Name, Label: decl.Label, Key: key, Keyed: true}, &eachValue{key: key, value: ev})
		}
	case ty.IsSetType() && ty.ElementType() == cty.String:
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			if ev.IsNull() {
				l.errorf(rng, "Invalid for_each", "The set in for_each holds a null; every element becomes an instance key.")
				return
			}
			key := ev.AsString()
			dn.keys = append(dn.keys, key)
			dn.instances[key] = newRecord(Address{Object: o.Name, Label: decl.Label, Key: key, Keyed: true}, &eachValue{key: key, value: ev})
		}
	case ty.IsSetType() || ty.IsListType() || ty.IsTupleType():
		l.errorf(rng, "Invalid for_each", "for_each takes a map, or a set of strings, whose keys name the instances; this is %s. Build a map with a for expression, such as { for c in local.countries : c.code => c }, or a set of strings with toset(...).", typeName(ty))
	default:
		l.errorf(rng, "Invalid for_each", "for_each takes a map, or a set of strings, whose keys name the instances; this is %s.", typeName(ty))
	}
	sort.Strings(dn.keys)
}

func joinPath(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}
