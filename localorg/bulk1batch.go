package localorg

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sfsync/sfsync/localorg/internal/jsonw"
	"github.com/sfsync/sfsync/localorg/internal/sfcsv"
)

// Readers of Bulk 1.0 request bodies: jobInfo documents (XML or JSON) and
// XML or JSON record batches. Record batches become the rows the CSV
// engine processes: one column per field named in any record (first
// spelling wins, names matched case-insensitively), "" where a record
// leaves a field out (unchanged, as an empty CSV cell), "#N/A" for
// xsi:nil and JSON null (set to null), and relationship values as
// "Rel.Key" columns ("Type:Rel.Key" for a polymorphic field).

// jobSpec is a jobInfo request.
type jobSpec struct {
	operation, object, externalID, concurrencyMode, contentType, assignmentRuleID, state string
	// readOnly lists the server-set elements the request gave.
	readOnly []string
}

// jobReadOnly are jobInfo elements a client cannot set.
var jobReadOnly = map[string]bool{
	"id": true, "createdbyid": true, "createddate": true, "systemmodstamp": true, "numberbatchesqueued": true,
	"numberbatchesinprogress": true, "numberbatchescompleted": true, "numberbatchesfailed": true, "numberbatchestotal": true,
	"numberrecordsprocessed": true, "numberretries": true, "apiversion": true, "numberrecordsfailed": true,
	"totalprocessingtime": true, "apiactiveprocessingtime": true, "apexprocessingtime": true,
}

var errUnparsableJob = asyncErr("InvalidJob", "Unable to parse Job")

// set records one jobInfo element. Elements are read in any order
// (jsforce sends contentType last) and names case-insensitively.
func (s *jobSpec) set(name, value string) {
	switch strings.ToLower(name) {
	case "operation":
		s.operation = value
	case "object":
		s.object = value
	case "externalidfieldname":
		s.externalID = value
	case "concurrencymode":
		// Lenient: simple-salesforce sends 0 or 1.
		switch strings.ToLower(value) {
		case "serial", "1":
			s.concurrencyMode = "Serial"
		default:
			s.concurrencyMode = "Parallel"
		}
	case "contenttype":
		s.contentType = value
	case "assignmentruleid":
		s.assignmentRuleID = value
	case "state":
		s.state = value
	default:
		if jobReadOnly[strings.ToLower(name)] {
			s.readOnly = append(s.readOnly, name)
		}
		// Other unknown elements are ignored.
	}
}

// parseJobInfo reads a jobInfo document.
func parseJobInfo(body []byte, asJSON bool) (*jobSpec, error) {
	s := &jobSpec{}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, errUnparsableJob
	}
	if asJSON || trimmed[0] == '{' {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &raw); err != nil {
			return nil, errUnparsableJob
		}
		for k, v := range raw {
			var str string
			if err := json.Unmarshal(v, &str); err != nil {
				var num json.Number
				d := json.NewDecoder(bytes.NewReader(v))
				d.UseNumber()
				switch {
				case string(v) == "null":
					continue
				case d.Decode(&num) == nil:
					str = num.String()
				default:
					return nil, errUnparsableJob
				}
			}
			s.set(k, str)
		}
	} else {
		d := xml.NewDecoder(bytes.NewReader(trimmed))
		root, err := nextStart(d)
		if err != nil {
			return nil, asyncErr("InvalidXML", "%v", err)
		}
		if root.Name.Local != "jobInfo" {
			return nil, errUnparsableJob
		}
		for {
			tok, err := d.Token()
			if err != nil {
				return nil, asyncErr("InvalidXML", "%v", xmlErr(err))
			}
			switch t := tok.(type) {
			case xml.StartElement:
				v, err := elementText(d)
				if err != nil {
					return nil, asyncErr("InvalidXML", "%v", err)
				}
				s.set(t.Name.Local, strings.TrimSpace(v))
				continue
			case xml.EndElement:
				if err := xmlTrailer(d); err != nil {
					return nil, asyncErr("InvalidXML", "%v", err)
				}
				if s.concurrencyMode == "" {
					s.concurrencyMode = "Parallel"
				}
				return s, nil
			}
		}
	}
	if s.concurrencyMode == "" {
		s.concurrencyMode = "Parallel"
	}
	return s, nil
}

