package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sfsync/sfsync/planner"
	"github.com/sfsync/sfsync/state"
	"github.com/zclconf/go-cty/cty"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./render -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test ./render -update rewrites it):\n%s", name, diff)
	}
}

// Field specs of the fixture's fields, as the planner maps them from
// describe.
var specs = map[string]planner.FieldSpec{
	"AccountId":           {Type: planner.TypeID},
	"Active__c":           {Type: planner.TypeBoolean},
	"AnnualRevenue":       {Type: planner.TypeNumber, Precision: 18, Scale: 2},
	"Api_Key__c":          {Type: planner.TypeText, Length: 255},
	"Description":         {Type: planner.TypeText, Length: 32000},
	"Email":               {Type: planner.TypeText, Length: 80},
	"External_Id__c":      {Type: planner.TypeText, Length: 100},
	"Founded__c":          {Type: planner.TypeDate},
	"IsActive":            {Type: planner.TypeBoolean},
	"Last_Audit__c":       {Type: planner.TypeDateTime},
	"LastName":            {Type: planner.TypeText, Length: 80},
	"Name":                {Type: planner.TypeText, Length: 255},
	"Notes__c":            {Type: planner.TypeText, Length: 32768},
	"NumberOfEmployees":   {Type: planner.TypeInteger, Precision: 8},
	"Opening_Time__c":     {Type: planner.TypeTime},
	"ParentId":            {Type: planner.TypeID},
	"Phone":               {Type: planner.TypeText, Length: 40},
	"Product2Id":          {Type: planner.TypeID},
	"Rating__c":           {Type: planner.TypeNumber, Precision: 3, Scale: 1},
	"Tags__c":             {Type: planner.TypeMultiPicklist},
	"Title":               {Type: planner.TypeText, Length: 128},
	"Type":                {Type: planner.TypePicklist},
	"UnitPrice":           {Type: planner.TypeNumber, Precision: 18, Scale: 2},
	"Website":             {Type: planner.TypeText, Length: 255},
	"Pricebook2Id":        {Type: planner.TypeID},
	"Discount_Percent__c": {Type: planner.TypeNumber, Precision: 5, Scale: 2},
}

// want is a desired field value as the configuration gives it: a cty value
// from HCL, or a CSV cell (string), or a reference to a record being
// inserted (ref).
type want struct {
	field     string
	cty       cty.Value
	cell      *string
	ref       string
	org       *string // the org's rendering; nil: null / not read
	sensitive bool
	deferred  bool
	forces    bool
}

func cell(s string) *string { return &s }

// diff turns desired and org values into field changes the way the planner
// does: a field is listed when its values differ as Salesforce means it, and
// counted as unchanged otherwise. Every normalization in the fixture goes
// through the real value code here.
func diff(t *testing.T, ws []want, insert bool) ([]planner.FieldChange, int) {
	t.Helper()
	var out []planner.FieldChange
	unchanged := 0
	for _, w := range ws {
		spec, ok := specs[w.field]
		if !ok {
			t.Fatalf("no spec for %s", w.field)
		}
		var nv planner.Value
		var err error
		switch {
		case w.ref != "":
			nv = planner.Null(spec.Type)
		case w.cell != nil:
			nv, err = planner.ParseCell(spec, *w.cell)
		default:
			nv, err = planner.FromCty(spec, w.cty)
		}
		if err != nil {
			t.Fatalf("%s: %v", w.field, err)
		}
		var old planner.Value
		if w.org != nil {
			if old, err = planner.ParseOrg(spec, *w.org); err != nil {
				t.Fatalf("%s: org %v", w.field, err)
			}
		}
		fc := planner.FieldChange{Field: w.field, Old: old, New: nv, Ref: w.ref, Sensitive: w.sensitive, Deferred: w.deferred, ForcesReplacement: w.forces}
		if insert || fc.Changed() || w.forces {
			out = append(out, fc)
		} else {
			unchanged++
		}
	}
	return out, unchanged
}

func key(t *testing.T, field, s string) []planner.KeyValue {
	v, err := planner.ParseCell(specs[field], s)
	if err != nil {
		t.Fatal(err)
	}
	return []planner.KeyValue{{Field: field, Value: v}}
}

var stamp = time.Date(2024, 3, 1, 9, 30, 0, 250e6, time.UTC)

