package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sfsync/sfsync/internal/conformance"
)

// recording is one recorded describe body and how it was captured.
type recording struct {
	file     string
	body     []byte // the describe itself (unwrapped from a composite response)
	version  string // the API version it was recorded at
	scrubbed bool   // versions in its URLs were replaced by "vxx.0"
	instance string // the org's URL in its ui* urls
}

// recordedDescribes returns every object describe in the conformance corpus.
func recordedDescribes(t testing.TB) []recording {
	t.Helper()
	const grouparoo = "https://d4s000000oz4euaa-dev-ed.my.salesforce.com"
	recs := []recording{
		{file: "describe/account-v42.json", version: "42.0", instance: grouparoo},
		{file: "describe/contact-v42.json", version: "42.0", instance: grouparoo},
		{file: "describe/lead-v42.json", version: "42.0", instance: grouparoo},
		{file: "describe/topic-v42.json", version: "42.0", instance: grouparoo},
		{file: "describe/case-scrubbed.json", version: "48.0", instance: "https://data-platform-9432-dev-ed.cs40.my.salesforce.com"},
		// The scrubbed ones carry the associate* keys, so they are v52.0 or
		// later; we render them at 60.0.
		{file: "describe/opportunity-scrubbed.json", version: "60.0", scrubbed: true, instance: "https://orgname.my.salesforce.com"},
		{file: "describe/custom-object-custom__c-scrubbed.json", version: "60.0", scrubbed: true},
		{file: "describe/composite-describe-account-sampled-v60.json", version: "60.0"},
		{file: "describe/composite-describe-custom-object-v60.json", version: "60.0"},
	}
	if got := len(conformance.List("describe")) - 1; got != len(recs) { // minus the global describe
		t.Fatalf("the corpus has %d object describes, the test knows %d: add the new ones", got, len(recs))
	}
	for i := range recs {
		body := conformance.Read(recs[i].file)
		if strings.Contains(recs[i].file, "composite") {
			var c struct {
				CompositeResponse []struct{ Body json.RawMessage } `json:"compositeResponse"`
			}
			if err := json.Unmarshal(body, &c); err != nil || len(c.CompositeResponse) != 1 {
				t.Fatalf("%s: not a composite response with one describe: %v", recs[i].file, err)
			}
			body = c.CompositeResponse[0].Body
		}
		recs[i].body = body
	}
	return recs
}

// TestRenderRecordedDescribes parses every recorded describe and renders it
// at the version it was recorded at: the result must be the recording —
// same keys in the same order, same values.
func TestRenderRecordedDescribes(t *testing.T) {
	for _, rec := range recordedDescribes(t) {
		t.Run(rec.file, func(t *testing.T) {
			o, err := ParseDescribe(rec.body)
			if err != nil {
				t.Fatal(err)
			}
			got, err := RenderDescribe(o, rec.version, RenderOptions{InstanceURL: rec.instance})
			if err != nil {
				t.Fatal(err)
			}
			if rec.scrubbed {
				got = bytes.ReplaceAll(got, []byte("/v"+rec.version+"/"), []byte("/vxx.0/"))
			}
			got = withoutQuirks(rec, got)
			want := rec.body
			if diff := cmp.Diff(keyPaths(t, want), keyPaths(t, got)); diff != "" {
				t.Errorf("key order differs (-recorded +rendered):\n%s", diff)
			}
			if diff := cmp.Diff(decode(t, want), decode(t, got)); diff != "" {
				t.Errorf("values differ (-recorded +rendered):\n%s", diff)
			}
		})
	}
}

// TestRenderVersionKeySets renders one object at the versions of the
// recordings and checks it has exactly their key sets, at every level.
func TestRenderVersionKeySets(t *testing.T) {
	recs := recordedDescribes(t)
	o, err := ParseDescribe(recs[0].body) // Account v42.0
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if len(decode(t, rec.body).(map[string]any)["fields"].([]any)) == 0 {
			continue
		}
		got, err := RenderDescribe(o, rec.version, RenderOptions{InstanceURL: "http://127.0.0.1:8765"})
		if err != nil {
			t.Fatal(err)
		}
		got = withoutQuirks(rec, got)
		want := rec.body
		w, g := keySet(t, want), keySet(t, got)
		comparable(w, g)
		if diff := cmp.Diff(w, g); diff != "" {
			t.Errorf("Account at %s: key set differs from %s (-recorded +rendered):\n%s", rec.version, rec.file, diff)
		}
	}
}

