package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const widget = `{
  "name": "Widget__c",
  "label": "Widget",
  "labelPlural": "Widgets",
  "fields": [
    {"name": "Account__c", "type": "reference", "referenceTo": ["account"], "relationshipName": "Account__r"},
    {"name": "Size__c", "type": "double", "precision": 10, "scale": 2},
    {"name": "Code__c", "type": "string", "length": 20, "externalId": true, "unique": true, "caseSensitive": true}
  ]
}`

func fieldNames(o *Object) []string {
	var names []string
	for _, f := range o.Fields {
		names = append(names, f.Name)
	}
	return names
}

func TestAddCustomObject(t *testing.T) {
	s := Standard()
	oldAccount := s.Object("Account")
	changes, err := s.AddCustom([]byte(widget))
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || !changes[0].Created {
		t.Fatalf("changes = %+v", changes)
	}
	w := s.Object("widget__c")
	if w == nil || w != changes[0].Object {
		t.Fatalf("Object(widget__c) = %v, change object %v", w, changes[0].Object)
	}
	if w.KeyPrefix != "a00" || !w.Custom || s.ObjectByKeyPrefix("a00") != w {
		t.Errorf("Widget__c key prefix %q custom %v", w.KeyPrefix, w.Custom)
	}
	want := []string{"Id", "OwnerId", "IsDeleted", "Name", "CreatedDate", "CreatedById", "LastModifiedDate",
		"LastModifiedById", "SystemModstamp", "LastViewedDate", "LastReferencedDate", "Account__c", "Size__c", "Code__c"}
	if diff := cmp.Diff(want, fieldNames(w)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, fieldNames(&Object{Fields: changes[0].Fields})); diff != "" {
		t.Errorf("changed fields (-want +got):\n%s", diff)
	}
	if f := w.Field("Name"); f.Label != "Widget Name" || !f.NameField || f.Length != 80 {
		t.Errorf("Name = %+v", f)
	}
	if f := w.Field("OwnerId"); !slices.Equal(f.ReferenceTo, []string{"Group", "User"}) || !f.PolymorphicForeignKey || f.Required() {
		t.Errorf("OwnerId = %+v", f)
	}
	ref := w.Relationship("account__r")
	if ref == nil || ref.Name != "Account__c" || ref.ReferenceTo[0] != "Account" || ref.DeleteRule != SetNull {
		t.Fatalf("Relationship(account__r) = %+v", ref)
	}
	cr := s.Object("Account").ChildRelationship("Widgets__r")
	if cr == nil || cr.ChildSObject != "Widget__c" || cr.Field != "Account__c" || cr.CascadeDelete || cr.RestrictedDelete {
		t.Errorf("Account child relationship Widgets__r = %+v", cr)
	}
	if oldAccount.ChildRelationship("Widgets__r") != nil || s.Object("Account") == oldAccount {
		t.Error("AddCustom changed an Account handed out before")
	}
	if !slices.ContainsFunc(s.Object("RecordType").Field("SobjectType").PicklistValues, func(v PicklistValue) bool { return v.Value == "Widget__c" }) {
		t.Error("RecordType.SobjectType does not list Widget__c")
	}
	if f := w.Field("Code__c"); !f.ExternalID || !f.IDLookup || !f.CaseSensitive || !f.Unique {
		t.Errorf("Code__c = %+v", f)
	}

	// More objects get the next free prefixes; a given one is kept.
	if _, err := s.AddCustom([]byte(`[{"name": "Gadget__c"}, {"name": "Gizmo__c", "keyPrefix": "a0A"}, {"name": "Doohickey__c"}]`)); err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]string{"Gadget__c": "a01", "Gizmo__c": "a0A", "Doohickey__c": "a02"} {
		if got := s.Object(name).KeyPrefix; got != p {
			t.Errorf("%s key prefix %s, want %s", name, got, p)
		}
	}
}

