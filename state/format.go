package state

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/sfsync/sfsync/internal/sfid"
)

// FormatVersion is the version of the state format this sfsync writes. A
// state of an older version is upgraded when read; a newer one is refused.
//
// History:
//
//	1  records as an object keyed by address (object, Id, key values); no
//	   instance URL, sfsync version, value hashes or job journal. This was
//	   the layout the package's design started from; no release wrote it,
//	   and it is kept as the first link of the upgrade chain so that the
//	   chain is exercised from the start.
//	2  records as a list sorted by object and address, with value hashes;
//	   instance URL, sfsync version and the journal of Bulk jobs in flight.
const FormatVersion = 2

// upgrades[v] turns a state of format version v into version v+1. Each
// works on the encoded form, so it needs only the two layouts it connects.
var upgrades = map[int]func([]byte) ([]byte, error){
	1: upgradeV1,
}

// file is the layout of format version 2, as the upgrades write it.
type file struct {
	FormatVersion int      `json:"format_version"`
	Lineage       string   `json:"lineage"`
	Serial        uint64   `json:"serial"`
	OrgID         string   `json:"org_id"`
	InstanceURL   string   `json:"instance_url"`
	SfsyncVersion string   `json:"sfsync_version"`
	Records       []Record `json:"records"`
	Jobs          []Job    `json:"jobs"`
}

// Encode returns the state in the current format: JSON with the header
// fields first, one record per line sorted by object and address (so a
// change to a record is a one-line diff), and the journaled jobs indented,
// oldest first. Map keys are sorted; the same state always encodes to the
// same bytes.
func (s *State) Encode() ([]byte, error) {
	snap := s.snapshot()
	e := &encoder{b: make([]byte, 0, snap.size())}
	if err := snap.encode(e, nil); err != nil {
		return nil, err
	}
	return e.b, nil
}

// encodeTo writes the state to w as Encode returns it, through a small
// buffer. half, when set, is called once when about half of it is written.
func (s *State) encodeTo(w io.Writer, half func()) error {
	return s.snapshot().encode(&encoder{w: w, b: make([]byte, 0, 2*encodeChunk)}, half)
}

// snapshot is a state as it is encoded: records are values whose texts
// never change, so a copy of the list is a consistent view, and encoding
// does not hold the lock.
type snapshot struct {
	f       file // its Records unused
	recs    []rec
	objects []string
	shapes  [][]string
}

func (s *State) snapshot() *snapshot {
	snap := &snapshot{}
	s.readOrdered(func() {
		snap.f = file{
			FormatVersion: FormatVersion,
			Lineage:       s.lineage,
			Serial:        s.serial,
			OrgID:         s.orgID,
			InstanceURL:   s.instanceURL,
			SfsyncVersion: s.sfsyncVersion,
			Jobs:          s.sortedJobs(),
		}
		snap.recs = slices.Clone(s.recs.rs)
		// Interned names are only ever appended.
		snap.objects, snap.shapes = s.recs.objects, s.recs.shapes
	})
	return snap
}

// size estimates the length of the encoding.
func (snap *snapshot) size() int {
	shapeSize := make([]int, len(snap.shapes))
	for i, names := range snap.shapes {
		for _, name := range names {
			shapeSize[i] += len(name) + 8
		}
	}
	n := 1024
	for i := range snap.recs {
		r := &snap.recs[i]
		// The punctuation, a few escapes, and the hash in hexadecimal.
		n += len(r.text) + 60 + len(snap.objects[r.obj]) + shapeSize[r.shape]
		if r.flags&recHash != 0 {
			n += len(hashPrefix) + hashLen + 12
		}
	}
	for _, j := range snap.f.Jobs {
		n += 256
		for _, a := range j.Addresses {
			n += len(a) + 12
		}
	}
	return n
}

func (snap *snapshot) encode(e *encoder, half func()) error {
	e.b = appendHeader(e.b, snap.f)
	for i := range snap.recs {
		if i == len(snap.recs)/2 && half != nil {
			e.flush()
			half()
			half = nil
		}
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = append(e.b, "\n    "...)
		r := &snap.recs[i]
		e.b = appendRecordStart(e.b, r.addr(), snap.objects[r.obj], r.id())
		text := r.keyText()
		for k, name := range snap.shapes[r.shape] {
			n, w := uvarint(text)
			e.b = appendKeyField(e.b, k, name, text[w:w+n])
			text = text[w+n:]
		}
		e.b = appendRecordEnd(e.b, r.rawHash())
		e.maybeFlush()
	}
	if half != nil {
		e.flush()
		half()
	}
	var err error
	if e.b, err = appendJobs(e.b, len(snap.recs), snap.f.Jobs); err != nil {
		return err
	}
	e.flush()
	return e.err
}

