package sfcsv

import (
	"errors"
	"testing"
)

// FuzzReader checks that any input either parses or yields an *Error
// (never a panic or a hang), and that what parses survives a round trip
// through the writer.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"Name,Phone\nAcme,123\n",
		"a\n\"x, \"\"y\"\"\nz\"\n",
		"a,b\r\n1,2\r\n",
		"a\nx\"y\n",
		"\"unclosed\n",
		"\"x\" ,y\n",
		"NAME`TYPE\nAcme`Customer",
		"\n\n\n",
		"\ufeffName\n#N/A\n",
	} {
		f.Add([]byte(s), byte(','), false)
	}
	f.Add([]byte("a\tb\n1\t2"), byte('\t'), true)
	f.Fuzz(func(t *testing.T, data []byte, delim byte, crlf bool) {
		if delim == '"' || delim == '\n' || delim == '\r' {
			t.Skip()
		}
		le := LF
		if crlf {
			le = CRLF
		}
		r := NewReader(data, delim, le)
		var records [][]string
		for n := 0; ; n++ {
			if n > len(data)+1 {
				t.Fatal("reader does not advance")
			}
			cells, _, err := r.Read()
			if errors.Is(err, ErrEOF) {
				break
			}
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				continue
			}
			records = append(records, append([]string(nil), cells...))
		}
		w := NewWriter(delim, le)
		for _, rec := range records {
			w.Record(rec...)
		}
		back := NewReader(w.Bytes(), delim, le)
		for i, want := range records {
			got, _, err := back.Read()
			if err != nil {
				t.Fatalf("record %d: re-reading written CSV: %v", i, err)
			}
			if len(got) != len(want) {
				t.Fatalf("record %d: %q became %q", i, want, got)
			}
			for j := range want {
				w := want[j]
				if le == CRLF && j == len(want)-1 {
					// A trailing CR cannot survive CRLF framing either way.
					w = trimCR(w)
				}
				if trimCR(got[j]) != trimCR(w) {
					t.Fatalf("record %d cell %d: %q became %q", i, j, want[j], got[j])
				}
			}
		}
	})
}

func trimCR(s string) string {
	for len(s) > 0 && s[len(s)-1] == '\r' {
		s = s[:len(s)-1]
	}
	return s
}
