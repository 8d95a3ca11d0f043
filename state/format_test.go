package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfsync/sfsync/internal/sfid"
)

// goldenState is a state with every kind of content, built the way apply
// builds one.
func goldenState(t *testing.T) *State {
	t.Helper()
	s := newState()
	s.lineage = "5b0a6f7e-2c1d-4e8f-9a3b-7c6d5e4f3a2b"
	s.serial = 7
	s.sfsyncVersion = "0.1.0-test"
	must(t, s.BindOrg(orgA, "https://acme.my.salesforce.com"))
	// Bound in an order different from the file's, to check the sorting.
	must(t, s.Bind(Record{Address: `Contact.csv["jane@acme.example"]`, Object: "Contact", ID: janeID,
		Key: map[string]string{"Email": "jane@acme.example"}, Hash: HashValues(map[string]string{"Email": "jane@acme.example", "LastName": "Doe"})}))
	must(t, s.Bind(Record{Address: `Account.country["DE"]`, Object: "Account", ID: globexID[:15],
		Key: map[string]string{"External_Id__c": "C-DE"}, Hash: HashValues(map[string]string{"Name": "Germany <DE> & co"})}))
	must(t, s.Bind(Record{Address: "Account.acme", Object: "Account", ID: acmeID,
		Key: map[string]string{"External_Id__c": "ACME-001", "Region__c": "EU"}, Hash: HashValues(map[string]string{"Name": "Acme"})}))
	must(t, s.Bind(Record{Address: "Pricebook2.standard", Object: "Pricebook2", ID: pricebook,
		Key: map[string]string{"Name": "Standard Price Book"}}))
	created := time.Date(2025, 3, 1, 12, 30, 15, 250e6, time.UTC)
	must(t, s.AddJob(Job{ID: "750Ak00000Job2", API: Bulk2, APIVersion: "62.0", Object: "Contact", Operation: OpUpdate,
		Level: 1, Addresses: []string{`Contact.csv["jane@acme.example"]`}, Created: created.Add(time.Minute)}))
	must(t, s.AddJob(Job{ID: "750Ak00000Job1", API: Bulk1, APIVersion: "62.0", Object: "Account", Operation: OpInsert,
		Level: 0, Addresses: []string{"Account.new1", "Account.new2", "Account.new3"}, Created: created,
		KeyFields: []string{"External_Id__c"}, Keys: [][]string{{"N-1"}, {"N-2"}, {""}}}))
	must(t, s.AddJobBatch("750Ak00000Job1", Batch{ID: "751Ak00000Bat1", Rows: 2}))
	return s
}

func TestGoldenJSON(t *testing.T) {
	got, err := goldenState(t).Encode()
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "testdata/state.golden.json", got)
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./state -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test ./state -update refreshes it):\n%s", path, diff)
	}
}

func TestRoundTrip(t *testing.T) {
	orig := goldenState(t)
	data, err := orig.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if back.Lineage() != orig.Lineage() || back.Serial() != 7 || back.OrgID() != orgA ||
		back.InstanceURL() != orig.InstanceURL() || back.SfsyncVersion() != "0.1.0-test" {
		t.Errorf("header did not round-trip: %s %d %s %s %s", back.Lineage(), back.Serial(), back.OrgID(), back.InstanceURL(), back.SfsyncVersion())
	}
	if diff := cmp.Diff(orig.AllRecords(), back.AllRecords()); diff != "" {
		t.Errorf("records (-orig +decoded):\n%s", diff)
	}
	if diff := cmp.Diff(orig.Jobs(), back.Jobs()); diff != "" {
		t.Errorf("jobs (-orig +decoded):\n%s", diff)
	}
	again, err := back.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Errorf("encode → decode → encode is not stable:\n%s\n---\n%s", data, again)
	}
	if r, ok := back.RecordByID(globexID); !ok || r.Address != `Account.country["DE"]` {
		t.Errorf("decoded state's Id index: %+v, %v", r, ok)
	}
}

