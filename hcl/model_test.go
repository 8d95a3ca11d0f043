package hcl

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

// load writes files into a temporary directory and loads it.
func load(t *testing.T, files map[string]string, opts LoadOptions) *Config {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, diags := Load(dir, opts)
	if diags.HasErrors() {
		t.Fatalf("load:\n%s", renderDiags(cfg, diags))
	}
	return cfg
}

func mustAddr(t *testing.T, s string) Address {
	t.Helper()
	a, err := ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAddressRoundTrip(t *testing.T) {
	for _, a := range []Address{
		{Object: "Account", Label: "acme"},
		{Object: "Account", Label: "country", Key: "DE", Keyed: true},
		{Object: "Contact", Label: "csv", Key: "jane@acme.example", Keyed: true},
		{Object: "X__c", Label: "csv", Key: `a "quoted" \ key ${not} %{tmpl} é|b`, Keyed: true},
		{Object: "X__c", Label: "csv", Key: "tab\tnew\nline", Keyed: true},
		{Object: "X__c", Label: "csv", Key: "", Keyed: true},
	} {
		s := a.String()
		got, err := ParseAddress(s)
		if err != nil {
			t.Errorf("ParseAddress(%s): %v", s, err)
			continue
		}
		if got != a {
			t.Errorf("ParseAddress(%s) = %#v, want %#v", s, got, a)
		}
	}
	if got := (Address{Object: "Account", Label: "country", Key: "DE", Keyed: true}).String(); got != `Account.country["DE"]` {
		t.Errorf("String = %s", got)
	}
	for _, bad := range []string{"Account", "Account.acme.Id", `Account["x"]`, `Account.acme[1]`, "Account.acme[", "1x.y"} {
		if _, err := ParseAddress(bad); err == nil {
			t.Errorf("ParseAddress(%q) succeeded", bad)
		}
	}
}

const refConfig = `
variable "suffix" {
  default = "-x"
}

variable "token" {
  default   = "t0ps3cret"
  sensitive = true
}

data "RecordType" "partner" {
  where = "DeveloperName = 'Partner'"
}

locals {
  codes = ["DE", "FR"]
}

object "Account" {
  key = ["AccountNumber"]

  record "acme" {
    AccountNumber = "ACME-001"
    Name          = "Acme"
    RecordTypeId  = data.RecordType.partner.Id
    Description   = ""
    Site          = null
    Token__c      = "k-${var.token}"
  }

  record "country" {
    for_each      = toset(local.codes)
    AccountNumber = "C-${each.key}"
    Name          = "${Account.acme.Name} ${each.value}"
    ParentId      = Account.acme.Id
    Description   = "child of ${Account.acme.Id}${var.suffix}"
  }

  record "hq" {
    AccountNumber = "HQ"
    Name          = Account.country["DE"].Name
    ParentId      = Account.country["FR"].Id
    Sibling__c    = Account.country["FR"].ParentId
    All__c        = join(",", [for c in local.codes : Account.country[c].Id])
    Tags__c       = ["a", "b"]
  }
}
`

func TestReferencesAndDeferredValues(t *testing.T) {
	cfg := load(t, map[string]string{"main.sfsync.hcl": refConfig}, LoadOptions{})
	acme := cfg.Record(mustAddr(t, "Account.acme"))
	hq := cfg.Record(mustAddr(t, "Account.hq"))
	de := cfg.Record(mustAddr(t, `Account.country["DE"]`))
	if acme == nil || hq == nil || de == nil {
		t.Fatal("records not found")
	}

	// Known values: "" and null are both null; attribute references
	// resolve at load; sensitivity follows the value.
	if v := acme.Field("Description").Value; !v.IsNull() {
		t.Errorf(`"" = %#v, want null`, v)
	}
	if v := acme.Field("Site").Value; !v.IsNull() {
		t.Errorf("null = %#v", v)
	}
	if f := acme.Field("Token__c"); !f.Sensitive || f.FormatValue() != Redacted || f.Value.AsString() != "k-t0ps3cret" {
		t.Errorf("Token__c = %#v sensitive=%v shown=%s", f.Value, f.Sensitive, f.FormatValue())
	}
	if got := de.Field("Name").Value.AsString(); got != "Acme DE" {
		t.Errorf("country DE Name = %q", got)
	}
	if got := hq.Field("Name").Value.AsString(); got != "Acme DE" {
		t.Errorf("hq Name = %q", got)
	}
	if got := hq.Field("Tags__c").Value; !got.Type().Equals(cty.List(cty.String)) {
		t.Errorf("Tags__c type = %#v", got.Type())
	}
	if acme.Field("name") == nil {
		t.Error("Field lookup is not case-insensitive")
	}

	// Deferred values name exactly what they wait for.
	refsOf := func(r *Record, field string) []string {
		f := r.Field(field)
		if f.Deferred == nil {
			t.Fatalf("%s.%s is not deferred: %#v", r.Addr, field, f.Value)
		}
		var out []string
		for _, ref := range f.Deferred.Refs {
			out = append(out, ref.String())
		}
		return out
	}
	for _, tc := range []struct {
		rec   *Record
		field string
		want  []string
		bare  bool
	}{
		{acme, "RecordTypeId", []string{"data.RecordType.partner.Id"}, true},
		{de, "ParentId", []string{"Account.acme.Id"}, true},
		{de, "Description", []string{"Account.acme.Id"}, false},
		{hq, "ParentId", []string{`Account.country["FR"].Id`}, true},
		{hq, "Sibling__c", []string{"Account.acme.Id"}, false},
		{hq, "All__c", []string{`Account.country["DE"].Id`, `Account.country["FR"].Id`}, false},
	} {
		if diff := cmp.Diff(tc.want, refsOf(tc.rec, tc.field)); diff != "" {
			t.Errorf("%s.%s refs (-want +got):\n%s", tc.rec.Addr, tc.field, diff)
		}
		if _, bare := tc.rec.Field(tc.field).Deferred.Ref(); bare != tc.bare {
			t.Errorf("%s.%s bare = %v, want %v", tc.rec.Addr, tc.field, bare, tc.bare)
		}
	}
	if got := cfg.DataLookup("RecordType", "partner").Fields; !cmp.Equal(got, []string{"Id"}) {
		t.Errorf("data fields = %v", got)
	}

	// The planner evaluates deferred values with what it learned.
	ids := map[string]string{
		"Account.acme.Id":            "001000000000001AAA",
		`Account.country["DE"].Id`:   "001000000000002AAA",
		`Account.country["FR"].Id`:   "001000000000003AAA",
		"data.RecordType.partner.Id": "012000000000001AAA",
	}
	res := cfg.NewResolver(func(r Ref) cty.Value {
		if id, ok := ids[r.String()]; ok {
			return cty.StringVal(id)
		}
		t.Errorf("unexpected lookup of %s", r)
		return cty.UnknownVal(cty.String)
	})
	for _, tc := range []struct {
		rec   *Record
		field string
		want  string
	}{
		{acme, "RecordTypeId", "012000000000001AAA"},
		{de, "ParentId", "001000000000001AAA"},
		{de, "Description", "child of 001000000000001AAA-x"},
		{hq, "Sibling__c", "001000000000001AAA"},
		{hq, "All__c", "001000000000002AAA,001000000000003AAA"},
	} {
		v, diags := res.Eval(tc.rec.Field(tc.field).Deferred)
		if diags.HasErrors() {
			t.Fatalf("%s.%s: %s", tc.rec.Addr, tc.field, diags.Error())
		}
		if v.AsString() != tc.want {
			t.Errorf("%s.%s = %q, want %q", tc.rec.Addr, tc.field, v.AsString(), tc.want)
		}
	}

	// An Id not known until apply leaves the value unknown.
	v, diags := de.Field("Description").Deferred.Eval(func(Ref) cty.Value { return cty.UnknownVal(cty.String) })
	if diags.HasErrors() || v.IsKnown() {
		t.Errorf("Eval with unknown Id = %#v, %v", v, diags)
	}

	// The reference graph, for ordering.
	var edges []string
	for _, e := range cfg.Edges() {
		edges = append(edges, e.From.String()+"."+e.Field+" -> "+e.To.String())
	}
	want := []string{
		`Account.acme.RecordTypeId -> data.RecordType.partner.Id`,
		`Account.country["DE"].Description -> Account.acme.Id`,
		`Account.country["DE"].ParentId -> Account.acme.Id`,
		`Account.country["FR"].Description -> Account.acme.Id`,
		`Account.country["FR"].ParentId -> Account.acme.Id`,
		`Account.hq.All__c -> Account.country["DE"].Id`,
		`Account.hq.All__c -> Account.country["FR"].Id`,
		`Account.hq.ParentId -> Account.country["FR"].Id`,
		`Account.hq.Sibling__c -> Account.acme.Id`,
	}
	if diff := cmp.Diff(want, edges); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
	if c := cfg.Cycles(); len(c) != 0 {
		t.Errorf("cycles = %v", c)
	}
}

func TestLegalCycleAndKeyReferences(t *testing.T) {
	cfg := load(t, map[string]string{"main.sfsync.hcl": `
object "Account" {
  key = ["AccountNumber"]

  record "a" {
    AccountNumber = "A"
    Partner__c    = Account.b.Id
  }

  record "b" {
    AccountNumber = "B"
    Partner__c    = Account.a.Id
  }
}

object "AccountContactRelation" {
  key = ["AccountId", "ContactId"]

  record "ab" {
    AccountId = Account.a.Id
    ContactId = Account.b.Id
  }
}
`}, LoadOptions{})
	got := cfg.Cycles()
	want := [][]Address{{mustAddr(t, "Account.a"), mustAddr(t, "Account.b")}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cycles (-want +got):\n%s", diff)
	}
	keyEdges := 0
	for _, e := range cfg.Edges() {
		if e.Key {
			keyEdges++
		}
	}
	if keyEdges != 2 {
		t.Errorf("key edges = %d, want 2", keyEdges)
	}
}

func TestVariablePrecedence(t *testing.T) {
	files := map[string]string{
		"main.sfsync.hcl": `
variable "region" {
  default = "EU"
}
variable "codes" {
  type    = list(string)
  default = []
}
variable "limit" {
  type    = number
  default = 1
}
variable "opts" {
  type    = object({ a = string, b = optional(number, 7) })
  default = { a = "x" }
}
`,
		"a.vars.hcl": "region = \"FILE\"\ncodes = [\"DE\"]\n",
	}
	env := map[string]string{"SFSYNC_VAR_region": "ENV", "SFSYNC_VAR_limit": "5", "SFSYNC_VAR_codes": `["FR", "JP"]`}
	for _, tc := range []struct {
		name   string
		vars   []VarInput
		region string
		codes  int
		limit  int64
		src    ValueSource
	}{
		{"env", nil, "ENV", 2, 5, SourceEnv},
		{"file over env", []VarInput{{File: true, Arg: "a.vars.hcl"}}, "FILE", 1, 5, SourceFile},
		{"later flag wins", []VarInput{{Arg: "region=ONE"}, {File: true, Arg: "a.vars.hcl"}, {Arg: "region=TWO"}}, "TWO", 1, 5, SourceFlag},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := load(t, files, LoadOptions{Vars: tc.vars, Getenv: func(k string) string { return env[k] }})
			byName := map[string]*Variable{}
			for _, v := range cfg.Variables {
				byName[v.Name] = v
			}
			if got := byName["region"].Value.AsString(); got != tc.region {
				t.Errorf("region = %q, want %q", got, tc.region)
			}
			if got := byName["region"].Source; got != tc.src {
				t.Errorf("region source = %s, want %s", got, tc.src)
			}
			if got := byName["codes"].Value.LengthInt(); got != tc.codes {
				t.Errorf("codes has %d elements, want %d", got, tc.codes)
			}
			if got, _ := byName["limit"].Value.AsBigFloat().Int64(); got != tc.limit {
				t.Errorf("limit = %d", got)
			}
			if got, _ := byName["opts"].Value.GetAttr("b").AsBigFloat().Int64(); got != 7 {
				t.Errorf("opts.b default = %d, want 7", got)
			}
		})
	}
}

