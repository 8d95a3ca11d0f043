package planner

import (
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/sfsync/sfsync/bulk"
)

// orgIndex holds the org records of one object that a plan read: the rows of
// the object's query, and those found afterwards by Id or by key. It is
// compact because it may hold millions of records: every record's Id,
// normalized key and queried values live in one byte arena, the lookups are
// maps without pointers (so the garbage collector never scans them), and
// values stay in the org's rendering until a diff reads them.
type orgIndex struct {
	object string
	cols   []string       // the queried fields after Id and SystemModstamp, as describe spells them
	colPos map[string]int // lower-case field name → position in cols
	specs  []FieldSpec    // parallel to cols
	key    []int          // positions of the key fields in cols, in key order
	keyCS  []bool         // whether each key field compares case-sensitively

	// full reports that the query read the whole object (no where): a key
	// that is not in the index is not in the org.
	full bool

	ids       []byte   // 18 bytes per record
	modstamps []int64  // SystemModstamp, Unix milliseconds
	arena     []byte   // per record: normalized key, then each column's value
	offs      []uint32 // per record stride = 1 + len(cols) starts, then a final end
	flags     []uint8

	// idClaim is the desired record (its ordinal) bound to each org record;
	// keyClaim the desired record whose key is each record's key. 0: none.
	idClaim, keyClaim []uint32

	seed  maphash.Seed
	byID  map[[18]byte]int32
	byKey map[uint64]int32 // hash of the normalized key → first record with it
	next  []int32          // the next record with the same key hash, or -1
	one   [1]int32         // lookupKey's answer when it is one record
}

// Record flags.
const (
	// flagOutside: found by Id or key outside the object's where.
	flagOutside uint8 = 1 << iota
)

// keySep joins the normalized values of a composite key. No key value
// contains it (field values are text without NUL).
const keySep = "\x00"

// reserve makes room for n more records, so that reading a large object
// does not grow the maps and slices step by step.
func (ix *orgIndex) reserve(n int) {
	if n <= 0 || n > 50_000_000 {
		return
	}
	total := ix.Len() + n
	if len(ix.byID) == 0 {
		ix.byID = make(map[[18]byte]int32, total)
		if len(ix.key) > 0 {
			ix.byKey = make(map[uint64]int32, total)
		}
	}
	ix.ids = slices.Grow(ix.ids, 18*n)
	ix.modstamps = slices.Grow(ix.modstamps, n)
	ix.flags = slices.Grow(ix.flags, n)
	ix.idClaim = slices.Grow(ix.idClaim, n)
	ix.keyClaim = slices.Grow(ix.keyClaim, n)
	ix.next = slices.Grow(ix.next, n)
	ix.offs = slices.Grow(ix.offs, n*ix.stride())
}

func newOrgIndex(object string, cols []string, specs []FieldSpec, key []string, keyCS []bool) (*orgIndex, error) {
	ix := &orgIndex{
		object: object,
		cols:   cols,
		specs:  specs,
		colPos: make(map[string]int, len(cols)),
		keyCS:  keyCS,
		seed:   maphash.MakeSeed(),
		byID:   map[[18]byte]int32{},
		byKey:  map[uint64]int32{},
		offs:   []uint32{0},
	}
	for i, c := range cols {
		ix.colPos[strings.ToLower(c)] = i
	}
	for _, k := range key {
		p, ok := ix.colPos[strings.ToLower(k)]
		if !ok {
			return nil, fmt.Errorf("index %s: key field %s is not queried", object, k)
		}
		ix.key = append(ix.key, p)
	}
	return ix, nil
}

// Len is the number of records.
func (ix *orgIndex) Len() int { return len(ix.modstamps) }

func (ix *orgIndex) stride() int { return 1 + len(ix.cols) }

// colReader maps a query result's header onto the index's columns.
type colReader struct {
	header          *bulk.Header
	id, modstamp    int
	cols            []int
	missingModstamp bool
}

