package planner

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/internal/sfvalue"
	"github.com/zclconf/go-cty/cty"
)

var (
	text      = FieldSpec{Type: TypeText}
	picklist  = FieldSpec{Type: TypePicklist}
	multi     = FieldSpec{Type: TypeMultiPicklist}
	boolean   = FieldSpec{Type: TypeBoolean}
	integer   = FieldSpec{Type: TypeInteger}
	number    = FieldSpec{Type: TypeNumber} // no precision: not rounded
	currency  = FieldSpec{Type: TypeNumber, Precision: 18, Scale: 2}
	date      = FieldSpec{Type: TypeDate}
	dateTime  = FieldSpec{Type: TypeDateTime}
	timeOfDay = FieldSpec{Type: TypeTime}
	id        = FieldSpec{Type: TypeID}
)

// TestParseCanonical checks that every way of writing a value normalizes to
// the one canonical form, and that the other renderings follow from it.
func TestParseCanonical(t *testing.T) {
	tests := []struct {
		spec      FieldSpec
		in        string
		canonical string
		display   string
		csv       string
	}{
		// Empty is null, for every type.
		{text, "", "", "null", "#N/A"},
		{number, "", "", "null", "#N/A"},
		{boolean, "", "", "null", "#N/A"},
		{dateTime, "", "", "null", "#N/A"},

		// Text is exact: spaces, case and line breaks are kept.
		{text, "Acme", "Acme", `"Acme"`, "Acme"},
		{text, " Acme ", " Acme ", `" Acme "`, " Acme "},
		{text, "a\nb", "a\nb", `"a\nb"`, "a\nb"},
		{text, "Zoë", "Zoë", `"Zoë"`, "Zoë"},
		{picklist, "Hot", "Hot", `"Hot"`, "Hot"},

		// Multi-select picklists are sets.
		{multi, "B;A", "A;B", `["A", "B"]`, "A;B"},
		{multi, "A;B;A", "A;B", `["A", "B"]`, "A;B"},
		{multi, ";A;;", "A", `["A"]`, "A"},
		{multi, ";", "", "null", "#N/A"},

		// Booleans.
		{boolean, "true", "true", "true", "true"},
		{boolean, "TRUE", "true", "true", "true"},
		{boolean, "False", "false", "false", "false"},
		{boolean, "1", "true", "true", "true"},
		{boolean, "0", "false", "false", "false"},

		// Numbers: plain decimal, whatever the notation.
		{number, "1", "1", "1", "1"},
		{number, "1.0", "1", "1", "1"},
		{number, "1.50", "1.5", "1.5", "1.5"},
		{number, "+1.5", "1.5", "1.5", "1.5"},
		{number, ".5", "0.5", "0.5", "0.5"},
		{number, "5.", "5", "5", "5"},
		{number, "-0.0", "0", "0", "0"},
		{number, "007", "7", "7", "7"},
		{number, "9.12260031E8", "912260031", "912260031", "912260031"},
		{number, "9.0E7", "90000000", "90000000", "90000000"},
		{number, "1.6147805824397E13", "16147805824397", "16147805824397", "16147805824397"},
		{number, "1.0E-4", "0.0001", "0.0001", "0.0001"},
		{number, "-2.5e+3", "-2500", "-2500", "-2500"},
		{number, "123456789012345678", "123456789012345678", "123456789012345678", "123456789012345678"},
		{integer, "2676", "2676", "2676", "2676"},
		{integer, "2676.0", "2676", "2676", "2676"},
		{integer, "2.676E3", "2676", "2676", "2676"},

		// Rounding to the field's scale, half away from zero.
		{currency, "1500.50", "1500.5", "1500.5", "1500.5"},
		{currency, "1.005", "1.01", "1.01", "1.01"},
		{currency, "1.004", "1", "1", "1"},
		{currency, "-1.005", "-1.01", "-1.01", "-1.01"},
		{currency, "9.995", "10", "10", "10"},
		{currency, "0.004", "0", "0", "0"},
		{currency, "0.005", "0.01", "0.01", "0.01"},
		{FieldSpec{Type: TypeNumber, Precision: 18}, "1500.5", "1501", "1501", "1501"},
		{FieldSpec{Type: TypeNumber, Precision: 18}, "0.4", "0", "0", "0"},

		// Dates.
		{date, "2024-02-29", "2024-02-29", `"2024-02-29"`, "2024-02-29"},
		{date, "1940-06-07Z", "1940-06-07", `"1940-06-07"`, "1940-06-07"},

		// Datetimes: UTC, milliseconds.
		{dateTime, "2024-01-15T10:00:00Z", "2024-01-15T10:00:00.000Z", `"2024-01-15T10:00:00.000Z"`, "2024-01-15T10:00:00.000Z"},
		{dateTime, "2024-01-15T10:00:00.000Z", "2024-01-15T10:00:00.000Z", `"2024-01-15T10:00:00.000Z"`, "2024-01-15T10:00:00.000Z"},
		{dateTime, "2024-01-15T12:00:00+02:00", "2024-01-15T10:00:00.000Z", `"2024-01-15T10:00:00.000Z"`, "2024-01-15T10:00:00.000Z"},
		{dateTime, "2024-01-15T10:00:00.000+0000", "2024-01-15T10:00:00.000Z", `"2024-01-15T10:00:00.000Z"`, "2024-01-15T10:00:00.000Z"},
		{dateTime, "2024-01-15T05:30:00-04:30", "2024-01-15T10:00:00.000Z", `"2024-01-15T10:00:00.000Z"`, "2024-01-15T10:00:00.000Z"},
		{dateTime, "2024-01-15T01:00:00-0900", "2024-01-15T10:00:00.000Z", `"2024-01-15T10:00:00.000Z"`, "2024-01-15T10:00:00.000Z"},
		{dateTime, "2024-01-01T01:00:00+02:00", "2023-12-31T23:00:00.000Z", `"2023-12-31T23:00:00.000Z"`, "2023-12-31T23:00:00.000Z"},
		{dateTime, "2024-01-15T10:00:00.5Z", "2024-01-15T10:00:00.500Z", `"2024-01-15T10:00:00.500Z"`, "2024-01-15T10:00:00.500Z"},
		{dateTime, "2024-01-15T10:00:00.123456Z", "2024-01-15T10:00:00.123Z", `"2024-01-15T10:00:00.123Z"`, "2024-01-15T10:00:00.123Z"},

		// Times.
		{timeOfDay, "10:30:15", "10:30:15.000Z", `"10:30:15.000Z"`, "10:30:15.000Z"},
		{timeOfDay, "10:30:15.25Z", "10:30:15.250Z", `"10:30:15.250Z"`, "10:30:15.250Z"},

		// Ids: the 18-character form, whichever was given.
		{id, "001000000000001", "001000000000001AAA", `"001000000000001AAA"`, "001000000000001AAA"},
		{id, "001000000000001aaa", "001000000000001AAA", `"001000000000001AAA"`, "001000000000001AAA"},
		{id, "0013h00000Ffg18", "0013h00000Ffg18AAB", `"0013h00000Ffg18AAB"`, "0013h00000Ffg18AAB"},
	}
	for _, tt := range tests {
		v, err := ParseCell(tt.spec, tt.in)
		if err != nil {
			t.Errorf("ParseCell(%v, %q): %v", tt.spec.Type, tt.in, err)
			continue
		}
		if got := v.Canonical(); got != tt.canonical {
			t.Errorf("ParseCell(%v, %q).Canonical() = %q, want %q", tt.spec.Type, tt.in, got, tt.canonical)
		}
		if got := v.Display(); got != tt.display {
			t.Errorf("ParseCell(%v, %q).Display() = %s, want %s", tt.spec.Type, tt.in, got, tt.display)
		}
		if got := v.CSV(); got != tt.csv {
			t.Errorf("ParseCell(%v, %q).CSV() = %q, want %q", tt.spec.Type, tt.in, got, tt.csv)
		}
		if got := v.IsNull(); got != (tt.canonical == "") {
			t.Errorf("ParseCell(%v, %q).IsNull() = %v", tt.spec.Type, tt.in, got)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		spec FieldSpec
		in   string
		want string
	}{
		{boolean, "yes", `"yes" is not a boolean`},
		{number, "1,000", `"1,000" is not a number`},
		{number, " 12", `" 12" is not a number`},
		{number, "NaN", `"NaN" is not a number`},
		{number, "Infinity", `"Infinity" is not a number`},
		{number, "0x10", `"0x10" is not a number`},
		{number, "1e", `"1e" is not a number`},
		{number, "-", `"-" is not a number`},
		{number, ".", `"." is not a number`},
		{number, "1e999999999", "number out of range"},
		{number, "1e-999", "number out of range"},
		{integer, "1.5", `"1.5" is not a whole number`},
		{date, "2024-02-30", `"2024-02-30" is not a valid date`},
		{date, "15/01/2024", `"15/01/2024" is not a date`},
		{date, "2024-01-15T00:00:00Z", "is not a date"},
		// Salesforce's forms (sfvalue): a zone, seconds, and a zone's
		// minutes are required.
		{dateTime, "2024-01-15T10:00:00", "is not a datetime"},
		{dateTime, "2024-01-15T10:00Z", "is not a datetime"},
		{dateTime, "2024-01-15T01:00:00-09", "is not a datetime"},
		{dateTime, "2024-01-15", "is not a datetime"},
		{dateTime, "2024-13-15T10:00:00Z", "is not a valid datetime"},
		{dateTime, "2024-01-15T24:00:00Z", "is not a valid datetime"},
		{dateTime, "0001-01-01T00:00:00+01:00", "out of range"},
		{timeOfDay, "25:00:00", "is not a valid time"},
		{timeOfDay, "10:30", "is not a time"},
		{timeOfDay, "10:00+02:00", "is not a time"},
		{id, "001", "is not a Salesforce Id"},
		{id, "001000000000001XYZ", "is not a Salesforce Id"},
		{FieldSpec{}, "x", "invalid field type"},
	}
	for _, tt := range tests {
		_, err := ParseCell(tt.spec, tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseCell(%v, %q) error = %v, want %q", tt.spec.Type, tt.in, err, tt.want)
		}
	}
}

// TestEqual checks equality as Salesforce means it: each pair is the same
// value written two ways (the first as the configuration has it, the second
// as the org renders it), or two different values; and that the bulk
// package, correlating result echoes, sees it the same way.
func TestEqual(t *testing.T) {
	tests := []struct {
		spec         FieldSpec
		desired, org string
		equal        bool
	}{
		{number, "1", "1.0", true},
		{number, "912260031", "9.12260031E8", true},
		{number, "90000000", "9.0E7", true},
		{number, "0.0001", "1.0E-4", true},
		{number, "1500.5", "1500.50", true},
		{number, "1500.5", "1500.51", false},
		{number, "0.1", "0.1", true},
		// The org renders 17 significant digits at most; a desired value
		// that only differs beyond them cannot be told apart.
		{number, "0.10000000000000001", "0.1", true},
		{number, "123456789012345678", "1.2345678901234568E17", true},
		{number, "123456789012345677", "1.2345678901234568E17", true},
		{number, "123456789012345600", "1.2345678901234568E17", false}, // another double
		{number, "123456789012345", "1.23456789012346E14", false},
		{currency, "1.005", "1.01", true},
		{currency, "2.499", "2.5", true},
		{integer, "2676", "2676", true},
		{integer, "2677", "2676", false},
		{integer, "123456789012345678", "123456789012345677", false}, // exact: ints render in plain digits
		{FieldSpec{Type: TypeNumber, Precision: 18}, "912260031", "9.12260031E8", true},
		{timeOfDay, "10:30:00.5", "10:30:00.500Z", true},
		{timeOfDay, "10:30:00", "10:30:01.000Z", false},
		{date, "2024-01-15", "2024-01-16", false},
		{dateTime, "2024-01-15T10:00:00Z", "2024-01-15T10:00:00.000+0000", true},
		{boolean, "TRUE", "true", true},
		{boolean, "0", "false", true},
		{boolean, "true", "false", false},
		{text, "", "", true},
		{text, "Acme", "Acme", true},
		{text, "acme", "Acme", false},
		{text, "Acme ", "Acme", false},
		{picklist, "hot", "Hot", false},
		{multi, "B;A", "A;B", true},
		{multi, "A;B", "A", false},
		{date, "2024-01-15", "2024-01-15", true},
		{date, "2024-01-15Z", "2024-01-15", true},
		{dateTime, "2024-01-15T12:00:00+02:00", "2024-01-15T10:00:00.000Z", true},
		{dateTime, "2024-01-15T10:00:00.0001Z", "2024-01-15T10:00:00.000Z", true},
		{dateTime, "2024-01-15T10:00:00.001Z", "2024-01-15T10:00:00.000Z", false},
		{timeOfDay, "10:30:00", "10:30:00.000Z", true},
		{id, "001000000000001", "001000000000001AAA", true},
		{id, "001000000000001", "001000000000001aaa", true},
		{id, "001000000000001", "001000000000002AAA", false},
		// A 15-character Id is case-sensitive.
		{id, "001a00000000001", "001A00000000001", false},
	}
	for _, tt := range tests {
		d, err := ParseCell(tt.spec, tt.desired)
		if err != nil {
			t.Fatalf("ParseCell(%v, %q): %v", tt.spec.Type, tt.desired, err)
		}
		o, err := ParseOrg(tt.spec, tt.org)
		if err != nil {
			t.Fatalf("ParseOrg(%v, %q): %v", tt.spec.Type, tt.org, err)
		}
		if got := d.Equal(o); got != tt.equal {
			t.Errorf("%v: %q.Equal(%q) = %v, want %v", tt.spec.Type, tt.desired, tt.org, got, tt.equal)
		}
		if got := o.Equal(d); got != tt.equal {
			t.Errorf("%v: %q.Equal(%q) = %v, want %v (not symmetric)", tt.spec.Type, tt.org, tt.desired, got, tt.equal)
		}
		// The bulk package correlates Bulk API 2.0 results with what was
		// sent (the CSV text) by the same comparison.
		if got := bulk.SameValue(bulkKind(tt.spec.Type), d.CSV(), tt.org); got != tt.equal {
			t.Errorf("%v: bulk.SameValue(%v, %q, %q) = %v, want %v as Equal has it", tt.spec.Type, bulkKind(tt.spec.Type), d.CSV(), tt.org, got, tt.equal)
		}
	}
}

// TestEqualExactNumbers checks that two numbers from the configuration are
// compared as decimals, not doubles.
func TestEqualExactNumbers(t *testing.T) {
	a, _ := ParseCell(number, "0.10000000000000001")
	b, _ := ParseCell(number, "0.1")
	if a.Equal(b) {
		t.Error("0.10000000000000001 equals 0.1 as configured numbers; want decimal comparison")
	}
}

func TestEqualNullAndTypes(t *testing.T) {
	if !(Value{}).Equal(Null(TypeText)) {
		t.Error("zero Value does not equal Null(TypeText)")
	}
	if !Null(TypeNumber).Equal(Null(TypeText)) {
		t.Error("nulls of different types differ")
	}
	one, _ := ParseCell(text, "1")
	n1, _ := ParseCell(number, "1")
	if one.Equal(n1) {
		t.Error(`text "1" equals number 1`)
	}
	if one.Equal(Value{}) || (Value{}).Equal(one) {
		t.Error("a value equals null")
	}
}

func TestKey(t *testing.T) {
	tests := []struct {
		spec          FieldSpec
		a, b          string
		caseSensitive bool
		match         bool
	}{
		{text, "ACME-001", "acme-001", false, true},
		{text, "ACME-001", "acme-001", true, false},
		{text, "Straße", "STRASSE", false, false}, // simple folding only, as EqualFold
		{text, "Zoë", "ZOË", false, true},
		{text, "k", "\u212a", false, true}, // Kelvin sign folds with k
		{text, "a", "b", false, false},
		{picklist, "Hot", "hot", false, true},
		{multi, "a;B", "b;A", false, true},
		{number, "1", "1.0", false, true},
		{number, "10", "1E1", false, true},
		{date, "2024-01-15", "2024-01-15Z", false, true},
		{dateTime, "2024-01-15T12:00:00+02:00", "2024-01-15T10:00:00Z", false, true},
		{id, "001000000000001", "001000000000001AAA", false, true},
		{id, "001a00000000001", "001A00000000001", false, false},
		{text, "", "", false, true},
	}
	for _, tt := range tests {
		a, err := ParseCell(tt.spec, tt.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ParseCell(tt.spec, tt.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Key(tt.caseSensitive) == b.Key(tt.caseSensitive); got != tt.match {
			t.Errorf("%v keys %q, %q (case-sensitive %v): match = %v, want %v (%q, %q)",
				tt.spec.Type, tt.a, tt.b, tt.caseSensitive, got, tt.match, a.Key(tt.caseSensitive), b.Key(tt.caseSensitive))
		}
		if tt.spec.Type == TypeText && !tt.caseSensitive && tt.match != strings.EqualFold(tt.a, tt.b) {
			t.Errorf("text keys %q, %q: match %v, but strings.EqualFold disagrees", tt.a, tt.b, tt.match)
		}
	}
}

func TestFromCty(t *testing.T) {
	tests := []struct {
		spec      FieldSpec
		in        cty.Value
		canonical string
	}{
		{text, cty.StringVal("Acme"), "Acme"},
		{text, cty.StringVal(""), ""},
		{text, cty.NullVal(cty.String), ""},
		{text, cty.NumberIntVal(5551234), "5551234"},
		{text, cty.MustParseNumberVal("1e20"), "100000000000000000000"},
		{text, cty.True, "true"},
		{picklist, cty.StringVal("Hot"), "Hot"},
		{number, cty.MustParseNumberVal("1.1"), "1.1"},
		{number, cty.MustParseNumberVal("1500.50"), "1500.5"},
		{number, cty.NumberFloatVal(0.1), "0.1"},
		{number, cty.MustParseNumberVal("912260031"), "912260031"},
		{number, cty.StringVal("9.12260031E8"), "912260031"},
		{currency, cty.MustParseNumberVal("1.005"), "1.01"},
		{integer, cty.NumberIntVal(42), "42"},
		{boolean, cty.True, "true"},
		{boolean, cty.False, "false"},
		{boolean, cty.StringVal("true"), "true"},
		{date, cty.StringVal("2024-01-15"), "2024-01-15"},
		{dateTime, cty.StringVal("2024-01-15T12:00:00+02:00"), "2024-01-15T10:00:00.000Z"},
		{id, cty.StringVal("001000000000001"), "001000000000001AAA"},
		{multi, cty.ListVal([]cty.Value{cty.StringVal("B"), cty.StringVal("A")}), "A;B"},
		{multi, cty.TupleVal([]cty.Value{cty.StringVal("B"), cty.StringVal("A"), cty.StringVal("B")}), "A;B"},
		{multi, cty.SetVal([]cty.Value{cty.StringVal("B"), cty.StringVal("A")}), "A;B"},
		{multi, cty.ListValEmpty(cty.String), ""},
		{multi, cty.StringVal("B;A"), "A;B"},
		{multi, cty.NullVal(cty.List(cty.String)), ""},
		{text, cty.StringVal("secret").Mark("sensitive"), "secret"},
	}
	for _, tt := range tests {
		v, err := FromCty(tt.spec, tt.in)
		if err != nil {
			t.Errorf("FromCty(%v, %#v): %v", tt.spec.Type, tt.in, err)
			continue
		}
		if got := v.Canonical(); got != tt.canonical {
			t.Errorf("FromCty(%v, %#v) = %q, want %q", tt.spec.Type, tt.in, got, tt.canonical)
		}
		if v.Type() != tt.spec.Type {
			t.Errorf("FromCty(%v, %#v).Type() = %v", tt.spec.Type, tt.in, v.Type())
		}
	}
}

func TestFromCtyErrors(t *testing.T) {
	inf := cty.NumberVal(new(big.Float).SetInf(false))
	tests := []struct {
		spec FieldSpec
		in   cty.Value
		want string
	}{
		{date, cty.NumberIntVal(20240115), "a number cannot be the value of a date field"},
		{boolean, cty.NumberIntVal(1), "a number cannot be the value of a boolean field"},
		{number, cty.True, "a bool cannot be the value of a number field"},
		{text, cty.ListVal([]cty.Value{cty.StringVal("a")}), "a list is only a value for a multi-select picklist"},
		{multi, cty.TupleVal([]cty.Value{cty.NumberIntVal(1)}), "must be strings, not number"},
		{multi, cty.TupleVal([]cty.Value{cty.StringVal("a;b")}), "contains ';'"},
		{text, cty.ObjectVal(map[string]cty.Value{"a": cty.True}), "cannot be a field value"},
		{text, cty.UnknownVal(cty.String), "not known"},
		{integer, cty.MustParseNumberVal("1.5"), "not a whole number"},
		{number, inf, "not a number"},
		{FieldSpec{}, cty.StringVal("x"), "invalid field type"},
	}
	for _, tt := range tests {
		_, err := FromCty(tt.spec, tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("FromCty(%v, %#v) error = %v, want %q", tt.spec.Type, tt.in, err, tt.want)
		}
	}
}

func TestJavaDoubleRenderings(t *testing.T) {
	for _, f := range []float64{0, 1, 0.5, 1500.5, 912260031, 9e7, 99213206, 16147805824397, 1e-4, 0.001, 1e7 - 1, 1e7, -3.25e10, 123.456, 1e21, 5e-324, math.MaxFloat64} {
		java := sfvalue.FormatDouble(f)
		org, err := ParseOrg(number, java)
		if err != nil {
			t.Errorf("ParseOrg(%s): %v", java, err)
			continue
		}
		want, err := ParseCell(number, strconv.FormatFloat(f, 'f', -1, 64))
		if err != nil {
			t.Fatal(err)
		}
		// Java writes Double.MIN_VALUE with two digits, 4.9E-324, which
		// is not the shortest decimal of that double (5E-324): the same
		// number, another text.
		if org.Canonical() != want.Canonical() && f != math.SmallestNonzeroFloat64 || !org.Equal(want) {
			t.Errorf("ParseOrg(%s) = %s, want %s", java, org.Canonical(), want.Canonical())
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		spec FieldSpec
		in   string
		want string // "" for no error
	}{
		{FieldSpec{Type: TypeText, Length: 5}, "Hello", ""},
		{FieldSpec{Type: TypeText, Length: 5}, "Héllo", ""},
		{FieldSpec{Type: TypeText, Length: 5}, "Hello!", "6 characters long; the field holds at most 5"},
		{FieldSpec{Type: TypeText, Length: 5}, "", ""},
		{FieldSpec{Type: TypeMultiPicklist, Length: 3}, "A;B;C", "5 characters long"},
		{FieldSpec{Type: TypeNumber, Precision: 5, Scale: 2}, "999.99", ""},
		{FieldSpec{Type: TypeNumber, Precision: 5, Scale: 2}, "999.999", "4 digits before the decimal point; the field allows 3"}, // rounds to 1000
		{FieldSpec{Type: TypeNumber, Precision: 5, Scale: 2}, "1000", "4 digits before the decimal point; the field allows 3"},
		{FieldSpec{Type: TypeNumber, Precision: 5, Scale: 2}, "-0.5", ""},
		{FieldSpec{Type: TypeInteger, Precision: 8}, "99999999", ""},
		{FieldSpec{Type: TypeInteger, Precision: 8}, "100000000", "9 digits before the decimal point; the field allows 8"},
		{number, "1e300", ""},
		{date, "1700-01-01", ""},
		{date, "1699-12-31", "outside the dates Salesforce accepts"},
		{dateTime, "4000-12-31T23:59:59Z", ""},
		{dateTime, "4001-01-01T00:00:00Z", "outside the dates Salesforce accepts"},
		{boolean, "true", ""},
		{text, "#N/A", "cannot be written"},
		{multi, "#N/A", "cannot be written"},
		{text, "#N/A ", ""},
	}
	for _, tt := range tests {
		v, err := ParseCell(tt.spec, tt.in)
		if err != nil {
			t.Fatalf("ParseCell(%v, %q): %v", tt.spec.Type, tt.in, err)
		}
		err = tt.spec.Check(v)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("Check(%v %+v, %q) = %v, want %q", tt.spec.Type, tt.spec, tt.in, err, tt.want)
		}
	}
}

func TestFieldTypeText(t *testing.T) {
	for ft := TypeText; ft < fieldTypeEnd; ft++ {
		b, err := ft.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back FieldType
		if err := back.UnmarshalText(b); err != nil || back != ft {
			t.Errorf("%v: round trip gives %v, %v", ft, back, err)
		}
	}
	if _, err := FieldType(0).MarshalText(); err == nil {
		t.Error("the zero FieldType marshals")
	}
	if got := FieldType(0).String(); got != "FieldType(0)" {
		t.Errorf("FieldType(0).String() = %q", got)
	}
	var ft FieldType
	if err := ft.UnmarshalText([]byte("float")); err == nil {
		t.Error(`"float" unmarshals`)
	}
}

// FuzzValueRoundTrip checks, for every field type, that a value that parses
// reads back from its canonical and CSV forms to the same value, and that
// parsing is idempotent.
func FuzzValueRoundTrip(f *testing.F) {
	for _, s := range []string{
		"", "Acme", "a\nb", "B;A", "true", "0", "1", "1.0", "9.12260031E8", "-1.005", "1e-400",
		"2024-01-15", "2024-01-15Z", "2024-01-15T12:00:00.123456+02:00", "2024-01-15T01:00:00-0900",
		"10:30:15.25Z", "001000000000001", "001000000000001AAA", "0013h00000Ffg18AAB", "#N/A",
	} {
		f.Add(s)
	}
	specs := []FieldSpec{text, picklist, multi, boolean, integer, number, currency,
		{Type: TypeNumber, Precision: 18, Scale: 0}, date, dateTime, timeOfDay, id}
	f.Fuzz(func(t *testing.T, s string) {
		for _, spec := range specs {
			v, err := ParseCell(spec, s)
			if err != nil {
				continue
			}
			if v.Type() != spec.Type {
				t.Fatalf("ParseCell(%v, %q).Type() = %v", spec.Type, s, v.Type())
			}
			back, err := ParseCell(spec, v.Canonical())
			if err != nil {
				t.Fatalf("%v: canonical %q of %q does not parse: %v", spec.Type, v.Canonical(), s, err)
			}
			if back.Canonical() != v.Canonical() || !back.Equal(v) {
				t.Fatalf("%v: %q → %q → %q", spec.Type, s, v.Canonical(), back.Canonical())
			}
			if v.IsNull() {
				if v.CSV() != NullCSV {
					t.Fatalf("%v: null %q writes %q", spec.Type, s, v.CSV())
				}
				continue
			}
			up, err := ParseCell(spec, v.CSV())
			if err != nil || !up.Equal(v) {
				t.Fatalf("%v: CSV %q of %q reads back as %q, %v", spec.Type, v.CSV(), s, up.Canonical(), err)
			}
			org, err := ParseOrg(spec, v.CSV())
			if err != nil || !org.Equal(v) {
				t.Fatalf("%v: CSV %q of %q reads back from the org as %q, %v", spec.Type, v.CSV(), s, org.Canonical(), err)
			}
			if v.Key(true) != v.Canonical() {
				t.Fatalf("%v: case-sensitive key %q of %q is not its canonical form", spec.Type, v.Key(true), s)
			}
			if k := v.Key(false); spec.Type == TypeText && (!strings.EqualFold(k, v.Canonical()) || foldCase(k) != k) {
				t.Fatalf("%v: key %q of %q is not a stable case folding", spec.Type, k, s)
			}
		}
	})
}

func TestWithArticle(t *testing.T) {
	for word, want := range map[string]string{
		"Account":         "an Account",
		"Opportunity":     "an Opportunity",
		"Contact":         "a Contact",
		"int":             "an int",
		"address":         "an address",
		"encryptedstring": "an encryptedstring",
		"User":            "a User",
		"UnitOfMeasure":   "a UnitOfMeasure",
		"Upload__c":       "an Upload__c",
		"picklist":        "a picklist",
		"object":          "an object",
		"list of string":  "a list of string",
		"Euro__c":         "a Euro__c",
	} {
		if got := withArticle(word); got != want {
			t.Errorf("withArticle(%q) = %q, want %q", word, got, want)
		}
	}
}