// fixture is a plan with every kind of change and every value normalization.
func fixture(t *testing.T) *planner.Plan {
	acct := &planner.ObjectPlan{Object: "Account"}
	add := func(o *planner.ObjectPlan, ch planner.Change, ws []want) {
		ch.Object = o.Object
		fields, unchanged := diff(t, ws, ch.Action == planner.Insert)
		ch.Fields = fields
		ch.Unchanged += unchanged
		if (ch.Action == planner.Update || ch.Action == planner.DeferredUpdate) && len(fields) == 0 {
			o.Unchanged++ // a no-op: counted, not listed
			return
		}
		if ch.Action != planner.Insert && ch.Action != planner.DeferredUpdate {
			ch.SystemModstamp = stamp
		}
		o.Changes = append(o.Changes, ch)
	}

	// Insert, with every kind of value.
	add(acct, planner.Change{Action: planner.Insert, Address: "Account.acme", Key: key(t, "External_Id__c", "ACME-001")}, []want{
		{field: "External_Id__c", cty: cty.StringVal("ACME-001")},
		{field: "Name", cty: cty.StringVal("Acme")},
		{field: "Type", cty: cty.StringVal("Partner")},
		{field: "AnnualRevenue", cty: cty.MustParseNumberVal("1500.50")},
		{field: "NumberOfEmployees", cty: cty.NumberIntVal(250)},
		{field: "Active__c", cty: cty.True},
		{field: "Founded__c", cty: cty.StringVal("1999-04-01")},
		{field: "Last_Audit__c", cty: cty.StringVal("2024-01-15T12:00:00+02:00")},
		{field: "Opening_Time__c", cty: cty.StringVal("08:30:00")},
		{field: "Tags__c", cty: cty.ListVal([]cty.Value{cty.StringVal("Retail"), cty.StringVal("EMEA")})},
		{field: "Description", cty: cty.StringVal("Acme makes everything.\nFounded in 1999.\n\tHeadquarters: Springfield.")},
		{field: "Website", cty: cty.NullVal(cty.String)},
	})

	// Update: one change, a field cleared with null, and a field for every
	// normalization, each equal to the org's rendering and so unchanged.
	add(acct, planner.Change{Action: planner.Update, Address: "Account.beta", ID: "001000000000002AAA"}, []want{
		{field: "Name", cty: cty.StringVal("Beta Ltd"), org: cell("Beta")},
		{field: "Phone", cty: cty.NullVal(cty.String), org: cell("+1 555 0100")},
		{field: "AnnualRevenue", cty: cty.MustParseNumberVal("912260031"), org: cell("9.12260031E8")},
		{field: "Rating__c", cty: cty.NumberIntVal(4), org: cell("4.0")},
		{field: "Discount_Percent__c", cty: cty.MustParseNumberVal("12.345"), org: cell("12.35")},
		{field: "NumberOfEmployees", cell: cell("1.2E2"), org: cell("120")},
		{field: "Active__c", cell: cell("TRUE"), org: cell("true")},
		{field: "Founded__c", cell: cell("1999-04-01Z"), org: cell("1999-04-01")},
		{field: "Last_Audit__c", cty: cty.StringVal("2024-01-15T12:00:00.000+02:00"), org: cell("2024-01-15T10:00:00.000Z")},
		{field: "Opening_Time__c", cty: cty.StringVal("08:30:00"), org: cell("08:30:00.000Z")},
		{field: "Tags__c", cty: cty.TupleVal([]cty.Value{cty.StringVal("EMEA"), cty.StringVal("Retail")}), org: cell("Retail;EMEA")},
		{field: "Website", cty: cty.StringVal(""), org: cell("")},
		{field: "ParentId", cty: cty.StringVal("001000000000009"), org: cell("001000000000009AAA")},
		{field: "Type", cty: cty.StringVal("Partner"), org: cell("Partner")},
	})

	// A record that differs from the org only by notation: no change.
	add(acct, planner.Change{Action: planner.Update, Address: "Account.delta", ID: "001000000000004AAA"}, []want{
		{field: "AnnualRevenue", cty: cty.NumberIntVal(90000000), org: cell("9.0E7")},
		{field: "Last_Audit__c", cell: cell("2024-06-30T23:59:59.9999-05:00"), org: cell("2024-07-01T04:59:59.999Z")},
		{field: "Tags__c", cell: cell("B;A;B"), org: cell("A;B")},
		{field: "ParentId", cell: cell("001000000000009aaa"), org: cell("001000000000009AAA")},
	})

	// Long text: a word diff of one long line and a line diff of many.
	oldNotes := "Line one\nLine two\nLine three\nLine four\nLine five\nLine six\nLine seven\nLine eight"
	newNotes := "Line one\nLine two\nLine 3\nLine four\nLine five\nLine six\nLine seven\nLine eight\nLine nine"
	add(acct, planner.Change{Action: planner.Update, Address: "Account.gamma", ID: "001000000000003AAA"}, []want{
		{field: "Description", cty: cty.StringVal("Gamma is a wholesale distributor of industrial fasteners, serving customers across northern Europe since 1987 with next-day delivery."),
			org: cell("Gamma is a wholesale distributor of industrial fasteners, serving customers across central Europe since 1987 with next-day delivery.")},
		{field: "Notes__c", cty: cty.StringVal(newNotes), org: cell(oldNotes)},
		{field: "Name", cty: cty.StringVal("Gamma"), org: cell("Gamma")},
	})

	// Clearing a multi-line text.
	add(acct, planner.Change{Action: planner.Update, Address: "Account.epsilon", ID: "001000000000005AAA"}, []want{
		{field: "Notes__c", cty: cty.NullVal(cty.String), org: cell("Call first.\nThen write.")},
	})

	// Delete, listed by key and Id, with a cascade warning.
	add(acct, planner.Change{Action: planner.Delete, Address: "Account.old", ID: "001000000000006AAA",
		Key: key(t, "External_Id__c", "OLD-001"), Reasons: []planner.Reason{planner.LeftConfig},
		Cascade: []planner.Cascade{{Object: "Contact", Field: "AccountId", Count: 3, Addresses: []string{"Contact.ann", "Contact.ben"}}}}, nil)
	add(acct, planner.Change{Action: planner.Delete, Address: `Account["STRAY-9"]`, ID: "001000000000010AAA",
		Key: key(t, "External_Id__c", "STRAY-9"), Reasons: []planner.Reason{planner.NotDeclared}}, nil)

	// Adopt and rebind.
	add(acct, planner.Change{Action: planner.Adopt, Address: "Account.found", ID: "001000000000007AAA", Key: key(t, "External_Id__c", "FOUND-1")}, []want{
		{field: "Name", cty: cty.StringVal("Found"), org: cell("Found")},
	})
	add(acct, planner.Change{Action: planner.Rebind, Address: "Account.renamed", From: "Account.old_name", ID: "001000000000008AAA"}, []want{
		{field: "Type", cty: cty.StringVal("Customer"), org: cell("Prospect")},
	})

	// A cycle: cycle_a is inserted without ParentId, cycle_b refers to it,
	// then a deferred update sets cycle_a's ParentId.
	add(acct, planner.Change{Action: planner.Insert, Address: "Account.cycle_a", Level: 0}, []want{
		{field: "Name", cty: cty.StringVal("Cycle A")},
		{field: "ParentId", ref: "Account.cycle_b", deferred: true},
	})
	add(acct, planner.Change{Action: planner.Insert, Address: "Account.cycle_b", Level: 1}, []want{
		{field: "Name", cty: cty.StringVal("Cycle B")},
		{field: "ParentId", ref: "Account.cycle_a"},
	})
	add(acct, planner.Change{Action: planner.DeferredUpdate, Address: "Account.cycle_a", Level: 2}, []want{
		{field: "ParentId", ref: "Account.cycle_b"},
	})

	// Identity notes.
	add(acct, planner.Change{Action: planner.Update, Address: "Account.restored", ID: "001000000000011AAA", Reasons: []planner.Reason{planner.KeyRestored}}, []want{
		{field: "External_Id__c", cty: cty.StringVal("REST-1"), org: cell("rest-1-edited")},
	})
	add(acct, planner.Change{Action: planner.Update, Address: "Account.outside", ID: "001000000000012AAA", Reasons: []planner.Reason{planner.OutsideWhere}}, []want{
		{field: "Type", cty: cty.StringVal("Partner"), org: cell("Customer")},
	})
	add(acct, planner.Change{Action: planner.Insert, Address: "Account.reborn", Reasons: []planner.Reason{planner.DeletedOutside}}, []want{
		{field: "Name", cty: cty.StringVal("Reborn")},
	})

	// Sensitive values.
	add(acct, planner.Change{Action: planner.Update, Address: "Account.secret", ID: "001000000000013AAA"}, []want{
		{field: "Api_Key__c", cty: cty.StringVal("s3cr3t-new"), org: cell("s3cr3t-old"), sensitive: true},
		{field: "Name", cty: cty.StringVal("Secret"), org: cell("Secret")},
	})
	add(acct, planner.Change{Action: planner.Insert, Address: "Account.secret2"}, []want{
		{field: "Api_Key__c", cty: cty.StringVal("hunter2"), sensitive: true},
		{field: "Name", cty: cty.StringVal("Secret 2")},
	})

	contact := &planner.ObjectPlan{Object: "Contact", Unchanged: 41}
	// A reference to a record being inserted: known after apply.
	add(contact, planner.Change{Action: planner.Insert, Address: "Contact.jane", Level: 1, Key: key(t, "Email", "jane@acme.example")}, []want{
		{field: "Email", cty: cty.StringVal("jane@acme.example")},
		{field: "LastName", cty: cty.StringVal("Doe")},
		{field: "AccountId", ref: "Account.acme"},
	})
	// A CSV row: a 15-character Id cell equals the org's 18-character one.
	add(contact, planner.Change{Action: planner.Update, Address: `Contact.csv["bob@example.com"]`, ID: "003000000000001AAA"}, []want{
		{field: "AccountId", cell: cell("001000000000002"), org: cell("001000000000002AAA")},
		{field: "Title", cell: cell("CTO"), org: cell("VP Engineering")},
		{field: "Email", cell: cell("bob@example.com"), org: cell("bob@example.com")},
	})

	pbe := &planner.ObjectPlan{Object: "PricebookEntry"}
	// Replace: a create-only field changes.
	add(pbe, planner.Change{Action: planner.Replace, Address: "PricebookEntry.widget_std", ID: "01u000000000001AAA"}, []want{
		{field: "Product2Id", cell: cell("01t000000000002"), org: cell("01t000000000001AAA"), forces: true},
		{field: "Pricebook2Id", cell: cell("01s000000000001AAA"), org: cell("01s000000000001AAA")},
		{field: "UnitPrice", cty: cty.NumberIntVal(10), org: cell("10.0")},
		{field: "IsActive", cty: cty.True, org: cell("true")},
	})

	p := &planner.Plan{
		SfsyncVersion: "0.1.0-test",
		OrgID:         "00D000000000001AAA",
		InstanceURL:   "https://acme.my.salesforce.com",
		Lineage:       "5b6e2c1a-7d4f-4e2b-9a61-0c3f5d8e9b10",
		Serial:        12,
		Inputs:        []planner.Input{planner.HashVariable("region", `"EU"`)},
		Objects:       []*planner.ObjectPlan{pbe, contact, acct},
		Warnings: []planner.Warning{
			{Address: "Account.outside", Message: "found by key outside where (Type = 'Partner'); planned as an update"},
			{Message: "the org's API version 58.0 is older than sfsync's default 62.0"},
		},
		Jobs: []planner.Job{
			{Object: "Account", Operation: state.OpInsert, Level: 0, API: planner.APIREST, Records: 4, Batches: 1},
			{Object: "PricebookEntry", Operation: state.OpInsert, Level: 0, API: planner.APIREST, Records: 1, Batches: 1},
			{Object: "Account", Operation: state.OpInsert, Level: 1, API: planner.APIREST, Records: 1, Batches: 1},
			{Object: "Contact", Operation: state.OpInsert, Level: 1, API: planner.APIREST, Records: 1, Batches: 1},
			{Object: "Account", Operation: state.OpUpdate, Level: 0, API: planner.APIBulk2, Records: 8, Batches: 1},
			{Object: "Contact", Operation: state.OpUpdate, Level: 0, API: planner.APIBulk1, Records: 1, Batches: 1},
			{Object: "Account", Operation: state.OpUpdate, Level: 2, Deferred: true, API: planner.APIREST, Records: 1, Batches: 1},
			{Object: "PricebookEntry", Operation: state.OpDelete, Level: 0, API: planner.APIREST, Records: 1, Batches: 1},
			{Object: "Account", Operation: state.OpDelete, Level: 0, API: planner.APIBulk2, Records: 2, Batches: 1},
		},
		Limits: []planner.Limit{
			{Name: "DailyBulkApiBatches", Max: 15000, Remaining: 14990},
			{Name: "DailyApiRequests", Max: 15000, Remaining: 14211},
			{Name: "DailyBulkV2QueryJobs", Max: 10000, Remaining: 9998},
		},
	}
	p.Sort()
	return p
}

