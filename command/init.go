package command

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/state"
)

func init() {
	register(&Command{
		Name:     "init",
		Synopsis: "Start a new configuration in a directory",
		Usage: `Usage: sfsync init [options] [DIR]

Writes a configuration to start from into DIR (default: the working
directory; created if missing): main.sfsync.hcl with an org block and one
object with a sample record, and a .gitignore that keeps the state file, its
lock and backup, and the local org's data out of Git. The configuration
validates as written; edit the record, then run plan.

init never overwrites anything: if DIR already has a *.sfsync.hcl file, it
writes nothing and says so. An existing .gitignore (at a repository's root,
say) is kept: the lines it lacks are appended to it.

Options:
  -local=DIR          the embedded local org, kept in DIR relative to the
                      configuration (default .sfsync/localorg)
  -alias=NAME         use the org the sf CLI is logged in to as NAME instead
                      of a local org
  -object=NAME        the object to start with (default Account)
  -key=FIELD,...      its key fields: how records are matched to the org's
                      (default: a natural key for well-known objects, such
                      as AccountNumber, Email or ProductCode; else Name)
  -backend=postgres   keep the state in PostgreSQL instead of a file: adds a
                      backend block whose connection comes from SFSYNC_PG_DSN
                      or the PG* variables (-backend=pg is the same)
  -workspace=NAME     with -backend=postgres, the state's name in the
                      database (default "default")`,
		Run: runInit,
	})
}

type initOptions struct {
	dir       string // "" is the working directory
	local     string
	alias     string
	object    string
	key       []string
	postgres  bool
	workspace string
}

// apiNameRe is an sObject or field API name (the hcl package's rule).
var apiNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

func validAPIName(s string) bool { return apiNameRe.MatchString(s) && !strings.Contains(s, "___") }

// parseInit parses init's arguments. It does no I/O.
func parseInit(args []string) (initOptions, error) {
	o := initOptions{object: "Account"}
	var key, backend string
	fs := newFlagSet("init")
	fs.StringVar(&o.local, "local", "", "")
	fs.StringVar(&o.alias, "alias", "", "")
	fs.StringVar(&o.object, "object", o.object, "")
	fs.StringVar(&key, "key", "", "")
	fs.StringVar(&backend, "backend", "local", "")
	fs.StringVar(&o.workspace, "workspace", "", "")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return o, err
	}
	switch len(pos) {
	case 0:
	case 1:
		o.dir = pos[0]
	default:
		return o, fmt.Errorf("init takes at most one DIR, not %d arguments", len(pos))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["alias"] && set["local"] {
		return o, errors.New("-alias and -local both choose the org; give one")
	}
	if set["alias"] && (o.alias == "" || strings.ContainsFunc(o.alias, unicode.IsSpace)) {
		return o, fmt.Errorf("-alias: %q is not an sf CLI alias", o.alias)
	}
	if set["local"] && (o.local == "" || strings.ContainsFunc(o.local, unicode.IsControl)) {
		return o, fmt.Errorf("-local: %q is not a directory name", o.local)
	}
	if !set["alias"] && !set["local"] {
		o.local = ".sfsync/localorg"
	}
	if !validAPIName(o.object) {
		return o, fmt.Errorf("-object: %q is not an object API name (such as Account or Invoice__c)", o.object)
	}
	if key != "" {
		for k := range strings.SplitSeq(key, ",") {
			k = strings.TrimSpace(k)
			if !validAPIName(k) {
				return o, fmt.Errorf("-key: %q is not a field API name", k)
			}
			if slices.Contains(o.key, k) {
				return o, fmt.Errorf("-key: %s is given twice", k)
			}
			o.key = append(o.key, k)
		}
	}
	switch backend {
	case "local":
		if o.workspace != "" {
			return o, errors.New("-workspace names a state in PostgreSQL; it needs -backend=postgres")
		}
	case "postgres", "pg":
		o.postgres = true
	default:
		return o, fmt.Errorf("-backend: %q is not a backend; it is local (the default) or postgres (or pg)", backend)
	}
	return o, nil
}

const initConfigName = "main" + hcl.FileSuffix