// xmlErr words a decoder error; a document that stops early says so.
func xmlErr(err error) error {
	if errors.Is(err, io.EOF) {
		return errors.New("XML document structures must start and end within the same entity")
	}
	return err
}

// nextStart returns the document's root element.
func nextStart(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, xmlErr(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return xml.StartElement{}, errors.New("content is not allowed in prolog")
			}
		case xml.EndElement:
			return xml.StartElement{}, errors.New("unexpected end element")
		}
	}
}

// xmlTrailer checks that nothing but whitespace follows the root.
func xmlTrailer(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return errors.New("content is not allowed in trailing section")
			}
		case xml.StartElement, xml.EndElement:
			return errors.New("the markup in the document following the root element must be well-formed")
		}
	}
}

// elementText reads the text of an element whose start tag was just read;
// child elements are an error.
func elementText(d *xml.Decoder) (string, error) {
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return "", xmlErr(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.StartElement:
			return "", fmt.Errorf("unexpected element <%s> inside a value", t.Name.Local)
		case xml.EndElement:
			return b.String(), nil
		}
	}
}

// batchRows are the records of an XML or JSON batch as CSV rows.
type batchRows struct {
	header []string
	index  map[string]int // lower-case column name → position
	rows   [][]string
}

func newBatchRows() *batchRows { return &batchRows{index: map[string]int{}} }

// col returns the position of a column, adding it if new.
func (br *batchRows) col(name string) int {
	k := strings.ToLower(name)
	if i, ok := br.index[k]; ok {
		return i
	}
	br.index[k] = len(br.header)
	br.header = append(br.header, name)
	return len(br.header) - 1
}

// addRecord adds a record of (column, value) pairs.
func (br *batchRows) addRecord(cells [][2]string) {
	row := make([]string, 0, len(br.header))
	for _, c := range cells {
		i := br.col(c[0])
		for len(row) <= i {
			row = append(row, "")
		}
		row[i] = c[1]
	}
	br.rows = append(br.rows, row)
}

// csv renders the rows as CSV with a header; short rows are padded.
func (br *batchRows) csv() []byte {
	var b bytes.Buffer
	b.WriteString(sfcsv.Encode(br.header, ','))
	b.WriteByte('\n')
	cells := make([]string, len(br.header))
	for _, r := range br.rows {
		clear(cells)
		copy(cells, r)
		b.WriteString(sfcsv.Encode(cells, ','))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// relColumn names the column of a relationship value.
func relColumn(typ, rel, key string) string {
	if typ != "" {
		return typ + ":" + rel + "." + key
	}
	return rel + "." + key
}

// xmlBatchRows reads an XML batch: <sObjects><sObject><Field>v</Field>…
func xmlBatchRows(data []byte) (*batchRows, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	root, err := nextStart(d)
	if err != nil {
		return nil, err
	}
	if root.Name.Local != "sObjects" {
		return nil, fmt.Errorf("the root element must be sObjects, not %s", root.Name.Local)
	}
	br := newBatchRows()
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, xmlErr(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "sObject" {
				return nil, fmt.Errorf("unexpected element <%s>: sObjects holds sObject elements", t.Name.Local)
			}
			cells, err := xmlRecord(d)
			if err != nil {
				return nil, err
			}
			br.addRecord(cells)
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, errors.New("unexpected text between sObject elements")
			}
		case xml.EndElement:
			if err := xmlTrailer(d); err != nil {
				return nil, err
			}
			return br, nil
		}
	}
}

func isNil(e xml.StartElement) bool {
	for _, a := range e.Attr {
		if a.Name.Local == "nil" && (a.Name.Space == xsiNS || a.Name.Space == "xsi" || a.Name.Space == "") {
			return strings.TrimSpace(a.Value) == "true"
		}
	}
	return false
}