func render(t *testing.T, v View, p *planner.Plan) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := v.Plan(&buf, p); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	p := fixture(t)
	golden(t, "plan.human.golden", render(t, Human{}, p))
	golden(t, "plan.color.golden", render(t, Human{Color: true}, p))
	golden(t, "plan.json.golden", render(t, JSON{}, p))
	golden(t, "plan.md.golden", render(t, Markdown{}, p))
}

func TestGoldenNoChanges(t *testing.T) {
	p := &planner.Plan{
		SfsyncVersion: "0.1.0-test", OrgID: "00D000000000001AAA", InstanceURL: "https://acme.my.salesforce.com",
		Lineage: "5b6e2c1a-7d4f-4e2b-9a61-0c3f5d8e9b10", Serial: 13,
		Objects: []*planner.ObjectPlan{{Object: "Account", Unchanged: 17}, {Object: "Contact", Unchanged: 42}},
		Limits:  []planner.Limit{{Name: "DailyBulkApiBatches", Max: 15000, Remaining: 14990}},
	}
	golden(t, "nochanges.human.golden", render(t, Human{}, p))
	golden(t, "nochanges.json.golden", render(t, JSON{}, p))
	golden(t, "nochanges.md.golden", render(t, Markdown{}, p))
}

// TestGoldenAdoptOnly: adoption alone is no change, but is shown.
func TestGoldenAdoptOnly(t *testing.T) {
	p := &planner.Plan{
		Objects: []*planner.ObjectPlan{{Object: "Account", Unchanged: 2, Changes: []planner.Change{
			{Action: planner.Adopt, Address: "Account.found", Object: "Account", ID: "001000000000007AAA", Unchanged: 1,
				Key: key(t, "External_Id__c", "FOUND-1"), SystemModstamp: stamp},
		}}},
	}
	if p.Counts().HasChanges() {
		t.Fatal("adoption alone counts as a change")
	}
	golden(t, "adopt.human.golden", render(t, Human{}, p))
	golden(t, "adopt.json.golden", render(t, JSON{}, p))
}

