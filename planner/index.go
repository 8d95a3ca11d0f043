package planner

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/internal/postable"
	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/internal/sfvalue"
	"github.com/sfsync/sfsync/internal/varint"
)

// orgIndex holds the org records of one object that a plan read: the rows of
// the object's query, and those found afterwards by Id or by key. It is
// compact because it may hold millions of records: a record's normalized key
// and queried values are one text in large shared blocks, found through one
// 32-bit locator; the lookups are tables of positions without pointers (so
// the garbage collector never scans them); and values stay in the org's
// rendering until a diff reads them.
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

	ids       []byte  // 18 bytes per record
	modstamps []int64 // SystemModstamp, Unix milliseconds
	// A record's text is its normalized key, then each column's value.
	// Each is a uvarint x, and for even x the x/2 bytes of the value; odd
	// x is entry x/2 of the column's dictionary or, for the key, the key
	// column's value. locs[i] locates record i's text: the block (the top
	// bits) and the offset in it.
	blocks []string
	block  strings.Builder // the last block, being filled
	locs   []uint32
	dicts  []colDict // parallel to cols
	buf    []byte    // where a record's text is assembled
	flags  []uint8

	// idClaim is the desired record (its ordinal) bound to each org record;
	// keyClaim the desired record whose key is each record's key. 0: none.
	idClaim, keyClaim []uint32

	seed  maphash.Seed
	byID  postable.Table // hash of the Id → record
	byKey postable.Table // hash of the normalized key → first record with it
	next  []int32        // the next record with the same key, or -1
	one   [1]int32       // lookupKey's answer when it is one record
}

// A locator is a block number (the top locBlockBits bits) and an offset in
// the block. Records are packed into blocks of blockSize bytes; a larger
// record gets a block of its own.
const (
	locBlockBits = 12
	locOffBits   = 32 - locBlockBits
	blockSize    = 1 << locOffBits
)

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
	ix.byID.Reserve(total)
	if len(ix.key) > 0 {
		ix.byKey.Reserve(total)
	}
	ix.ids = slices.Grow(ix.ids, 18*n)
	ix.modstamps = slices.Grow(ix.modstamps, n)
	ix.flags = slices.Grow(ix.flags, n)
	ix.idClaim = slices.Grow(ix.idClaim, n)
	ix.keyClaim = slices.Grow(ix.keyClaim, n)
	ix.next = slices.Grow(ix.next, n)
	ix.locs = slices.Grow(ix.locs, n)
}