// encoder writes through its buffer to w, or keeps everything in the
// buffer when w is nil.
type encoder struct {
	w   io.Writer
	b   []byte
	err error
}

const encodeChunk = 64 << 10

func (e *encoder) maybeFlush() {
	if e.w != nil && len(e.b) >= encodeChunk {
		e.flush()
	}
}

func (e *encoder) flush() {
	if e.w == nil {
		return
	}
	if e.err == nil && len(e.b) > 0 {
		_, e.err = e.w.Write(e.b)
	}
	e.b = e.b[:0]
}

// encodeFile writes a file of the current layout from its Records: the
// upgrades' writer. encoding/json would indent the records too.
func encodeFile(f file) ([]byte, error) {
	b := appendHeader(make([]byte, 0, 512+220*len(f.Records)), f)
	for i, r := range f.Records {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n    "...)
		b = appendRecordStart(b, r.Address, r.Object, r.ID)
		for k, name := range slices.Sorted(maps.Keys(r.Key)) {
			b = appendKeyField(b, k, name, r.Key[name])
		}
		sum, _ := parseHash(r.Hash)
		hash := ""
		if r.Hash != "" {
			hash = string(sum[:])
		}
		b = appendRecordEnd(b, hash)
	}
	return appendJobs(b, len(f.Records), f.Jobs)
}

func appendHeader(b []byte, f file) []byte {
	b = append(b, "{\n  \"format_version\": "...)
	b = strconv.AppendInt(b, int64(f.FormatVersion), 10)
	b = append(b, ",\n  \"lineage\": "...)
	b = appendString(b, f.Lineage)
	b = append(b, ",\n  \"serial\": "...)
	b = strconv.AppendUint(b, f.Serial, 10)
	b = append(b, ",\n  \"org_id\": "...)
	b = appendString(b, f.OrgID)
	b = append(b, ",\n  \"instance_url\": "...)
	b = appendString(b, f.InstanceURL)
	b = append(b, ",\n  \"sfsync_version\": "...)
	b = appendString(b, f.SfsyncVersion)
	return append(b, ",\n  \"records\": ["...)
}