// TestSavedPlanShowsTheSame checks that a plan saved and read back (plan
// -out, then show FILE) renders exactly as the plan did.
func TestSavedPlanShowsTheSame(t *testing.T) {
	p := fixture(t)
	path := filepath.Join(t.TempDir(), "plan.out")
	if err := planner.WriteSavedFile(path, p); err != nil {
		t.Fatal(err)
	}
	back, err := planner.ReadSavedFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []View{Human{}, Human{Color: true}, JSON{}, Markdown{}} {
		if diff := cmp.Diff(string(render(t, v, p)), string(render(t, v, back))); diff != "" {
			t.Errorf("%T renders the saved plan differently (-plan +saved):\n%s", v, diff)
		}
	}
}

// TestNormalizationsShowNoChange checks the fixture's normalization cases
// directly: none of those fields appears in any form.
func TestNormalizationsShowNoChange(t *testing.T) {
	p := fixture(t)
	out := string(render(t, Human{}, p))
	beta := section(out, "~ Account.beta", "\n\n")
	for _, field := range []string{"AnnualRevenue", "Rating__c", "Discount_Percent__c", "NumberOfEmployees", "Active__c", "Founded__c",
		"Last_Audit__c", "Opening_Time__c", "Tags__c", "Website", "ParentId", "Type"} {
		if strings.Contains(beta, field) {
			t.Errorf("Account.beta shows %s, which differs only by notation:\n%s", field, beta)
		}
	}
	if !strings.Contains(beta, "# (12 unchanged fields hidden)") {
		t.Errorf("Account.beta does not fold its 12 unchanged fields:\n%s", beta)
	}
	if strings.Contains(out, "Account.delta") {
		t.Error("Account.delta, which differs only by notation, is listed")
	}
	if strings.Contains(out, "IsActive") || strings.Contains(out, "UnitPrice") {
		t.Error("the replace shows fields that do not change")
	}
	if p.Object("Account").Unchanged != 1 {
		t.Errorf("Account.delta not counted as unchanged")
	}
}

