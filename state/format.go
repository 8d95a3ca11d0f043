package state

import (
	"bytes"
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

// file is the layout of format version 2.
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
	s.mu.RLock()
	f := file{
		FormatVersion: FormatVersion,
		Lineage:       s.lineage,
		Serial:        s.serial,
		OrgID:         s.orgID,
		InstanceURL:   s.instanceURL,
		SfsyncVersion: s.sfsyncVersion,
		Records:       s.sortedRecords(),
		Jobs:          s.sortedJobs(),
	}
	s.mu.RUnlock()
	return encodeFile(f)
}

// encodeFile writes the layout by hand: encoding/json would indent the
// records too, and re-indenting a large state after every job is most of
// the cost of a write.
func encodeFile(f file) ([]byte, error) {
	b := make([]byte, 0, 512+220*len(f.Records))
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
	b = append(b, ",\n  \"records\": ["...)
	for i, r := range f.Records {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n    "...)
		b = appendRecord(b, r)
	}
	if len(f.Records) > 0 {
		b = append(b, "\n  "...)
	}
	b = append(b, "],\n  \"jobs\": ["...)
	for i, j := range f.Jobs {
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
	if len(f.Jobs) > 0 {
		b = append(b, "\n  "...)
	}
	return append(b, "]\n}\n"...), nil
}

// appendRecord writes a record on one line.
func appendRecord(b []byte, r Record) []byte {
	b = append(b, `{"address": `...)
	b = appendString(b, r.Address)
	b = append(b, `, "object": `...)
	b = appendString(b, r.Object)
	b = append(b, `, "id": `...)
	b = appendString(b, r.ID)
	b = append(b, `, "key": {`...)
	for i, k := range slices.Sorted(maps.Keys(r.Key)) {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendString(b, k)
		b = append(b, ": "...)
		b = appendString(b, r.Key[k])
	}
	b = append(b, '}')
	if r.Hash != "" {
		b = append(b, `, "hash": `...)
		b = appendString(b, r.Hash)
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
	var f file
	if err := decodeStrict(data, &f); err != nil {
		return nil, err
	}
	return fromFile(f)
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

// fromFile checks a decoded file and builds the indexed State from it.
func fromFile(f file) (*State, error) {
	if _, err := uuid.Parse(f.Lineage); err != nil {
		return nil, fmt.Errorf("lineage %q is not a UUID", f.Lineage)
	}
	if f.OrgID != "" && !sfid.Valid(f.OrgID) {
		return nil, fmt.Errorf("org_id %q is not a Salesforce org Id", f.OrgID)
	}
	s := newState()
	s.lineage = f.Lineage
	s.serial = f.Serial
	if f.OrgID != "" {
		s.orgID = sfid.To18(f.OrgID)
	}
	s.instanceURL = f.InstanceURL
	s.sfsyncVersion = f.SfsyncVersion
	for i, r := range f.Records {
		if err := checkRecord(r); err != nil {
			return nil, fmt.Errorf("records[%d]: %w", i, err)
		}
		r.ID = sfid.To18(r.ID)
		if r.Key == nil {
			r.Key = map[string]string{}
		}
		if _, dup := s.byAddr[r.Address]; dup {
			return nil, fmt.Errorf("records[%d]: address %s appears twice", i, r.Address)
		}
		if other, dup := s.byID[r.ID]; dup {
			return nil, fmt.Errorf("records[%d]: Id %s is bound to both %s and %s", i, r.ID, other, r.Address)
		}
		s.insertLocked(&r)
	}
	for i, j := range f.Jobs {
		if err := checkJob(j); err != nil {
			return nil, fmt.Errorf("jobs[%d]: %w", i, err)
		}
		if _, dup := s.jobs[j.ID]; dup {
			return nil, fmt.Errorf("jobs[%d]: job %s appears twice", i, j.ID)
		}
		j.Created = j.Created.UTC()
		s.jobs[j.ID] = &j
	}
	return s, nil
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
