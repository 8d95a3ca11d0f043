package schema

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sfsync/sfsync/internal/conformance"
	"github.com/sfsync/sfsync/internal/sfvalue"
)

// allTypes is an object with a field of every type the codec handles.
func allTypes(t testing.TB) *Object {
	t.Helper()
	o, err := ParseDescribe([]byte(`{"name": "AllTypes__c", "fields": [
		{"name": "Id", "type": "id"},
		{"name": "Text__c", "type": "string", "length": 10},
		{"name": "Area__c", "type": "textarea", "length": 20},
		{"name": "Email__c", "type": "email"},
		{"name": "Phone__c", "type": "phone"},
		{"name": "Url__c", "type": "url"},
		{"name": "Pick__c", "type": "picklist", "restrictedPicklist": true,
		 "picklistValues": [{"value": "Hot"}, {"value": "Warm"}, {"value": "Cold", "active": false}]},
		{"name": "OpenPick__c", "type": "picklist", "picklistValues": [{"value": "A"}]},
		{"name": "Multi__c", "type": "multipicklist", "restrictedPicklist": true,
		 "picklistValues": [{"value": "red"}, {"value": "green"}, {"value": "blue"}]},
		{"name": "OpenMulti__c", "type": "multipicklist", "picklistValues": [{"value": "red"}, {"value": "green"}]},
		{"name": "Flag__c", "type": "boolean"},
		{"name": "Count__c", "type": "int", "digits": 8},
		{"name": "Big__c", "type": "long"},
		{"name": "Num__c", "type": "double", "precision": 5, "scale": 2},
		{"name": "Free__c", "type": "double", "precision": 0, "scale": 0},
		{"name": "Money__c", "type": "currency", "precision": 18, "scale": 2},
		{"name": "Pct__c", "type": "percent", "precision": 3, "scale": 0},
		{"name": "Day__c", "type": "date"},
		{"name": "When__c", "type": "datetime"},
		{"name": "At__c", "type": "time"},
		{"name": "Parent__c", "type": "reference", "referenceTo": ["Account"], "relationshipName": "Parent__r"},
		{"name": "Blob__c", "type": "base64"},
		{"name": "Secret__c", "type": "encryptedstring"},
		{"name": "Combo__c", "type": "combobox"},
		{"name": "Where__c", "type": "location"},
		{"name": "Any__c", "type": "anyType"}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestParseText(t *testing.T) {
	o := allTypes(t)
	type tc struct {
		field, in string
		want      any    // stored value, when err is ""
		err       string // the full error, Error()
	}
	cases := []tc{
		{"Flag__c", "true", int64(1), ""},
		{"Flag__c", "TRUE", int64(1), ""},
		{"Flag__c", "False", int64(0), ""},
		{"Flag__c", "1", int64(1), ""},
		{"Flag__c", "0", int64(0), ""},
		{"Flag__c", "", int64(0), ""},
		{"Flag__c", "yes", nil, "INVALID_FIELD:'yes' is not a valid value for the type xsd:boolean:Flag__c --"},

		{"Count__c", "2676", int64(2676), ""},
		{"Count__c", "-5", int64(-5), ""},
		{"Count__c", "+7", int64(7), ""},
		{"Count__c", "99999999", int64(99999999), ""},
		{"Count__c", "123456789", nil, "NUMBER_OUTSIDE_VALID_RANGE:Count: value outside of valid range on numeric field: 123456789:Count__c --"},
		{"Count__c", "1.5", nil, "INVALID_FIELD:'1.5' is not a valid value for the type xsd:int:Count__c --"},
		{"Count__c", "3000000000", nil, "INVALID_FIELD:'3000000000' is not a valid value for the type xsd:int:Count__c --"},
		{"Count__c", "", nil, ""},
		{"Big__c", "999999999999999999", int64(999999999999999999), ""},
		{"Big__c", "9223372036854775807", nil, "NUMBER_OUTSIDE_VALID_RANGE:Big: value outside of valid range on numeric field: 9223372036854775807:Big__c --"},
		{"Big__c", "9223372036854775808", nil, "INVALID_FIELD:'9223372036854775808' is not a valid value for the type xsd:long:Big__c --"},
		{"Big__c", "1_000", nil, "INVALID_FIELD:'1_000' is not a valid value for the type xsd:long:Big__c --"},

		{"Num__c", "123.456", 123.46, ""},
		{"Num__c", "123.455", 123.46, ""}, // half up on the decimal, not on the binary double
		{"Num__c", "123.454", 123.45, ""},
		{"Num__c", "-0.005", -0.01, ""},
		{"Num__c", "0.004", 0.0, ""},
		{"Num__c", "-0.004", 0.0, ""},
		{"Num__c", "999.99", 999.99, ""},
		{"Num__c", "999.995", nil, "NUMBER_OUTSIDE_VALID_RANGE:Num: value outside of valid range on numeric field: 999.995:Num__c --"},
		{"Num__c", "1000", nil, "NUMBER_OUTSIDE_VALID_RANGE:Num: value outside of valid range on numeric field: 1000:Num__c --"},
		{"Num__c", "1.5E2", 150.0, ""},
		{"Num__c", "12e1", 120.0, ""},
		{"Num__c", "1e-3", 0.0, ""},
		{"Num__c", "5e-3", 0.01, ""},
		{"Num__c", ".5", 0.5, ""},
		{"Num__c", "5.", 5.0, ""},
		{"Num__c", "007.10", 7.1, ""},
		{"Num__c", "1e99999", nil, "NUMBER_OUTSIDE_VALID_RANGE:Num: value outside of valid range on numeric field: 1e99999:Num__c --"},
		{"Num__c", "1e-99999", 0.0, ""},
		{"Num__c", "0e99999", 0.0, ""},
		{"Num__c", "abc", nil, "INVALID_FIELD:'abc' is not a valid value for the type xsd:double:Num__c --"},
		{"Num__c", "1,000", nil, "INVALID_FIELD:'1,000' is not a valid value for the type xsd:double:Num__c --"},
		{"Num__c", " 1", nil, "INVALID_FIELD:' 1' is not a valid value for the type xsd:double:Num__c --"},
		{"Num__c", ".", nil, "INVALID_FIELD:'.' is not a valid value for the type xsd:double:Num__c --"},
		{"Num__c", "NaN", nil, "INVALID_FIELD:'NaN' is not a valid value for the type xsd:double:Num__c --"},
		{"Free__c", "1.7976931348623157E308", math.MaxFloat64, ""},
		{"Free__c", "1e309", nil, "NUMBER_OUTSIDE_VALID_RANGE:Free: value outside of valid range on numeric field: 1e309:Free__c --"},
		{"Money__c", "912260031", 912260031.0, ""},
		{"Money__c", "1500.50", 1500.5, ""},
		{"Money__c", "1500.505", 1500.51, ""},
		{"Pct__c", "50", 50.0, ""},
		{"Pct__c", "999.4", 999.0, ""},
		{"Pct__c", "999.5", nil, "NUMBER_OUTSIDE_VALID_RANGE:Pct: value outside of valid range on numeric field: 999.5:Pct__c --"},

		{"Day__c", "2021-12-03", "2021-12-03", ""},
		{"Day__c", "1940-06-07Z", "1940-06-07", ""},
		{"Day__c", "2024-02-29", "2024-02-29", ""},
		{"Day__c", "2023-02-29", nil, "INVALID_FIELD:'2023-02-29' is not a valid value for the type xsd:date:Day__c --"},
		{"Day__c", "2021-1-3", nil, "INVALID_FIELD:'2021-1-3' is not a valid value for the type xsd:date:Day__c --"},
		{"Day__c", "2021-12-03T00:00:00Z", nil, "INVALID_FIELD:'2021-12-03T00:00:00Z' is not a valid value for the type xsd:date:Day__c --"},

		{"When__c", "2021-12-03T17:59:20Z", "2021-12-03T17:59:20.000Z", ""},
		{"When__c", "2021-12-03T17:59:20.123Z", "2021-12-03T17:59:20.123Z", ""},
		{"When__c", "2021-12-03T17:59:20.123456789Z", "2021-12-03T17:59:20.123Z", ""},
		{"When__c", "2021-12-03T18:59:20.5+01:00", "2021-12-03T17:59:20.500Z", ""},
		{"When__c", "2021-12-03T12:59:20-0500", "2021-12-03T17:59:20.000Z", ""},
		{"When__c", "2021-12-31T23:30:00-01:00", "2022-01-01T00:30:00.000Z", ""},
		// A zone is required (sfvalue.ParseDateTime: §2.9 documents only
		// zoned forms), and so are the seconds.
		{"When__c", "2021-12-03T17:59:20", nil, "INVALID_FIELD:'2021-12-03T17:59:20' is not a valid value for the type xsd:dateTime:When__c --"},
		{"When__c", "2021-12-03T17:59Z", nil, "INVALID_FIELD:'2021-12-03T17:59Z' is not a valid value for the type xsd:dateTime:When__c --"},
		{"When__c", "2021-12-03", nil, "INVALID_FIELD:'2021-12-03' is not a valid value for the type xsd:dateTime:When__c --"},
		{"When__c", "2021-12-03T24:00:00Z", nil, "INVALID_FIELD:'2021-12-03T24:00:00Z' is not a valid value for the type xsd:dateTime:When__c --"},
		{"When__c", "2021-12-03 17:59:20Z", nil, "INVALID_FIELD:'2021-12-03 17:59:20Z' is not a valid value for the type xsd:dateTime:When__c --"},

		{"At__c", "17:59:20", "17:59:20.000Z", ""},
		{"At__c", "17:59:20.5Z", "17:59:20.500Z", ""},
		{"At__c", "24:00:00", nil, "INVALID_FIELD:'24:00:00' is not a valid value for the type xsd:time:At__c --"},

		{"Id", "001D000000IqhSL", "001D000000IqhSLIAZ", ""},
		{"Id", "001D000000IqhSLIAZ", "001D000000IqhSLIAZ", ""},
		{"Id", "001d000000iqhsliaz", nil, "MALFORMED_ID:malformed id 001d000000iqhsliaz:--"},
		{"Parent__c", "001D000000IqhSL", "001D000000IqhSLIAZ", ""},
		{"Parent__c", "abc", nil, "MALFORMED_ID:Parent: id value of incorrect type: abc:Parent__c --"},

		{"Text__c", "hello", "hello", ""},
		{"Text__c", "", nil, ""},
		{"Text__c", "  padded  ", "  padded  ", ""},
		{"Text__c", "ééééééééé", "ééééééééé", ""},
		{"Text__c", "hello world", nil, "STRING_TOO_LONG:Text: data value too large: hello world (max length=10):Text__c --"},
		{"Text__c", "a\xffb", "a\uFFFDb", ""},
		{"Text__c", "😀😀😀😀😀😀", nil, "STRING_TOO_LONG:Text: data value too large: 😀😀😀😀😀😀 (max length=10):Text__c --"},
		{"Area__c", "line 1\nline 2", "line 1\nline 2", ""},
		{"Secret__c", strings.Repeat("x", 175), strings.Repeat("x", 175), ""},
		{"Email__c", "someone@example.com", "someone@example.com", ""},
		{"Email__c", "first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk", ""},
		{"Email__c", "badone", nil, "INVALID_EMAIL_ADDRESS:Email: invalid email address: badone:Email__c --"},
		{"Email__c", "a@b", nil, "INVALID_EMAIL_ADDRESS:Email: invalid email address: a@b:Email__c --"},
		{"Phone__c", "+1 (415) 555-0100", "+1 (415) 555-0100", ""},
		{"Url__c", "www.example.com", "www.example.com", ""},
		{"Combo__c", "anything", "anything", ""},
		{"Any__c", "anything", "anything", ""},

		{"Pick__c", "Hot", "Hot", ""},
		{"Pick__c", "hot", "Hot", ""},
		{"Pick__c", "Cold", nil, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Pick: bad value for restricted picklist field: Cold:Pick__c --"},
		{"Pick__c", "Tepid", nil, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Pick: bad value for restricted picklist field: Tepid:Pick__c --"},
		{"OpenPick__c", "Anything", "Anything", ""},
		{"Multi__c", "blue;red", "red;blue", ""},
		{"Multi__c", "red;RED;;green", "red;green", ""},
		{"Multi__c", ";", nil, ""},
		{"Multi__c", "red;purple", nil, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Multi: bad value for restricted picklist field: purple:Multi__c --"},
		{"OpenMulti__c", "purple;green;red", "red;green;purple", ""},

		{"Blob__c", "aGVsbG8=", "aGVsbG8=", ""},
		{"Blob__c", "!!", nil, "INVALID_FIELD:'!!' is not a valid value for the type xsd:base64Binary:Blob__c --"},
		{"Where__c", "1,2", nil, "INVALID_FIELD:'1,2' is not a valid value for the type urn:location:Where__c --"},
	}
	for _, c := range cases {
		f := o.Field(c.field)
		got, err := f.ParseText(c.in)
		if c.err != "" {
			var ve *ValueError
			if !errors.As(err, &ve) {
				t.Errorf("%s.ParseText(%q) = %#v, %v; want error %s", c.field, c.in, got, err, c.err)
				continue
			}
			if ve.Error() != c.err {
				t.Errorf("%s.ParseText(%q) error\n got %s\nwant %s", c.field, c.in, ve, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s.ParseText(%q) = %#v, %v; want %#v", c.field, c.in, got, err, c.want)
		}
	}
}

// TestRecordedDeserializeError reproduces the recorded Bulk 2.0
// failedResults error of an unreadable date in column 3 of the upload.
func TestRecordedDeserializeError(t *testing.T) {
	r := csv.NewReader(bytes.NewReader(conformance.Read("bulk2/ingest-failedresults-invalid-date-v59.csv")))
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header, row := rows[0], rows[1]
	col := -1
	for i, h := range header[2:] {
		if h == "CloseDate" {
			col = i
		}
	}
	f := Standard().Object("Opportunity").Field("CloseDate")
	_, err = f.ParseText(row[2+col])
	var ve *ValueError
	if !errors.As(err, &ve) || !ve.Unreadable {
		t.Fatalf("ParseText(%q) = %v, want an unreadable value", row[2+col], err)
	}
	if got, want := ve.AtColumn(col).Error(), row[1]; got != want {
		t.Errorf("error\n got %s\nwant %s", got, want)
	}
	if got := (&ValueError{Code: "STRING_TOO_LONG", Message: "x", Field: "Name"}).AtColumn(3).Message; got != "x" {
		t.Errorf("AtColumn changed a readable value's error: %q", got)
	}
}

func TestParseJSON(t *testing.T) {
	o := allTypes(t)
	for _, c := range []struct {
		field, in string
		want      any
		err       bool
	}{
		{"Flag__c", `true`, int64(1), false},
		{"Flag__c", `false`, int64(0), false},
		{"Flag__c", `null`, int64(0), false},
		{"Flag__c", `"true"`, int64(1), false},
		{"Flag__c", `1`, int64(1), false},
		{"Flag__c", `2`, nil, true},
		{"Count__c", `12`, int64(12), false},
		{"Count__c", `"12"`, int64(12), false},
		{"Count__c", `12.5`, nil, true},
		{"Count__c", `true`, nil, true},
		{"Money__c", `912260031`, 912260031.0, false},
		{"Money__c", `1.5e3`, 1500.0, false},
		{"Money__c", `"1500.505"`, 1500.51, false},
		{"Money__c", `null`, nil, false},
		{"Text__c", `12`, "12", false},
		{"Text__c", `true`, "true", false},
		{"Text__c", `""`, nil, false},
		{"Text__c", `"a\"b"`, `a"b`, false},
		{"Day__c", `"2021-12-03"`, "2021-12-03", false},
		{"Day__c", `20211203`, nil, true},
		{"When__c", `"2021-12-03T17:59:20.000+0000"`, "2021-12-03T17:59:20.000Z", false},
		{"Parent__c", `"001D000000IqhSL"`, "001D000000IqhSLIAZ", false},
		{"Parent__c", `{"External_Id__c": "x"}`, nil, true},
		{"Text__c", `[1]`, nil, true},
		{"Text__c", `1 2`, nil, true},
		{"Text__c", `{`, nil, true},
	} {
		f := o.Field(c.field)
		got, err := f.ParseJSON([]byte(c.in))
		if c.err {
			var ve *ValueError
			if !errors.As(err, &ve) {
				t.Errorf("%s.ParseJSON(%s) = %#v, %v; want a *ValueError", c.field, c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s.ParseJSON(%s) = %#v, %v; want %#v", c.field, c.in, got, err, c.want)
		}
	}
}

func TestFormat(t *testing.T) {
	o := allTypes(t)
	for _, c := range []struct {
		field      string
		v          any
		text, json string
		bulkJSON   string // "" when the same as json
	}{
		{"Flag__c", int64(1), "true", "true", ""},
		{"Flag__c", int64(0), "false", "false", ""},
		{"Count__c", int64(2676), "2676", "2676", ""},
		{"Big__c", int64(-9007199254740993), "-9007199254740993", "-9007199254740993", ""},
		{"Money__c", 912260031.0, "9.12260031E8", "9.12260031E8", ""},
		{"Money__c", 1500.0, "1500.0", "1500.0", ""},
		{"Money__c", int64(1500), "1500.0", "1500.0", ""}, // SQLite may hand back an integral REAL as an integer
		{"Pct__c", 0.5, "0.5", "0.5", ""},
		{"Day__c", "2021-12-03", "2021-12-03", `"2021-12-03"`, "1638489600000"},
		{"When__c", "2021-12-03T17:59:20.000Z", "2021-12-03T17:59:20.000Z", `"2021-12-03T17:59:20.000+0000"`, "1638554360000"},
		{"At__c", "17:59:20.000Z", "17:59:20.000Z", `"17:59:20.000Z"`, ""},
		{"Text__c", "a \"quoted\" <b>&</b>\n", "a \"quoted\" <b>&</b>\n", `"a \"quoted\" <b>&</b>\n"`, ""},
		{"Multi__c", "red;blue", "red;blue", `"red;blue"`, ""},
		{"Parent__c", "001D000000IqhSLIAZ", "001D000000IqhSLIAZ", `"001D000000IqhSLIAZ"`, ""},
		{"Text__c", nil, "", "null", ""},
		{"Flag__c", nil, "", "null", ""},
	} {
		f := o.Field(c.field)
		if got := f.FormatText(c.v); got != c.text {
			t.Errorf("%s.FormatText(%#v) = %q, want %q", c.field, c.v, got, c.text)
		}
		if got := string(f.AppendJSON(nil, c.v)); got != c.json {
			t.Errorf("%s.AppendJSON(%#v) = %s, want %s", c.field, c.v, got, c.json)
		}
		want := c.bulkJSON
		if want == "" {
			want = c.json
		}
		if got := string(f.AppendBulkJSON(nil, c.v)); got != want {
			t.Errorf("%s.AppendBulkJSON(%#v) = %s, want %s", c.field, c.v, got, want)
		}
	}
}

// TestRecordedAccountValues reads the values of a recorded REST record
// GET and writes them back: the JSON must be what Salesforce sent.
func TestRecordedAccountValues(t *testing.T) {
	var rec map[string]json.RawMessage
	if err := json.Unmarshal(conformance.Read("rest/sobject-get-account-v42.json"), &rec); err != nil {
		t.Fatal(err)
	}
	acct := Standard().Object("Account")
	n := 0
	for name, raw := range rec {
		f := acct.Field(name)
		if f == nil || f.Storage() == NoColumn || f.Type == TypeBoolean && string(raw) == "null" {
			continue
		}
		v, err := f.ParseJSON(raw)
		if err != nil {
			t.Errorf("%s: ParseJSON(%s): %v", name, raw, err)
			continue
		}
		if got := string(f.AppendJSON(nil, v)); got != string(raw) {
			t.Errorf("%s: %s read and written back as %s", name, raw, got)
		}
		n++
	}
	if n < 20 {
		t.Errorf("only %d recorded Account values compared", n)
	}
}

func TestDefault(t *testing.T) {
	s := Standard()
	for _, c := range []struct {
		object, field string
		want          any
	}{
		{"Lead", "Status", "Open - Not Contacted"},
		{"Case", "Priority", "Medium"},
		{"Account", "IsDeleted", int64(0)},
		{"User", "IsActive", int64(1)},
		{"Account", "Name", nil},
	} {
		if got := s.Object(c.object).Field(c.field).Default(); got != c.want {
			t.Errorf("%s.%s.Default() = %#v, want %#v", c.object, c.field, got, c.want)
		}
	}
}

// FuzzParseFormat feeds any text to every field type: parsing must not
// panic, and a value that parses must format to text that parses back to
// the same value, and to valid JSON that reads back to it too.
func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"", "true", "0", "2676", "-5", "123.455", "1.5E2", "1e-99999", "912260031",
		"2021-12-03", "1940-06-07Z", "2021-12-03T18:59:20.5+01:00", "17:59:20", "001D000000IqhSL",
		"hello", "red;blue", "Hot", "a@b.com", "aGVsbG8=", "😀", "\xff", "9.12260031E8", "NaN"} {
		for i := range 26 {
			f.Add(uint8(i), s)
		}
	}
	o := allTypes(f)
	f.Fuzz(func(t *testing.T, which uint8, s string) {
		fld := o.Fields[int(which)%len(o.Fields)]
		v, err := fld.ParseText(s)
		if err != nil {
			var ve *ValueError
			if !errors.As(err, &ve) || ve.Code == "" {
				t.Fatalf("%s.ParseText(%q): error %v is not a *ValueError with a code", fld.Name, s, err)
			}
			return
		}
		text := fld.FormatText(v)
		v2, err := fld.ParseText(text)
		if err != nil || v2 != v {
			t.Fatalf("%s: %q → %#v → %q → %#v, %v", fld.Name, s, v, text, v2, err)
		}
		js := fld.AppendJSON(nil, v)
		if !json.Valid(js) {
			t.Fatalf("%s: %#v → invalid JSON %s", fld.Name, v, js)
		}
		v3, err := fld.ParseJSON(js)
		if err != nil || v3 != v && !(v == nil && fld.Type == TypeBoolean) {
			t.Fatalf("%s: %#v → %s → %#v, %v", fld.Name, v, js, v3, err)
		}
		if bj := fld.AppendBulkJSON(nil, v); !json.Valid(bj) {
			t.Fatalf("%s: %#v → invalid Bulk JSON %s", fld.Name, v, bj)
		}
		if x, ok := v.(float64); ok {
			if back, err := strconv.ParseFloat(sfvalue.FormatDouble(x), 64); err != nil || back != x {
				t.Fatalf("sfvalue.FormatDouble(%v) = %q does not read back", x, sfvalue.FormatDouble(x))
			}
		}
	})
}

// TestValueErrorShape checks the two shapes of a record error.
func TestValueErrorShape(t *testing.T) {
	if diff := cmp.Diff("MALFORMED_ID:malformed id x:--", (&ValueError{Code: "MALFORMED_ID", Message: "malformed id x"}).Error()); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff("REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --",
		(&ValueError{Code: "REQUIRED_FIELD_MISSING", Message: "Required fields are missing: [Name]", Field: "Name"}).Error()); diff != "" {
		t.Error(diff)
	}
}

// TestRecordedMalformedID reproduces the recorded REST error for a
// malformed record Id: code, message and no field.
func TestRecordedMalformedID(t *testing.T) {
	var rec struct {
		Errors []struct {
			StatusCode string   `json:"statusCode"`
			Message    string   `json:"message"`
			Fields     []string `json:"fields"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(conformance.Read("rest/sobject-upsert-malformed-id-v59.json"), &rec); err != nil {
		t.Fatal(err)
	}
	want := rec.Errors[0]
	id := strings.TrimPrefix(want.Message, "malformed id ")
	_, err := Standard().Object("Account").Field("Id").ParseText(id)
	var ve *ValueError
	if !errors.As(err, &ve) {
		t.Fatalf("ParseText(%q) = %v, want a *ValueError", id, err)
	}
	if ve.Code != want.StatusCode || ve.Message != want.Message || ve.Field != "" || len(want.Fields) != 0 {
		t.Errorf("got %s / %q / %q, recorded %s / %q / %v", ve.Code, ve.Message, ve.Field, want.StatusCode, want.Message, want.Fields)
	}
}

// TestRecordedInvalidEmail reproduces the recorded REST error for an
// invalid email address (message built from the field's label).
func TestRecordedInvalidEmail(t *testing.T) {
	var rec []struct {
		Errors []struct {
			StatusCode string   `json:"statusCode"`
			Message    string   `json:"message"`
			Fields     []string `json:"fields"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(conformance.Read("rest/composite-sobjects-patch-partial-failure-invalid-email-v42.json"), &rec); err != nil {
		t.Fatal(err)
	}
	want := rec[1].Errors[0]
	// The recorded org's Account had this custom field; add it as its
	// describe (account-v42.json) shows it.
	s := Standard()
	if _, err := s.AddCustom([]byte(`{"name": "Account", "fields": [{"name": "email_field__c", "type": "email", "label": "email_field"}]}`)); err != nil {
		t.Fatal(err)
	}
	f := s.Object("Account").Field(want.Fields[0])
	_, err := f.ParseText(strings.TrimPrefix(want.Message, "email_field: invalid email address: "))
	var ve *ValueError
	if !errors.As(err, &ve) || ve.Code != want.StatusCode || ve.Message != want.Message || ve.Field != want.Fields[0] {
		t.Errorf("got %v, recorded %+v", err, want)
	}
}