// keyPaths lists the object keys of a JSON document in document order, each
// with its path ("fields[3].name").
func keyPaths(t *testing.T, data []byte) []string {
	t.Helper()
	var out []string
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var read func(path string) error
	read = func(path string) error {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			for d.More() {
				k, err := d.Token()
				if err != nil {
					return err
				}
				p := path + "." + k.(string)
				out = append(out, p)
				if err := read(p); err != nil {
					return err
				}
			}
			_, err = d.Token()
			return err
		case json.Delim('['):
			for i := 0; d.More(); i++ {
				if err := read(fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
			_, err = d.Token()
			return err
		}
		return nil
	}
	if err := read(""); err != nil {
		t.Fatalf("reading JSON: %v", err)
	}
	return out
}

// comparable drops from two key sets what depends on the object rather than
// on the version: the urls an object has, and the keys inside containers
// (picklist entries, child relationships, …) that only one of them has.
func comparable(a, b map[string]bool) {
	parent := func(p string) string { return p[:strings.LastIndex(p, ".")] }
	has := func(set map[string]bool, container string) bool {
		for p := range set {
			if parent(p) == container {
				return true
			}
		}
		return false
	}
	for _, set := range []map[string]bool{a, b} {
		for p := range set {
			c := parent(p)
			if strings.HasPrefix(p, ".urls.") || c != "" && !(has(a, c) && has(b, c)) {
				delete(set, p)
			}
		}
	}
}

// keySet is keyPaths with array indexes dropped and duplicates removed.
func keySet(t *testing.T, data []byte) map[string]bool {
	set := map[string]bool{}
	for _, p := range keyPaths(t, data) {
		var b strings.Builder
		skip := false
		for _, r := range p {
			switch {
			case r == '[':
				skip = true
				b.WriteString("[]")
			case r == ']':
				skip = false
			case !skip:
				b.WriteRune(r)
			}
		}
		set[strings.TrimSpace(b.String())] = true
	}
	return set
}

func decode(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decoding JSON: %v", err)
	}
	return normaliseNumbers(v)
}

// normaliseNumbers turns numbers into float64 so that 1 and 1.0 compare
// equal: the recordings were re-serialised by tools that may have changed
// number spelling.
func normaliseNumbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		f, _ := v.Float64()
		return f
	case []any:
		for i := range v {
			v[i] = normaliseNumbers(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = normaliseNumbers(v[k])
		}
	}
	return v
}

// withoutQuirks adjusts a rendering for two recordings that differ from
// what Salesforce sends: the v48.0 Case recording alone lacks
// sobjectDescribeOption (see objectProps), and the author of the sampled
// Account describe emptied its urls into a list.
func withoutQuirks(rec recording, rendered []byte) []byte {
	switch rec.file {
	case "describe/case-scrubbed.json":
		return bytes.Replace(rendered, []byte(`"sobjectDescribeOption":"FULL",`), nil, 1)
	case "describe/composite-describe-account-sampled-v60.json":
		return bytes.Replace(rendered, []byte(`"urls":{}}`), []byte(`"urls":[]}`), 1)
	}
	return rendered
}

