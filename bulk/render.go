package bulk

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"io"
	"strings"
)

// format is the wire format of an upload.
type format uint8

const (
	formatCSV format = iota + 1
	formatXML
	formatJSON
)

// chunk is a set of spooled records that go into one upload: one Bulk 2.0
// job, one Bulk 1.0 batch, or one sObject Collections call.
type chunk struct {
	start, end int   // the records [start, end) when idx is nil
	idx        []int // explicit record indices (retries)

	fields   []int // union of the records' fields, in first-seen order
	fieldSet map[int]bool
	kinds    map[int]Kind // first non-null kind seen per field
	rows     int
	bytes    int64 // format-dependent size of the cells
	hdrBytes int64
}

func newChunk(start int) *chunk {
	return &chunk{start: start, end: start, fieldSet: map[int]bool{}, kinds: map[int]Kind{}}
}

func (c *chunk) each(fn func(i int) error) error {
	if c.idx != nil {
		for _, i := range c.idx {
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	for i := c.start; i < c.end; i++ {
		if err := fn(i); err != nil {
			return err
		}
	}
	return nil
}

// position maps a record index to its row number in the chunk.
func (c *chunk) at(row int) int {
	if c.idx != nil {
		return c.idx[row]
	}
	return c.start + row
}

// cost returns the chunk's size in bytes if rec's cells were added.
func (c *chunk) cost(f format, cells []cell, names []string) (size int64, recBytes int64, newHdr int64, newFields int) {
	for _, cl := range cells {
		recBytes += cellCost(f, names[cl.field], cl)
		if !c.fieldSet[cl.field] {
			newFields++
			newHdr += int64(csvCellLen(names[cl.field]) + 1)
		}
	}
	switch f {
	case formatCSV:
		nf := int64(len(c.fields) + newFields)
		size = c.hdrBytes + newHdr + c.bytes + recBytes + int64(c.rows+1)*nf
	case formatXML:
		size = 256 + c.bytes + recBytes + int64(c.rows+1)*len64("<sObject></sObject>")
	default:
		size = 2 + c.bytes + recBytes + int64(c.rows+1)*3
	}
	return size, recBytes, newHdr, newFields
}

func len64(s string) int64 { return int64(len(s)) }

func cellCost(f format, name string, cl cell) int64 {
	switch f {
	case formatCSV:
		return int64(csvCellLen(cellCSV(cl)))
	case formatXML:
		n := int64(2*len(name) + 5 + len(cl.text) + strings.Count(cl.text, "&")*4 + strings.Count(cl.text, "<")*3 + strings.Count(cl.text, ">")*3)
		if strings.Contains(name, ".") {
			n += 64
		}
		if cl.kind == KindNull {
			n += 20
		}
		return n
	default:
		b, _ := json.Marshal(cl.text)
		n := int64(len(name) + 4 + len(b))
		if strings.Contains(name, ".") {
			n += 48
		}
		return n
	}
}

func (c *chunk) add(i int, cells []cell, recBytes, newHdr int64) {
	if c.idx != nil {
		c.idx = append(c.idx, i)
	} else {
		c.end = i + 1
	}
	for _, cl := range cells {
		if !c.fieldSet[cl.field] {
			c.fieldSet[cl.field] = true
			c.fields = append(c.fields, cl.field)
		}
		if _, ok := c.kinds[cl.field]; !ok && cl.kind != KindNull {
			c.kinds[cl.field] = cl.kind
		}
	}
	c.rows++
	c.bytes += recBytes
	c.hdrBytes += newHdr
}

func (c *chunk) kind(field int) Kind {
	if k, ok := c.kinds[field]; ok {
		return k
	}
	return KindText
}

func cellCSV(cl cell) string {
	if cl.kind == KindNull {
		return "#N/A"
	}
	return cl.text
}

// header orders the chunk's fields: the leading names first, then the rest
// sorted case-insensitively.
func (c *chunk) header(names []string, leading []string) []int {
	var head, rest []int
	used := map[int]bool{}
	for _, l := range leading {
		for _, f := range c.fields {
			if !used[f] && strings.EqualFold(names[f], l) {
				head = append(head, f)
				used[f] = true
			}
		}
	}
	for _, f := range c.fields {
		if !used[f] {
			rest = append(rest, f)
		}
	}
	restNames := make([]string, len(rest))
	for i, f := range rest {
		restNames[i] = names[f]
	}
	sortFold(restNames)
	byName := map[string]int{}
	for _, f := range rest {
		byName[names[f]] = f
	}
	for _, n := range restNames {
		head = append(head, byName[n])
	}
	return head
}

// renderCSV writes the chunk as Bulk CSV with the given header.
func renderCSV(w io.Writer, sr *spoolReader, ch *chunk, names []string, header []int) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	col := map[int]int{}
	hdr := make([]string, len(header))
	for i, f := range header {
		col[f] = i
		hdr[i] = names[f]
	}
	writeCSVLine(bw, hdr)
	row := make([]string, len(header))
	var cells []cell
	err := ch.each(func(i int) error {
		var err error
		cells, err = sr.read(i, cells)
		if err != nil {
			return err
		}
		for k := range row {
			row[k] = ""
		}
		for _, cl := range cells {
			row[col[cl.field]] = cellCSV(cl)
		}
		writeCSVLine(bw, row)
		return nil
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// relName splits a relationship column "Type:Rel.Field" or "Rel.Field".
func relName(name string) (typ, rel, field string, ok bool) {
	r, f, ok := strings.Cut(name, ".")
	if !ok {
		return "", "", name, false
	}
	if t, rr, has := strings.Cut(r, ":"); has {
		return t, rr, f, true
	}
	return "", r, f, true
}

// renderXML writes the chunk as a Bulk 1.0 <sObjects> batch (as in the seed
// article), nulls as xsi:nil and relationship columns as nested sObjects.
func renderXML(w io.Writer, sr *spoolReader, ch *chunk, names []string) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8"?><sObjects xmlns="` + asyncNS + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`)
	var cells []cell
	err := ch.each(func(i int) error {
		var err error
		cells, err = sr.read(i, cells)
		if err != nil {
			return err
		}
		bw.WriteString("<sObject>")
		for _, cl := range cells {
			typ, rel, field, isRel := relName(names[cl.field])
			if isRel {
				bw.WriteString("<" + rel + "><sObject>")
				if typ != "" {
					bw.WriteString("<type>")
					xml.EscapeText(bw, []byte(typ))
					bw.WriteString("</type>")
				}
			}
			if cl.kind == KindNull {
				bw.WriteString("<" + field + ` xsi:nil="true"/>`)
			} else {
				bw.WriteString("<" + field + ">")
				xml.EscapeText(bw, []byte(cl.text))
				bw.WriteString("</" + field + ">")
			}
			if isRel {
				bw.WriteString("</sObject></" + rel + ">")
			}
		}
		bw.WriteString("</sObject>")
		return nil
	})
	if err != nil {
		return err
	}
	bw.WriteString("</sObjects>")
	return bw.Flush()
}

// jsonValue renders a cell as a JSON value.
func jsonValue(cl cell) any {
	switch cl.kind {
	case KindNull:
		return nil
	case KindNumber, KindInteger:
		return json.Number(cl.text)
	case KindBool:
		return cl.text == "true"
	}
	return cl.text
}

// jsonRecord builds one record for a JSON batch or sObject Collections
// call; object, when set, adds the attributes REST needs.
func jsonRecord(cells []cell, names []string, object string) map[string]any {
	m := make(map[string]any, len(cells)+1)
	if object != "" {
		m["attributes"] = map[string]string{"type": object}
	}
	for _, cl := range cells {
		typ, rel, field, isRel := relName(names[cl.field])
		if !isRel {
			m[field] = jsonValue(cl)
			continue
		}
		sub, _ := m[rel].(map[string]any)
		if sub == nil {
			sub = map[string]any{}
			m[rel] = sub
		}
		if typ != "" {
			sub["attributes"] = map[string]string{"type": typ}
		}
		sub[field] = jsonValue(cl)
	}
	return m
}

// renderJSON writes the chunk as a Bulk 1.0 JSON batch.
func renderJSON(w io.Writer, sr *spoolReader, ch *chunk, names []string) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := json.NewEncoder(bw)
	bw.WriteByte('[')
	first := true
	var cells []cell
	err := ch.each(func(i int) error {
		var err error
		cells, err = sr.read(i, cells)
		if err != nil {
			return err
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		return enc.Encode(jsonRecord(cells, names, ""))
	})
	if err != nil {
		return err
	}
	bw.WriteByte(']')
	return bw.Flush()
}
