package sfvalue

import (
	"math"
	"strconv"
	"testing"
)

// FuzzParse feeds any text to every reader: what parses must render to
// text that reads back to the same value, and rendering again must change
// nothing.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "0", "1", "true", "FALSE", "-0.0", ".5", "5.", "1500.0", "9.12260031E8",
		"8.9685281E8", "7.1664061E7", "9.9213206E7", "9.0E7", "1.6147805824397E13", "1.0E-4", "4.9E-324",
		"1e-999999", "123456789012345678", "1.005", "2015-05-15", "1940-06-07Z", "2021-12-03T17:59:20.000Z",
		"2021-12-03T17:59:20.000+0000", "2021-12-03T23:29:20.123+05:30", "2021-12-03T17:59:20.123456Z",
		"17:59:20.000Z", "10:30:15.25"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDecimal(s); err == nil {
			if d.InRange() {
				back, err := ParseDecimal(d.String())
				if err != nil || back != d {
					t.Fatalf("decimal %q → %q → %#v, %v", s, d.String(), back, err)
				}
				r := d.Round(2)
				if r.Round(2) != r || r.FracDigits() > 2 {
					t.Fatalf("decimal %q rounds to %s, then to %s", s, r, r.Round(2))
				}
			}
			if x := d.Float64(); !math.IsInf(x, 0) {
				back, err := ParseDecimal(FormatDouble(x))
				if err != nil || back.Float64() != x || !SameDouble(back, d) {
					t.Fatalf("decimal %q → %v → %q → %v, %v", s, x, FormatDouble(x), back.Float64(), err)
				}
			}
		}
		if b, err := ParseBool(s); err == nil {
			if back, err := ParseBool(strconv.FormatBool(b)); err != nil || back != b {
				t.Fatalf("bool %q → %v → %v, %v", s, b, back, err)
			}
		}
		if d, err := ParseDate(s); err == nil {
			if back, err := ParseDate(FormatDate(d)); err != nil || !back.Equal(d) {
				t.Fatalf("date %q → %s → %v, %v", s, FormatDate(d), back, err)
			}
		}
		if d, err := ParseDateTime(s); err == nil {
			text := FormatDateTime(d)
			if back, err := ParseDateTime(text); err != nil || !back.Equal(d) {
				t.Fatalf("datetime %q → %s → %v, %v", s, text, back, err)
			}
			if back, err := ParseDateTime(d.Format(RESTDateTimeLayout)); err != nil || !back.Equal(d) {
				t.Fatalf("datetime %q → %s → %v, %v", s, d.Format(RESTDateTimeLayout), back, err)
			}
		}
		if d, err := ParseTime(s); err == nil {
			if back, err := ParseTime(FormatTime(d)); err != nil || !back.Equal(d) {
				t.Fatalf("time %q → %s → %v, %v", s, FormatTime(d), back, err)
			}
		}
	})
}

// FuzzDouble checks that every double's Java rendering reads back, as a
// decimal, to the same double.
func FuzzDouble(f *testing.F) {
	for _, x := range []float64{0, 1500, 912260031, 9e7, 1.6147805824397e13, 1e-4, 0.001, 1e7, math.MaxFloat64, math.SmallestNonzeroFloat64, -3.25e10} {
		f.Add(math.Float64bits(x))
	}
	f.Fuzz(func(t *testing.T, bits uint64) {
		x := math.Float64frombits(bits)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		s := FormatDouble(x)
		d, err := ParseDecimal(s)
		if err != nil || d.Float64() != x && !(x == 0 && d.IsZero()) {
			t.Fatalf("%v → %q → %v, %v", x, s, d.Float64(), err)
		}
		if java, err := strconv.ParseFloat(s, 64); err != nil || java != x {
			t.Fatalf("%v → %q reads back as %v, %v", x, s, java, err)
		}
	})
}