func TestUpgradeFromVersion1(t *testing.T) {
	data, err := os.ReadFile("testdata/v1.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Decode(data)
	if err != nil {
		t.Fatalf("decode version 1: %v", err)
	}
	if s.Lineage() != "8d3c0f57-1a2b-4c3d-9e8f-0a1b2c3d4e5f" || s.Serial() != 12 || s.OrgID() != orgA {
		t.Errorf("upgraded header: lineage %s serial %d org %s", s.Lineage(), s.Serial(), s.OrgID())
	}
	want := []Record{
		{Address: "Account.acme", Object: "Account", ID: acmeID, Key: map[string]string{"External_Id__c": "ACME-001"}},
		{Address: `Account.country["DE"]`, Object: "Account", ID: globexID, Key: map[string]string{"External_Id__c": "C-DE"}},
		{Address: "Contact.jane", Object: "Contact", ID: janeID, Key: map[string]string{"Email": "jane@acme.example"}},
	}
	if diff := cmp.Diff(want, s.AllRecords()); diff != "" {
		t.Errorf("upgraded records (-want +got):\n%s", diff)
	}
	if len(s.Jobs()) != 0 {
		t.Errorf("upgraded state has jobs: %+v", s.Jobs())
	}
	out, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "testdata/v1.upgraded.golden.json", out)

	// Version 1 is decoded strictly too.
	bad := bytes.Replace(data, []byte(`"object": "Contact"`), []byte(`"objekt": "Contact"`), 1)
	if _, err := Decode(bad); err == nil || !strings.Contains(err.Error(), "upgrade state from format version 1 to 2") || !strings.Contains(err.Error(), "objekt") {
		t.Errorf("misspelt version 1 field: err = %v", err)
	}
}

