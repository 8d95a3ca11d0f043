package hcl

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"iter"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// CSVSource is one records_csv file of an object. Its rows are streamed
// by Rows, never held in memory.
type CSVSource struct {
	Object  string
	Path    string // as written, relative to Config.Dir
	Columns []CSVColumn
	// RowCount is the number of data rows, counted while loading; -1 when
	// the load skipped the rows (LoadOptions.SkipCSVRows).
	RowCount int
	Range    hclv2.Range // the path in records_csv

	abs     string
	keyCols []int // the column of each key field, in key order
}

// CSVColumn is one column of a records_csv header.
type CSVColumn struct {
	Name string // the header cell
	// Field is the field the column sets: Name for a plain column; for a
	// relationship column such as Product2.ProductCode the lookup field
	// that Salesforce's naming gives the relationship, Product2Id
	// (Parent__r.Ext__c sets Parent__c). The planner confirms it with
	// describe.
	Field string
	// Relationship and ParentField are set for a relationship column,
	// which names the parent record by the value of one of its fields:
	// Product2.ProductCode has Relationship "Product2" and ParentField
	// "ProductCode". Its cells are parent key values, not Ids.
	Relationship string
	ParentField  string
	Key          bool // the column sets one of the object's key fields
}

// Row is one data row of a records_csv file. Rows reuses it: it is valid
// until the loop moves on.
type Row struct {
	Source *CSVSource
	Number int   // 1 for the first row after the header
	Line   int   // the file line the row starts on
	Offset int64 // the byte offset the row starts at
	Addr   Address
	// Cells are parallel to Source.Columns. An empty cell is null: the
	// field is cleared. A field without a column is not managed.
	Cells []string

	pos []cellPos
}

type cellPos struct{ line, col int }

// Value returns the cell of column i and whether it is null (empty).
func (r *Row) Value(i int) (string, bool) { return r.Cells[i], r.Cells[i] == "" }

// KeyValues returns the row's key values in key order.
func (r *Row) KeyValues() []string {
	out := make([]string, len(r.Source.keyCols))
	for i, c := range r.Source.keyCols {
		out[i] = r.Cells[c]
	}
	return out
}

// CellRange is the source range of column i's cell, for diagnostics.
func (r *Row) CellRange(i int) hclv2.Range {
	return r.Source.cellRange(r.Offset, r.Line, r.pos[i], len(r.Cells[i]))
}

func (s *CSVSource) cellRange(rowOffset int64, rowLine int, p cellPos, n int) hclv2.Range {
	b := int(rowOffset)
	if p.line == rowLine {
		b += p.col - 1
	}
	return hclv2.Range{
		Filename: s.Path,
		Start:    hclv2.Pos{Line: p.line, Column: p.col, Byte: b},
		End:      hclv2.Pos{Line: p.line, Column: p.col + max(n, 1), Byte: b + max(n, 1)},
	}
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// csvReader opens the file and positions it after the header.
type csvReader struct {
	f      *os.File
	cr     *csv.Reader
	bom    int64
	header []string
	hpos   []cellPos
}

func openCSV(abs string) (*csvReader, error) {
	f, err := os.Open(abs)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(f, 256<<10)
	r := &csvReader{f: f}
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, utf8BOM) {
		br.Discard(3)
		r.bom = 3
	}
	r.cr = csv.NewReader(br)
	r.cr.ReuseRecord = true
	r.cr.FieldsPerRecord = -1
	h, err := r.cr.Read()
	if err != nil {
		f.Close()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty: it needs a header line naming the fields")
		}
		return nil, err
	}
	r.header = slices.Clone(h)
	for i := range h {
		l, c := r.cr.FieldPos(i)
		r.hpos = append(r.hpos, cellPos{l, c})
	}
	return r, nil
}

func (r *csvReader) Close() error { return r.f.Close() }

