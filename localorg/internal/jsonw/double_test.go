package jsonw

import (
	"encoding/json"
	"math"
	"testing"
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
		{-1500.25, "-1500.25"},
		{0.001, "0.001"},
		{0.0001, "1.0E-4"},
		{0.00012345, "1.2345E-4"},
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
	}
}

// Doubles are written the same way inside JSON documents: the writer and
// the field codec (which uses AppendDouble) cannot disagree.
func TestDoublesInDocuments(t *testing.T) {
	o := Object{}.Add("AnnualRevenue", 912260031.0).Add("r", []any{1500.0, 0.5, 1e-4, math.NaN()}).Add("c", "\x1f")
	if got, want := string(Compact(o)), `{"AnnualRevenue":9.12260031E8,"r":[1500.0,0.5,1.0E-4,null],"c":"\u001F"}`; got != want {
		t.Errorf("compact %s, want %s", got, want)
	}
	if got, want := string(Pretty(map[string]any{"b": 90000000.0, "a": json1()})), "{\n  \"a\" : {\n    \"x\" : 1\n  },\n  \"b\" : 9.0E7\n}"; got != want {
		t.Errorf("pretty %s, want %s", got, want)
	}
}

func json1() json.RawMessage { return json.RawMessage(`{ "x" : 1 }`) }
