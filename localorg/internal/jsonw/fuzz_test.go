package jsonw

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecode checks that Decode accepts exactly what encoding/json
// accepts, and that Compact and Pretty write what it read.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":[true,null,"x"],"c":{}}`,
		`[ { "id" : "750", "apiVersion" : 60.0 } ]`,
		`"\u00e9\n\"\\"`,
		`1e400`,
		`{"a":1}{"b":2}`,
		`{"a":`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Decode(data)
		var std any
		stdErr := json.Unmarshal(data, &std)
		if (err == nil) != (stdErr == nil) {
			// encoding/json rejects numbers it cannot hold as float64; we
			// keep them verbatim.
			if err == nil && stdErr != nil {
				if _, ok := stdErr.(*json.UnmarshalTypeError); ok {
					return
				}
			}
			t.Fatalf("Decode error %v, encoding/json error %v for %q", err, stdErr, data)
		}
		if err != nil {
			return
		}
		for _, out := range [][]byte{Compact(v), Pretty(v)} {
			var back any
			if err := json.Unmarshal(out, &back); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(back, std) {
				t.Fatalf("round trip changed the value:\n%s\n%s", data, out)
			}
		}
	})
}