// Rows streams the data rows. A bad row yields diagnostics (file, line,
// column) instead of a row, and the scan goes on; a CSV syntax error ends
// it.
func (s *CSVSource) Rows() iter.Seq2[*Row, hclv2.Diagnostics] {
	return func(yield func(*Row, hclv2.Diagnostics) bool) {
		r, err := openCSV(s.abs)
		if err != nil {
			yield(nil, hclv2.Diagnostics{{Severity: hclv2.DiagError, Summary: "Cannot read records_csv", Detail: fmt.Sprintf("%s: %v.", s.Path, err), Subject: s.Range.Ptr()}})
			return
		}
		defer r.Close()
		if !slices.Equal(r.header, s.columnNames()) {
			yield(nil, hclv2.Diagnostics{{Severity: hclv2.DiagError, Summary: "records_csv changed", Detail: fmt.Sprintf("The header of %s changed after the configuration was loaded.", s.Path), Subject: s.Range.Ptr()}})
			return
		}
		row := &Row{Source: s}
		for {
			off := r.cr.InputOffset() + r.bom
			rec, err := r.cr.Read()
			if errors.Is(err, io.EOF) {
				return
			}
			row.Number++
			if err != nil {
				var pe *csv.ParseError
				rng := hclv2.Range{Filename: s.Path, Start: hclv2.Pos{Line: 1, Column: 1, Byte: int(off)}}
				msg := err.Error()
				if errors.As(err, &pe) {
					rng.Start = hclv2.Pos{Line: pe.Line, Column: pe.Column, Byte: int(off)}
					msg = pe.Err.Error()
				}
				rng.End = rng.Start
				yield(nil, hclv2.Diagnostics{{Severity: hclv2.DiagError, Summary: "Invalid CSV", Detail: fmt.Sprintf("%s row %d (line %d): %s. The rest of the file is not read.", s.Path, row.Number, rng.Start.Line, msg), Subject: &rng}})
				return
			}
			line, _ := r.cr.FieldPos(0)
			row.Line, row.Offset, row.Cells = line, off, rec
			row.pos = row.pos[:0]
			for i := range rec {
				l, c := r.cr.FieldPos(i)
				row.pos = append(row.pos, cellPos{l, c})
			}
			if diags := s.checkRow(row); diags != nil {
				if !yield(nil, diags) {
					return
				}
				continue
			}
			var key string
			if len(s.keyCols) == 1 {
				key = rec[s.keyCols[0]]
			} else {
				var b strings.Builder
				for i, c := range s.keyCols {
					if i > 0 {
						b.WriteString(KeySeparator)
					}
					b.WriteString(rec[c])
				}
				key = b.String()
			}
			row.Addr = Address{Object: s.Object, Label: CSVLabel, Key: key, Keyed: true}
			if !yield(row, nil) {
				return
			}
		}
	}
}

func (s *CSVSource) columnNames() []string {
	out := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		out[i] = c.Name
	}
	return out
}

func (s *CSVSource) checkRow(row *Row) hclv2.Diagnostics {
	if len(row.Cells) != len(s.Columns) {
		last := len(row.Cells) - 1
		rng := s.cellRange(row.Offset, row.Line, row.pos[last], len(row.Cells[last]))
		return hclv2.Diagnostics{{
			Severity: hclv2.DiagError,
			Summary:  "Wrong number of values in CSV row",
			Detail:   fmt.Sprintf("%s row %d (line %d) has %d values, but the header names %d columns.", s.Path, row.Number, row.Line, len(row.Cells), len(s.Columns)),
			Subject:  &rng,
		}}
	}
	var diags hclv2.Diagnostics
	for _, c := range s.keyCols {
		if row.Cells[c] == "" {
			rng := row.CellRange(c)
			diags = append(diags, &hclv2.Diagnostic{
				Severity: hclv2.DiagError,
				Summary:  "Missing key value in CSV row",
				Detail:   fmt.Sprintf("%s row %d (line %d) has no value in column %s, a key field of %s: every row needs all its key values.", s.Path, row.Number, row.Line, s.Columns[c].Name, s.Object),
				Subject:  &rng,
			})
		}
	}
	for i, cell := range row.Cells {
		if !utf8.ValidString(cell) {
			rng := row.CellRange(i)
			diags = append(diags, &hclv2.Diagnostic{
				Severity: hclv2.DiagError,
				Summary:  "Invalid UTF-8 in CSV row",
				Detail:   fmt.Sprintf("%s row %d (line %d), column %s, is not UTF-8 text. Save the file as UTF-8.", s.Path, row.Number, row.Line, s.Columns[i].Name),
				Subject:  &rng,
			})
		}
	}
	return diags
}

