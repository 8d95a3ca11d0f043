package bulk

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFormatDoubleLikeJava(t *testing.T) {
	tests := map[float64]string{
		912260031: "9.12260031E8", 896852810: "8.9685281E8", 71664061: "7.1664061E7", 9e7: "9.0E7",
		1.6147805824397e13: "1.6147805824397E13", 1500: "1500.0", 0.5: "0.5", 0.001: "0.001", 1e-4: "1.0E-4",
		1e7: "1.0E7", 9999999: "9999999.0", -3: "-3.0", 0: "0.0", -1.25e-5: "-1.25E-5",
	}
	for f, want := range tests {
		if got := FormatDouble(f); got != want {
			t.Errorf("FormatDouble(%v) = %q, want %q", f, got, want)
		}
	}
	if FormatDouble(math.Inf(1)) != "Infinity" {
		t.Error("infinity")
	}
}

func TestCanonicalComparesTypedValues(t *testing.T) {
	same := []struct {
		kind Kind
		a, b string
	}{
		{KindNumber, "912260031", "9.12260031E8"},
		{KindNumber, "1500.50", "1500.5"},
		{KindNumber, "-0.0001", "-1.0E-4"},
		{KindBool, "TRUE", "true"},
		{KindDate, "2015-05-15", "2015-05-15Z"},
		{KindDateTime, "2021-12-03T17:59:20.000Z", "2021-12-03T17:59:20.000+0000"},
		{KindDateTime, "2021-12-03T18:59:20+01:00", "2021-12-03T17:59:20Z"},
		{KindText, "0014S000007NxmlQAC", "0014S000007Nxml"},
		{KindText, "#N/A", ""},
	}
	for _, s := range same {
		if !SameValue(s.kind, s.a, s.b) {
			t.Errorf("%v: %q and %q differ (%q vs %q)", s.kind, s.a, s.b, Canonical(s.kind, s.a), Canonical(s.kind, s.b))
		}
	}
	differ := []struct {
		kind Kind
		a, b string
	}{
		{KindNumber, "912260031", "912260032"},
		{KindText, "abc", "ABC"},
		{KindText, "0014S000007Nxml", "0014s000007Nxml"},
		{KindDate, "2015-05-15", "2015-05-16"},
	}
	for _, s := range differ {
		if SameValue(s.kind, s.a, s.b) {
			t.Errorf("%v: %q and %q compare equal", s.kind, s.a, s.b)
		}
	}
}

func TestParseHelpers(t *testing.T) {
	if r, err := ParseNumber("9.12260031E8"); err != nil || r.RatString() != "912260031" {
		t.Errorf("ParseNumber: %v %v", r, err)
	}
	for _, bad := range []string{"", "1/2", "0x10", "abc", "1_000"} {
		if _, err := ParseNumber(bad); err == nil {
			t.Errorf("ParseNumber(%q) accepted", bad)
		}
	}
	d, err := ParseDateTime("2021-12-03T17:59:20.000+0000")
	if err != nil || !d.Equal(time.Date(2021, 12, 3, 17, 59, 20, 0, time.UTC)) {
		t.Errorf("ParseDateTime: %v %v", d, err)
	}
	if d, err := ParseDateTime("1638554360000"); err != nil || d.Year() != 2021 {
		t.Errorf("epoch millis: %v %v", d, err)
	}
	if _, err := ParseBool("yes"); err == nil {
		t.Error("ParseBool(yes)")
	}
	if _, err := ParseDate("12/03/2021"); err == nil {
		t.Error("ParseDate(12/03/2021)")
	}
}

func TestValueRendering(t *testing.T) {
	n, _ := Number("9.12260031E8")
	tests := []struct {
		v    Value
		want string
	}{
		{Null(), "#N/A"},
		{Text(""), "#N/A"}, // Salesforce stores "" as null; an empty cell would mean "unchanged"
		{Text("a,b"), "a,b"},
		{n, "912260031"},
		{Float(1500.5), "1500.5"},
		{Int(-7), "-7"},
		{Bool(true), "true"},
		{Date(time.Date(2024, 2, 29, 23, 0, 0, 0, time.UTC)), "2024-02-29"},
		{DateTime(time.Date(2024, 2, 29, 23, 0, 0, 0, time.FixedZone("x", -3600))), "2024-03-01T00:00:00.000Z"},
		{Time(time.Date(0, 1, 1, 9, 30, 0, 0, time.UTC)), "09:30:00.000Z"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.v.Kind(), got, tt.want)
		}
	}
}

