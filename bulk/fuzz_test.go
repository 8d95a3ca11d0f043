package bulk

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// What WriteCSV writes, CSVReader reads back unchanged.
func FuzzCSVRoundTrip(f *testing.F) {
	f.Add("Acme, Inc.", "says \"hi\"\nbye", " padded ")
	f.Add("", "#N/A", "\r\n")
	f.Add("a\"b", ",", "é€")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		for _, s := range []string{a, b, c} {
			if strings.ContainsRune(s, '\r') || !utf8Valid(s) {
				return // encoding/csv turns \r\n into \n inside quotes
			}
		}
		recs := []Record{{"A": Text(a), "B": Text(b)}, {"C": Text(c), "A": Text(c)}}
		h := CSVHeader(recs)
		var buf bytes.Buffer
		if err := WriteCSV(&buf, h, recs); err != nil {
			t.Fatal(err)
		}
		cr := NewCSVReader(io.NopCloser(&buf))
		for _, rec := range recs {
			if !cr.Next() {
				t.Fatalf("row missing: %v", cr.Err())
			}
			for _, name := range h {
				got, _ := cr.Row().Get(name)
				want := ""
				if v, ok := rec[name]; ok {
					want = v.String()
				}
				if got != want {
					t.Fatalf("%s: got %q, want %q", name, got, want)
				}
			}
		}
		if cr.Next() {
			t.Fatal("extra row")
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// ParseRecordErrors never panics and keeps every code it finds.
func FuzzParseRecordErrors(f *testing.F) {
	f.Add("REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --")
	f.Add("ENTITY_IS_DELETED:entity is deleted:--")
	f.Add("A:b:-- C:d:e --")
	f.Fuzz(func(t *testing.T, s string) {
		errs := ParseRecordErrors(s)
		if strings.TrimSpace(s) != "" && len(errs) == 0 {
			t.Fatalf("%q: no error parsed", s)
		}
		for _, e := range errs {
			if e.StatusCode != "" && !looksLikeCode(e.StatusCode+":") {
				t.Fatalf("%q: bad code %q", s, e.StatusCode)
			}
		}
	})
}

// Canonical is idempotent: a canonical form is its own canonical form.
func FuzzCanonical(f *testing.F) {
	f.Add(uint8(KindNumber), "9.12260031E8")
	f.Add(uint8(KindDateTime), "2021-12-03T17:59:20.000+0000")
	f.Add(uint8(KindText), "0014S000007Nxml")
	f.Add(uint8(KindID), "0014S000007Nxml")
	f.Add(uint8(KindInteger), "2.676E3")
	f.Add(uint8(KindMultiPicklist), "B;A;;A")
	f.Fuzz(func(t *testing.T, k uint8, s string) {
		kind := Kind(k%uint8(kindEnd-1) + 1)
		c := Canonical(kind, s)
		if Canonical(kind, c) != c {
			t.Fatalf("%v %q: %q then %q", kind, s, c, Canonical(kind, c))
		}
	})
}