// relationshipField is the lookup field that Salesforce's naming gives a
// relationship: Account → AccountId, Parent__r → Parent__c.
func relationshipField(rel string) string {
	if base, ok := strings.CutSuffix(rel, "__r"); ok {
		return base + "__c"
	}
	return rel + "Id"
}

// decodeCSV reads the headers of an object's records_csv files.
func (l *loader) decodeCSV(o *Object, a *hclv2.Attribute) {
	v, ok := l.static(a, "records_csv")
	if !ok {
		return
	}
	var paths []string
	switch {
	case v.Type() == cty.String && !v.IsNull():
		paths = []string{v.AsString()}
	default:
		list, ok := l.staticStrings(a)
		if !ok {
			return
		}
		paths = list
	}
	for _, p := range paths {
		if p == "" {
			l.errorf(a.Expr.Range(), "Invalid records_csv", "records_csv names a CSV file relative to the configuration directory; this one is empty.")
			continue
		}
		l.decodeCSVFile(o, a, p)
	}
}

func (l *loader) decodeCSVFile(o *Object, a *hclv2.Attribute, p string) {
	src := &CSVSource{Object: o.Name, Path: p, Range: a.Expr.Range(), RowCount: -1, abs: l.cfg.Path(p)}
	r, err := openCSV(src.abs)
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			// The header's first line, not where the reader gave up: an
			// unclosed quote is only noticed lines (or the file's end) later.
			line := cmp.Or(pe.StartLine, pe.Line)
			where := ""
			if pe.Line != line {
				where = fmt.Sprintf(" (noticed on line %d, column %d)", pe.Line, pe.Column)
			}
			l.errorf(hclv2.Range{Filename: p, Start: hclv2.Pos{Line: line, Column: 1}, End: hclv2.Pos{Line: line, Column: 1}}, "Invalid CSV", "%s header: %s%s.", p, pe.Err, where)
			return
		}
		if errors.Is(err, os.ErrNotExist) {
			l.errorf(a.Expr.Range(), "records_csv file not found", "There is no file %s (paths are relative to the configuration directory).", p)
			return
		}
		l.errorf(a.Expr.Range(), "Cannot read records_csv", "%s: %v.", p, err)
		return
	}
	r.Close()
	l.input(src.abs)
	ok := true
	hdrRange := func(i int) hclv2.Range {
		return src.cellRange(r.bom, 1, r.hpos[i], len(r.header[i]))
	}
	byField := map[string]int{}
	for i, name := range r.header {
		c := CSVColumn{Name: name, Field: name}
		switch {
		case name == "":
			l.errorf(hdrRange(i), "Empty CSV column name", "Column %d of %s's header is empty; every column names the field it sets.", i+1, p)
			ok = false
			continue
		case strings.EqualFold(name, "Id"):
			l.errorf(hdrRange(i), "Id column in records_csv", "Records are matched to the org by their key fields (%s), never by Id: remove the Id column from %s.", strings.Join(o.Key, ", "), p)
			ok = false
			continue
		case strings.Contains(name, "."):
			rel, parent, _ := strings.Cut(name, ".")
			if !validFieldName(rel) || !validFieldName(parent) {
				l.errorf(hdrRange(i), "Invalid CSV column name", "%q is neither a field name nor a relationship column such as Account.External_Id__c (one dot: the relationship, then the parent's key field).", name)
				ok = false
				continue
			}
			c.Relationship, c.ParentField, c.Field = rel, parent, relationshipField(rel)
		case !validFieldName(name):
			l.errorf(hdrRange(i), "Invalid CSV column name", "%q is not a Salesforce field API name (letters, digits and underscores, starting with a letter).", name)
			ok = false
			continue
		}
		if prev, dup := byField[strings.ToLower(c.Field)]; dup {
			l.errorf(hdrRange(i), "Duplicate CSV column", "Columns %q and %q of %s both set %s.", r.header[prev], name, p, c.Field)
			ok = false
			continue
		}
		byField[strings.ToLower(c.Field)] = i
		c.Key = o.IsKey(c.Field)
		src.Columns = append(src.Columns, c)
	}
	if !ok {
		return
	}
	for _, k := range o.Key {
		i, found := byField[strings.ToLower(k)]
		if !found {
			l.errorf(a.Expr.Range(), "Missing key column in records_csv", "%s has no column for %s, a key field of %s. Rows are matched to the org by key, so every key field needs a column.", p, k, o.Name)
			return
		}
		src.keyCols = append(src.keyCols, i)
	}
	o.CSV = append(o.CSV, src)
}

