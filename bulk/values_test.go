package bulk

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCanonicalComparesTypedValues(t *testing.T) {
	same := []struct {
		kind Kind
		a, b string
	}{
		{KindNumber, "912260031", "9.12260031E8"},
		{KindNumber, "1500.50", "1500.5"},
		{KindNumber, "-0.0001", "-1.0E-4"},
		// The echo shows a double: 18 digits sent, 17 shown.
		{KindNumber, "123456789012345678", "1.2345678901234568E17"},
		{KindInteger, "2676", "2676"},
		{KindInteger, "2676", "2.676E3"},
		{KindBool, "TRUE", "true"},
		{KindBool, "1", "true"},
		{KindDate, "2015-05-15", "2015-05-15Z"},
		{KindDateTime, "2021-12-03T17:59:20.000Z", "2021-12-03T17:59:20.000+0000"},
		{KindDateTime, "2021-12-03T18:59:20+01:00", "2021-12-03T17:59:20Z"},
		{KindDateTime, "2021-12-03T17:59:20.000Z", "1638554360000"}, // Bulk 1.0 JSON
		{KindTime, "09:30:00", "09:30:00.000Z"},
		{KindID, "0014S000007NxmlQAC", "0014S000007Nxml"},
		{KindMultiPicklist, "B;A", "A;B;A"},
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
		{KindNumber, "123456789012345600", "1.2345678901234568E17"},
		// int and long fields render exactly: no double in between.
		{KindInteger, "123456789012345678", "123456789012345677"},
		{KindText, "abc", "ABC"},
		{KindText, "0014S000007NxmlQAC", "0014S000007Nxml"}, // text is text
		{KindID, "0014S000007Nxml", "0014s000007Nxml"},
		{KindDate, "2015-05-15", "2015-05-16"},
		// A datetime without a zone is no datetime (sfvalue), so it is
		// compared as given.
		{KindDateTime, "2021-12-03T17:59:20", "2021-12-03T17:59:20.000Z"},
		{KindMultiPicklist, "A;B", "A"},
	}
	for _, s := range differ {
		if SameValue(s.kind, s.a, s.b) {
			t.Errorf("%v: %q and %q compare equal", s.kind, s.a, s.b)
		}
	}
}

func TestParseDateTime(t *testing.T) {
	want := time.Date(2021, 12, 3, 17, 59, 20, 0, time.UTC)
	for _, in := range []string{"2021-12-03T17:59:20.000Z", "2021-12-03T17:59:20.000+0000", "1638554360000"} {
		d, err := ParseDateTime(in)
		if err != nil || !d.Equal(want) || d.Location() != time.UTC {
			t.Errorf("ParseDateTime(%q) = %v, %v", in, d, err)
		}
	}
	for _, bad := range []string{"", "2021-12-03T17:59:20", "12/03/2021", "163855436", "-1638554360000"} {
		if d, err := ParseDateTime(bad); err == nil {
			t.Errorf("ParseDateTime(%q) = %v, want an error", bad, d)
		}
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
		{KindNumber, " 12", "", true},
		{KindNumber, "1e999999", "", true},
		{KindInteger, "2.676E3", "2676", false},
		{KindInteger, "2676.5", "", true},
		{KindID, "0014S000007Nxml", "0014S000007NxmlQAC", false},
		{KindID, "0014S000007Nxm", "", true},
		{KindMultiPicklist, "B;A;", "A;B", false},
		{KindMultiPicklist, ";", "#N/A", false},
		{KindDateTime, "2021-12-03T17:59:20", "", true},
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