func (ix *orgIndex) reader(h *bulk.Header) (*colReader, error) {
	r := &colReader{header: h, id: h.Index("Id"), modstamp: h.Index("SystemModstamp")}
	if r.id < 0 {
		return nil, fmt.Errorf("query %s: the result has no Id column", ix.object)
	}
	for _, c := range ix.cols {
		p := h.Index(c)
		if p < 0 {
			return nil, fmt.Errorf("query %s: the result has no %s column", ix.object, c)
		}
		r.cols = append(r.cols, p)
	}
	return r, nil
}

// add stores a query row; a record already in the index (found twice) is
// kept once. It returns the record's position.
func (ix *orgIndex) add(r *colReader, row bulk.Row, flags uint8) (int32, error) {
	idText := row.Values[r.id]
	id, ok := idKey(idText)
	if !ok {
		return -1, fmt.Errorf("query %s: %q is not a record Id", ix.object, idText)
	}
	if i, ok := ix.byID[id]; ok {
		return i, nil
	}
	if len(ix.modstamps) >= math.MaxInt32-1 {
		return -1, fmt.Errorf("query %s: too many records", ix.object)
	}
	var stamp int64
	if r.modstamp >= 0 {
		if s := row.Values[r.modstamp]; s != "" {
			t, err := parseStamp(s)
			if err != nil {
				// Bulk 1.0 JSON and REST render +0000 offsets, which
				// parseDateTime reads; anything else is a bug to report.
				return -1, fmt.Errorf("query %s: SystemModstamp %q: %w", ix.object, s, err)
			}
			stamp = t.UnixMilli()
		}
	}
	i := int32(len(ix.modstamps))
	ix.ids = append(ix.ids, id[:]...)
	ix.modstamps = append(ix.modstamps, stamp)
	ix.flags = append(ix.flags, flags)
	ix.idClaim = append(ix.idClaim, 0)
	ix.keyClaim = append(ix.keyClaim, 0)
	key := ix.normKeyFromRow(r, row)
	ix.arena = append(ix.arena, key...)
	ix.offs = append(ix.offs, uint32(len(ix.arena)))
	for _, p := range r.cols {
		ix.arena = append(ix.arena, row.Values[p]...)
		if len(ix.arena) > math.MaxUint32 {
			return -1, fmt.Errorf("query %s: more than 4 GB of values", ix.object)
		}
		ix.offs = append(ix.offs, uint32(len(ix.arena)))
	}
	ix.byID[id] = i
	ix.next = append(ix.next, -1)
	if len(ix.key) == 0 {
		return i, nil // an object without key (its block was removed): found by Id only
	}
	h := maphash.String(ix.seed, key)
	if first, ok := ix.byKey[h]; ok {
		// Keep the chain in insertion order, so that duplicates are
		// reported in the order the org returned them.
		j := first
		for ix.next[j] >= 0 {
			j = ix.next[j]
		}
		ix.next[j] = i
	} else {
		ix.byKey[h] = i
	}
	return i, nil
}

// normKeyFromRow is the normalized key of a query row.
func (ix *orgIndex) normKeyFromRow(r *colReader, row bulk.Row) string {
	if len(ix.key) == 0 {
		return ""
	}
	var b strings.Builder
	for n, p := range ix.key {
		if n > 0 {
			b.WriteString(keySep)
		}
		b.WriteString(orgKeyText(ix.specs[p], ix.keyCS[n], row.Values[r.cols[p]]))
	}
	return b.String()
}

// orgKeyText is the Key text of a value as the org rendered it; a value that
// does not parse (which Salesforce would not render) keeps its text.
func orgKeyText(spec FieldSpec, cs bool, s string) string {
	v, err := ParseOrg(spec, s)
	if err != nil {
		return s
	}
	if spec.Type == TypeNumber || spec.Type == TypeInteger {
		// Numbers read from the org are doubles; a key compares their
		// plain decimal.
		v.approx = false
	}
	return v.Key(cs)
}

// ID is the record's 18-character Id.
func (ix *orgIndex) ID(i int32) string { return string(ix.ids[18*int(i) : 18*int(i)+18]) }

// Modstamp is the record's SystemModstamp.
func (ix *orgIndex) Modstamp(i int32) time.Time {
	if ix.modstamps[i] == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ix.modstamps[i]).UTC()
}