// appendJobs closes the records (of which there are n) and writes the
// jobs, indented.
func appendJobs(b []byte, n int, jobs []Job) ([]byte, error) {
	if n > 0 {
		b = append(b, "\n  "...)
	}
	b = append(b, "],\n  \"jobs\": ["...)
	for i, j := range jobs {
		if i > 0 {
			b = append(b, ',')
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("    ", "  ")
		if err := enc.Encode(j); err != nil {
			return nil, fmt.Errorf("encode job %s: %w", j.ID, err)
		}
		b = append(b, "\n    "...)
		b = append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
	}
	if len(jobs) > 0 {
		b = append(b, "\n  "...)
	}
	return append(b, "]\n}\n"...), nil
}

// A record is written on one line: appendRecordStart, appendKeyField for
// each key field in name order, appendRecordEnd.
func appendRecordStart(b []byte, address, object, id string) []byte {
	b = append(b, `{"address": `...)
	b = appendString(b, address)
	b = append(b, `, "object": `...)
	b = appendString(b, object)
	b = append(b, `, "id": `...)
	b = appendString(b, id)
	return append(b, `, "key": {`...)
}

func appendKeyField(b []byte, i int, name, value string) []byte {
	if i > 0 {
		b = append(b, ", "...)
	}
	b = appendString(b, name)
	b = append(b, ": "...)
	return appendString(b, value)
}

// appendRecordEnd closes the key and writes the hash of the given 32
// bytes, if any.
func appendRecordEnd(b []byte, rawHash string) []byte {
	b = append(b, '}')
	if rawHash != "" {
		b = append(b, `, "hash": "`...)
		b = appendHash(b, rawHash)
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendString writes s as a JSON string: quotes, backslashes and control
// characters escaped, U+2028 and U+2029 escaped as encoding/json does, and
// invalid UTF-8 replaced by U+FFFD (as decoding would).
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// NewerFormatError refuses a state written in a format newer than this
// sfsync understands.
type NewerFormatError struct {
	Version       int    // the state's format version
	SfsyncVersion string // the sfsync that wrote it, when recorded
}

func (e *NewerFormatError) Error() string {
	by := ""
	if e.SfsyncVersion != "" {
		by = " by sfsync " + e.SfsyncVersion
	}
	return fmt.Sprintf("state format version %d was written%s; this sfsync reads format version %d and older: upgrade sfsync to use this state",
		e.Version, by, FormatVersion)
}

// Decode reads a state in any format version up to FormatVersion, upgrading
// older ones, and checks it: a state that does not decode or is inconsistent
// (duplicate addresses or Ids, malformed Ids, jobs without rows) is an error,
// never a partial state.
func Decode(data []byte) (*State, error) {
	return decode(bytes.NewReader(data), int64(len(data)))
}

// decode is Decode reading from r, which holds size bytes (-1: unknown).
// A state of the current format whose format_version comes first, as
// sfsync writes it, is decoded as it is read; any other goes the general
// way, in memory.
func decode(r io.Reader, size int64) (*State, error) {
	d := newScanner(r)
	d.mark = 0 // keep the start for the general way
	if c, ok := d.peek(); ok && c == '{' {
		d.pos++
		if c, ok := d.peek(); ok && c == '"' {
			key, err := d.str(nil)
			if err == nil && string(key) == "format_version" && d.expect(':', "after object key") == nil {
				raw, _, err := d.raw()
				var v int
				if err == nil && json.Unmarshal(raw, &v) == nil && v == FormatVersion {
					d.mark = -1
					return (&decoder{scanner: d, s: newState(), size: size}).file(true)
				}
			}
		}
	}
	if d.rerr != nil {
		return nil, &readError{d.rerr}
	}
	rest, err := io.ReadAll(d.r)
	if err != nil {
		return nil, &readError{err}
	}
	return decodeAny(append(d.buf, rest...))
}

// readError is a failure to read the state, as opposed to a state that
// does not decode.
type readError struct{ err error }

func (e *readError) Error() string { return "read: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// decodeAny decodes a state of any format version held in memory.
func decodeAny(data []byte) (*State, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("the file is empty (truncated?)")
	}
	// Find the version without decoding the rest: sfsync writes it first.
	var version int
	var rawVersion json.RawMessage
	var by string
	err := scanObject(json.NewDecoder(bytes.NewReader(data)), func(key string) any {
		switch key {
		case "format_version":
			return &rawVersion
		case "sfsync_version":
			return &by
		}
		return nil
	}, func() bool {
		// Done at the version, unless it is newer: then the sfsync that
		// wrote it is worth naming too.
		var v int
		if rawVersion == nil {
			return false
		}
		return json.Unmarshal(rawVersion, &v) != nil || v <= FormatVersion || by != ""
	})
	if err != nil {
		return nil, syntaxError(data, err)
	}
	if rawVersion == nil {
		return nil, errors.New("not an sfsync state: it has no format_version")
	}
	if err := json.Unmarshal(rawVersion, &version); err != nil {
		return nil, fmt.Errorf("format_version %s is not a format version number", rawVersion)
	}
	if version > FormatVersion {
		return nil, &NewerFormatError{Version: version, SfsyncVersion: by}
	}
	if version < 1 {
		return nil, fmt.Errorf("format_version %d is not a state format version", version)
	}
	for v := version; v < FormatVersion; v++ {
		up, err := upgrades[v](data)
		if err != nil {
			return nil, fmt.Errorf("upgrade state from format version %d to %d: %w", v, v+1, err)
		}
		data = up
	}
	d := &decoder{scanner: newScanner(bytes.NewReader(data)), s: newState(), size: int64(len(data))}
	return d.file(false)
}

// decoder decodes a state of the current format from a scanner: the
// header fields and jobs through encoding/json, the records (which may
// be millions) straight into the State. A record written as sfsync
// writes it is read directly; any other is handed to encoding/json, so
// that the two agree on what a state means.
type decoder struct {
	*scanner
	s    *State
	size int64
	f    file // the header fields and jobs; Records unused

	sawRecords bool
	// unordered notes records out of file order (edited by hand): they
	// are sorted before the state is written or listed.
	unordered bool
	// The current record's parts.
	key, addr, object, id, hash, kbuf []byte
	koffs                             []int
	keys                              []keyField
	nr                                newRec
}

// file decodes the state's object; started says that its opening brace
// and first member (the format version) are read.
func (d *decoder) file(started bool) (*State, error) {
	more := true
	if started {
		var err error
		if more, err = d.next('}', "after object key:value pair"); err != nil {
			return nil, err
		}
	} else {
		if err := d.expect('{', "looking for beginning of value"); err != nil {
			return nil, err
		}
		if c, ok := d.peek(); ok && c == '}' {
			d.pos++
			more = false
		}
	}
	for more {
		if c, ok := d.peek(); ok && c != '"' {
			return nil, d.syntaxError(d.offset(), "invalid character "+quoteChar(c)+" looking for beginning of object key string")
		}
		var err error
		if d.key, err = d.str(d.key[:0]); err != nil {
			return nil, err
		}
		if err := d.expect(':', "after object key"); err != nil {
			return nil, err
		}
		if strings.EqualFold(string(d.key), "records") {
			err = d.records()
		} else {
			err = d.header(string(d.key))
		}
		if err != nil {
			return nil, err
		}
		if more, err = d.next('}', "after object key:value pair"); err != nil {
			return nil, err
		}
	}
	if c, ok := d.peek(); ok {
		return nil, d.syntaxError(d.offset(), "unexpected data after the state's closing brace: invalid character "+quoteChar(c))
	}
	if d.rerr != nil {
		return nil, &readError{d.rerr}
	}
	if !d.unordered {
		d.s.recs.sorted = len(d.s.recs.rs)
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	return d.s, nil
}

// header decodes the value of a header member (or the jobs).
func (d *decoder) header(key string) error {
	var target any
	for _, f := range []struct {
		name   string
		target any
	}{
		{"format_version", &d.f.FormatVersion},
		{"lineage", &d.f.Lineage},
		{"serial", &d.f.Serial},
		{"org_id", &d.f.OrgID},
		{"instance_url", &d.f.InstanceURL},
		{"sfsync_version", &d.f.SfsyncVersion},
		{"jobs", &d.f.Jobs},
	} {
		// encoding/json matches names case-insensitively, preferring an
		// exact match.
		if f.name == key {
			target = f.target
			break
		}
		if target == nil && strings.EqualFold(f.name, key) {
			target = f.target
		}
	}
	if target == nil {
		return fmt.Errorf("json: unknown field %q", key)
	}
	raw, off, err := d.raw()
	if err != nil {
		return err
	}
	return d.unmarshal(raw, off, target)
}

// unmarshal decodes raw, read at offset off, strictly into v, placing
// errors in the file.
func (d *decoder) unmarshal(raw []byte, off int64, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te):
		line, col := d.position(off + te.Offset)
		return fmt.Errorf("line %d, column %d: %w", line, col, err)
	case errors.As(err, &se):
		line, col := d.position(off + se.Offset - 1)
		return fmt.Errorf("invalid JSON at line %d, column %d: %w", line, col, err)
	}
	return err
}

// records decodes the records list.
func (d *decoder) records() error {
	if d.sawRecords {
		return errors.New("the state has two records lists")
	}
	d.sawRecords = true
	c, ok := d.peek()
	if !ok {
		return d.endError()
	}
	if c != '[' {
		// Not a list (null, or a mistake): as encoding/json sees it.
		raw, off, err := d.raw()
		if err != nil {
			return err
		}
		var recs []Record
		if err := d.unmarshal(raw, off, &recs); err != nil {
			return err
		}
		for i, r := range recs {
			if err := d.addRecord(i, r); err != nil {
				return err
			}
		}
		return nil
	}
	d.pos++
	if c, ok := d.peek(); ok && c == ']' {
		d.pos++
		return nil
	}
	start := d.offset()
	for i := 0; ; i++ {
		if err := d.record(i); err != nil {
			return err
		}
		if i == 999 && d.size > 0 {
			// Size the state for the whole file from its first records.
			done := d.offset() - start
			n := int64(i+1) + (d.size-d.offset())*int64(i+1)/max(done, 1)
			d.s.recs.reserve(int(min(n+n/64+16, 1<<30)))
		}
		more, err := d.next(']', "after array element")
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
	}
}

// record decodes records[i].
func (d *decoder) record(i int) error {
	c, ok := d.peek()
	if !ok {
		return d.endError()
	}
	d.mark = d.pos
	if c == '{' && d.direct() {
		d.mark = -1
		id, ok := sfid.Canonical(d.id)
		switch {
		case len(d.addr) == 0:
			return fmt.Errorf("records[%d]: record of %s (Id %s) has no address", i, d.object, d.id)
		case len(d.object) == 0:
			return fmt.Errorf("records[%d]: record %s has no object", i, d.addr)
		case !ok:
			return fmt.Errorf("records[%d]: record %s: %q is not a Salesforce Id", i, d.addr, d.id)
		}
		d.nr = newRec{addr: d.addr, object: d.object, id: id}
		if len(d.hash) > 0 {
			sum, ok := parseHash(d.hash)
			if !ok {
				return fmt.Errorf("records[%d]: record %s: hash %q is not of the form sha256:<64 hex digits>", i, d.addr, d.hash)
			}
			d.hash = append(d.hash[:0], sum[:]...)
			d.nr.hash = d.hash
		}
		d.keys = d.keys[:0]
		for k := 0; k < len(d.koffs); k += 4 {
			o := d.koffs[k : k+4]
			d.keys = append(d.keys, keyField{name: d.kbuf[o[0]:o[1]], value: d.kbuf[o[2]:o[3]]})
		}
		d.nr.keys = sortKeys(d.keys)
		return d.add(i, &d.nr)
	}
	// Anything else, as encoding/json reads it.
	d.pos = d.mark
	raw, off, err := d.raw()
	d.mark = -1
	if err != nil {
		return err
	}
	var r Record
	if err := d.unmarshal(raw, off, &r); err != nil {
		return err
	}
	return d.addRecord(i, r)
}

// direct reads a record written as sfsync writes it (members in any
// order, string values): false for anything else, which is then read
// again the general way.
func (d *decoder) direct() bool {
	d.pos++ // {
	d.addr, d.object, d.id, d.hash = d.addr[:0], d.object[:0], d.id[:0], d.hash[:0]
	d.kbuf, d.koffs = d.kbuf[:0], d.koffs[:0]
	var seen uint8
	for {
		if c, ok := d.peek(); !ok || c != '"' {
			return false
		}
		var err error
		if d.key, err = d.str(d.key[:0]); err != nil || d.expect(':', "") != nil {
			return false
		}
		var bit uint8
		var dst *[]byte
		switch string(d.key) {
		case "address":
			bit, dst = 1, &d.addr
		case "object":
			bit, dst = 2, &d.object
		case "id":
			bit, dst = 4, &d.id
		case "hash":
			bit, dst = 8, &d.hash
		case "key":
			bit = 16
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		if c, ok := d.peek(); !ok || (dst != nil && c != '"') || (dst == nil && c != '{') {
			return false
		}
		if dst != nil {
			if *dst, err = d.str(*dst); err != nil {
				return false
			}
		} else if !d.directKey() {
			return false
		}
		more, err := d.next('}', "")
		if err != nil {
			return false
		}
		if !more {
			return true
		}
	}
}

// directKey reads the key values object of a record, each value a string.
func (d *decoder) directKey() bool {
	d.pos++ // {
	if c, ok := d.peek(); ok && c == '}' {
		d.pos++
		return true
	}
	for {
		if c, ok := d.peek(); !ok || c != '"' {
			return false
		}
		var err error
		start := len(d.kbuf)
		if d.kbuf, err = d.str(d.kbuf); err != nil || d.expect(':', "") != nil {
			return false
		}
		mid := len(d.kbuf)
		if c, ok := d.peek(); !ok || c != '"' {
			return false
		}
		if d.kbuf, err = d.str(d.kbuf); err != nil {
			return false
		}
		d.koffs = append(d.koffs, start, mid, mid, len(d.kbuf))
		more, err := d.next('}', "")
		if err != nil {
			return false
		}
		if !more {
			return true
		}
	}
}

// addRecord checks and adds a record decoded by encoding/json.
func (d *decoder) addRecord(i int, r Record) error {
	if err := checkRecord(r); err != nil {
		return fmt.Errorf("records[%d]: %w", i, err)
	}
	id, _ := sfid.Canonical(r.ID)
	return d.add(i, d.s.bind.fromRecord(r, id))
}

// add adds records[i], which must bind an address and an Id no other
// record binds.
func (d *decoder) add(i int, n *newRec) error {
	t := &d.s.recs
	if p, addr := t.insertDecoded(n); addr {
		return fmt.Errorf("records[%d]: address %s appears twice", i, n.addr)
	} else if p >= 0 {
		return fmt.Errorf("records[%d]: Id %s is bound to both %s and %s", i, n.id[:], t.rs[p].addr(), n.addr)
	}
	if last := len(t.rs) - 1; last > 0 && !d.unordered {
		a, b := &t.rs[last-1], &t.rs[last]
		d.unordered = cmp.Or(strings.Compare(t.objects[a.obj], t.objects[b.obj]), strings.Compare(a.addr(), b.addr())) > 0
	}
	return nil
}

// finish checks the header and the jobs.
func (d *decoder) finish() error {
	f, s := &d.f, d.s
	if _, err := uuid.Parse(f.Lineage); err != nil {
		return fmt.Errorf("lineage %q is not a UUID", f.Lineage)
	}
	if f.OrgID != "" && !sfid.Valid(f.OrgID) {
		return fmt.Errorf("org_id %q is not a Salesforce org Id", f.OrgID)
	}
	s.lineage = f.Lineage
	s.serial = f.Serial
	if f.OrgID != "" {
		s.orgID = sfid.To18(f.OrgID)
	}
	s.instanceURL = f.InstanceURL
	s.sfsyncVersion = f.SfsyncVersion
	for i, j := range f.Jobs {
		if err := checkJob(j); err != nil {
			return fmt.Errorf("jobs[%d]: %w", i, err)
		}
		if _, dup := s.jobs[j.ID]; dup {
			return fmt.Errorf("jobs[%d]: job %s appears twice", i, j.ID)
		}
		j.Created = j.Created.UTC()
		s.jobs[j.ID] = &j
	}
	return nil
}

// scanObject reads the fields of the JSON object dec starts with, in file
// order, decoding each into what target returns for its key (skipping it
// for nil), and returns early once done reports true.
func scanObject(dec *json.Decoder, target func(key string) any, done func() bool) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != json.Delim('{') {
		return fmt.Errorf("a state is a JSON object, not %s", describeToken(t))
	}
	for !done() && dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		v := target(key)
		if v == nil {
			v = new(json.RawMessage)
		}
		if err := dec.Decode(v); err != nil {
			return err
		}
	}
	return nil
}

func describeToken(t json.Token) string {
	switch t := t.(type) {
	case json.Delim:
		return map[json.Delim]string{'[': "an array"}[t]
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	}
	return "a number"
}

// decodeStrict decodes exactly one JSON value with no unknown fields, so a
// misspelt hand edit is reported instead of silently dropped.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return syntaxError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the state's closing brace")
	}
	return nil
}