// section returns the part of s from start up to end.
func section(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, end); j >= 0 {
		return s[:j]
	}
	return s
}

func TestHumanSafety(t *testing.T) {
	p := fixture(t)
	for _, v := range []View{Human{}, Human{Color: true}, JSON{}, Markdown{}} {
		out := string(render(t, v, p))
		for _, secret := range []string{"s3cr3t", "hunter2"} {
			if strings.Contains(out, secret) {
				t.Errorf("%T shows the sensitive value %q", v, secret)
			}
		}
	}
	for _, v := range []View{Human{}, JSON{}, Markdown{}} {
		if out := render(t, v, p); bytes.ContainsRune(out, 0x1b) {
			t.Errorf("%T writes an escape code without color", v)
		}
	}
	if out := render(t, Human{Color: true}, p); !bytes.ContainsRune(out, 0x1b) {
		t.Error("Human{Color: true} writes no escape code")
	}

	// Control characters in the data are escaped, never written.
	evil, _ := planner.ParseOrg(specs["Name"], "a\x1b[2Jb\x07")
	good, _ := planner.ParseCell(specs["Name"], "ok")
	ep := &planner.Plan{Objects: []*planner.ObjectPlan{{Object: "Account", Changes: []planner.Change{
		{Action: planner.Update, Address: "Account.x\x1b[31m", Object: "Account", ID: "001000000000001AAA",
			Fields: []planner.FieldChange{{Field: "Name", Old: evil, New: good}}},
	}}}, Warnings: []planner.Warning{{Message: "bad\x1b]0;title\x07"}}}
	for _, v := range []View{Human{}, Markdown{}} {
		out := render(t, v, ep)
		if bytes.ContainsRune(out, 0x1b) || bytes.ContainsRune(out, 0x07) {
			t.Errorf("%T lets control characters through:\n%q", v, out)
		}
	}
}

