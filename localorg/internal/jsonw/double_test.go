package jsonw

import (
	"encoding/json"
	"math"
	"testing"
)

// Doubles are written inside JSON documents as Java's Double.toString
// writes them (sfvalue.AppendDouble, which the field codec uses too).
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