// xmlRecord reads the fields of one <sObject> whose start tag was read.
func xmlRecord(d *xml.Decoder) ([][2]string, error) {
	var cells [][2]string
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, xmlErr(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, errors.New("unexpected text between fields")
			}
		case xml.EndElement:
			return cells, nil
		case xml.StartElement:
			name, null := t.Name.Local, isNil(t)
			var text strings.Builder
			var rel [][2]string
			relType, relSeen := "", false
		field:
			for {
				tok, err := d.Token()
				if err != nil {
					return nil, xmlErr(err)
				}
				switch f := tok.(type) {
				case xml.CharData:
					text.Write(f)
				case xml.StartElement:
					if f.Name.Local != "sObject" || relSeen {
						return nil, fmt.Errorf("unexpected element <%s> in field %s", f.Name.Local, name)
					}
					relSeen = true
					rel, relType, err = xmlRelationship(d)
					if err != nil {
						return nil, err
					}
				case xml.EndElement:
					break field
				}
			}
			switch {
			case relSeen:
				if len(rel) != 1 {
					return nil, fmt.Errorf("relationship %s must name exactly one field of its parent", name)
				}
				cells = append(cells, [2]string{relColumn(relType, name, rel[0][0]), rel[0][1]})
			case null:
				cells = append(cells, [2]string{name, naValue})
			default:
				cells = append(cells, [2]string{name, text.String()})
			}
		}
	}
}

// xmlRelationship reads the <sObject> of a relationship value: an
// optional <type> (polymorphic fields) and the parent's key field.
func xmlRelationship(d *xml.Decoder) (cells [][2]string, typ string, err error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, "", xmlErr(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, "", errors.New("unexpected text in a relationship")
			}
		case xml.EndElement:
			return cells, typ, nil
		case xml.StartElement:
			null := isNil(t)
			v, err := elementText(d)
			if err != nil {
				return nil, "", err
			}
			if t.Name.Local == "type" {
				typ = strings.TrimSpace(v)
				continue
			}
			if null {
				v = naValue
			}
			cells = append(cells, [2]string{t.Name.Local, v})
		}
	}
}

// jsonBatchRows reads a JSON batch: an array of records.
func jsonBatchRows(data []byte) (*batchRows, error) {
	v, err := jsonw.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("failed to parse the JSON batch: %v", err)
	}
	records, ok := v.([]any)
	if !ok {
		return nil, errors.New("failed to parse the JSON batch: it must be an array of records")
	}
	br := newBatchRows()
	for i, r := range records {
		rec, ok := r.(jsonw.Object)
		if !ok {
			return nil, fmt.Errorf("failed to parse the JSON batch: record %d is not an object", i+1)
		}
		var cells [][2]string
		for _, m := range rec {
			if strings.EqualFold(m.Key, "attributes") {
				continue
			}
			v, rel, err := jsonCell(m.Value)
			if err != nil {
				return nil, fmt.Errorf("failed to parse the JSON batch: record %d, field %s: %v", i+1, m.Key, err)
			}
			if rel != nil {
				cells = append(cells, [2]string{relColumn(rel.typ, m.Key, rel.key), rel.value})
				continue
			}
			cells = append(cells, [2]string{m.Key, v})
		}
		br.addRecord(cells)
	}
	return br, nil
}

// jsonRel is a relationship value: {"attributes":{"type":T},"Key":v}.
type jsonRel struct{ typ, key, value string }

// jsonCell turns a decoded JSON value into a cell.
func jsonCell(v any) (string, *jsonRel, error) {
	switch x := v.(type) {
	case nil:
		return naValue, nil, nil
	case string:
		return x, nil, nil
	case bool:
		if x {
			return "true", nil, nil
		}
		return "false", nil, nil
	case jsonw.Number:
		return string(x), nil, nil
	case jsonw.Object:
		rel := &jsonRel{}
		n := 0
		for _, m := range x {
			if strings.EqualFold(m.Key, "attributes") {
				if attrs, ok := m.Value.(jsonw.Object); ok {
					if t, ok := attrs.Get("type"); ok {
						rel.typ, _ = t.(string)
					}
				}
				continue
			}
			val, sub, err := jsonCell(m.Value)
			if err != nil {
				return "", nil, err
			}
			if sub != nil {
				return "", nil, errors.New("a relationship can only reach its parent")
			}
			rel.key, rel.value = m.Key, val
			n++
		}
		if n != 1 {
			return "", nil, errors.New("a relationship must name exactly one field of its parent")
		}
		return "", rel, nil
	case []any:
		return "", nil, errors.New("arrays are not field values")
	}
	return "", nil, fmt.Errorf("unexpected value %v", v)
}