func TestClosingLines(t *testing.T) {
	tests := []struct {
		c    planner.Counts
		want []string
	}{
		{planner.Counts{Insert: 1, Update: 2, Delete: 3}, []string{"Plan: 1 to insert, 2 to update, 3 to delete."}},
		{planner.Counts{Adopt: 2}, []string{"Plan: 0 to insert, 0 to update, 0 to delete.", "2 to adopt (existing records found by key; no org write)."}},
		// An adoption or rebind that also updates fields is no "no org
		// write": the line says how many update (the closing line counts
		// them as updates).
		{planner.Counts{Update: 1, Adopt: 2, AdoptUpdate: 1}, []string{"Plan: 0 to insert, 1 to update, 0 to delete.", "2 to adopt (existing records found by key; 1 of them also updated)."}},
		{planner.Counts{Update: 1, Adopt: 1, AdoptUpdate: 1}, []string{"Plan: 0 to insert, 1 to update, 0 to delete.", "1 to adopt (existing records found by key; also updated)."}},
		{planner.Counts{Update: 5, Adopt: 2, AdoptUpdate: 2, Rebind: 3, RebindUpdate: 3}, []string{
			"Plan: 0 to insert, 5 to update, 0 to delete.",
			"2 to adopt (existing records found by key; both also updated).",
			"3 to rebind (renamed addresses; all of them also updated).",
		}},
		{planner.Counts{Update: 1, Rebind: 2, RebindUpdate: 1}, []string{"Plan: 0 to insert, 1 to update, 0 to delete.", "2 to rebind (renamed addresses; 1 of them also updated)."}},
		{planner.Counts{Insert: 2, Deferred: 1, Rebind: 1}, []string{
			"Plan: 2 to insert, 0 to update, 0 to delete.",
			"1 to rebind (renamed addresses; no org write).",
			"1 deferred update (after the inserts, to break reference cycles).",
		}},
		{planner.Counts{Insert: 2, Deferred: 2}, []string{
			"Plan: 2 to insert, 0 to update, 0 to delete.",
			"2 deferred updates (after the inserts, to break reference cycles).",
		}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, closingLines(tt.c)); diff != "" {
			t.Errorf("closingLines(%+v) (-want +got):\n%s", tt.c, diff)
		}
	}
}

func TestJSONSchema(t *testing.T) {
	out := render(t, JSON{}, fixture(t))
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["format_version"] != JSONFormatVersion {
		t.Errorf("format_version = %v", doc["format_version"])
	}
	summary := doc["summary"].(map[string]any)
	// Inserts: acme, cycle_a, cycle_b, reborn, secret2, jane and the
	// replace; updates: beta, epsilon, gamma, outside, restored, secret, the
	// CSV contact and the rebind's update; deletes: old, the stray record and
	// the replace.
	if summary["insert"] != float64(7) || summary["update"] != float64(8) || summary["delete"] != float64(3) {
		t.Errorf("summary = %v", summary)
	}
	// A sensitive field has no old or new at all.
	for _, o := range doc["objects"].([]any) {
		for _, c := range o.(map[string]any)["changes"].([]any) {
			for _, f := range c.(map[string]any)["fields"].([]any) {
				fm := f.(map[string]any)
				_, hasOld := fm["old"]
				_, hasNew := fm["new"]
				if fm["sensitive"] == true && (hasOld || hasNew) {
					t.Errorf("sensitive field %v has values", fm["field"])
				}
				if fm["sensitive"] == false && (!hasOld || !hasNew) {
					t.Errorf("field %v lacks old or new", fm["field"])
				}
			}
		}
	}
}

func TestNew(t *testing.T) {
	for f, want := range map[Format]View{FormatHuman: Human{Color: true}, FormatJSON: JSON{}, FormatMarkdown: Markdown{}} {
		v, err := New(f, true)
		if err != nil || v != want {
			t.Errorf("New(%v) = %#v, %v", f, v, err)
		}
	}
	if _, err := New(0, false); err == nil {
		t.Error("New(0) succeeds")
	}
	if Format(0).String() != "Format(0)" || FormatMarkdown.String() != "markdown" {
		t.Error("Format.String")
	}
}