// maxRowDiags caps the bad-row diagnostics reported per file.
const maxRowDiags = 20

// checkCSV streams an object's CSV rows once: bad rows, duplicate keys
// (between rows, and between a row and a record block) and references to
// rows that do not exist. Duplicate detection keeps one 64-bit hash per
// row, not the keys; rows whose hashes collide are compared exactly in a
// second pass over the files.
func (l *loader) checkCSV(o *Object, skipRows bool) {
	on := l.ev.objects[o.Name]
	if skipRows || len(o.CSV) == 0 || len(o.Key) == 0 {
		return
	}
	seed := maphash.MakeSeed()
	var hashes []uint64
	for _, src := range o.CSV {
		n, bad := 0, 0
		for row, diags := range src.Rows() {
			if diags != nil {
				bad++
				if bad <= maxRowDiags {
					l.diags = append(l.diags, diags...)
				}
				continue
			}
			n++
			key := row.Addr.Key
			if r := on.blockKeys[key]; r != nil {
				bad++
				if bad <= maxRowDiags {
					rng := row.CellRange(src.keyCols[0])
					l.errorf(rng, "Duplicate key values", "%s row %d (line %d) has the same key values as %s (at %s): %s. Keys must be unique within an object, since records are matched to the org by key.", src.Path, row.Number, row.Line, r.Addr, r.Decl.DeclRange, QuoteKey(key))
				}
			}
			if _, ok := on.csvKeys[key]; ok {
				on.csvKeys[key] = true
			}
			hashes = append(hashes, maphash.String(seed, key))
		}
		src.RowCount = n
		if bad > maxRowDiags {
			l.diags = append(l.diags, &hclv2.Diagnostic{Severity: hclv2.DiagError, Summary: "More bad CSV rows", Detail: fmt.Sprintf("%s has %d more bad rows that are not shown.", src.Path, bad-maxRowDiags), Subject: src.Range.Ptr()})
		}
	}
	slices.Sort(hashes)
	suspects := map[uint64]bool{}
	for i := 1; i < len(hashes); i++ {
		if hashes[i] == hashes[i-1] {
			suspects[hashes[i]] = true
		}
	}
	hashes = nil
	if len(suspects) > 0 {
		l.findCSVDuplicates(o, seed, suspects)
	}
	for _, key := range mapKeys(on.csvKeys) {
		if !on.csvKeys[key] {
			l.errorf(on.csvRefRng[key], "Reference to undeclared record", "No row of %s's records_csv has the key %s, so %s.csv[%s] does not exist.", o.Name, QuoteKey(key), o.Name, QuoteKey(key))
		}
	}
}

func (l *loader) findCSVDuplicates(o *Object, seed maphash.Seed, suspects map[uint64]bool) {
	type loc struct {
		src       *CSVSource
		row, line int
	}
	first := map[string]loc{}
	reported := 0
	for _, src := range o.CSV {
		for row, diags := range src.Rows() {
			if diags != nil || !suspects[maphash.String(seed, row.Addr.Key)] {
				continue
			}
			key := row.Addr.Key
			prev, dup := first[key]
			if !dup {
				first[key] = loc{src, row.Number, row.Line}
				continue
			}
			reported++
			if reported > maxRowDiags {
				continue
			}
			rng := row.CellRange(src.keyCols[0])
			l.errorf(rng, "Duplicate key values", "%s row %d (line %d) has the same key values as %s row %d (line %d): %s. Keys must be unique within an object, since rows are matched to the org by key.", src.Path, row.Number, row.Line, prev.src.Path, prev.row, prev.line, QuoteKey(key))
		}
	}
	if reported > maxRowDiags {
		l.diags = append(l.diags, &hclv2.Diagnostic{Severity: hclv2.DiagError, Summary: "More duplicate CSV keys", Detail: fmt.Sprintf("%s's records_csv has %d more duplicate keys that are not shown.", o.Name, reported-maxRowDiags), Subject: o.CSV[0].Range.Ptr()})
	}
}
