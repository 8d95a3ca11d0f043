package bulk

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"syscall"
)

// Header is the column list of a result or query CSV, with case-insensitive
// lookup (Salesforce matches field names without regard to case).
type Header struct {
	names []string
	index map[string]int
}

// NewHeader builds a header from column names.
func NewHeader(names []string) *Header {
	h := &Header{names: names, index: make(map[string]int, len(names))}
	for i, n := range names {
		k := strings.ToLower(n)
		if _, dup := h.index[k]; !dup {
			h.index[k] = i
		}
	}
	return h
}

// Names returns the column names in order.
func (h *Header) Names() []string { return h.names }

// Index returns the position of the named column, or -1.
func (h *Header) Index(name string) int {
	if i, ok := h.index[strings.ToLower(name)]; ok {
		return i
	}
	return -1
}

// Row is one row of a CSV with its header. Values are as Salesforce rendered
// them: null is "" (Salesforce does not distinguish null from empty), numbers
// in Java Double.toString form, and so on; see the Parse* helpers and
// SameValue to compare them as typed values.
type Row struct {
	Header *Header
	Values []string
}

// Get returns the value of the named column (case-insensitive) and whether
// the row has that column.
func (r Row) Get(name string) (string, bool) {
	if r.Header == nil {
		return "", false
	}
	i := r.Header.Index(name)
	if i < 0 || i >= len(r.Values) {
		return "", false
	}
	return r.Values[i], true
}

// Map returns the row as a map from column name to value.
func (r Row) Map() map[string]string {
	m := make(map[string]string, len(r.Values))
	for i, n := range r.Header.Names() {
		if i < len(r.Values) {
			m[n] = r.Values[i]
		}
	}
	return m
}

// CSVReader streams the rows of a Salesforce CSV (result files, query
// results). The first line is the header.
type CSVReader struct {
	r      *csv.Reader
	closer io.Closer
	header *Header
	row    Row
	err    error
	done   bool
	n      int64

	inMem bool // rows served from mem (a REST page) instead of r
	mem   []Row

	// reopen fetches the same body again after the connection broke
	// mid-body; Next then skips the rows already read (reads are safe to
	// repeat, and result files and locator pages are stored: a second
	// fetch has the same rows in the same order). wait backs off before
	// attempt n; nil reopen: no resuming.
	reopen   func() (*CSVReader, error)
	wait     func(attempt int) error
	attempts int
	maxTries int
}