func TestCSVRows(t *testing.T) {
	cfg := load(t, map[string]string{
		"main.sfsync.hcl": `
object "PricebookEntry" {
  key         = ["Pricebook2Id", "Product2Id"]
  records_csv = ["a.csv", "b.csv"]
}
`,
		// A BOM, quoted values with commas and newlines, empty cells.
		"a.csv": "\uFEFFPricebook2.Name,Product2.ProductCode,UnitPrice,Description\n" +
			"Partner,GADGET-1,10.5,\"multi\nline, with comma\"\n" +
			"Partner,GADGET-2,,\n",
		"b.csv": "Product2.ProductCode,Pricebook2.Name,UnitPrice\nGADGET-1,Retail,12\n",
	}, LoadOptions{})
	o := cfg.Object("PricebookEntry")
	if len(o.CSV) != 2 || o.CSV[0].RowCount != 2 || o.CSV[1].RowCount != 1 {
		t.Fatalf("sources = %+v", o.CSV)
	}
	cols := o.CSV[0].Columns
	if cols[0] != (CSVColumn{Name: "Pricebook2.Name", Field: "Pricebook2Id", Relationship: "Pricebook2", ParentField: "Name", Key: true}) {
		t.Errorf("column 0 = %+v", cols[0])
	}
	if cols[2] != (CSVColumn{Name: "UnitPrice", Field: "UnitPrice"}) {
		t.Errorf("column 2 = %+v", cols[2])
	}
	var got []string
	for _, src := range o.CSV {
		for row, diags := range src.Rows() {
			if diags != nil {
				t.Fatal(diags.Error())
			}
			var cells []string
			for i := range row.Cells {
				v, null := row.Value(i)
				if null {
					v = "<null>"
				}
				cells = append(cells, v)
			}
			got = append(got, row.Addr.String()+" line "+strconv.Itoa(row.Line)+": "+strings.Join(cells, " | ")+" key="+strings.Join(row.KeyValues(), "+"))
		}
	}
	want := []string{
		`PricebookEntry.csv["Partner|GADGET-1"] line 2: Partner | GADGET-1 | 10.5 | multi` + "\n" + `line, with comma key=Partner+GADGET-1`,
		`PricebookEntry.csv["Partner|GADGET-2"] line 4: Partner | GADGET-2 | <null> | <null> key=Partner+GADGET-2`,
		`PricebookEntry.csv["Retail|GADGET-1"] line 2: GADGET-1 | Retail | 12 key=Retail+GADGET-1`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	// Stopping early closes the file and ends the iteration.
	n := 0
	for range o.CSV[0].Rows() {
		n++
		break
	}
	if n != 1 {
		t.Errorf("break: %d rows", n)
	}
}

func TestOrgAndBackend(t *testing.T) {
	cfg := load(t, map[string]string{"main.sfsync.hcl": `
org {
  login_url          = "https://test.salesforce.com"
  username           = "ci@acme.example"
  client_id          = "3MVG9"
  jwt_key_file       = "keys/server.key"
  auth               = "jwt"
  client_secret_env  = "SF_CLIENT_SECRET"
  password_file      = "secrets/password"
  api_version        = "62.0"
  bulk               = "1.0"
}

backend "postgres" {
  conn_str  = "host=db.example dbname=sfsync user=ci sslmode=require"
  schema    = "sfsync"
  workspace = "staging"
}
`}, LoadOptions{})
	o := cfg.Org
	if o.Auth != AuthJWT || o.Bulk != Bulk1 || o.APIVersion != "62.0" || o.LoginURL != "https://test.salesforce.com" || o.JWTKeyFile != "keys/server.key" {
		t.Errorf("org = %+v", o)
	}
	if o.ClientSecret.Env != "SF_CLIENT_SECRET" || o.Password.File != "secrets/password" || o.AccessToken.IsSet() {
		t.Errorf("secrets = %+v %+v", o.ClientSecret, o.Password)
	}
	b := cfg.Backend
	if b.Type != BackendPostgres || b.Schema != "sfsync" || b.Workspace != "staging" || !strings.Contains(b.ConnStr, "dbname=sfsync") {
		t.Errorf("backend = %+v", b)
	}

	cfg = load(t, map[string]string{"main.sfsync.hcl": `
org {
  login_url         = "https://acme.my.salesforce.com"
  client_id         = "3MVG9"
  auth              = "refresh_token"
  refresh_token_env = "SF_REFRESH_TOKEN"
}
`}, LoadOptions{})
	if o := cfg.Org; o.Auth != AuthRefreshToken || o.RefreshToken.Env != "SF_REFRESH_TOKEN" || o.Auth.String() != "refresh_token" {
		t.Errorf("refresh token org = %+v", o)
	}

	// backend "pg" is another name for backend "postgres".
	cfg = load(t, map[string]string{"main.sfsync.hcl": `
backend "pg" {
  conn_str_env = "SFSYNC_PG_DSN"
  workspace    = "ci"
}
`}, LoadOptions{})
	if b := cfg.Backend; b.Type != BackendPostgres || b.ConnStrEnv != "SFSYNC_PG_DSN" || b.Workspace != "ci" {
		t.Errorf("backend \"pg\" = %+v", b)
	}
}

func TestEnumStrings(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{AuthUnset.String(), "unset"}, {AuthClientCredentials.String(), "client_credentials"},
		{BulkUnset.String(), "unset"}, {Bulk2.String(), "2.0"},
		{DeleteUnset.String(), "unset"}, {DeleteScoped.String(), "scoped"},
		{BackendUnset.String(), "unset"}, {BackendLocal.String(), "local"},
		{SourceUnset.String(), "unset"}, {SourceFlag.String(), "-var"},
	} {
		if tc.got != tc.want {
			t.Errorf("String() = %q, want %q", tc.got, tc.want)
		}
	}
}