func runInit(_ context.Context, env *Env, args []string) int {
	o, err := parseInit(args)
	if err != nil {
		return usageError(env, "init", err)
	}
	dir := env.Dir
	if o.dir != "" {
		dir = env.Path(o.dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			env.Errorf("init: %v", err)
			return ExitError
		}
	}
	config := filepath.Join(dir, initConfigName)
	if err := writeNewConfig(dir, config, renderInitConfig(o)); err != nil {
		env.Errorf("init: %v", err)
		return ExitError
	}
	added, created, err := mergeGitignore(filepath.Join(dir, ".gitignore"), renderGitignore(o))
	if err != nil {
		os.Remove(config)
		env.Errorf("init: %v; nothing was written", err)
		return ExitError
	}
	where, chdir := "the working directory", ""
	if o.dir != "" {
		where, chdir = o.dir, "-chdir="+shellQuote(o.dir)+" "
	}
	switch {
	case created:
		fmt.Fprintf(env.Stdout, "Wrote %s and .gitignore in %s.\n", initConfigName, where)
	case added > 0:
		fmt.Fprintf(env.Stdout, "Wrote %s in %s, and added %d %s for sfsync's files to the existing .gitignore.\n", initConfigName, where, added, plural(added, "line", "lines"))
	default:
		fmt.Fprintf(env.Stdout, "Wrote %s in %s; the existing .gitignore already keeps sfsync's files out of Git.\n", initConfigName, where)
	}
	fmt.Fprintf(env.Stdout, "\nNext:\n")
	fmt.Fprintf(env.Stdout, "  sfsync %svalidate   check the configuration\n", chdir)
	fmt.Fprintf(env.Stdout, "  sfsync %splan       see what apply would change in the org\n", chdir)
	fmt.Fprintf(env.Stdout, "  sfsync %sapply      make the org match\n", chdir)
	if o.postgres {
		fmt.Fprintf(env.Stdout, "\nThe state is kept in PostgreSQL: set %s (or PGHOST, PGDATABASE, PGUSER and\nPGPASSWORD) before plan and apply.\n", dsnEnv)
	}
	return ExitOK
}

// writeNewConfig creates the configuration file config in dir; it refuses
// when dir has any configuration file already.
func writeNewConfig(dir, config string, data []byte) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var clash []string
	for _, e := range ents {
		if n := e.Name(); strings.HasSuffix(n, hcl.FileSuffix) {
			clash = append(clash, n)
		}
	}
	if len(clash) > 0 {
		return fmt.Errorf("%s already has %s; init writes nothing over existing files, so nothing was written.\n"+
			"Run init in an empty directory (sfsync init DIR), or move those files aside",
			dir, strings.Join(clash, ", "))
	}
	if err := createNew(config, data); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s appeared while init was writing; nothing was written", config)
		}
		return err
	}
	return nil
}

// mergeGitignore writes the .gitignore at p: the whole of data when there
// is none (created), else only the patterns of data the existing file
// lacks, appended under data's leading comment lines; the file's own
// lines are never changed. added counts the patterns appended.
func mergeGitignore(p string, data []byte) (added int, created bool, err error) {
	old, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createNew(p, data); err != nil {
			return 0, false, err
		}
		return 0, true, nil
	}
	if err != nil {
		return 0, false, err
	}
	var have []string
	for _, l := range strings.Split(string(old), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			have = append(have, strings.TrimPrefix(l, "/"))
		}
	}
	// An existing pattern covers ours when it is the same but for the
	// leading slash (it is then unanchored, so it ignores more), or when it
	// is our directory pattern without its trailing slash.
	covered := func(pattern string) bool {
		p := strings.TrimPrefix(pattern, "/")
		return slices.Contains(have, p) || strings.HasSuffix(p, "/") && slices.Contains(have, strings.TrimSuffix(p, "/"))
	}
	var header, missing []string
	patterns := false
	for _, l := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "#"):
			if !patterns {
				header = append(header, l)
			}
		case !covered(l):
			missing = append(missing, l)
			fallthrough
		default:
			patterns = true
		}
	}
	if len(missing) == 0 {
		return 0, false, nil
	}
	var b strings.Builder
	if len(old) > 0 && old[len(old)-1] != '\n' {
		b.WriteByte('\n')
	}
	if len(old) > 0 {
		b.WriteByte('\n')
	}
	for _, l := range append(header, missing...) {
		b.WriteString(l + "\n")
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return 0, false, err
	}
	_, err = f.WriteString(b.String())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, false, fmt.Errorf("append to %s: %w", p, err)
	}
	return len(missing), false, nil
}

func createNew(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p)
	}
	return err
}

// initSample is the sample record init writes for an object.
type initSample struct {
	key    []string
	fields [][2]string // name, value (HCL)
}

// initSamples are natural keys and plausible records of well-known objects.
// Other objects get Name as their key.
var initSamples = map[string]initSample{
	"Account":     {[]string{"AccountNumber"}, [][2]string{{"AccountNumber", `"EXAMPLE-001"`}, {"Name", `"Example Account"`}}},
	"Contact":     {[]string{"Email"}, [][2]string{{"Email", `"jane.doe@example.com"`}, {"FirstName", `"Jane"`}, {"LastName", `"Doe"`}}},
	"Lead":        {[]string{"Email"}, [][2]string{{"Email", `"jane.doe@example.com"`}, {"LastName", `"Doe"`}, {"Company", `"Example Inc."`}}},
	"Product2":    {[]string{"ProductCode"}, [][2]string{{"ProductCode", `"EXAMPLE-001"`}, {"Name", `"Example Product"`}, {"IsActive", "true"}}},
	"Pricebook2":  {[]string{"Name"}, [][2]string{{"Name", `"Example Price Book"`}, {"IsActive", "true"}}},
	"Campaign":    {[]string{"Name"}, [][2]string{{"Name", `"Example Campaign"`}}},
	"Opportunity": {[]string{"Name"}, [][2]string{{"Name", `"Example Opportunity"`}, {"StageName", `"Prospecting"`}, {"CloseDate", `"2030-12-31"`}}},
	"Case":        {[]string{"Subject"}, [][2]string{{"Subject", `"Example case"`}, {"Status", `"New"`}, {"Origin", `"Web"`}}},
}

