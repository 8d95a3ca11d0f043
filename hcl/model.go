package hcl

import (
	"fmt"
	"strings"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Config is a loaded configuration: the model the planner consumes.
type Config struct {
	// Dir is the configuration directory; relative paths in the
	// configuration (records_csv, file(), org.local) are relative to it.
	Dir string

	// Files holds every parsed source by the name diagnostics use (relative
	// to Dir), for rendering diagnostics with snippets. See Sources for the
	// CSV files diagnostics point into as well.
	Files map[string]*hclv2.File

	// Inputs lists every file the configuration was built from — the
	// *.sfsync.hcl files, -var-file files, files read by file() and
	// templatefile(), CSV sources — as absolute paths, sorted. A saved plan
	// hashes them.
	Inputs []string

	Org       *Org     // nil when the configuration has no org block
	Backend   *Backend // nil when the configuration has no backend block
	Variables []*Variable
	Locals    []*Local
	Data      []*DataLookup
	Objects   []*Object

	ev *evaluator
}

// Object returns the object block with the given API name, or nil.
func (c *Config) Object(name string) *Object {
	for _, o := range c.Objects {
		if o.Name == name {
			return o
		}
	}
	return nil
}

// Record returns the record block instance with the given address, or nil.
// CSV rows are not held in memory, so they are not found here.
func (c *Config) Record(a Address) *Record {
	if c.ev == nil {
		return nil
	}
	return c.ev.record(a)
}

// DataLookup returns the data block for object and name, or nil.
func (c *Config) DataLookup(object, name string) *DataLookup {
	for _, d := range c.Data {
		if d.Object == object && d.Name == name {
			return d
		}
	}
	return nil
}

// Path resolves a path from the configuration against Dir.
func (c *Config) Path(p string) string { return joinPath(c.Dir, p) }

// AuthFlow is how sfsync authenticates to the org.
type AuthFlow int

const (
	AuthUnset             AuthFlow = iota // not set: chosen from the settings present
	AuthLocal                             // the embedded local org (org.local)
	AuthSFCLI                             // reuse an `sf` CLI login (org.alias)
	AuthPassword                          // SOAP login with username, password and security token
	AuthJWT                               // OAuth 2.0 JWT bearer flow
	AuthClientCredentials                 // OAuth 2.0 client credentials flow
	AuthAccessToken                       // a session id / access token supplied from outside
	AuthRefreshToken                      // OAuth 2.0 refresh token flow
)

var authNames = []string{"", "local", "sf", "password", "jwt", "client_credentials", "access_token", "refresh_token"}

func (a AuthFlow) String() string {
	if a <= AuthUnset || int(a) >= len(authNames) {
		return "unset"
	}
	return authNames[a]
}

// BulkVersion selects the Bulk API.
type BulkVersion int

const (
	BulkUnset BulkVersion = iota // not set: the bulk package's default
	Bulk1                        // Bulk API 1.0 (/services/async)
	Bulk2                        // Bulk API 2.0 (/jobs/ingest, /jobs/query)
)

func (b BulkVersion) String() string {
	switch b {
	case Bulk1:
		return "1.0"
	case Bulk2:
		return "2.0"
	}
	return "unset"
}

// Secret says where a secret comes from: an environment variable or a file.
// Secrets are never written in configuration.
type Secret struct {
	Env   string // name of the environment variable holding it
	File  string // path of a file holding it, relative to Config.Dir
	Range hclv2.Range
}

// IsSet reports whether the configuration names a source for the secret.
func (s Secret) IsSet() bool { return s.Env != "" || s.File != "" }

// Org is the org block: how to reach the org. Any setting left empty may
// be supplied by SFSYNC_* environment variables; that is resolved by the
// commands, not here.
type Org struct {
	Local       string // directory of the embedded local org, relative to Config.Dir
	Alias       string // an `sf` CLI alias or username whose login is reused
	InstanceURL string
	LoginURL    string // e.g. https://test.salesforce.com
	Username    string
	ClientID    string // connected app consumer key
	JWTKeyFile  string // private key for the JWT bearer flow, relative to Config.Dir
	Auth        AuthFlow

	Password      Secret
	SecurityToken Secret
	ClientSecret  Secret
	AccessToken   Secret
	RefreshToken  Secret

	APIVersion string      // e.g. "62.0"; empty: the bulk package's default
	Bulk       BulkVersion // which Bulk API
	DeclRange  hclv2.Range
}

// BackendType is where state is kept.
type BackendType int

const (
	BackendUnset    BackendType = iota
	BackendLocal                // a JSON file beside the configuration
	BackendPostgres             // a PostgreSQL table shared by a team
)

func (b BackendType) String() string {
	switch b {
	case BackendLocal:
		return "local"
	case BackendPostgres:
		return "postgres"
	}
	return "unset"
}

// Backend is the backend block: where state lives.
type Backend struct {
	Type BackendType
	// Local.
	Path string // state file, relative to Config.Dir; empty: the default
	// PostgreSQL.
	ConnStr    string // connection string without a password (PGPASSWORD or .pgpass supply it)
	ConnStrEnv string // or the environment variable holding the whole connection string
	Schema     string // schema of the state table; empty: the default
	Workspace  string // the name of this state within the table; empty: "default"
	DeclRange  hclv2.Range
}

// Variable is a variable block and the value in effect.
type Variable struct {
	Name        string
	Type        cty.Type  // cty.DynamicPseudoType when no type was given
	Default     cty.Value // cty.NilVal when there is no default
	Description string
	Sensitive   bool
	Validations []*Validation
	// Value is the value in effect, converted to Type, without marks.
	Value     cty.Value
	Source    ValueSource
	DeclRange hclv2.Range
}

// Validation is a validation block in a variable.
type Validation struct {
	Condition    hclv2.Expression
	ErrorMessage string
	DeclRange    hclv2.Range
}

// ValueSource says where a variable's value came from.
type ValueSource int

const (
	SourceUnset   ValueSource = iota // no value (an error unless there is a default)
	SourceDefault                    // the default in the variable block
	SourceEnv                        // SFSYNC_VAR_name
	SourceFile                       // a -var-file
	SourceFlag                       // a -var flag
)

func (s ValueSource) String() string {
	switch s {
	case SourceDefault:
		return "default"
	case SourceEnv:
		return "environment"
	case SourceFile:
		return "var file"
	case SourceFlag:
		return "-var"
	}
	return "unset"
}

// Local is one attribute of a locals block, with its value.
type Local struct {
	Name      string
	Value     cty.Value // without marks
	Sensitive bool      // derived from a sensitive variable
	Range     hclv2.Range
}

// DataLookup is a data block: a query the planner runs before planning,
// which must match exactly one record.
type DataLookup struct {
	Object string // e.g. "RecordType"
	Name   string // the block's second label
	Where  string // SOQL condition
	// Fields are the fields of the matched record that the configuration
	// refers to (always including "Id"), sorted: what the query selects.
	Fields     []string
	DeclRange  hclv2.Range
	WhereRange hclv2.Range
}

// Addr renders the data block's reference prefix, data.RecordType.partner.
func (d *DataLookup) Addr() string { return "data." + d.Object + "." + d.Name }

// DeleteMode says which org records the plan may delete.
type DeleteMode int

const (
	DeleteUnset   DeleteMode = iota
	DeleteManaged            // records sfsync created or adopted (in state) that left the config
	DeleteScoped             // every record inside where that the config does not declare
	DeleteNever              // nothing
)

func (d DeleteMode) String() string {
	switch d {
	case DeleteManaged:
		return "managed"
	case DeleteScoped:
		return "scoped"
	case DeleteNever:
		return "never"
	}
	return "unset"
}

// Object is an object block: the desired records of one sObject.
type Object struct {
	Name       string   // API name, e.g. "Account"
	Key        []string // fields that match desired records to org records, in order
	Where      string   // SOQL condition narrowing the query; empty: the whole object
	Delete     DeleteMode
	Ignore     []string // fields never diffed
	MaxDeletes int      // delete budget; negative: none set
	Replace    bool     // a change to a create-only field plans delete + insert
	BatchSize  int      // records per batch; 0: the planner's default

	// Records are the record block instances in declaration order, for_each
	// instances in key order.
	Records []*Record
	// CSV are the records_csv sources, streamed on demand.
	CSV []*CSVSource

	DeclRange hclv2.Range
	KeyRange  hclv2.Range
	WhereRange,
	DeleteRange hclv2.Range
}

// IsKey reports whether field is one of the object's key fields.
func (o *Object) IsKey(field string) bool {
	for _, k := range o.Key {
		if strings.EqualFold(k, field) {
			return true
		}
	}
	return false
}

// KeyFields returns r's key fields in key order; nil entries mark key
// fields the record does not set (only possible in a configuration that
// loaded with errors).
func (o *Object) KeyFields(r *Record) []*Field {
	out := make([]*Field, len(o.Key))
	for i, k := range o.Key {
		out[i] = r.Field(k)
	}
	return out
}

// RecordDecl is a record block as written; for_each instances share it.
type RecordDecl struct {
	Object       string
	Label        string
	ForEach      bool
	DeclRange    hclv2.Range // the block header
	ForEachRange hclv2.Range
	Fields       []*FieldDecl // in source order
}

// FieldDecl is one field attribute of a record block.
type FieldDecl struct {
	Name       string
	Expr       hclv2.Expression
	NameRange  hclv2.Range
	ValueRange hclv2.Range
	static     bool      // no references: evaluated once for every instance
	staticVal  cty.Value // the value when static
	info       *exprInfo
}

// Record is one desired record from a record block (one instance of a
// for_each record).
type Record struct {
	Addr   Address
	Decl   *RecordDecl
	Fields []Field // parallel to Decl.Fields
	each   *eachValue
}

// Field returns the field with the given name (case-insensitive, as
// Salesforce field names are), or nil when the record does not set it.
func (r *Record) Field(name string) *Field {
	for i := range r.Fields {
		if strings.EqualFold(r.Fields[i].Decl.Name, name) {
			return &r.Fields[i]
		}
	}
	return nil
}

// Field is one field value of a record.
type Field struct {
	Decl *FieldDecl // name and source ranges
	// Value is the value when it is known at load time, without marks. A
	// null value clears the field in the org; "" is stored as null. It is
	// a string, number or bool, or a list of strings for a multi-select
	// picklist. cty.NilVal when Deferred is set.
	Value cty.Value
	// Deferred is set when the value depends on something only the
	// planner knows: another record's Id or a data lookup.
	Deferred  *Deferred
	Sensitive bool // derived from a sensitive variable: redact wherever shown

	state  evalState
	marked cty.Value // the value as references see it, with marks; unknown when deferred
}

// Name is the field's API name.
func (f *Field) Name() string { return f.Decl.Name }

// Range is the field value's source range.
func (f *Field) Range() hclv2.Range { return f.Decl.ValueRange }

// Ref is something a deferred value waits for: a record's Id, or a field of
// a data lookup's record.
type Ref struct {
	Record Address // set for a record's Id (Field is "Id")
	// Data names the data block (object and name) for a data lookup's
	// field; empty for a record reference.
	DataObject, DataName string
	Field                string
}

// IsData reports whether the reference is to a data lookup.
func (r Ref) IsData() bool { return r.DataObject != "" }

// String renders the reference as written in configuration.
func (r Ref) String() string {
	if r.IsData() {
		return "data." + r.DataObject + "." + r.DataName + "." + r.Field
	}
	return r.Record.String() + "." + r.Field
}

func (r Ref) less(o Ref) bool {
	if r.IsData() != o.IsData() {
		return r.IsData()
	}
	if r.IsData() {
		if r.DataObject != o.DataObject {
			return r.DataObject < o.DataObject
		}
		if r.DataName != o.DataName {
			return r.DataName < o.DataName
		}
		return r.Field < o.Field
	}
	if r.Record != o.Record {
		return r.Record.Less(o.Record)
	}
	return r.Field < o.Field
}

// Redacted is how a sensitive value is shown.
const Redacted = "(sensitive value)"

// FormatValue renders a field value for people: HCL syntax, sensitive
// values redacted, deferred values as their expression's references.
func (f *Field) FormatValue() string {
	if f.Sensitive {
		return Redacted
	}
	if f.Deferred != nil {
		return f.Deferred.String()
	}
	return FormatValue(f.Value)
}

// FormatValue renders a cty value in HCL syntax.
func FormatValue(v cty.Value) string {
	switch {
	case v == cty.NilVal:
		return "(unset)"
	case !v.IsKnown():
		return "(known after apply)"
	case v.IsNull():
		return "null"
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return QuoteKey(v.AsString())
	case ty == cty.Number:
		return v.AsBigFloat().Text('f', -1)
	case ty == cty.Bool:
		if v.True() {
			return "true"
		}
		return "false"
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		var parts []string
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			parts = append(parts, FormatValue(e))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case ty.IsMapType() || ty.IsObjectType():
		var parts []string
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			parts = append(parts, fmt.Sprintf("%s = %s", QuoteKey(k.AsString()), FormatValue(e)))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return v.GoString()
}