func newOrgIndex(object string, cols []string, specs []FieldSpec, key []string, keyCS []bool) (*orgIndex, error) {
	ix := &orgIndex{
		object: object,
		cols:   cols,
		specs:  specs,
		colPos: make(map[string]int, len(cols)),
		keyCS:  keyCS,
		seed:   maphash.MakeSeed(),
		dicts:  make([]colDict, len(cols)),
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
	id, ok := sfid.Canonical(idText)
	if !ok {
		return -1, fmt.Errorf("query %s: %q is not a record Id", ix.object, idText)
	}
	hid := maphash.Bytes(ix.seed, id[:])
	if j := ix.byID.Find(hid, func(j int32) bool { return ix.idIs(j, &id) }); j >= 0 {
		return j, nil
	}
	if len(ix.modstamps) >= math.MaxInt32-1 {
		return -1, fmt.Errorf("query %s: too many records", ix.object)
	}
	var stamp int64
	if r.modstamp >= 0 {
		if s := row.Values[r.modstamp]; s != "" {
			t, err := sfvalue.ParseDateTime(s)
			if err != nil {
				// Bulk CSV renders …000Z, REST …000+0000, both of which
				// sfvalue reads; anything else is a bug to report.
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
	var b []byte
	if len(ix.key) == 1 && key == row.Values[r.cols[ix.key[0]]] {
		b = append(ix.buf[:0], 1) // the key column's value
	} else {
		b = appendInline(ix.buf[:0], key)
	}
	for c, p := range r.cols {
		v := row.Values[p]
		if ref, ok := ix.dicts[c].ref(v); ok {
			b = binary.AppendUvarint(b, uint64(ref)<<1|1)
		} else {
			b = appendInline(b, v)
		}
	}
	ix.buf = b
	loc, err := ix.store(b)
	if err != nil {
		return -1, fmt.Errorf("query %s: %w", ix.object, err)
	}
	ix.locs = append(ix.locs, loc)
	ix.byID.Insert(hid, i)
	ix.next = append(ix.next, -1)
	if len(ix.key) == 0 {
		return i, nil // an object without key (its block was removed): found by Id only
	}
	h := maphash.String(ix.seed, key)
	if j := ix.byKey.Add(h, i, func(j int32) bool { return ix.keyIs(j, key) }); j >= 0 {
		// Another record has the key: chain this one, in insertion
		// order, so that duplicates are reported in the order the org
		// returned them.
		for ix.next[j] >= 0 {
			j = ix.next[j]
		}
		ix.next[j] = i
	}
	return i, nil
}

// store copies a record's text into the blocks and returns its locator.
func (ix *orgIndex) store(text []byte) (uint32, error) {
	// Offsets must fit their bits: a block of its own for a large record
	// takes no other.
	if len(ix.blocks) == 0 || ix.block.Cap()-ix.block.Len() < len(text) || ix.block.Len() >= blockSize {
		if len(ix.blocks) == 1<<locBlockBits {
			return 0, errors.New("more than 4 GB of values")
		}
		ix.block = strings.Builder{}
		ix.block.Grow(max(blockSize, len(text)))
		ix.blocks = append(ix.blocks, "")
	}
	off := ix.block.Len()
	ix.block.Write(text)
	// Strings the builder returned stay valid: it only appends.
	ix.blocks[len(ix.blocks)-1] = ix.block.String()
	return uint32(len(ix.blocks)-1)<<locOffBits | uint32(off), nil
}

func appendInline(b []byte, v string) []byte {
	b = binary.AppendUvarint(b, uint64(len(v))<<1)
	return append(b, v...)
}

// field returns field j of record i's text: 0 is the normalized key,
// 1 + c column c.
func (ix *orgIndex) field(i int32, j int) string {
	loc := ix.locs[i]
	text := ix.blocks[loc>>locOffBits][loc&(blockSize-1):]
	for n := 0; ; n++ {
		x, w := uvarint(text)
		text = text[w:]
		if x&1 == 0 {
			if n == j {
				return text[:x>>1]
			}
			text = text[x>>1:]
			continue
		}
		if n == j {
			if j == 0 {
				return ix.field(i, 1+ix.key[0])
			}
			return ix.dicts[j-1].vals[x>>1]
		}
	}
}

// colDict holds the values of a column that repeat (picklists, flags,
// dates, owners…), so that a record refers to one in a byte or two. A
// column whose values hardly repeat stops looking values up once its
// dictionary is full.
type colDict struct {
	ix          map[string]uint32
	vals        []string
	seen, found int
	off         bool
}

const (
	dictMax   = 4096
	dictLen   = 64      // the longest value kept: long texts seldom repeat
	dictProbe = 1 << 16 // values seen before a full dictionary may give up
)

// ref returns v's entry, adding it when there is room; false when v is
// better written out.
func (d *colDict) ref(v string) (uint32, bool) {
	if d.off || len(v) < 2 || len(v) > dictLen {
		return 0, false
	}
	d.seen++
	if r, ok := d.ix[v]; ok {
		d.found++
		return r, true
	}
	if len(d.vals) < dictMax {
		if d.ix == nil {
			d.ix = map[string]uint32{}
		}
		r := uint32(len(d.vals))
		v = strings.Clone(v) // not the query row's memory
		d.vals = append(d.vals, v)
		d.ix[v] = r
		return r, true
	}
	if d.seen >= dictProbe && d.found*4 < d.seen {
		d.off, d.ix = true, nil // the entries stay: records refer to them
	}
	return 0, false
}

// uvarint reads a length written by binary.AppendUvarint.
func uvarint(s string) (n, width int) {
	n, width = varint.Read(s)
	if width == 0 {
		panic("planner: corrupt index text")
	}
	return n, width
}

// findID returns the record with Id id, or -1.
func (ix *orgIndex) findID(id *[18]byte) int32 {
	return ix.byID.Find(maphash.Bytes(ix.seed, id[:]), func(i int32) bool { return ix.idIs(i, id) })
}

func (ix *orgIndex) idIs(i int32, id *[18]byte) bool {
	return string(ix.ids[18*int(i):18*int(i)+18]) == string(id[:])
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

// Raw is the org's rendering of column c of record i ("" is null).
func (ix *orgIndex) Raw(i int32, c int) string { return ix.field(i, 1+c) }

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
	k, ok := sfid.Canonical(id)
	if !ok {
		return -1, false
	}
	i := ix.findID(&k)
	return i, i >= 0
}

// lookupKey returns the records whose normalized key is key, in the order
// they were read. The common answers, none and one, allocate nothing.
func (ix *orgIndex) lookupKey(key string) []int32 {
	i := ix.byKey.Find(maphash.String(ix.seed, key), func(j int32) bool { return ix.keyIs(j, key) })
	if i < 0 {
		return nil
	}
	if ix.next[i] < 0 {
		// Callers read the answer before the next lookup.
		ix.one[0] = i
		return ix.one[:1:1]
	}
	var out []int32
	for ; i >= 0; i = ix.next[i] {
		out = append(out, i)
	}
	return out
}

// keyIs reports whether record i's normalized key is key.
func (ix *orgIndex) keyIs(i int32, key string) bool { return ix.field(i, 0) == key }
