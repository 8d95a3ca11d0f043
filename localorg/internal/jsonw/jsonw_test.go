package jsonw

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sfsync/sfsync/internal/conformance"
)

func TestPrettyMatchesJackson(t *testing.T) {
	// Every Bulk 2.0 body recorded byte-exact from a real org is Jackson
	// pretty output: decoding it and writing it again must give the same bytes.
	for _, name := range []string{
		"bulk2/ingest-job-create-upsert-open-v59.json",
		"bulk2/ingest-job-info-failed-invalidbatch-v59.json",
		"bulk2/query-job-create-uploadcomplete-v59.json",
		"oauth/token-refresh-success-2016-pretty.json",
		"describe/opportunity-scrubbed.json",
		"limits/limits-2019-developer-edition.json",
	} {
		t.Run(name, func(t *testing.T) {
			body := conformance.Read(name)
			v, err := Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			want := string(trimNL(body))
			got := string(Pretty(v))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("pretty output differs from the recording (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompactKeepsOrderAndNumbers(t *testing.T) {
	o := Object{}.Add("z", 1).Add("a", Number("60.0")).Add("m", []any{nil, true, "x\"\n/é"}).Add("e", Object{}).Add("l", []any{})
	got := string(Compact(o))
	want := `{"z":1,"a":60.0,"m":[null,true,"x\"\n/é"],"e":{},"l":[]}`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	gotPretty := string(Pretty(o))
	wantPretty := "{\n  \"z\" : 1,\n  \"a\" : 60.0,\n  \"m\" : [ null, true, \"x\\\"\\n/é\" ],\n  \"e\" : { },\n  \"l\" : [ ]\n}"
	if gotPretty != wantPretty {
		t.Errorf("got %s, want %s", gotPretty, wantPretty)
	}
}

func TestRawIsReindented(t *testing.T) {
	o := Object{}.Add("r", Raw(`{"b":[{"x":1}],"a":null}`))
	want := "{\n  \"r\" : {\n    \"b\" : [ {\n      \"x\" : 1\n    } ],\n    \"a\" : null\n  }\n}"
	if got := string(Pretty(o)); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got := string(Compact(o)); got != `{"r":{"b":[{"x":1}],"a":null}}` {
		t.Errorf("compact raw: %s", got)
	}
}

func TestDecodeRejectsTrailingData(t *testing.T) {
	if _, err := Decode([]byte(`{} {}`)); err == nil {
		t.Error("want an error for two top-level values")
	}
	if _, err := Decode([]byte(`{"a":`)); err == nil {
		t.Error("want an error for truncated input")
	}
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
