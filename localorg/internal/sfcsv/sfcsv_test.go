package sfcsv

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sfsync/sfsync/internal/conformance"
)

type rec struct {
	Cells []string
	Raw   string
}

func readAll(t *testing.T, data string, delim byte, le LineEnding) ([]rec, error) {
	t.Helper()
	r := NewReader([]byte(data), delim, le)
	var out []rec
	for {
		cells, raw, err := r.Read()
		if errors.Is(err, ErrEOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, rec{append([]string(nil), cells...), string(raw)})
	}
}

func TestRead(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		delim byte
		le    LineEnding
		want  []rec
		err   string
	}{
		{"simple", "Name,Phone\nAcme,123\n", ',', LF, []rec{{[]string{"Name", "Phone"}, "Name,Phone"}, {[]string{"Acme", "123"}, "Acme,123"}}, ""},
		{"no trailing newline", "a,b\n1,2", ',', LF, []rec{{[]string{"a", "b"}, "a,b"}, {[]string{"1", "2"}, "1,2"}}, ""},
		{"empty cells", "a,b,c\n,,\n", ',', LF, []rec{{[]string{"a", "b", "c"}, "a,b,c"}, {[]string{"", "", ""}, ",,"}}, ""},
		{"quoted with comma newline and quote", "a\n\"x, \"\"y\"\"\nz\"\n", ',', LF, []rec{{[]string{"a"}, "a"}, {[]string{"x, \"y\"\nz"}, "\"x, \"\"y\"\"\nz\""}}, ""},
		{"no trimming", "a,b\n John, Smith\n", ',', LF, []rec{{[]string{"a", "b"}, "a,b"}, {[]string{" John", " Smith"}, " John, Smith"}}, ""},
		{"LF keeps CR", "Name,Phone\r\nAcme,1\r\n", ',', LF, []rec{{[]string{"Name", "Phone\r"}, "Name,Phone\r"}, {[]string{"Acme", "1\r"}, "Acme,1\r"}}, ""},
		{"CRLF strips CR", "Name,Phone\r\nAcme,\"1\"\r\n", ',', CRLF, []rec{{[]string{"Name", "Phone"}, "Name,Phone"}, {[]string{"Acme", "1"}, "Acme,\"1\""}}, ""},
		{"blank lines skipped", "a\n\n1\n\n", ',', LF, []rec{{[]string{"a"}, "a"}, {[]string{"1"}, "1"}}, ""},
		{"backquote", "NAME`TYPE\nAcme`Customer\n", '`', LF, []rec{{[]string{"NAME", "TYPE"}, "NAME`TYPE"}, {[]string{"Acme", "Customer"}, "Acme`Customer"}}, ""},
		{"tab", "a\tb\n1\t\"2\t3\"\n", '\t', LF, []rec{{[]string{"a", "b"}, "a\tb"}, {[]string{"1", "2\t3"}, "1\t\"2\t3\""}}, ""},
		{"quote inside unquoted", "a\nx\"y\n", ',', LF, []rec{{[]string{"a"}, "a"}}, "line 2: " + MsgUnescapedQuote},
		{"space after quote", "a,b\n\"x\" ,y\n", ',', LF, []rec{{[]string{"a", "b"}, "a,b"}}, "line 2: " + MsgTextAfterQuote},
		{"unclosed quote", "a\n\"xyz\n", ',', LF, []rec{{[]string{"a"}, "a"}}, "line 2: " + MsgUnclosedQuote},
		{"BOM kept", "\ufeffName\nx\n", ',', LF, []rec{{[]string{"\ufeffName"}, "\ufeffName"}, {[]string{"x"}, "x"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(t, tt.data, tt.delim, tt.le)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.err {
				t.Errorf("error %q, want %q", gotErr, tt.err)
			}
		})
	}
}

func TestReadContinuesAfterMalformedRecord(t *testing.T) {
	r := NewReader([]byte("a\nx\"y\nok\n"), ',', LF)
	r.Read()
	if _, _, err := r.Read(); err == nil {
		t.Fatal("want an error for the malformed record")
	}
	cells, _, err := r.Read()
	if err != nil || len(cells) != 1 || cells[0] != "ok" {
		t.Fatalf("after the malformed record got %q, %v", cells, err)
	}
}

func TestReadRecordedRequests(t *testing.T) {
	// Request bodies real clients sent must parse. Bulk 1.0 accepts either
	// line ending, which CRLF mode does; Bulk 2.0 files here are LF.
	for _, name := range append(conformance.List("bulk1", "request-batch", ".csv"), conformance.List("bulk2", "request-", ".csv")...) {
		le := LF
		if strings.HasPrefix(name, "bulk1/") {
			le = CRLF
		}
		got, err := readAll(t, string(conformance.Read(name)), ',', le)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(got) < 2 {
			t.Errorf("%s: %d records, want a header and rows", name, len(got))
		}
		for i, r := range got[1:] {
			if len(r.Cells) != len(got[0].Cells) {
				t.Errorf("%s: record %d has %d cells, header %d", name, i+1, len(r.Cells), len(got[0].Cells))
			}
		}
	}
}

func TestWriterMatchesRecordedResults(t *testing.T) {
	// A recorded failedResults file: quoted generated header cells, the
	// uploaded header echoed verbatim, every value quoted.
	want := string(conformance.Read("bulk2/ingest-failedresults-invalid-date-v59.csv"))
	w := NewWriter(',', LF)
	w.Quoted("sf__Id", true)
	w.Quoted("sf__Error", false)
	for _, h := range []string{"Name", "StageName", "external_id__c", "CloseDate"} {
		w.Verbatim(h, false)
	}
	w.End()
	w.Record("", "INVALID_FIELD:Failed to deserialize field at col 3. Due to, '2003-04-987654321987654321' is not a valid value for the type xsd:date:CloseDate --", "Noemi Miller", "GENERATED", "external-id-3", "2003-04-987654321987654321")
	got := string(w.Bytes())
	if got != want && got != want+"\n" {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestEncode(t *testing.T) {
	for _, tt := range []struct {
		cells []string
		want  string
	}{
		{[]string{"a", "b"}, "a,b"},
		{[]string{"a,b", "c\"d", "e\nf", ""}, "\"a,b\",\"c\"\"d\",\"e\nf\","},
		{[]string{""}, `""`},
	} {
		if got := Encode(tt.cells, ','); got != tt.want {
			t.Errorf("Encode(%q) = %q, want %q", tt.cells, got, tt.want)
		}
	}
}