// transientRead reports a body read that failed because the connection
// broke, not because the data was bad.
func transientRead(err error) bool {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return false
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// resume replaces a broken body by a fresh copy positioned after the rows
// already read.
func (r *CSVReader) resume() bool {
	for r.reopen != nil && r.attempts < r.maxTries {
		r.attempts++
		if r.wait != nil && r.wait(r.attempts) != nil {
			return false
		}
		fresh, err := r.reopen()
		if err != nil {
			continue
		}
		if _, err := fresh.Header(); err != nil {
			fresh.Close()
			continue
		}
		ok := true
		for k := int64(0); k < r.n; k++ {
			if !fresh.Next() {
				ok = false
				break
			}
		}
		if !ok {
			fresh.Close()
			continue
		}
		if r.closer != nil {
			r.closer.Close()
		}
		r.r, r.closer, r.err, r.done = fresh.r, fresh.closer, nil, fresh.done
		return true
	}
	return false
}

// NewCSVReader reads CSV from rc, which it closes on Close.
func NewCSVReader(rc io.ReadCloser) *CSVReader {
	br := bufio.NewReaderSize(rc, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	return &CSVReader{r: cr, closer: rc}
}

// Header reads (once) and returns the header; nil for an empty body.
func (r *CSVReader) Header() (*Header, error) {
	if r.inMem {
		return r.header, nil
	}
	if r.header != nil || r.done {
		return r.header, r.err
	}
	names, err := r.r.Read()
	if err == io.EOF {
		r.done = true
		return nil, nil
	}
	if err != nil {
		r.err = fmt.Errorf("read CSV header: %w", err)
		r.done = true
		return nil, r.err
	}
	if len(names) == 1 && names[0] == "Records not found for this query" {
		// Bulk 1.0's body for a CSV query with no rows.
		r.done = true
		return nil, nil
	}
	r.header = NewHeader(names)
	return r.header, nil
}

// Next advances to the next row.
func (r *CSVReader) Next() bool {
	if r.inMem {
		if len(r.mem) == 0 {
			return false
		}
		r.row, r.mem = r.mem[0], r.mem[1:]
		r.n++
		return true
	}
	if _, err := r.Header(); err != nil || r.done {
		return false
	}
	vals, err := r.r.Read()
	if err == io.EOF {
		r.done = true
		return false
	}
	if err != nil && transientRead(err) && r.resume() {
		return r.Next()
	}
	if err != nil {
		r.err = fmt.Errorf("read CSV row %d: %w", r.n+1, err)
		r.done = true
		return false
	}
	r.n++
	r.row = Row{Header: r.header, Values: vals}
	return true
}

// Row returns the current row.
func (r *CSVReader) Row() Row { return r.row }

// Err returns the error that stopped Next, if any.
func (r *CSVReader) Err() error { return r.err }

// Close closes the underlying body.
func (r *CSVReader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	return err
}

// Record is one record to write: field API name → value. Relationship
// columns use Salesforce's names ("Account.External_Id__c",
// "Lead:Who.Email"). A field absent from the map is left unchanged.
type Record map[string]Value

// CSVHeader returns the header for records: the union of all their fields
// (never only the first record's), the given leading fields first, the
// rest sorted case-insensitively. Names that differ only in case are one
// column.
func CSVHeader(records []Record, leading ...string) []string {
	seen := map[string]bool{}
	var rest []string
	var head []string
	for _, l := range leading {
		k := strings.ToLower(l)
		if !seen[k] {
			seen[k] = true
			head = append(head, l)
		}
	}
	present := map[string]bool{}
	for _, r := range records {
		for name := range r {
			k := strings.ToLower(name)
			present[k] = true
			if !seen[k] {
				seen[k] = true
				rest = append(rest, name)
			}
		}
	}
	// Leading fields no record carries are dropped.
	out := head[:0]
	for _, h := range head {
		if present[strings.ToLower(h)] {
			out = append(out, h)
		}
	}
	sortFold(rest)
	return append(out, rest...)
}

func sortFold(s []string) {
	sort.Slice(s, func(i, j int) bool {
		a, b := strings.ToLower(s[i]), strings.ToLower(s[j])
		if a != b {
			return a < b
		}
		return s[i] < s[j]
	})
}

// WriteCSV writes records as Bulk API CSV: the header, then one line per
// record; "#N/A" for null, an empty cell for a field the record does not
// carry (unchanged), LF line ends, no byte-order mark, quotes only where
// needed.
func WriteCSV(w io.Writer, header []string, records []Record) error {
	bw := bufio.NewWriter(w)
	writeCSVLine(bw, header)
	lower := make([]string, len(header))
	for i, h := range header {
		lower[i] = strings.ToLower(h)
	}
	cells := make([]string, len(header))
	for _, r := range records {
		byLower := make(map[string]Value, len(r))
		for k, v := range r {
			byLower[strings.ToLower(k)] = v
		}
		for i, k := range lower {
			if v, ok := byLower[k]; ok {
				cells[i] = v.String()
			} else {
				cells[i] = ""
			}
		}
		writeCSVLine(bw, cells)
	}
	return bw.Flush()
}

func writeCSVLine(w *bufio.Writer, cells []string) {
	for i, c := range cells {
		if i > 0 {
			w.WriteByte(',')
		}
		writeCSVCell(w, c)
	}
	w.WriteByte('\n')
}

// csvCellLen is the number of bytes writeCSVCell writes for s.
func csvCellLen(s string) int {
	if !needsQuotes(s) {
		return len(s)
	}
	return len(s) + 2 + strings.Count(s, `"`)
}

func needsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if strings.ContainsAny(s, ",\"\r\n") {
		return true
	}
	return s[0] == ' ' || s[len(s)-1] == ' ' || s[0] == '\t' || s[len(s)-1] == '\t'
}

func writeCSVCell(w *bufio.Writer, s string) {
	if !needsQuotes(s) {
		w.WriteString(s)
		return
	}
	w.WriteByte('"')
	w.WriteString(strings.ReplaceAll(s, `"`, `""`))
	w.WriteByte('"')
}

func bufioReader(r io.Reader) *bufio.Reader {
	if br, ok := r.(*bufio.Reader); ok {
		return br
	}
	return bufio.NewReaderSize(r, 64<<10)
}