func TestWriteCSV(t *testing.T) {
	recs := []Record{
		{"Name": Text("Acme, Inc."), "Id": Text("001000000000001AAA")},
		{"Id": Text("001000000000002AAA"), "Description": Text("says \"hi\"\nbye"), "Phone": Null()},
		{"Id": Text("001000000000003AAA"), "NAME": Text(" padded ")},
	}
	h := CSVHeader(recs, "Id", "Missing")
	if !cmp.Equal(h, []string{"Id", "Description", "Name", "Phone"}) {
		t.Fatalf("header %v", h)
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, h, recs); err != nil {
		t.Fatal(err)
	}
	want := "Id,Description,Name,Phone\n" +
		"001000000000001AAA,,\"Acme, Inc.\",\n" +
		"001000000000002AAA,\"says \"\"hi\"\"\nbye\",,#N/A\n" +
		"001000000000003AAA,,\" padded \",\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	if bytes.HasPrefix(b.Bytes(), []byte{0xEF, 0xBB, 0xBF}) || strings.Contains(b.String(), "\r") {
		t.Error("BOM or CR written")
	}
}

func TestParseRecordErrors(t *testing.T) {
	tests := map[string][]RecordError{
		"ENTITY_IS_DELETED:entity is deleted:--":                             {{StatusCode: "ENTITY_IS_DELETED", Message: "entity is deleted"}},
		"REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --": {{StatusCode: "REQUIRED_FIELD_MISSING", Message: "Required fields are missing: [Name]", Fields: []string{"Name"}}},
		"DUPLICATE_VALUE:dup:A,B -- INVALID_FIELD:bad -- value:--": {
			{StatusCode: "DUPLICATE_VALUE", Message: "dup", Fields: []string{"A", "B"}},
			{StatusCode: "INVALID_FIELD", Message: "bad -- value"},
		},
		"": nil,
	}
	for in, want := range tests {
		if got := ParseRecordErrors(in); !cmp.Equal(got, want) {
			t.Errorf("%q: %+v, want %+v", in, got, want)
		}
	}
}

func TestObjectOfAndSelectList(t *testing.T) {
	if o := objectOf("SELECT Id, (SELECT Id FROM Contacts) FROM Account WHERE Name = 'from x'"); o != "Account" {
		t.Errorf("objectOf: %q", o)
	}
	if l := selectList("select Id, Account.Name ,Amount from Opportunity"); !cmp.Equal(l, []string{"Id", "Account.Name", "Amount"}) {
		t.Errorf("selectList: %v", l)
	}
	if l := selectList("SELECT COUNT() FROM Account"); l != nil {
		t.Errorf("selectList with a function: %v", l)
	}
}

func TestParseValue(t *testing.T) {
	tests := []struct {
		kind Kind
		in   string
		want string
		err  bool
	}{
		{KindNumber, "9.12260031E8", "912260031", false},
		{KindNumber, "12,5", "", true},
		{KindBool, "TRUE", "true", false},
		{KindDate, "2015-05-15", "2015-05-15", false},
		{KindDateTime, "2021-12-03T18:59:20.5+01:00", "2021-12-03T17:59:20.500Z", false},
		{KindTime, "09:30:00.000Z", "09:30:00.000Z", false},
		{KindText, "", "#N/A", false},
		{KindText, "x", "x", false},
		{kindInvalid, "x", "", true},
	}
	for _, tt := range tests {
		v, err := ParseValue(tt.kind, tt.in)
		if (err != nil) != tt.err || err == nil && v.String() != tt.want {
			t.Errorf("ParseValue(%v, %q) = %q, %v", tt.kind, tt.in, v.String(), err)
		}
	}
}

func TestSOQLLiterals(t *testing.T) {
	tests := []struct {
		v    Value
		want string
	}{
		{Text(`O'Brien "Ltd" \ 50%`), `'O\'Brien \"Ltd\" \\ 50%'`},
		{Text("a\nb\tc"), `'a\nb\tc'`},
		{Int(42), "42"},
		{Bool(false), "false"},
		{Date(time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)), "2024-01-02"},
		{DateTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)), "2024-01-02T03:04:05.000Z"},
		{Null(), "null"},
	}
	for _, tt := range tests {
		if got := SOQLLiteral(tt.v); got != tt.want {
			t.Errorf("SOQLLiteral(%v) = %s, want %s", tt.v, got, tt.want)
		}
	}
}
