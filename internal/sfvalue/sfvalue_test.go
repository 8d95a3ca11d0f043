package sfvalue

import (
	"math"
	"strings"
	"testing"
	"time"
)

// Variables, so that the compiler does not add them exactly.
var point1, point2 = 0.1, 0.2

func TestFormatDouble(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		want string
	}{
		// Recorded: Bulk 2.0 successfulResults and query results (§6.4).
		{912260031, "9.12260031E8"},
		{896852810, "8.9685281E8"},
		{71664061, "7.1664061E7"},
		{99213206, "9.9213206E7"},
		{90000000, "9.0E7"},
		{16147805824397, "1.6147805824397E13"},
		{1500, "1500.0"},
		{0.5, "0.5"},
		// Java's Double.toString rules.
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{-3, "-3.0"},
		{-1500.25, "-1500.25"},
		{0.001, "0.001"},
		{0.0001, "1.0E-4"},
		{0.00012345, "1.2345E-4"},
		{-1.25e-5, "-1.25E-5"},
		{9999999, "9999999.0"},
		{9999999.5, "9999999.5"},
		{1e7, "1.0E7"},
		{-1e7, "-1.0E7"},
		{1234567.125, "1234567.125"},
		{point1 + point2, "0.30000000000000004"},
		{123456789012345680000, "1.2345678901234568E20"},
		{math.MaxFloat64, "1.7976931348623157E308"},
		{math.SmallestNonzeroFloat64, "4.9E-324"},
		{1e-300, "1.0E-300"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
	} {
		if got := FormatDouble(tc.x); got != tc.want {
			t.Errorf("FormatDouble(%v) = %q, want %q", tc.x, got, tc.want)
		}
		if got := string(AppendDouble([]byte("x="), tc.x)); got != "x="+tc.want {
			t.Errorf("AppendDouble(x=, %v) = %q", tc.x, got)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	for _, tc := range []struct {
		in, plain string
		intDigits int
		fracDigit int
	}{
		// The org's renderings (§6.4): Java doubles, read exactly.
		{"9.12260031E8", "912260031", 9, 0},
		{"8.9685281E8", "896852810", 9, 0},
		{"7.1664061E7", "71664061", 8, 0},
		{"9.9213206E7", "99213206", 8, 0},
		{"9.0E7", "90000000", 8, 0},
		{"1.6147805824397E13", "16147805824397", 14, 0},
		{"1500.0", "1500", 4, 0},
		{"1.0E-4", "0.0001", 0, 4},
		{"4.9E-324", "0." + strings.Repeat("0", 323) + "49", 0, 325},
		// What people and uploads write.
		{"912260031", "912260031", 9, 0},
		{"-1500.50", "-1500.5", 4, 1},
		{"+1.5", "1.5", 1, 1},
		{".5", "0.5", 0, 1},
		{"5.", "5", 1, 0},
		{"007", "7", 1, 0},
		{"-0.0", "0", 0, 0},
		{"0", "0", 0, 0},
		{"0.000", "0", 0, 0},
		{"-2.5e+3", "-2500", 4, 0},
		{"0.05", "0.05", 0, 2},
		{"100.001", "100.001", 3, 3},
		{"123456789012345678", "123456789012345678", 18, 0},
	} {
		d, err := ParseDecimal(tc.in)
		if err != nil {
			t.Errorf("ParseDecimal(%q): %v", tc.in, err)
			continue
		}
		if got := d.String(); got != tc.plain {
			t.Errorf("ParseDecimal(%q).String() = %q, want %q", tc.in, got, tc.plain)
		}
		if d.IntDigits() != tc.intDigits || d.FracDigits() != tc.fracDigit {
			t.Errorf("ParseDecimal(%q): %d and %d digits, want %d and %d", tc.in, d.IntDigits(), d.FracDigits(), tc.intDigits, tc.fracDigit)
		}
		if d.IsZero() != (tc.plain == "0") {
			t.Errorf("ParseDecimal(%q).IsZero() = %v", tc.in, d.IsZero())
		}
	}
	for _, bad := range []string{"", "-", "+", ".", "e5", "1e", "1e+", "1,000", " 12", "12 ", "1/2", "0x10", "1_000",
		"NaN", "Infinity", "-Infinity", "1..2", "1.2.3", "1e5.5", "١٢"} {
		if d, err := ParseDecimal(bad); err == nil {
			t.Errorf("ParseDecimal(%q) = %s, want an error", bad, d)
		} else if !strings.Contains(err.Error(), "is not a number") {
			t.Errorf("ParseDecimal(%q): %v", bad, err)
		}
	}
}

func TestDecimalRange(t *testing.T) {
	for _, tc := range []struct {
		in      string
		inRange bool
		float   float64
	}{
		{"1e399", true, math.Inf(1)},
		{"1e400", false, math.Inf(1)},
		{"-1e999999999999", false, math.Inf(-1)},
		{"1e-400", true, 0},
		{"1e-401", false, 0},
		{"1e-999999999999", false, 0},
		{"1.7976931348623157E308", true, math.MaxFloat64},
		{"4.9E-324", true, math.SmallestNonzeroFloat64},
	} {
		d, err := ParseDecimal(tc.in)
		if err != nil {
			t.Fatalf("ParseDecimal(%q): %v", tc.in, err)
		}
		if d.InRange() != tc.inRange {
			t.Errorf("ParseDecimal(%q).InRange() = %v", tc.in, d.InRange())
		}
		if f := d.Float64(); f != tc.float {
			t.Errorf("ParseDecimal(%q).Float64() = %v, want %v", tc.in, f, tc.float)
		}
	}
}

func TestRound(t *testing.T) {
	for _, tc := range []struct {
		in    string
		scale int
		want  string
	}{
		{"1500.50", 2, "1500.5"},
		{"1.005", 2, "1.01"},
		{"1.004", 2, "1"},
		{"-1.005", 2, "-1.01"},
		{"9.995", 2, "10"},
		{"0.004", 2, "0"},
		{"-0.004", 2, "0"},
		{"0.005", 2, "0.01"},
		{"123.455", 2, "123.46"}, // the digits, not the double below them
		{"1500.5", 0, "1501"},
		{"0.4", 0, "0"},
		{"999.999", 2, "1000"},
		{"1e-999999", 18, "0"},
		{"12345", 0, "12345"},
		{"1.2345E3", 1, "1234.5"},
	} {
		d, err := ParseDecimal(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Round(tc.scale).String(); got != tc.want {
			t.Errorf("ParseDecimal(%q).Round(%d) = %q, want %q", tc.in, tc.scale, got, tc.want)
		}
	}
}

// TestSameDouble checks the comparison of a number with the org's rendering
// of it: equal when they are the same double.
func TestSameDouble(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"912260031", "9.12260031E8", true},
		{"90000000", "9.0E7", true},
		{"16147805824397", "1.6147805824397E13", true},
		{"1500.5", "1500.50", true},
		{"0.0001", "1.0E-4", true},
		{"0.10000000000000001", "0.1", true},
		{"123456789012345678", "1.2345678901234568E17", true},
		{"123456789012345600", "1.2345678901234568E17", false},
		{"912260031", "912260032", false},
		{"1500.5", "1500.51", false},
	} {
		a, errA := ParseDecimal(tc.a)
		b, errB := ParseDecimal(tc.b)
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		if got := SameDouble(a, b); got != tc.same {
			t.Errorf("SameDouble(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.same)
		}
		if got := DoubleKey(a) == DoubleKey(b); got != tc.same {
			t.Errorf("DoubleKey(%s) = %s, DoubleKey(%s) = %s: equal %v, want %v", tc.a, DoubleKey(a), tc.b, DoubleKey(b), got, tc.same)
		}
	}
	if d, _ := ParseDecimal("912260031"); DoubleKey(d) != "9.12260031E8" {
		t.Errorf("DoubleKey(912260031) = %s, want the org's rendering", DoubleKey(d))
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "TRUE": true, "True": true, "1": true, "false": false, "FALSE": false, "fAlSe": false, "0": false} {
		if got, err := ParseBool(in); err != nil || got != want {
			t.Errorf("ParseBool(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "yes", "no", "t", "2", " true", "true ", "01"} {
		if _, err := ParseBool(bad); err == nil || !strings.Contains(err.Error(), "is not a boolean") {
			t.Errorf("ParseBool(%q): %v, want an error", bad, err)
		}
	}
}

func TestParseDate(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2015-05-15", "2015-05-15"},
		{"1940-06-07Z", "1940-06-07"}, // Bulk API 1.0 samples
		{"2024-02-29", "2024-02-29"},
		{"2000-02-29", "2000-02-29"},
		{"0001-01-01", "0001-01-01"},
		{"9999-12-31", "9999-12-31"},
	} {
		d, err := ParseDate(tc.in)
		if err != nil {
			t.Errorf("ParseDate(%q): %v", tc.in, err)
			continue
		}
		if got := FormatDate(d); got != tc.want || d.Location() != time.UTC || d.Hour() != 0 {
			t.Errorf("ParseDate(%q) = %v (%s), want %s", tc.in, d, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"2024-02-30", "is not a valid date"},
		{"1900-02-29", "is not a valid date"},
		{"2024-13-01", "is not a valid date"},
		{"2024-00-01", "is not a valid date"},
		{"0000-01-01", "is not a valid date"},
		{"15/01/2024", "is not a date"},
		{"12/03/2021", "is not a date"},
		{"2024-1-15", "is not a date"},
		{"2024-01-15T00:00:00Z", "is not a date"},
		{"2024-01-15+01:00", "is not a date"}, // §2.9: no offset on a date
		{"2024-01-15z", "is not a date"},
		{" 2024-01-15", "is not a date"},
		{"", "is not a date"},
	} {
		if _, err := ParseDate(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseDate(%q): %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestParseDateTime(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// The renderings: Bulk CSV (Z), REST and Bulk 1.0 JSON (+0000).
		{"2021-12-03T17:59:20.000Z", "2021-12-03T17:59:20.000Z"},
		{"2021-12-03T17:59:20.000+0000", "2021-12-03T17:59:20.000Z"},
		// The upload forms of §2.9: milliseconds optional, ±HH:mm.
		{"2021-12-03T17:59:20Z", "2021-12-03T17:59:20.000Z"},
		{"2002-10-10T12:00:00+05:00", "2002-10-10T07:00:00.000Z"}, // the docs' examples
		{"2002-10-10T00:00:00+05:00", "2002-10-09T19:00:00.000Z"},
		{"2021-12-03T23:29:20.123+05:30", "2021-12-03T17:59:20.123Z"},
		{"2021-12-03T12:59:20-0500", "2021-12-03T17:59:20.000Z"},
		{"2021-12-31T23:30:00-01:00", "2022-01-01T00:30:00.000Z"},
		{"2021-12-03T17:59:20+00:00", "2021-12-03T17:59:20.000Z"},
		{"2021-12-03T17:59:20-00:00", "2021-12-03T17:59:20.000Z"},
		// Fractions: padded or truncated to milliseconds.
		{"2021-12-03T17:59:20.5Z", "2021-12-03T17:59:20.500Z"},
		{"2021-12-03T17:59:20.12Z", "2021-12-03T17:59:20.120Z"},
		{"2021-12-03T17:59:20.123456789Z", "2021-12-03T17:59:20.123Z"},
		{"2021-12-03T17:59:20.0009Z", "2021-12-03T17:59:20.000Z"},
		{"2021-12-03T17:59:20.9999999999999+01:00", "2021-12-03T16:59:20.999Z"},
		// Leap days and the edges of the range.
		{"2024-02-29T23:59:59.999Z", "2024-02-29T23:59:59.999Z"},
		{"0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"},
		{"0001-01-01T23:00:00+22:00", "0001-01-01T01:00:00.000Z"},
		{"9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"},
	} {
		d, err := ParseDateTime(tc.in)
		if err != nil {
			t.Errorf("ParseDateTime(%q): %v", tc.in, err)
			continue
		}
		if d.Location() != time.UTC {
			t.Errorf("ParseDateTime(%q) is in %v, want UTC", tc.in, d.Location())
		}
		if got := FormatDateTime(d); got != tc.want {
			t.Errorf("ParseDateTime(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if d.Nanosecond()%int(time.Millisecond) != 0 {
			t.Errorf("ParseDateTime(%q) keeps %d ns", tc.in, d.Nanosecond())
		}
	}
	for _, tc := range []struct{ in, want string }{
		// No zone: §2.9 documents only zoned forms.
		{"2021-12-03T17:59:20", "is not a datetime"},
		{"2021-12-03T17:59:20.000", "is not a datetime"},
		// Seconds are required, and so are the zone's minutes.
		{"2021-12-03T17:59Z", "is not a datetime"},
		{"2021-12-03T17:59:20+05", "is not a datetime"},
		{"2021-12-03T17:59:20+5:30", "is not a datetime"},
		{"2021-12-03T17:59:20+05:3", "is not a datetime"},
		{"2021-12-03T17:59:20.Z", "is not a datetime"},
		{"2021-12-03T17:59:20z", "is not a datetime"},
		{"2021-12-03t17:59:20Z", "is not a datetime"},
		{"2021-12-03 17:59:20Z", "is not a datetime"},
		{"2021-12-03T17:59:20Z ", "is not a datetime"},
		{"2021-12-03T17:59:20ZZ", "is not a datetime"},
		{"2021-12-03T17:59:20 +05:00", "is not a datetime"},
		{"2021-12-03T17:59:20*05:00", "is not a datetime"},
		{"2021-12-03", "is not a datetime"},
		{"1638554360000", "is not a datetime"},
		{"", "is not a datetime"},
		{"2024-13-15T10:00:00Z", "is not a valid datetime"},
		{"2024-02-30T10:00:00Z", "is not a valid datetime"},
		{"2024-01-15T24:00:00Z", "is not a valid datetime"},
		{"2024-01-15T10:60:00Z", "is not a valid datetime"},
		{"2024-01-15T10:00:60Z", "is not a valid datetime"},
		{"2024-01-15T10:00:00+24:00", "invalid time zone offset"},
		{"2024-01-15T10:00:00+05:60", "invalid time zone offset"},
		{"0001-01-01T00:00:00+01:00", "out of range"},
		{"9999-12-31T23:00:00-01:00", "out of range"},
		{"0000-12-31T23:00:00-05:00", "is not a valid datetime"},
	} {
		if _, err := ParseDateTime(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseDateTime(%q): %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestRESTDateTimeLayout(t *testing.T) {
	d := time.Date(2021, 12, 3, 17, 59, 20, 0, time.UTC)
	if got := d.Format(RESTDateTimeLayout); got != "2021-12-03T17:59:20.000+0000" {
		t.Errorf("REST rendering %s", got)
	}
	back, err := ParseDateTime(d.Format(RESTDateTimeLayout))
	if err != nil || !back.Equal(d) {
		t.Errorf("REST rendering reads back as %v, %v", back, err)
	}
}

func TestParseTime(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"17:59:20.000Z", "17:59:20.000Z"},
		{"17:59:20", "17:59:20.000Z"},
		{"17:59:20Z", "17:59:20.000Z"},
		{"17:59:20.5Z", "17:59:20.500Z"},
		{"10:30:15.25", "10:30:15.250Z"},
		{"00:00:00.123456Z", "00:00:00.123Z"},
		{"23:59:59.999Z", "23:59:59.999Z"},
	} {
		d, err := ParseTime(tc.in)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tc.in, err)
			continue
		}
		if got := FormatTime(d); got != tc.want {
			t.Errorf("ParseTime(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"24:00:00", "is not a valid time"},
		{"25:00:00Z", "is not a valid time"},
		{"10:60:00", "is not a valid time"},
		{"10:30", "is not a time"},
		{"10:00:00+02:00", "is not a time"},
		{"10:00:00.Z", "is not a time"},
		{"10:00:00ZZ", "is not a time"},
		{"1:00:00", "is not a time"},
		{"", "is not a time"},
	} {
		if _, err := ParseTime(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseTime(%q): %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestMultiPicklist(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"B;A", "A;B"},
		{"A;B;A", "A;B"},
		{";A;;", "A"},
		{";", ""},
		{"", ""},
		{"red;Red", "Red;red"},
	} {
		if got := MultiPicklist(strings.Split(tc.in, ";")); got != tc.want {
			t.Errorf("MultiPicklist(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseNumber(t *testing.T) {
	for _, in := range []string{"1e400", "-1e999999999", "1e-401", "0.1e-400"} {
		if d, err := ParseNumber(in); err == nil || !strings.Contains(err.Error(), "number out of range") {
			t.Errorf("ParseNumber(%q) = %s, %v; want out of range", in, d, err)
		}
	}
	for _, in := range []string{"1e399", "1e-400", "9.12260031E8", "0e999999"} {
		if _, err := ParseNumber(in); err != nil {
			t.Errorf("ParseNumber(%q): %v", in, err)
		}
	}
	if _, err := ParseNumber("1,5"); err == nil || !strings.Contains(err.Error(), "is not a number") {
		t.Errorf("ParseNumber(1,5): %v", err)
	}
}