// TestRenderGlobal renders the global describe at the recorded version and
// compares the entries of the objects both have with the recording: same
// keys in the same order, same values.
func TestRenderGlobal(t *testing.T) {
	got, err := RenderGlobal(Standard(), "52.0")
	if err != nil {
		t.Fatal(err)
	}
	rec := conformance.Read("describe/global-describe-subset-scrubbed.json")
	var wantDoc, gotDoc struct {
		Encoding     string            `json:"encoding"`
		MaxBatchSize int               `json:"maxBatchSize"`
		Sobjects     []json.RawMessage `json:"sobjects"`
	}
	if err := json.Unmarshal(rec, &wantDoc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &gotDoc); err != nil {
		t.Fatalf("rendered global describe is not JSON: %v", err)
	}
	if diff := cmp.Diff(keyPaths(t, rec)[:3], keyPaths(t, got)[:3]); diff != "" {
		t.Errorf("top-level keys (-recorded +rendered):\n%s", diff)
	}
	if gotDoc.Encoding != "UTF-8" || gotDoc.MaxBatchSize != 200 {
		t.Errorf("encoding %q maxBatchSize %d", gotDoc.Encoding, gotDoc.MaxBatchSize)
	}
	byName := func(entries []json.RawMessage) map[string]json.RawMessage {
		m := map[string]json.RawMessage{}
		for _, e := range entries {
			var n struct{ Name string }
			json.Unmarshal(e, &n)
			m[n.Name] = e
		}
		return m
	}
	want, have := byName(wantDoc.Sobjects), byName(gotDoc.Sobjects)
	compared := 0
	for name, w := range want {
		g, ok := have[name]
		if !ok {
			continue
		}
		compared++
		if name == "Lead" {
			// The recording's Lead entry has keyPrefix null, which no
			// Lead has (its describe says 00Q): a scrubbing artefact.
			w = bytes.Replace(w, []byte(`"keyPrefix": null`), []byte(`"keyPrefix": "00Q"`), 1)
		}
		if diff := cmp.Diff(keyPaths(t, w), keyPaths(t, g)); diff != "" {
			t.Errorf("%s: key order (-recorded +rendered):\n%s", name, diff)
		}
		if diff := cmp.Diff(decode(t, w), decode(t, g)); diff != "" {
			t.Errorf("%s: values (-recorded +rendered):\n%s", name, diff)
		}
	}
	if compared != 8 {
		t.Errorf("compared %d objects with the recording, want 8", compared)
	}
	var names []string
	for _, e := range gotDoc.Sobjects {
		var n struct{ Name string }
		json.Unmarshal(e, &n)
		names = append(names, n.Name)
	}
	if !sort.SliceIsSorted(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) }) {
		t.Errorf("sobjects not sorted by name: %v", names)
	}
}

// TestRenderGolden keeps renderings of the global describe and of a few
// describes under testdata/golden, indented so that changes read well in a
// diff (indenting keeps the key order). go test -update rewrites them.
func TestRenderGolden(t *testing.T) {
	s := Standard()
	if _, err := s.AddCustom([]byte(widget)); err != nil {
		t.Fatal(err)
	}
	opt := RenderOptions{InstanceURL: "http://127.0.0.1:8765"}
	renders := map[string]func() ([]byte, error){
		"global-v60.0.json":         func() ([]byte, error) { return RenderGlobal(s, "60.0") },
		"global-v42.0.json":         func() ([]byte, error) { return RenderGlobal(s, "42.0") },
		"Account-v60.0.json":        func() ([]byte, error) { return RenderDescribe(s.Object("Account"), "60.0", opt) },
		"PricebookEntry-v60.0.json": func() ([]byte, error) { return RenderDescribe(s.Object("PricebookEntry"), "60.0", opt) },
		"Widget__c-v60.0.json":      func() ([]byte, error) { return RenderDescribe(s.Object("Widget__c"), "60.0", opt) },
		"Widget__c-v42.0.json":      func() ([]byte, error) { return RenderDescribe(s.Object("Widget__c"), "42.0", opt) },
	}
	for name, render := range renders {
		got, err := render()
		if err != nil {
			t.Fatal(err)
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, got, "", "  "); err != nil {
			t.Fatalf("%s: rendering is not JSON: %v", name, err)
		}
		pretty.WriteByte('\n')
		path := filepath.Join("testdata", "golden", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if diff := cmp.Diff(string(want), pretty.String()); diff != "" {
			t.Errorf("%s differs from the golden file (-want +got); go test -update rewrites it:\n%s", name, diff)
		}
	}
}
