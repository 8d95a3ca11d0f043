package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sfsync/sfsync/state"
)

func mustCell(t testing.TB, ft FieldType, s string) Value {
	t.Helper()
	v, err := ParseCell(FieldSpec{Type: ft}, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustOrg(t testing.TB, ft FieldType, s string) Value {
	t.Helper()
	v, err := ParseOrg(FieldSpec{Type: ft}, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// samplePlan has every kind of change, reason and field flag.
func samplePlan(t testing.TB) *Plan {
	stamp := time.Date(2024, 1, 15, 10, 0, 0, 123e6, time.UTC)
	return &Plan{
		SfsyncVersion: "0.1.0",
		OrgID:         "00D000000000001AAA",
		InstanceURL:   "https://example.my.salesforce.com",
		Lineage:       "3f2c9a1e-0000-4000-8000-000000000001",
		Serial:        7,
		Inputs: []Input{
			{Name: "main.sfsync.hcl", Hash: "sha256:00"},
			{Name: "var.region", Hash: "sha256:01"},
		},
		Objects: []*ObjectPlan{
			{
				Object:    "Account",
				Unchanged: 3,
				Changes: []Change{
					{Action: Insert, Address: "Account.a", Object: "Account", Level: 0,
						Key: []KeyValue{{"External_Id__c", mustCell(t, TypeText, "A")}},
						Fields: []FieldChange{
							{Field: "External_Id__c", New: mustCell(t, TypeText, "A")},
							{Field: "ParentId", New: Null(TypeID), Ref: "Account.b", Deferred: true},
						}},
					{Action: DeferredUpdate, Address: "Account.a", Object: "Account", Level: 2,
						Fields: []FieldChange{{Field: "ParentId", New: Null(TypeID), Ref: "Account.b"}}},
					{Action: Insert, Address: "Account.b", Object: "Account", Level: 1,
						Reasons: []Reason{DeletedOutside},
						Fields:  []FieldChange{{Field: "ParentId", New: Null(TypeID), Ref: "Account.a"}}},
					{Action: Update, Address: "Account.c", Object: "Account", ID: "001000000000003AAA",
						Reasons:        []Reason{KeyRestored, OutsideWhere},
						SystemModstamp: stamp, Unchanged: 2,
						UnchangedValues: []KeyValue{{"External_Id__c", mustCell(t, TypeText, "C")}, {"Rating", Null(TypePicklist)}},
						Fields: []FieldChange{
							{Field: "AnnualRevenue", Old: mustOrg(t, TypeNumber, "9.12260031E8"), New: mustCell(t, TypeNumber, "912260032")},
							{Field: "Phone", Old: mustOrg(t, TypeText, "555"), New: Null(TypeText)},
							{Field: "Secret__c", Old: mustOrg(t, TypeText, "x"), New: mustCell(t, TypeText, "y"), Sensitive: true},
							{Field: "Tags__c", Old: mustOrg(t, TypeMultiPicklist, "A"), New: mustCell(t, TypeMultiPicklist, "B;A")},
						}},
					{Action: Delete, Address: "Account.d", Object: "Account", ID: "001000000000004AAA",
						Reasons: []Reason{LeftConfig}, SystemModstamp: stamp,
						Key:     []KeyValue{{"External_Id__c", mustOrg(t, TypeText, "D")}},
						Cascade: []Cascade{{Object: "Contact", Field: "AccountId", Count: 2, Addresses: []string{"Contact.x"}}}},
					{Action: Adopt, Address: "Account.e", Object: "Account", ID: "001000000000005AAA", SystemModstamp: stamp},
					{Action: Rebind, Address: "Account.f", From: "Account.old_f", Object: "Account", ID: "001000000000006AAA",
						SystemModstamp: stamp,
						Fields:         []FieldChange{{Field: "Name", Old: mustOrg(t, TypeText, "F"), New: mustCell(t, TypeText, "F2")}}},
				},
			},
			{
				Object: "PricebookEntry",
				Changes: []Change{
					{Action: Replace, Address: "PricebookEntry.p", Object: "PricebookEntry", ID: "01u000000000001AAA", SystemModstamp: stamp,
						Fields: []FieldChange{
							{Field: "Product2Id", Old: mustOrg(t, TypeID, "01t000000000001AAA"), New: mustCell(t, TypeID, "01t000000000002"), ForcesReplacement: true},
							{Field: "UnitPrice", Old: mustOrg(t, TypeNumber, "10.0"), New: mustCell(t, TypeNumber, "10")},
						}},
				},
			},
		},
		Warnings: []Warning{{Address: "Account.c", Message: "found outside where"}, {Message: "general"}},
		Jobs: []Job{
			{Object: "Account", Operation: state.OpInsert, Level: 0, API: APIBulk2, Records: 1, Batches: 1},
			{Object: "Account", Operation: state.OpUpdate, Level: 2, Deferred: true, API: APIREST, Records: 1, Batches: 1},
			{Object: "Account", Operation: state.OpDelete, Level: 0, API: APIBulk1, Records: 1, Batches: 1},
			{Object: "PricebookEntry", Operation: state.OpDelete, Level: 0, Replace: true, API: APIREST, Records: 1, Batches: 1},
		},
		Limits: []Limit{{Name: "DailyApiRequests", Max: 15000, Remaining: 14000}, {Name: "DailyBulkApiBatches", Max: 15000, Remaining: 14990}},
	}
}

func TestCounts(t *testing.T) {
	p := samplePlan(t)
	got := p.Counts()
	want := Counts{
		Insert:  3, // a, b, replace
		Update:  2, // c, and the rebind with a changed field
		Delete:  2, // d, replace
		Replace: 1, Adopt: 1, Rebind: 1, Deferred: 1, Unchanged: 3,
		RebindUpdate: 1, // the rebind with a changed field
	}
	if got != want {
		t.Errorf("Counts() = %+v, want %+v", got, want)
	}
	if !got.HasChanges() || got.Empty() {
		t.Errorf("HasChanges/Empty = %v/%v", got.HasChanges(), got.Empty())
	}
	if got := p.Object("PricebookEntry").Counts(); got != (Counts{Insert: 1, Delete: 1, Replace: 1}) {
		t.Errorf("PricebookEntry counts = %+v", got)
	}
	if p.Object("Nope") != nil {
		t.Error("Object(Nope) != nil")
	}
}

func TestCountsAdoptionIsNoChange(t *testing.T) {
	p := &Plan{Objects: []*ObjectPlan{{Object: "Account", Unchanged: 5, Changes: []Change{
		{Action: Adopt, Address: "Account.a", Object: "Account"},
		{Action: Rebind, Address: "Account.b", Object: "Account", Fields: []FieldChange{
			{Field: "Name", Old: mustOrg(t, TypeText, "B"), New: mustCell(t, TypeText, "B")}, // no change
		}},
	}}}}
	c := p.Counts()
	if c.HasChanges() || c.Empty() || c.Adopt != 1 || c.Rebind != 1 || c.Update != 0 || c.AdoptUpdate+c.RebindUpdate != 0 {
		t.Errorf("counts %+v: HasChanges %v Empty %v", c, c.HasChanges(), c.Empty())
	}
	if !(&Plan{Objects: []*ObjectPlan{{Object: "Account", Unchanged: 5}}}).Counts().Empty() {
		t.Error("a plan of no-ops is not empty")
	}
}

func TestFieldChangeChanged(t *testing.T) {
	tests := []struct {
		f    FieldChange
		want bool
	}{
		{FieldChange{Old: mustOrg(t, TypeNumber, "1.0"), New: mustCell(t, TypeNumber, "1")}, false},
		{FieldChange{Old: mustOrg(t, TypeNumber, "1.0"), New: mustCell(t, TypeNumber, "2")}, true},
		{FieldChange{Old: mustOrg(t, TypeText, "x"), New: Null(TypeText)}, true},
		{FieldChange{New: Null(TypeID), Ref: "Account.a"}, true},
		{FieldChange{Old: Null(TypeText), New: mustCell(t, TypeText, "")}, false},
	}
	for i, tt := range tests {
		if got := tt.f.Changed(); got != tt.want {
			t.Errorf("%d: Changed() = %v, want %v", i, got, tt.want)
		}
	}
}

func TestSort(t *testing.T) {
	p := &Plan{
		Objects: []*ObjectPlan{
			{Object: "Contact"},
			{Object: "Account", Changes: []Change{
				{Action: DeferredUpdate, Address: "Account.a"},
				{Action: Insert, Address: "Account.a-b"},
				{Action: Insert, Address: `Account.a["y"]`},
				{Action: Insert, Address: `Account.a["x"]`},
				{Action: Insert, Address: "Account.a", Fields: []FieldChange{{Field: "Z"}, {Field: "A"}},
					Reasons: []Reason{OutsideWhere, DeletedOutside, OutsideWhere},
					Cascade: []Cascade{{Object: "Contact", Field: "B", Addresses: []string{"Contact.z", "Contact.a"}}, {Object: "Contact", Field: "A"}}},
			}},
		},
		Warnings: []Warning{{Address: "B"}, {Address: "A"}},
		Inputs:   []Input{{Name: "var.x"}, {Name: "a.sfsync.hcl"}},
		Limits:   []Limit{{Name: "Z"}, {Name: "A"}},
	}
	p.Sort()
	var got []string
	for _, o := range p.Objects {
		for _, c := range o.Changes {
			got = append(got, o.Object+" "+c.Address+" "+c.Action.String())
		}
		if len(o.Changes) == 0 {
			got = append(got, o.Object)
		}
	}
	want := []string{
		"Account Account.a insert",
		"Account Account.a deferred-update",
		`Account Account.a["x"] insert`,
		`Account Account.a["y"] insert`,
		"Account Account.a-b insert",
		"Contact",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	ch := p.Objects[0].Changes[0]
	if ch.Fields[0].Field != "A" || !slices.Equal(ch.Reasons, []Reason{DeletedOutside, OutsideWhere}) ||
		ch.Cascade[0].Field != "A" || ch.Cascade[1].Addresses[0] != "Contact.a" {
		t.Errorf("change not sorted: %+v", ch)
	}
	if p.Warnings[0].Address != "A" || p.Inputs[0].Name != "a.sfsync.hcl" || p.Limits[0].Name != "A" {
		t.Error("warnings, inputs or limits not sorted")
	}
}

func TestEnums(t *testing.T) {
	type textEnum interface {
		MarshalText() ([]byte, error)
		String() string
	}
	check := func(name string, zero textEnum, all []textEnum, unmarshal func([]byte) (textEnum, error)) {
		if _, err := zero.MarshalText(); err == nil {
			t.Errorf("%s: the zero value marshals", name)
		}
		if !strings.Contains(zero.String(), "(0)") {
			t.Errorf("%s: zero String() = %q", name, zero.String())
		}
		seen := map[string]bool{}
		for _, v := range all {
			b, err := v.MarshalText()
			if err != nil {
				t.Fatalf("%s %v: %v", name, v, err)
			}
			if seen[string(b)] {
				t.Errorf("%s: %q twice", name, b)
			}
			seen[string(b)] = true
			back, err := unmarshal(b)
			if err != nil || back != v {
				t.Errorf("%s %q: round trip gives %v, %v", name, b, back, err)
			}
		}
		if _, err := unmarshal([]byte("bogus")); err == nil {
			t.Errorf("%s: bogus unmarshals", name)
		}
	}
	var actions, reasons, apis []textEnum
	for a := Insert; a < actionEnd; a++ {
		actions = append(actions, a)
	}
	for r := DeletedOutside; r < reasonEnd; r++ {
		reasons = append(reasons, r)
	}
	for a := APIBulk1; a < jobAPIEnd; a++ {
		apis = append(apis, a)
	}
	check("Action", Action(0), actions, func(b []byte) (textEnum, error) { var a Action; err := a.UnmarshalText(b); return a, err })
	check("Reason", Reason(0), reasons, func(b []byte) (textEnum, error) { var r Reason; err := r.UnmarshalText(b); return r, err })
	check("JobAPI", JobAPI(0), apis, func(b []byte) (textEnum, error) { var a JobAPI; err := a.UnmarshalText(b); return a, err })
	if DeletedOutside.String() != "deleted outside sfsync" || OutsideWhere.String() != "outside where" || KeyRestored.String() != "key restored" {
		t.Error("reason notes are not the plan's wording")
	}
}

func TestInputs(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "c.csv"), []byte("a,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := HashFile(dir, filepath.Join(dir, "data", "c.csv"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("a,b\n"))
	if want := (Input{Name: "data/c.csv", Hash: "sha256:" + hex.EncodeToString(sum[:])}); in != want {
		t.Errorf("HashFile = %+v, want %+v", in, want)
	}
	rel, err := HashFile(dir, "data/c.csv")
	if err != nil || rel != in {
		t.Errorf("HashFile relative = %+v, %v; want %+v", rel, err, in)
	}
	if _, err := HashFile(dir, "missing.csv"); err == nil {
		t.Error("HashFile of a missing file succeeds")
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "c.csv"), []byte("a,c\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	changed, _ := HashFile(dir, "data/c.csv")
	if changed.Hash == in.Hash {
		t.Error("hash did not change with the content")
	}

	v1, v2 := HashVariable("region", `"EU"`), HashVariable("region", `"US"`)
	if v1.Name != "var.region" || v1.Hash == v2.Hash || strings.Contains(v1.Hash, "EU") {
		t.Errorf("HashVariable: %+v %+v", v1, v2)
	}

	saved := []Input{in, v1, {Name: "gone.hcl", Hash: "sha256:1"}}
	current := []Input{changed, v1, {Name: "new.csv", Hash: "sha256:2"}}
	got := DiffInputs(saved, current)
	wantDiff := []string{"data/c.csv changed", "new.csv is new", "gone.hcl was removed"}
	if diff := cmp.Diff(wantDiff, got); diff != "" {
		t.Errorf("DiffInputs (-want +got):\n%s", diff)
	}
	if got := DiffInputs(saved, saved); got != nil {
		t.Errorf("DiffInputs of the same inputs = %v", got)
	}
	if got := DiffInputs([]Input{v1}, []Input{v2}); len(got) != 1 || got[0] != "the value of var.region changed" {
		t.Errorf("DiffInputs of a variable = %v", got)
	}
}

// planComparer compares plans by what they hold: values by canonical text
// and type (a null's type is the field's, which a saved plan records once per
// field).
var planComparer = cmp.Options{
	cmp.Comparer(func(a, b Value) bool { return a.s == "" && b.s == "" || a.typ == b.typ && a.s == b.s }),
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
}

func TestSavedRoundTrip(t *testing.T) {
	p := samplePlan(t)
	data, err := EncodeSaved(p)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeSaved(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, back, planComparer); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// Old values compare as the org's: a Java double rendering still equals
	// the desired value it equalled when the plan was made.
	f := back.Object("PricebookEntry").Changes[0].Fields[1]
	if f.Changed() {
		t.Errorf("UnitPrice 10.0 -> 10 changed after the round trip")
	}
	again, err := EncodeSaved(back)
	if err != nil || string(again) != string(data) {
		t.Errorf("re-encoding differs:\n%s\n%s", data, again)
	}
	// Sensitive values are kept: apply needs them.
	if !strings.Contains(string(data), `"new":"y","sensitive":true`) {
		t.Errorf("sensitive value not saved: %s", data)
	}
}

func TestSavedHolds(t *testing.T) {
	data, err := EncodeSaved(samplePlan(t))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"format", "format_version", "sfsync_version", "org_id", "instance_url", "lineage", "serial", "inputs", "objects"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("saved plan has no %q", k)
		}
	}
	if doc["format_version"] != float64(SavedFormatVersion) {
		t.Errorf("format_version = %v", doc["format_version"])
	}
	for _, want := range []string{
		`"system_modstamp":"2024-01-15T10:00:00.123Z"`,
		`"old":"912260031","new":"912260032"`,
		`"ref":"Account.b","deferred":true`,
		`"old":"555","new":null`,
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("saved plan lacks %s", want)
		}
	}
}

func TestDecodeSavedRefuses(t *testing.T) {
	good, err := EncodeSaved(samplePlan(t))
	if err != nil {
		t.Fatal(err)
	}
	replace := func(old, new string) []byte {
		if !strings.Contains(string(good), old) {
			t.Fatalf("sample lacks %s", old)
		}
		return []byte(strings.Replace(string(good), old, new, 1))
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not json", []byte("{"), "not a saved plan"},
		{"a state file", []byte(`{"format_version":2,"lineage":"x","serial":1}`), "not a saved plan"},
		{"newer", replace(`"format_version":1`, `"format_version":2`), "format version 2, written by sfsync 0.1.0; this sfsync reads up to version 1"},
		{"older", replace(`"format_version":1`, `"format_version":0`), "invalid format version 0"},
		{"unknown field", replace(`"serial":7`, `"serial":7,"extra":1`), `unknown field "extra"`},
		{"bad action", replace(`"action":"insert"`, `"action":"upsert"`), `unknown action "upsert"`},
		{"bad reason", replace(`"deleted-outside"`, `"gone"`), `unknown reason "gone"`},
		{"bad type", replace(`"type":"number"`, `"type":"float"`), `unknown field type "float"`},
		{"bad value", replace(`"old":"912260031"`, `"old":"lots"`), `AnnualRevenue: "lots" is not a number`},
		{"not canonical", replace(`"new":"912260032"`, `"new":"912260032.0"`), "not the canonical form"},
		{"empty string", replace(`"old":"555"`, `"old":""`), "not a canonical value"},
		{"bad modstamp", replace(`"system_modstamp":"2024-01-15T10:00:00.123Z"`, `"system_modstamp":"yesterday"`), "not a datetime"},
		{"no address", replace(`"address":"Account.a"`, `"address":""`), "without an address"},
		{"bad operation", replace(`"operation":"insert"`, `"operation":"merge"`), "job of Account"},
		{"cut short", good[:len(good)/2], "the saved plan is damaged (cut short or edited)"},
		{"no org", []byte(`{"format":"sfsync-plan","format_version":1}`), "the saved plan names no org"},
	}
	for _, tt := range tests {
		_, err := DecodeSaved(tt.data)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: DecodeSaved error = %v, want %q", tt.name, err, tt.want)
		}
	}
	_, err = DecodeSaved(replace(`"format_version":1`, `"format_version":9`))
	if _, ok := err.(*NewerPlanFormatError); !ok {
		t.Errorf("newer format gives %T, want *NewerPlanFormatError", err)
	}
}

func TestEncodeSavedRefusesInvalid(t *testing.T) {
	for name, p := range map[string]*Plan{
		"no action":    {Objects: []*ObjectPlan{{Object: "A", Changes: []Change{{Address: "A.a", Object: "A"}}}}},
		"wrong object": {Objects: []*ObjectPlan{{Object: "A", Changes: []Change{{Action: Insert, Address: "B.a", Object: "B"}}}}},
		"bad reason":   {Objects: []*ObjectPlan{{Object: "A", Changes: []Change{{Action: Insert, Address: "A.a", Object: "A", Reasons: []Reason{0}}}}}},
		"bad job":      {Jobs: []Job{{Object: "A"}}},
	} {
		if _, err := EncodeSaved(p); err == nil {
			t.Errorf("%s: EncodeSaved succeeds", name)
		}
	}
}

func TestSavedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plan.out")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := samplePlan(t)
	if err := WriteSavedFile(path, p); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	back, err := ReadSavedFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, back, planComparer); diff != "" {
		t.Errorf("file round trip (-want +got):\n%s", diff)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if err := WriteSavedFile(filepath.Join(dir, "missing", "plan.out"), p); err == nil {
		t.Error("writing into a missing directory succeeds")
	}
	if _, err := ReadSavedFile(filepath.Join(dir, "nope")); err == nil {
		t.Error("reading a missing file succeeds")
	}
	if err := os.WriteFile(filepath.Join(dir, "state.json"), []byte(`{"format_version":2}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSavedFile(filepath.Join(dir, "state.json")); err == nil || !strings.Contains(err.Error(), "state.json: not a saved plan") {
		t.Errorf("reading a state file: %v", err)
	}
	bad := &Plan{Jobs: []Job{{Object: "A"}}}
	if err := WriteSavedFile(path, bad); err == nil {
		t.Error("writing an invalid plan succeeds")
	}
	if back, err := ReadSavedFile(path); err != nil || back.Serial != 7 {
		t.Errorf("a failed write replaced the plan: %v", err)
	}
}

// FuzzDecodeSaved checks that any bytes either fail to decode or decode to a
// plan that encodes and decodes again to the same plan: a saved plan file is
// input from disk, never trusted to be well formed.
func FuzzDecodeSaved(f *testing.F) {
	good, err := EncodeSaved(samplePlan(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format":"sfsync-plan","format_version":1,"inputs":[],"objects":[]}`))
	f.Add([]byte(`{"format":"sfsync-plan","format_version":1,"objects":[{"object":"A","changes":[{"action":"update","address":"A.a","level":0,"fields":[{"field":"F","type":"number","old":"1","new":"2"}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodeSaved(data)
		if err != nil {
			return
		}
		again, err := EncodeSaved(p)
		if err != nil {
			t.Fatalf("a decoded plan does not encode: %v", err)
		}
		back, err := DecodeSaved(again)
		if err != nil {
			t.Fatalf("a re-encoded plan does not decode: %v\n%s", err, again)
		}
		if diff := cmp.Diff(p, back, planComparer); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "Account", want: "Account"},
		{in: "Account.acme", want: "Account.acme"},
		{in: `Account.country["DE"]`, want: `Account.country["DE"]`},
		{in: `Account["STRAY-001"]`, want: `Account["STRAY-001"]`},
		{in: `Account["a.b"]`, want: `Account["a.b"]`},
		{in: `Account[Id="001000000000001"]`, want: `Account[Id="001000000000001AAA"]`},
		{in: `Account[Id="001000000000001AAA"]`, want: `Account[Id="001000000000001AAA"]`},
		{in: `Account[Id="nope"]`, err: "nope is not a Salesforce Id"},
		{in: `Account[1]`, err: "want Object"},
		{in: `1Account`, err: "is not an object name"},
		{in: `Account.acme[`, err: "parse address"},
	} {
		got, err := parseTarget(tc.in)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseTarget(%s): error %v, want %q", tc.in, err, tc.err)
			}
		case err != nil:
			t.Errorf("parseTarget(%s): %v", tc.in, err)
		case got.String() != tc.want:
			t.Errorf("parseTarget(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