// syntaxError turns a JSON error into one that says where and, for input
// that ends too early, that the file looks truncated.
func syntaxError(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || (errors.As(err, &se) && strings.Contains(se.Error(), "unexpected end")):
		return fmt.Errorf("the JSON ends early (truncated?): %w", err)
	case errors.As(err, &se):
		line, col := position(data, se.Offset-1) // Offset is just past the offending byte
		return fmt.Errorf("invalid JSON at line %d, column %d: %w", line, col, err)
	case errors.As(err, &te):
		line, col := position(data, te.Offset)
		return fmt.Errorf("line %d, column %d: %w", line, col, err)
	}
	return err
}

func position(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// fileV1 is the layout of format version 1.
type fileV1 struct {
	FormatVersion int                 `json:"format_version"`
	Lineage       string              `json:"lineage"`
	Serial        uint64              `json:"serial"`
	OrgID         string              `json:"org_id"`
	Records       map[string]recordV1 `json:"records"`
}

type recordV1 struct {
	Object string            `json:"object"`
	ID     string            `json:"id"`
	Key    map[string]string `json:"key"`
}

// upgradeV1 turns the address-keyed record object into the sorted list.
// Hashes of applied values were not kept in version 1, so upgraded records
// have none: the planner treats their values as unknown.
func upgradeV1(data []byte) ([]byte, error) {
	var old fileV1
	if err := decodeStrict(data, &old); err != nil {
		return nil, err
	}
	f := file{
		FormatVersion: 2,
		Lineage:       old.Lineage,
		Serial:        old.Serial,
		OrgID:         old.OrgID,
		Records:       make([]Record, 0, len(old.Records)),
		Jobs:          []Job{},
	}
	for addr, r := range old.Records {
		f.Records = append(f.Records, Record{Address: addr, Object: r.Object, ID: r.ID, Key: r.Key})
	}
	slices.SortFunc(f.Records, compareRecords)
	return encodeFile(f)
}
