package schema

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCompactRoundTrip compacts every recorded describe and parses it back:
// the object must render exactly as before (child relationships aside,
// which a compact file leaves to the Schema), and compacting again must
// give the same bytes.
func TestCompactRoundTrip(t *testing.T) {
	for _, rec := range recordedDescribes(t) {
		t.Run(rec.file, func(t *testing.T) {
			o, err := ParseDescribe(rec.body)
			if err != nil {
				t.Fatal(err)
			}
			c := compactObject(o, nil)
			if len(c) >= len(rec.body) && len(o.Fields) > 3 {
				t.Errorf("compact form is %d bytes, the recording %d", len(c), len(rec.body))
			}
			o2, err := ParseDescribe(c)
			if err != nil {
				t.Fatalf("parsing the compact form: %v\n%s", err, c)
			}
			o2.ChildRelationships = o.ChildRelationships
			for _, v := range []string{"42.0", "60.0"} {
				want, _ := RenderDescribe(o, v, RenderOptions{InstanceURL: rec.instance})
				got, _ := RenderDescribe(o2, v, RenderOptions{InstanceURL: rec.instance})
				if diff := cmp.Diff(decode(t, want), decode(t, got)); diff != "" {
					t.Errorf("at %s (-original +round trip):\n%s", v, diff)
				}
			}
			if c2 := compactObject(o2, nil); !bytes.Equal(c, c2) {
				t.Errorf("compacting twice differs:\n%s", cmp.Diff(string(c), string(c2)))
			}
		})
	}
}