func (ix *orgIndex) slot(i int32, j int) string {
	base := int(i) * ix.stride()
	return string(ix.arena[ix.offs[base+j]:ix.offs[base+j+1]])
}

// Raw is the org's rendering of column c of record i ("" is null).
func (ix *orgIndex) Raw(i int32, c int) string { return ix.slot(i, 1+c) }

// Value is column c of record i, typed.
func (ix *orgIndex) Value(i int32, c int) Value {
	v, err := ParseOrg(ix.specs[c], ix.Raw(i, c))
	if err != nil {
		// Keep what the org said, as text, so that a plan shows it.
		return Value{typ: ix.specs[c].Type, s: ix.Raw(i, c)}
	}
	return v
}

// col is the position of a field among the columns, or -1.
func (ix *orgIndex) col(field string) int {
	if p, ok := ix.colPos[strings.ToLower(field)]; ok {
		return p
	}
	return -1
}

// byIDText finds a record by Id (15 or 18 characters).
func (ix *orgIndex) byIDText(id string) (int32, bool) {
	k, ok := idKey(id)
	if !ok {
		return -1, false
	}
	i, ok := ix.byID[k]
	return i, ok
}

// lookupKey returns the records whose normalized key is key, in the order
// they were read. The common answers, none and one, allocate nothing.
func (ix *orgIndex) lookupKey(key string) []int32 {
	i, ok := ix.byKey[maphash.String(ix.seed, key)]
	if !ok {
		return nil
	}
	var out []int32
	for ; i >= 0; i = ix.next[i] {
		if ix.keyIs(i, key) {
			if out == nil {
				out = ix.one[:1:1]
				out[0] = i
				continue
			}
			out = append(out[:len(out):len(out)], i)
		}
	}
	if len(out) == 1 {
		// Callers read the answer before the next lookup.
		return out
	}
	return out
}

// keyIs reports whether record i's normalized key is key, without
// allocating.
func (ix *orgIndex) keyIs(i int32, key string) bool {
	base := int(i) * ix.stride()
	return string(ix.arena[ix.offs[base]:ix.offs[base+1]]) == key
}

// parseStamp reads a SystemModstamp: quickly in the form Bulk query results
// render datetimes (2024-01-15T10:00:00.000Z), which is read for every
// record, else as any datetime.
func parseStamp(s string) (time.Time, error) {
	if len(s) == 24 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == '.' && s[23] == 'Z' {
		n := func(i, j int) (int, bool) {
			v := 0
			for k := i; k < j; k++ {
				c := s[k]
				if c < '0' || c > '9' {
					return 0, false
				}
				v = v*10 + int(c-'0')
			}
			return v, true
		}
		y, ok1 := n(0, 4)
		mo, ok2 := n(5, 7)
		d, ok3 := n(8, 10)
		h, ok4 := n(11, 13)
		mi, ok5 := n(14, 16)
		sec, ok6 := n(17, 19)
		ms, ok7 := n(20, 23)
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && sec < 60 {
			return time.Date(y, time.Month(mo), d, h, mi, sec, ms*int(time.Millisecond), time.UTC), nil
		}
	}
	return parseDateTime(s)
}

// idKey is the 18-character form of a 15- or 18-character Id, as the index
// keys records; ok is false for anything else. It is sfid.To18 and
// sfid.Valid without allocating, since it runs for every record read.
func idKey(id string) (k [18]byte, ok bool) {
	if len(id) != 15 && len(id) != 18 {
		return k, false
	}
	for i := 0; i < 15; i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return k, false
		}
		k[i] = c
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	for chunk := 0; chunk < 3; chunk++ {
		n := 0
		for i := 0; i < 5; i++ {
			if c := id[chunk*5+i]; 'A' <= c && c <= 'Z' {
				n |= 1 << i
			}
		}
		k[15+chunk] = alphabet[n]
		if len(id) == 18 && !strings.EqualFold(id[15+chunk:16+chunk], alphabet[n:n+1]) {
			return k, false
		}
	}
	return k, true
}