// sampleFor returns the key and the fields of the sample record: the key
// fields first, then the sample's other fields.
func sampleFor(object string, key []string) ([]string, [][2]string) {
	s, ok := initSamples[object]
	if !ok {
		s = initSample{[]string{"Name"}, [][2]string{{"Name", `"Example"`}}}
	}
	if len(key) == 0 {
		key = s.key
	}
	value := func(name string) (string, bool) {
		for _, f := range s.fields {
			if strings.EqualFold(f[0], name) {
				return f[1], true
			}
		}
		return "", false
	}
	var fields [][2]string
	for i, k := range key {
		v, ok := value(k)
		if !ok {
			v = fmt.Sprintf(`"EXAMPLE-%03d"`, i+1)
		}
		fields = append(fields, [2]string{k, v})
	}
	for _, f := range s.fields {
		if !slices.ContainsFunc(key, func(k string) bool { return strings.EqualFold(k, f[0]) }) {
			fields = append(fields, f)
		}
	}
	return key, fields
}

// hclString renders s as an HCL string literal (escaping quotes and ${).
func hclString(s string) string {
	return string(hclwrite.TokensForValue(cty.StringVal(s)).Bytes())
}

func renderInitConfig(o initOptions) []byte {
	var b strings.Builder
	b.WriteString(`# sfsync keeps the records below in the org:
#
#   sfsync validate   check this configuration
#   sfsync plan       show what apply would insert, update and delete
#   sfsync apply      make the org match
#
# Every *.sfsync.hcl file in this directory belongs to the configuration.

org {
`)
	if o.alias != "" {
		fmt.Fprintf(&b, `  # The org the sf CLI is logged in to under this alias
  # (sf org login web --alias %s).
  alias = %s
`, o.alias, hclString(o.alias))
	} else {
		fmt.Fprintf(&b, `  # The embedded local org: a Salesforce-compatible org on this machine,
  # kept in this directory. auth = "local" keeps it so whatever login
  # variables (SFSYNC_ACCESS_TOKEN, SFSYNC_AUTH, ...) your shell exports.
  # To use a real org instead, replace both lines with alias = "..." (an
  # sf CLI login).
  local = %s
  auth  = "local"
`, hclString(o.local))
	}
	b.WriteString("}\n")
	if o.postgres {
		fmt.Fprintf(&b, `
# The state, which binds the records here to the org's, is kept in
# PostgreSQL and shared by everyone who applies this configuration.
# The connection string comes from %s, or from the PG*
# variables (PGHOST, PGDATABASE, PGUSER, PGPASSWORD); never write a
# password here.
backend "postgres" {
  workspace = %s
}
`, dsnEnv, hclString(cmp.Or(o.workspace, "default")))
	}
	key, fields := sampleFor(o.object, o.key)
	quoted := make([]string, len(key))
	for i, k := range key {
		quoted[i] = hclString(k)
	}
	fmt.Fprintf(&b, `
object %s {
  # A record here is matched to the org's record with the same key values.
`, hclString(o.object))
	if _, known := initSamples[o.object]; !known && len(o.key) == 0 {
		b.WriteString("  # If the object has an External Id field, use it as the key instead.\n")
	}
	fmt.Fprintf(&b, "  key = [%s]\n\n  record \"example\" {\n", strings.Join(quoted, ", "))
	for _, f := range fields {
		fmt.Fprintf(&b, "    %s = %s\n", f[0], f[1])
	}
	b.WriteString("  }\n}\n")
	out, diags := hcl.Format([]byte(b.String()), initConfigName)
	if diags.HasErrors() {
		// The template is ours: a syntax error here is a bug, and the
		// unformatted text still shows it to whoever reads the file.
		return []byte(b.String())
	}
	return out
}

func renderGitignore(o initOptions) []byte {
	var b strings.Builder
	base := "/" + state.DefaultPath
	fmt.Fprintf(&b, `# sfsync: the state file (when the state is not in a database), its
# lock, backup and temporary files, and the local org's data.
%[1]s
%[1]s.backup
%[1]s.lock
/.%[2]s.tmp-*
/.sfsync/
`, base, state.DefaultPath)
	if o.local != "" {
		l := filepath.ToSlash(filepath.Clean(o.local))
		switch {
		case filepath.IsAbs(o.local) || l == ".." || strings.HasPrefix(l, "../"):
			fmt.Fprintf(&b, "# The local org's data is in %s, outside this directory.\n", o.local)
		case l == ".":
			// Data in the configuration directory itself cannot be
			// ignored as a whole.
		case l != ".sfsync" && !strings.HasPrefix(l, ".sfsync/"):
			fmt.Fprintf(&b, "/%s/\n", gitignoreEscape(l))
		}
	}
	return []byte(b.String())
}

// gitignoreEscape escapes the characters a .gitignore pattern gives a
// meaning to (# and ! only mean something first on a line, where the
// pattern has its leading slash).
func gitignoreEscape(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