func TestNewerFormatIsRefused(t *testing.T) {
	data := []byte(`{"format_version": 3, "lineage": "x", "serial": 1, "sfsync_version": "2.4.0", "things": []}`)
	_, err := Decode(data)
	var ne *NewerFormatError
	if !errors.As(err, &ne) || ne.Version != 3 {
		t.Fatalf("Decode(format 3) = %v, want *NewerFormatError", err)
	}
	for _, want := range []string{"format version 3", "sfsync 2.4.0", "reads format version 2 and older", "upgrade sfsync"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	valid := func(edit func(string) string) string {
		data, err := os.ReadFile("testdata/state.golden.json")
		if err != nil {
			t.Fatal(err)
		}
		return edit(string(data))
	}
	replace := func(old, new string) string {
		return valid(func(s string) string {
			if !strings.Contains(s, old) {
				t.Fatalf("golden file lacks %q", old)
			}
			return strings.Replace(s, old, new, 1)
		})
	}
	golden := valid(func(s string) string { return s })
	for _, tc := range []struct {
		name, data, want string
	}{
		{"empty", "", "empty (truncated?)"},
		{"blank", "  \n", "empty (truncated?)"},
		{"truncated", golden[:len(golden)/2], "ends early (truncated?)"},
		{"garbage", "{\n  \"format_version\": 2,\n  oops\n}", "invalid JSON at line 3, column 3"},
		{"array", "[1,2]", "a state is a JSON object, not an array"},
		{"number", "42", "a state is a JSON object, not a number"},
		{"no version", `{"lineage": "x"}`, "no format_version"},
		{"version zero", `{"format_version": 0}`, "format_version 0 is not"},
		{"version text", `{"format_version": "2"}`, `format_version "2" is not a format version number`},
		{"unknown field", replace(`"serial": 7,`, `"serial": 7, "seriall": 8,`), `unknown field "seriall"`},
		{"trailing data", golden + "{}", "unexpected data after the state's closing brace"},
		{"bad lineage", replace(`"5b0a6f7e-2c1d-4e8f-9a3b-7c6d5e4f3a2b"`, `"lineage-1"`), `lineage "lineage-1" is not a UUID`},
		{"bad org", replace(`"org_id": "00D5g000004AbcdEAC"`, `"org_id": "00D5g000004AbcdXXX"`), "not a Salesforce org Id"},
		{"bad id", replace(acmeID, acmeID[:17]+"Q"), "records[0]: record Account.acme"},
		{"duplicate address", replace(`"address": "Account.acme"`, `"address": "Account.country[\"DE\"]"`), "appears twice"},
		{"duplicate id", replace(globexID, acmeID), "is bound to both"},
		{"bad hash", replace(`"hash": "sha256:`, `"hash": "sha1:`), "not of the form sha256"},
		{"negative serial", replace(`"serial": 7`, `"serial": -7`), "cannot unmarshal number -7"},
		{"bad operation", replace(`"operation": "insert"`, `"operation": "merge"`), `unknown Bulk operation "merge"`},
		{"bad api", replace(`"api": "bulk1"`, `"api": "bulk3"`), `unknown Bulk API "bulk3"`},
		{"job without rows", replace(`"addresses": [
        "Contact.csv[\"jane@acme.example\"]"
      ]`, `"addresses": []`), "carries no addresses"},
		{"batch beyond rows", replace(`"rows": 2`, `"rows": 4`), "its batches carry 4 rows"},
		{"job from year 10000", replace(`"2025-03-01T12:30:15.25Z"`, `"9999-12-31T23:59:59-23:00"`), "out of range"},
		{"duplicate job", replace(`"750Ak00000Job2"`, `"750Ak00000Job1"`), "job 750Ak00000Job1 appears twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Decode([]byte(tc.data))
			if err == nil {
				t.Fatalf("Decode succeeded: %d records", s.Len())
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

// FuzzDecode feeds arbitrary bytes to Decode: it must return an error or a
// state, never panic, and a state it accepts must encode to a file that
// decodes to the same encoding.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"state.golden.json", "v1.json", "v1.upgraded.golden.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/3])
	}
	f.Add([]byte(`{"format_version": 2, "lineage": "5b0a6f7e-2c1d-4e8f-9a3b-7c6d5e4f3a2b", "serial": 1}`))
	f.Add([]byte(`{"format_version": 1, "lineage": "5b0a6f7e-2c1d-4e8f-9a3b-7c6d5e4f3a2b", "records": {"": {}}}`))
	f.Add([]byte(`{"format_version": 99}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(data)
		if err != nil {
			return
		}
		out, err := s.Encode()
		if err != nil {
			t.Fatalf("a decoded state does not encode: %v", err)
		}
		back, err := Decode(out)
		if err != nil {
			t.Fatalf("an encoded state does not decode: %v\n%s", err, out)
		}
		again, err := back.Encode()
		if err != nil || !bytes.Equal(out, again) {
			t.Fatalf("encoding is not stable (%v):\n%s\n---\n%s", err, out, again)
		}
	})
}

func TestEncodeEscapesStrings(t *testing.T) {
	s := New()
	odd := []string{
		`Account.q["say \"hi\""]`,
		"Account.ctl[\"a\tb\nc\r\x01\x1f\"]",
		`Account.back["C:\\dir"]`,
		"Account.uni[\"Zürich — 東京 \u2028\u2029 😀\"]",
		"Account.html[\"<b>&amp;</b>\"]",
	}
	for i, a := range odd {
		must(t, s.Bind(Record{Address: a, Object: "Account", ID: testID("001", i), Key: map[string]string{"Name\"\n": a}}))
	}
	must(t, s.Bind(Record{Address: "Account.bad[\"\xff\xfe\"]", Object: "Account", ID: testID("001", 99)}))
	data, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(data) {
		t.Fatalf("Encode wrote invalid JSON:\n%s", data)
	}
	if bytes.Contains(data, []byte("\u2028")) || !bytes.Contains(data, []byte(`<b>&amp;</b>`)) {
		t.Errorf("U+2028 should be escaped and HTML left alone:\n%s", data)
	}
	back, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range odd {
		r, ok := back.Record(a)
		if !ok || r.ID != testID("001", i) || r.Key["Name\"\n"] != a {
			t.Errorf("%q did not survive encoding: %+v, %v", a, r, ok)
		}
	}
	if _, ok := back.Record("Account.bad[\"\uFFFD\uFFFD\"]"); !ok {
		t.Errorf("invalid UTF-8 should come back as U+FFFD; records: %v", back.AllRecords())
	}
}

// FuzzRecordAgrees checks the direct decoding of records against
// encoding/json: a state whose one record is the fuzzed text must decode
// to exactly the record encoding/json reads from it, or fail when
// encoding/json (or the record's checks) would.
func FuzzRecordAgrees(f *testing.F) {
	for _, rec := range []string{
		`{"address": "Account.acme", "object": "Account", "id": "0015g00000AcmE1AAJ", "key": {"External_Id__c": "ACME-001", "Region__c": "EU"}, "hash": "sha256:c3bc392d241b3d8f86f356077d2432b254d6c486f1917d224afa815cb683092f"}`,
		`{"address":"Account.acme","object":"Account","id":"0015g00000AcmE1","key":{}}`,
		`{"object": "Account", "address": "A.b", "id": "0015g00000AcmE1aaj", "key": {"k": "1", "k": "2"}}`,
		`{"address": "A.\u00e9\ud83d\ude00\ud800x\\\"\/\b\f\n\r\t", "object": "Account", "id": "0015g00000AcmE1AAJ", "key": {"\u0000": "\udc00"}}`,
		"{\"address\": \"A.\xff\xfe\", \"object\": \"Account\", \"id\": \"0015g00000AcmE1AAJ\", \"key\": {\"a\": \"\xed\xa0\x80\"}}",
		`{"Address": "A.b", "OBJECT": "Account", "id": "0015g00000AcmE1AAJ", "key": null}`,
		`{"address": "A.b", "object": "Account", "id": "0015g00000AcmE1AAJ", "key": {"a": 1}}`,
		`{"address": "A.b", "object": "Account", "id": "0015g00000AcmE1AAJ", "address": "A.c"}`,
		`{"address": "A.b", "object": "Account", "id": "0015g00000AcmE1AAJ", "extra": true}`,
		`{"address": "A.b", "object": "Account", "id": "0015g00000AcmE1AAJ", "hash": null}`,
		`{"address": "A.b", "object": "Account", "id": "0015g00000AcmE1AAJ", "hash": ""}`,
		`{"address": "A.b", "object": "Account", "id": "0015g00000AcmE1AAJ", "key": {"a": "b",}}`,
		`{"address": "A.b" "object": "Account"}`,
		`{"address": "A.\u12G4"}`,
		`null`,
		`42`,
		`[]`,
	} {
		f.Add(rec)
	}
	f.Fuzz(func(t *testing.T, rec string) {
		data := []byte(`{"format_version": 2, "lineage": "5b0a6f7e-2c1d-4e8f-9a3b-7c6d5e4f3a2b", "serial": 1, "records": [` + rec + `], "jobs": []}`)
		var want struct {
			FormatVersion int    `json:"format_version"`
			Lineage       string `json:"lineage"`
			Serial        uint64 `json:"serial"`
			Records       []Record
			Jobs          []Job
		}
		jerr := decodeStrict(data, &want)
		if jerr == nil && len(want.Records) == 1 {
			jerr = checkRecord(want.Records[0])
		}
		s, err := Decode(data)
		if jerr != nil || len(want.Records) != 1 {
			if err == nil && !(jerr == nil && s.Len() == 0) {
				t.Fatalf("Decode accepted what encoding/json does not (%v): %+v", jerr, s.AllRecords())
			}
			return
		}
		if err != nil {
			t.Fatalf("Decode: %v; encoding/json read %+v", err, want.Records[0])
		}
		w := want.Records[0]
		w.ID = sfid.To18(w.ID)
		if w.Key == nil {
			w.Key = map[string]string{}
		}
		if diff := cmp.Diff([]Record{w}, s.AllRecords()); diff != "" {
			t.Errorf("records differ (-encoding/json +Decode):\n%s", diff)
		}
	})
}