// bigPlan has n updates spread over objects, every tenth a delete.
func bigPlan(t testing.TB, n int) *planner.Plan {
	var objs []*planner.ObjectPlan
	for _, name := range []string{"Account", "Contact", "Opportunity"} {
		objs = append(objs, &planner.ObjectPlan{Object: name})
	}
	oldName, _ := planner.ParseOrg(planner.FieldSpec{Type: planner.TypeText}, "Old name")
	for i := 0; i < n; i++ {
		o := objs[i%len(objs)]
		addr := fmt.Sprintf("%s.csv[\"K-%05d\"]", o.Object, i)
		ch := planner.Change{Action: planner.Update, Address: addr, Object: o.Object, ID: "001000000000001AAA", Unchanged: 3}
		if i%10 == 0 {
			ch.Action = planner.Delete
		} else {
			nv, _ := planner.ParseCell(planner.FieldSpec{Type: planner.TypeText}, fmt.Sprintf("New name %d", i))
			ch.Fields = []planner.FieldChange{{Field: "Name", Old: oldName, New: nv}}
		}
		o.Changes = append(o.Changes, ch)
	}
	p := &planner.Plan{Objects: objs}
	p.Sort()
	return p
}

// changeHeader matches the first line of a change in a Markdown diff: a
// marker, then an address (field lines have no dot before " =").
var changeHeader = regexp.MustCompile(`(?m)^(\+|~|-|-/\+|<=) +[A-Za-z0-9_]+\.`)

func TestMarkdownCut(t *testing.T) {
	p := bigPlan(t, 5000)
	out := string(render(t, Markdown{}, p))
	if len(out) >= DefaultMarkdownLimit {
		t.Fatalf("markdown is %d bytes, want under %d", len(out), DefaultMarkdownLimit)
	}
	if !strings.Contains(out, "**Output cut** to fit a pull-request comment (65,536 characters): showing ") {
		t.Fatalf("no note of what was cut:\n%s", out[:2000])
	}
	// The counts are complete.
	if !strings.Contains(out, "**Plan: 0 to insert, 4500 to update, 500 to delete.**") ||
		!strings.Contains(out, "| **Total** | **0** | **4,500** | **500** | **0** |") {
		t.Errorf("counts not complete:\n%s", out[:1500])
	}
	// The note's numbers add up with what is shown.
	shown := len(changeHeader.FindAllString(out, -1))
	if !strings.Contains(out, fmt.Sprintf("showing %s of 5,000 changes", group(int64(shown)))) {
		t.Errorf("%d changes shown, but the note says otherwise", shown)
	}
	if shown < 100 {
		t.Errorf("only %d changes shown", shown)
	}
	// Every section and fence opened is closed.
	if o, c := strings.Count(out, "<details>"), strings.Count(out, "</details>"); o != c {
		t.Errorf("%d <details> but %d </details>", o, c)
	}
	if n := strings.Count(out, "```"); n%2 != 0 {
		t.Errorf("%d fences: one is not closed", n)
	}

	// A small limit still gives a well-formed comment.
	small := string(render(t, Markdown{MaxBytes: 8000}, p))
	if len(small) >= 8000 || !strings.Contains(small, "**Output cut**") {
		t.Errorf("MaxBytes 8000 gives %d bytes", len(small))
	}
	// A plan that fits is not cut.
	if out := string(render(t, Markdown{}, bigPlan(t, 30))); strings.Contains(out, "Output cut") || len(changeHeader.FindAllString(out, -1)) != 30 {
		t.Errorf("a small plan is cut: %d changes shown", len(changeHeader.FindAllString(out, -1)))
	}
}

func TestWordDiff(t *testing.T) {
	b := blocker{st: newStyler(false)}
	tests := []struct{ old, new, want string }{
		{"the quick brown fox", "the quick red fox", `"the quick [-brown-]{+red+} fox"`},
		{"a b", "a b c", `"a b{+ c+}"`},
		{"one two three four five six seven eight nine ten eleven twelve thirteen fourteen", "one two three four five six seven eight nine ten eleven twelve thirteen FOURTEEN",
			`"…eight nine ten eleven twelve thirteen [-fourteen-]{+FOURTEEN+}"`},
		{"say \"hi\"\tnow", "say \"bye\"\tnow", `"say [-\"hi\"-]{+\"bye\"+}\tnow"`},
	}
	for _, tt := range tests {
		if got := b.wordDiff(tt.old, tt.new); got != tt.want {
			t.Errorf("wordDiff(%q, %q) = %s, want %s", tt.old, tt.new, got, tt.want)
		}
	}
}

func TestDiffTokensManyTokens(t *testing.T) {
	// More distinct lines than the BMP's surrogate range start, so token
	// runes skip it.
	var a, b []string
	for i := 0; i < 0xD900; i++ {
		a = append(a, fmt.Sprint(i))
		b = append(b, fmt.Sprint(i))
	}
	b[0xD850] = "changed"
	ops := diffTokens(a, b)
	var dels, ins []string
	for _, o := range ops {
		switch o.kind {
		case -1:
			dels = append(dels, o.tokens...)
		case 1:
			ins = append(ins, o.tokens...)
		}
	}
	if len(dels) != 1 || dels[0] != fmt.Sprint(0xD850) || len(ins) != 1 || ins[0] != "changed" {
		t.Errorf("diff of many lines: -%v +%v", dels, ins)
	}
}