func TestAddMasterDetail(t *testing.T) {
	s := Standard()
	if _, err := s.AddCustom([]byte(widget)); err != nil {
		t.Fatal(err)
	}
	changes, err := s.AddCustom([]byte(`{"name": "Part__c", "labelPlural": "Parts", "fields": [
		{"name": "Widget__c", "type": "reference", "referenceTo": ["Widget__c"], "relationshipName": "Widget__r", "relationshipOrder": 0}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	p := changes[0].Object
	if p.Field("OwnerId") != nil {
		t.Error("a detail object has an OwnerId")
	}
	f := p.Field("Widget__c")
	if !f.MasterDetail() || f.DeleteRule != Cascade || f.Nillable || f.Updateable || !f.Required() {
		t.Errorf("master-detail field = %+v", f)
	}
	cr := s.Object("Widget__c").ChildRelationship("parts__r")
	if cr == nil || !cr.CascadeDelete {
		t.Errorf("Widget__c child relationship Parts__r = %+v", cr)
	}
}

func TestAddCustomFieldsToStandardObject(t *testing.T) {
	s := Standard()
	changes, err := s.AddCustom([]byte(`{"name": "account", "fields": [
		{"name": "Region__c", "type": "picklist", "picklistValues": [{"value": "EU"}, {"value": "US"}], "restrictedPicklist": true},
		{"name": "Name", "type": "string", "length": 255},
		{"name": "NotEmulated", "type": "string"}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	c := changes[0]
	if c.Created || len(c.Fields) != 1 || c.Fields[0].Name != "Region__c" || !slices.Equal(c.Skipped, []string{"NotEmulated"}) {
		t.Fatalf("change = %+v", c)
	}
	acct := s.Object("Account")
	if acct.Field("Region__c") == nil || acct.KeyPrefix != "001" || acct.Field("name").Length != 255 {
		t.Errorf("Account fields %v", fieldNames(acct))
	}
	// The same field again changes nothing; a different one is refused.
	changes, err = s.AddCustom([]byte(`{"name": "Account", "fields": [{"name": "Region__c", "type": "picklist", "picklistValues": [{"value": "EU"}, {"value": "US"}], "restrictedPicklist": true}]}`))
	if err != nil || len(changes[0].Fields) != 0 {
		t.Errorf("adding an existing field again: %+v, %v", changes, err)
	}
	_, err = s.AddCustom([]byte(`{"name": "Account", "fields": [{"name": "Region__c", "type": "string"}]}`))
	if err == nil || !strings.Contains(err.Error(), "Region__c already exists with a different definition") {
		t.Errorf("changing a field: %v", err)
	}
}

// TestAddRecordedDescribes adds the recorded describes to the standard
// schema, as `sfsync localorg schema add` would a file saved from a real
// org: custom objects come in whole, standard objects gain the custom
// fields and skip the standard fields localorg does not emulate.
func TestAddRecordedDescribes(t *testing.T) {
	s := Standard()
	for _, rec := range recordedDescribes(t) {
		changes, err := s.AddCustom(rec.body)
		if rec.file == "describe/topic-v42.json" {
			// A standard object localorg does not have cannot be added.
			if err == nil || !strings.Contains(err.Error(), "Topic: no such object; custom objects end in __c") {
				t.Errorf("%s: %v", rec.file, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", rec.file, err)
			continue
		}
		o := changes[0].Object
		var recorded struct{ Fields []struct{ Name string } }
		json.Unmarshal(rec.body, &recorded)
		for _, f := range recorded.Fields {
			if o.Field(f.Name) == nil && !slices.Contains(changes[0].Skipped, f.Name) {
				t.Errorf("%s: field %s neither added nor skipped", rec.file, f.Name)
			}
		}
		if _, err := RenderDescribe(o, "60.0", RenderOptions{}); err != nil {
			t.Errorf("%s: %v", rec.file, err)
		}
	}
	if o := s.Object("TestObject15__c"); o == nil || o.KeyPrefix != "a0A" || o.Field("OwnerId") == nil {
		t.Errorf("TestObject15__c = %+v", o)
	}
	if o := s.Object("Custom__c"); o == nil || o.Field("OwnerId") != nil || o.Field("CustomField__c") == nil {
		t.Errorf("custom setting Custom__c = %+v", o)
	}
	if f := s.Object("Account").Field("Custom_External_ID__c"); f == nil {
		t.Error("Account did not get the recorded custom field Custom_External_ID__c")
	}
}

func TestAddCustomErrors(t *testing.T) {
	for _, c := range []struct{ in, err string }{
		{`{"name": "Widget"}`, "Widget: no such object; custom objects end in __c"},
		{`{"name": "Bad Name__c"}`, `describe Bad Name__c: bad name "Bad Name__c"`},
		{`{"name": "W__c", "fields": [{"name": "X__c", "type": "varchar"}]}`, `field X__c: unknown type "varchar"`},
		{`{"name": "W__c", "fields": [{"name": "X__c"}]}`, `field X__c: missing "type"`},
		{`{"name": "W__c", "fields": [{"type": "string"}]}`, `fields[0]: missing "name"`},
		{`{"name": "W__c", "fields": [{"name": "X__c", "type": "string"}, {"name": "x__C", "type": "string"}]}`, "field x__C: duplicate field"},
		{`{"name": "W__c", "fields": [{"name": "A__c", "type": "reference", "referenceTo": ["Account"]}]}`,
			`field A__c: a custom reference field needs a relationshipName (for example "A__r")`},
		{`{"name": "W__c", "fields": [{"name": "A__c", "type": "reference", "relationshipName": "A__r"}]}`,
			"field A__c: a reference field needs referenceTo"},
		{`{"name": "W__c", "fields": [{"name": "A__c", "type": "reference", "referenceTo": ["Campaign"], "relationshipName": "A__r"}]}`,
			"field W__c.A__c: referenceTo Campaign: no such object"},
		{`{"name": "W__c", "fields": [{"name": "A__c", "type": "reference", "referenceTo": ["Account"], "relationshipName": "A__r"},
			{"name": "B__c", "type": "reference", "referenceTo": ["Account"], "relationshipName": "B__r"}]}`,
			"Account: child relationship name Ws__r is used by both W__c.A__c and W__c.B__c"},
		{`{"name": "W__c", "fields": [{"name": "A__c", "type": "reference", "referenceTo": ["Account"], "relationshipName": "R__r"},
			{"name": "B__c", "type": "reference", "referenceTo": ["Contact"], "relationshipName": "r__r"}]}`,
			`fields A__c and B__c have the same relationshipName "r__r"`},
		{`{"name": "W__c", "fields": [{"name": "Color", "type": "string"}]}`, "field Color: custom fields end in __c"},
		{`{"name": "W__c", "fields": [{"name": "X__c", "type": "string", "length": "ten"}]}`, `field X__c: length: want a number, got "ten"`},
		{`{"name": "W__c", "fields": [{"name": "X__c", "type": "double", "precision": 2, "scale": 4}]}`, "field X__c: scale 4 is larger than precision 2"},
		{`{"name": "W__c", "fields": [{"name": "X__c", "type": "string", "length": 0}]}`, "field X__c: a string field needs a length"},
		{`{"name": "W__c", "fields": [{"name": "X__c", "type": "picklist", "picklistValues": [{"value": "a"}, {"value": "a"}]}]}`, `field X__c: picklist value "a" listed twice`},
		{`{"name": "W__c", "keyPrefix": "001"}`, "W__c: keyPrefix 001 is already Account's"},
		{`{"name": "W__c", "keyPrefix": "a0"}`, `keyPrefix: "a0" is not 3 letters or digits`},
		{`{"name": "W__c", "fields": [{"name": "X__c", "type": "string", "deleteConstraint": "Explode"}]}`, `deleteConstraint: want "Cascade", "Restrict" or "SetNull", got "Explode"`},
		{`[]`, "no objects"},
		{`{"name": "W__c",}`, "want a describe object: line 1"},
		{`[{"name": "Ok__c"}, {"name": "Bad"}]`, "Bad: no such object"},
	} {
		s := Standard()
		before := s.CustomJSON()
		_, err := s.AddCustom([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("AddCustom(%s):\n got %v\nwant …%s…", c.in, err, c.err)
		}
		if !bytes.Equal(before, s.CustomJSON()) || s.Object("Ok__c") != nil {
			t.Errorf("AddCustom(%s) failed but changed the schema", c.in)
		}
	}
}

func TestParseDescribeErrors(t *testing.T) {
	for _, c := range []struct{ in, err string }{
		{`[]`, "describe: want a JSON object"},
		{`{}`, `describe: missing "name" of the object`},
		{`{"name": "X", "fields": {}}`, "describe X: fields: want a list of field objects"},
		{`{"name": "X", "createable": "yes"}`, `describe X: createable: want true or false, got "yes"`},
		{`{"name": "X", "fields": [{"name": "A_", "type": "string"}]}`, `describe X: field A_: bad name "A_"`},
		{`{"name": "X", "fields": [{"name": "P", "type": "picklist", "picklistValues": [{"label": "no value"}]}]}`, "describe X: field P: picklistValues: entry 0: value"},
	} {
		if _, err := ParseDescribe([]byte(c.in)); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("ParseDescribe(%s):\n got %v\nwant …%s…", c.in, err, c.err)
		}
	}
}

// TestCustomJSONRoundTrip saves a schema's custom additions and loads them
// again: every object must render as before, and new objects continue the
// key prefixes.
func TestCustomJSONRoundTrip(t *testing.T) {
	s := Standard()
	for _, add := range []string{
		widget,
		`{"name": "Account", "fields": [{"name": "Region__c", "type": "picklist", "picklistValues": [{"value": "EU"}]}]}`,
		`{"name": "Part__c", "fields": [{"name": "Widget__c", "type": "reference", "referenceTo": ["Widget__c"], "relationshipName": "Widget__r", "cascadeDelete": true}]}`,
		`{"name": "Widget__c", "fields": [{"name": "Color__c", "type": "string", "length": 30}]}`,
	} {
		if _, err := s.AddCustom([]byte(add)); err != nil {
			t.Fatal(err)
		}
	}
	saved := s.CustomJSON()
	loaded, err := Load(saved)
	if err != nil {
		t.Fatalf("Load: %v\n%s", err, saved)
	}
	if !bytes.Equal(saved, loaded.CustomJSON()) {
		t.Errorf("CustomJSON after Load differs:\n%s", cmp.Diff(string(saved), string(loaded.CustomJSON())))
	}
	if len(s.Objects()) != len(loaded.Objects()) {
		t.Fatalf("%d objects, loaded %d", len(s.Objects()), len(loaded.Objects()))
	}
	for _, o := range s.Objects() {
		want, _ := RenderDescribe(o, "60.0", RenderOptions{InstanceURL: "http://127.0.0.1:1"})
		got, _ := RenderDescribe(loaded.Object(o.Name), "60.0", RenderOptions{InstanceURL: "http://127.0.0.1:1"})
		if !bytes.Equal(want, got) {
			t.Errorf("%s renders differently after Load:\n%s", o.Name, cmp.Diff(decode(t, want), decode(t, got)))
		}
	}
	changes, err := loaded.AddCustom([]byte(`{"name": "Next__c"}`))
	if err != nil || changes[0].Object.KeyPrefix != "a02" {
		t.Errorf("next object after Load: %+v, %v", changes, err)
	}
	if s, err := Load(nil); err != nil || len(s.Objects()) != len(Standard().Objects()) {
		t.Errorf("Load(nil) = %v, %v", s, err)
	}
	for _, bad := range []string{`{`, `{"version": 2, "additions": []}`, `{"version": 1, "additions": [{"name": "Nope"}]}`} {
		if _, err := Load([]byte(bad)); err == nil {
			t.Errorf("Load(%s) succeeded", bad)
		}
	}
}

// TestCustomObjectDescribe renders a new custom object with the key sets
// of the recorded custom object describe.
func TestCustomObjectDescribe(t *testing.T) {
	s := Standard()
	if _, err := s.AddCustom([]byte(widget)); err != nil {
		t.Fatal(err)
	}
	got, err := RenderDescribe(s.Object("Widget__c"), "60.0", RenderOptions{InstanceURL: "http://127.0.0.1:8765"})
	if err != nil {
		t.Fatal(err)
	}
	var rec recording
	for _, r := range recordedDescribes(t) {
		if r.file == "describe/composite-describe-custom-object-v60.json" {
			rec = r
		}
	}
	w, g := keySet(t, rec.body), keySet(t, got)
	comparable(w, g)
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("key set (-recorded +rendered):\n%s", diff)
	}
	var d struct {
		URLs map[string]string `json:"urls"`
	}
	json.Unmarshal(got, &d)
	if d.URLs["uiNewRecord"] != "http://127.0.0.1:8765/a00/e" || d.URLs["rowTemplate"] != "/services/data/v60.0/sobjects/Widget__c/{ID}" {
		t.Errorf("urls = %v", d.URLs)
	}
}

func TestRenderRecordTypes(t *testing.T) {
	acct := Standard().Object("Account")
	got, err := RenderDescribe(acct, "60.0", RenderOptions{RecordTypes: []RecordTypeInfo{{
		Name: "Partner", DeveloperName: "Partner", RecordTypeID: "012000000000001AAA",
		Active: true, Available: true, DefaultRecordTypeMapping: true,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		RecordTypeInfos []map[string]any `json:"recordTypeInfos"`
	}
	json.Unmarshal(got, &d)
	if len(d.RecordTypeInfos) != 2 || d.RecordTypeInfos[0]["name"] != "Partner" || d.RecordTypeInfos[1]["master"] != true ||
		d.RecordTypeInfos[1]["defaultRecordTypeMapping"] != false || d.RecordTypeInfos[0]["defaultRecordTypeMapping"] != true {
		t.Errorf("recordTypeInfos = %v", d.RecordTypeInfos)
	}
	if _, err := RenderDescribe(acct, "v60", RenderOptions{}); err == nil {
		t.Error("RenderDescribe accepted API version v60")
	}
	if _, err := RenderGlobal(Standard(), "60"); err == nil {
		t.Error("RenderGlobal accepted API version 60")
	}
}

// TestConcurrentUse reads and renders while custom objects are added; run
// with -race.
func TestConcurrentUse(t *testing.T) {
	s := Standard()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				if i == 0 {
					if _, err := s.AddCustom([]byte(fmt.Sprintf(`{"name": "C%d__c", "fields": [{"name": "A__c", "type": "reference", "referenceTo": ["Account"], "relationshipName": "A__r", "childRelationshipName": "C%d__r"}]}`, j, j))); err != nil {
						t.Error(err)
					}
					continue
				}
				acct := s.Object("Account")
				if _, err := RenderDescribe(acct, "60.0", RenderOptions{}); err != nil {
					t.Error(err)
				}
				if _, err := RenderGlobal(s, "60.0"); err != nil {
					t.Error(err)
				}
				_ = acct.Field("Name").FormatText("x")
			}
		}()
	}
	wg.Wait()
	if got := len(s.Object("Account").ChildRelationships); got < 20 {
		t.Errorf("Account has %d child relationships after 20 lookups were added", got)
	}
}

func BenchmarkStandard(b *testing.B) {
	for b.Loop() {
		Standard()
	}
}

func BenchmarkParseTextCurrency(b *testing.B) {
	f := Standard().Object("Opportunity").Field("Amount")
	for b.Loop() {
		if _, err := f.ParseText("912260031.455"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFormatTextCurrency(b *testing.B) {
	f := Standard().Object("Opportunity").Field("Amount")
	for b.Loop() {
		_ = f.FormatText(912260031.46)
	}
}

func TestZeroSchema(t *testing.T) {
	var s Schema
	if s.Object("Account") == nil || len(s.Objects()) != len(Standard().Objects()) {
		t.Fatal("the zero Schema is not the standard schema")
	}
	if _, err := s.AddCustom([]byte(`{"name": "Z__c"}`)); err != nil || s.Object("Z__c") == nil {
		t.Fatalf("AddCustom on the zero Schema: %v", err)
	}
}
