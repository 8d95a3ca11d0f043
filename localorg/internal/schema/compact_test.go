package schema

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCompactRoundTrip compacts every recorded describe and parses it back:
// the object must render exactly as before (child relationships aside,
// which a compact file leaves to the Schema), and compacting again must
// give the same bytes.
func TestCompactRoundTrip(t *testing.T) {
	for _, rec := range recordedDescribes(t) {
		t.Run(rec.file, func(t *testing.T) {
			o, err := ParseDescribe(rec.body)
			if err != nil {
				t.Fatal(err)
			}
			c := compactObject(o, nil)
			if len(c) >= len(rec.body) && len(o.Fields) > 3 {
				t.Errorf("compact form is %d bytes, the recording %d", len(c), len(rec.body))
			}
			o2, err := ParseDescribe(c)
			if err != nil {
				t.Fatalf("parsing the compact form: %v\n%s", err, c)
			}
			o2.ChildRelationships = o.ChildRelationships
			for _, v := range []string{"42.0", "60.0"} {
				want, _ := RenderDescribe(o, v, RenderOptions{InstanceURL: rec.instance})
				got, _ := RenderDescribe(o2, v, RenderOptions{InstanceURL: rec.instance})
				if diff := cmp.Diff(decode(t, want), decode(t, got)); diff != "" {
					t.Errorf("at %s (-original +round trip):\n%s", v, diff)
				}
			}
			if c2 := compactObject(o2, nil); !bytes.Equal(c, c2) {
				t.Errorf("compacting twice differs:\n%s", cmp.Diff(string(c), string(c2)))
			}
		})
	}
}

// FuzzParseDescribe feeds arbitrary JSON to ParseDescribe and AddCustom:
// neither may panic, and whatever parses must compact, parse back and
// render.
func FuzzParseDescribe(f *testing.F) {
	f.Add([]byte(widget))
	f.Add([]byte(`{"name":"A__c","fields":[{"name":"P__c","type":"picklist","picklistValues":[{"value":"x","defaultValue":true}]}]}`))
	f.Add([]byte(`{"name":"A__c","fields":[{"name":"R__c","type":"reference","referenceTo":["Account"],"relationshipName":"R__r","relationshipOrder":0}]}`))
	f.Add([]byte(`[{"name":"A__c"},{"name":"Account","fields":[{"name":"X__c","type":"currency"}]}]`))
	f.Add([]byte(`{"name":"Topic","fields":[null],"urls":[],"recordTypeInfos":null}`))
	// The recorded custom object, compacted: whole recordings are large
	// enough to slow the fuzzer's mutations to a crawl.
	for _, rec := range recordedDescribes(f) {
		if o, err := ParseDescribe(rec.body); err == nil && o.Custom {
			f.Add(compactObject(o, nil))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if o, err := ParseDescribe(data); err == nil {
			c := compactObject(o, nil)
			o2, err := ParseDescribe(c)
			if err != nil {
				t.Fatalf("compact form does not parse: %v\n%s", err, c)
			}
			if c2 := compactObject(o2, nil); !bytes.Equal(c, c2) {
				t.Fatalf("compacting twice differs:\n%s\n%s", c, c2)
			}
			if _, err := RenderDescribe(o2, "60.0", RenderOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		var s Schema
		if _, err := s.AddCustom(data); err == nil {
			if _, err := Load(s.CustomJSON()); err != nil {
				t.Fatalf("Load(CustomJSON()) after AddCustom(%s): %v", data, err)
			}
		}
	})
}

// TestCompactDefaults checks what ParseDescribe gives the properties a
// compact file leaves out.
func TestCompactDefaults(t *testing.T) {
	o, err := ParseDescribe([]byte(`{"name": "D__c", "fields": [
		{"name": "Id", "type": "id"},
		{"name": "T__c", "type": "string", "length": 40},
		{"name": "Long__c", "type": "textarea", "length": 32768},
		{"name": "B__c", "type": "boolean"},
		{"name": "C__c", "type": "currency"},
		{"name": "DT__c", "type": "datetime"},
		{"name": "P__c", "type": "picklist", "picklistValues": [{"value": "a"}, {"value": "b", "defaultValue": true}]},
		{"name": "M__c", "type": "multipicklist", "picklistValues": [{"value": "a"}]},
		{"name": "R__c", "type": "reference", "referenceTo": ["Account", "Contact"], "relationshipName": "R__r"}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	if o.Label != "D" || o.LabelPlural != "Ds" || !o.Custom || !o.Createable || !o.Queryable || len(o.RecordTypeInfos) != 1 {
		t.Errorf("object defaults: %+v", o)
	}
	type props struct {
		Label, SOAPType                                   string
		Length, ByteLength, Precision, Scale              int
		Nillable, Createable, Updateable, Defaulted       bool
		IDLookup, Filterable, Sortable, Groupable, Custom bool
		Default                                           any
	}
	for _, c := range []struct {
		name string
		want props
	}{
		{"Id", props{"Id", "tns:ID", 18, 18, 0, 0, false, false, false, true, true, true, true, true, false, nil}},
		{"T__c", props{"T", "xsd:string", 40, 120, 0, 0, true, true, true, false, false, true, true, true, true, nil}},
		{"Long__c", props{"Long", "xsd:string", 32768, 98304, 0, 0, true, true, true, false, false, false, false, false, true, nil}},
		{"B__c", props{"B", "xsd:boolean", 0, 0, 0, 0, false, true, true, true, false, true, true, true, true, false}},
		{"C__c", props{"C", "xsd:double", 0, 0, 18, 2, true, true, true, false, false, true, true, false, true, nil}},
		{"DT__c", props{"DT", "xsd:dateTime", 0, 0, 0, 0, true, true, true, false, false, true, true, false, true, nil}},
		{"P__c", props{"P", "xsd:string", 255, 765, 0, 0, true, true, true, true, false, true, true, true, true, "b"}},
		{"M__c", props{"M", "xsd:string", 4099, 4099, 0, 0, true, true, true, false, false, true, false, false, true, nil}},
		{"R__c", props{"R", "tns:ID", 18, 18, 0, 0, true, true, true, false, false, true, true, true, true, nil}},
	} {
		f := o.Field(c.name)
		got := props{f.Label, f.SOAPType, f.Length, f.ByteLength, f.Precision, f.Scale,
			f.Nillable, f.Createable, f.Updateable, f.DefaultedOnCreate,
			f.IDLookup, f.Filterable, f.Sortable, f.Groupable, f.Custom, f.DefaultValue}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
	r := o.Field("R__c")
	if !r.PolymorphicForeignKey || r.DeleteRule != SetNull || r.ChildRelationshipName != "Ds__r" {
		t.Errorf("R__c = %+v", r)
	}
}