func BenchmarkHuman(b *testing.B) {
	p := bigPlan(b, 100000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var buf bytes.Buffer
		if err := (Human{}).Plan(&buf, p); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}

func BenchmarkMarkdown(b *testing.B) {
	p := bigPlan(b, 100000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := (Markdown{}).Plan(&bytes.Buffer{}, p); err != nil {
			b.Fatal(err)
		}
	}
}

// TestJSONDocumented checks that docs/plan-json.md names every key the JSON
// form writes.
func TestJSONDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "plan-json.md"))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(render(t, JSON{}, fixture(t)), &v); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				keys[k] = true
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	if len(keys) < 40 {
		t.Fatalf("only %d keys found", len(keys))
	}
	for k := range keys {
		if !strings.Contains(string(doc), k+"`") {
			t.Errorf("docs/plan-json.md does not document %q", k)
		}
	}
}

// TestMarkdownFence checks that a value holding a code fence cannot close
// the diff block it is shown in.
func TestMarkdownFence(t *testing.T) {
	old, _ := planner.ParseOrg(specs["Name"], "plain")
	nv, _ := planner.ParseCell(specs["Name"], "```` </details> <b>x</b>")
	p := &planner.Plan{Objects: []*planner.ObjectPlan{{Object: "Account", Changes: []planner.Change{
		{Action: planner.Update, Address: "Account.x", Object: "Account", ID: "001000000000001AAA",
			Fields: []planner.FieldChange{{Field: "Name", Old: old, New: nv}}},
	}}}}
	out := string(render(t, Markdown{}, p))
	if !strings.Contains(out, "`````diff\n") || !strings.Contains(out, "\n`````\n\n</details>") {
		t.Errorf("the fence is not longer than the value's backticks:\n%s", out)
	}
}

func TestCascadeText(t *testing.T) {
	for _, tc := range []struct {
		c    planner.Cascade
		want string
	}{
		{planner.Cascade{Object: "Contact", Field: "AccountId", Count: 1},
			"Warning: deleting it also deletes 1 Contact record that refers to it by AccountId"},
		{planner.Cascade{Object: "Contact", Field: "AccountId", Count: 2, Addresses: []string{"Contact.ann"}},
			"Warning: deleting it also deletes 2 Contact records that refer to it by AccountId: Contact.ann and 1 more"},
	} {
		if got := cascadeText(tc.c); got != tc.want {
			t.Errorf("cascadeText(%+v):\n got %s\nwant %s", tc.c, got, tc.want)
		}
	}
}

// TestLegend checks that the legend explains exactly the markers a plan
// shows: an adoption that also updates fields is an update (~), one that
// does not only binds state (<=).
func TestLegend(t *testing.T) {
	text := func(s string) planner.Value {
		v, err := planner.ParseCell(planner.FieldSpec{Type: planner.TypeText}, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	updating := planner.Change{Action: planner.Adopt, Address: "Account.a", Object: "Account", ID: "001000000000001AAA",
		Fields: []planner.FieldChange{{Field: "Name", Old: text("Old"), New: text("New")}}}
	binding := planner.Change{Action: planner.Rebind, Address: "Account.b", From: "Account.x", Object: "Account", ID: "001000000000002AAA"}
	for _, tc := range []struct {
		name      string
		changes   []planner.Change
		want, not []string
	}{
		{"adopt and update", []planner.Change{updating}, []string{"    ~ update\n", " ~ Account.a  001000000000001AAA\n", "bound to this address and updated"}, []string{"<=", "without an org write"}},
		{"rebind only", []planner.Change{binding}, []string{"   <= adopt or rebind", " <= Account.b  001000000000002AAA\n"}, []string{"~ update"}},
		{"both", []planner.Change{updating, binding}, []string{"    ~ update\n", "   <= adopt or rebind"}, nil},
	} {
		p := &planner.Plan{Objects: []*planner.ObjectPlan{{Object: "Account", Changes: tc.changes}}}
		out := string(render(t, Human{}, p))
		for _, s := range tc.want {
			if !strings.Contains(out, s) {
				t.Errorf("%s: the plan lacks %q:\n%s", tc.name, s, out)
			}
		}
		for _, s := range tc.not {
			if strings.Contains(out, s) {
				t.Errorf("%s: the plan has %q:\n%s", tc.name, s, out)
			}
		}
	}
}
