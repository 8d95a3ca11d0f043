package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

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

// Encode returns the state in the current format: indented JSON, records
// sorted by object and address, jobs by creation time, map keys sorted, so
// that two versions of a state diff line by line.
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
	return marshal(f)
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	return buf.Bytes(), nil
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
	var probe struct {
		FormatVersion json.RawMessage `json:"format_version"`
		SfsyncVersion json.RawMessage `json:"sfsync_version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, syntaxError(data, err)
	}
	if probe.FormatVersion == nil {
		return nil, errors.New("not an sfsync state: it has no format_version")
	}
	var version int
	if err := json.Unmarshal(probe.FormatVersion, &version); err != nil {
		return nil, fmt.Errorf("format_version %s is not a format version number", probe.FormatVersion)
	}
	if version > FormatVersion {
		e := &NewerFormatError{Version: version}
		_ = json.Unmarshal(probe.SfsyncVersion, &e.SfsyncVersion) // only for the message
		return nil, e
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
	return marshal(f)
}
