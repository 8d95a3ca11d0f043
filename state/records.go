package state

import (
	"cmp"
	"encoding/binary"
	"hash/maphash"
	"slices"
	"sort"
	"strings"

	"github.com/sfsync/sfsync/internal/postable"
	"github.com/sfsync/sfsync/internal/varint"
)

// records holds the bound records of a State compactly, because a state may
// bind millions: each record is one small struct whose text (address, Id,
// value hash and key values) lives in a shared arena, object names and key
// field names are interned, and the two lookups (by address, by Id) are
// open-addressing tables of positions, without pointers. A Record with its
// key map is made only when a caller asks for one.
//
// rs is kept in file order (object, then address) as far as possible:
// rebinding an address in place keeps the order, a new address is appended
// and a removed one marked dead, and normalize restores the order (merging
// the appended records into the sorted rest) before the records are read
// in order.
type records struct {
	rs     []rec
	sorted int // rs[:sorted] is in file order, dead records aside
	dead   int

	objects []string // interned object names
	objIx   map[string]uint32
	objLive []int      // live records per object
	ranks   []int      // position of each object in name order; nil when stale
	shapes  [][]string // interned lists of key field names, each sorted
	shapeIx map[string]uint32

	seed   maphash.Seed
	byAddr postable.Table
	byID   postable.Table
	arena  arena
	buf    []byte // where a record's text is assembled
}

// rec is one record. Its text is the address, the 18-character Id, the 32
// bytes of the value hash when it has one, then each key value (in the
// order of its shape's names) as a uvarint length and the bytes.
type rec struct {
	text  string
	alen  uint32 // length of the address
	obj   uint32 // index in objects
	shape uint32 // index in shapes
	flags uint8
}

const (
	recDead uint8 = 1 << iota
	recHash       // the text holds a value hash
)

const (
	idLen   = 18 // an 18-character Salesforce Id
	hashLen = 32 // a SHA-256 sum
)

func (r *rec) addr() string { return r.text[:r.alen] }
func (r *rec) id() string   { return r.text[r.alen : r.alen+idLen] }

// rawHash is the value hash's 32 bytes, or "" when the record has none.
func (r *rec) rawHash() string {
	if r.flags&recHash == 0 {
		return ""
	}
	return r.text[r.alen+idLen : r.alen+idLen+hashLen]
}

// keyText is the encoded key values.
func (r *rec) keyText() string {
	start := r.alen + idLen
	if r.flags&recHash != 0 {
		start += hashLen
	}
	return r.text[start:]
}

func newRecords() records {
	return records{
		objIx:   map[string]uint32{},
		shapes:  [][]string{nil}, // shape 0: no key fields
		shapeIx: map[string]uint32{"": 0},
		seed:    maphash.MakeSeed(),
	}
}

// Len is the number of live records.
func (t *records) Len() int { return len(t.rs) - t.dead }

// reserve makes room for n records in all, so that a large state read
// from a file does not grow its slice and tables step by step.
func (t *records) reserve(n int) {
	if n <= len(t.rs) || n > 1<<30 {
		return
	}
	t.rs = slices.Grow(t.rs, n-len(t.rs))
	t.byAddr.Reserve(n)
	t.byID.Reserve(n)
}

// newRec is a record to store: its parts as bytes, the key fields sorted
// by name without duplicates, hash empty or 32 bytes.
type newRec struct {
	addr, object []byte
	id           [idLen]byte
	hash         []byte
	keys         []keyField
}

type keyField struct{ name, value []byte }

// sortKeys sorts the key fields by name; of fields with one name the last
// one counts, as when JSON is decoded into a map.
func sortKeys(keys []keyField) []keyField {
	if len(keys) < 2 {
		return keys
	}
	slices.SortStableFunc(keys, func(a, b keyField) int { return strings.Compare(string(a.name), string(b.name)) })
	out := keys[:0]
	for i, k := range keys {
		if i+1 < len(keys) && string(keys[i+1].name) == string(k.name) {
			continue
		}
		out = append(out, k)
	}
	return out
}

// findAddr returns the position of the live record with address a, or -1.
func (t *records) findAddr(a string) int32 {
	return t.byAddr.Find(maphash.String(t.seed, a), func(p int32) bool { return t.rs[p].addr() == a })
}

func (t *records) findAddrBytes(a []byte) int32 {
	return t.byAddr.Find(maphash.Bytes(t.seed, a), func(p int32) bool { return t.rs[p].addr() == string(a) })
}

// findID returns the position of the live record with the Id, or -1.
func (t *records) findID(id *[idLen]byte) int32 {
	return t.byID.Find(maphash.Bytes(t.seed, id[:]), func(p int32) bool { return t.rs[p].id() == string(id[:]) })
}

// insert adds a record whose address and Id are not bound.
func (t *records) insert(n *newRec) {
	r := t.build(n)
	p := int32(len(t.rs))
	t.rs = append(t.rs, r)
	t.objLive[r.obj]++
	t.byAddr.Insert(maphash.String(t.seed, r.addr()), p)
	t.byID.Insert(maphash.String(t.seed, r.id()), p)
}

// insertDecoded adds a record read from a file, unless its address or its
// Id is bound: then it returns the position of the record that holds it
// and whether that is the address, and the records are not to be used
// any further (the file is in error).
func (t *records) insertDecoded(n *newRec) (other int32, addrTaken bool) {
	r := t.build(n)
	p := int32(len(t.rs))
	t.rs = append(t.rs, r)
	t.objLive[r.obj]++
	a := r.addr()
	if q := t.byAddr.Add(maphash.String(t.seed, a), p, func(q int32) bool { return t.rs[q].addr() == a }); q >= 0 {
		return q, true
	}
	id := r.id()
	if q := t.byID.Add(maphash.String(t.seed, id), p, func(q int32) bool { return t.rs[q].id() == id }); q >= 0 {
		return q, false
	}
	return -1, false
}

// replace puts a record in place of the one at p, which has the same
// address and object, so that the order holds. Its Id must be bound to
// no other record.
func (t *records) replace(p int32, n *newRec) {
	old := &t.rs[p]
	if old.id() != string(n.id[:]) {
		t.byID.Remove(maphash.String(t.seed, old.id()), p)
		t.byID.Insert(maphash.Bytes(t.seed, n.id[:]), p)
	}
	t.objLive[old.obj]--
	r := t.build(n)
	t.objLive[r.obj]++
	t.rs[p] = r
}

// remove marks the record at p dead.
func (t *records) remove(p int32) {
	r := &t.rs[p]
	t.byAddr.Remove(maphash.String(t.seed, r.addr()), p)
	t.byID.Remove(maphash.String(t.seed, r.id()), p)
	t.objLive[r.obj]--
	*r = rec{flags: recDead}
	t.dead++
}

// build assembles a record's text in the arena and interns its object
// and key field names.
func (t *records) build(n *newRec) rec {
	r := rec{obj: t.object(n.object), alen: uint32(len(n.addr))}
	b := append(t.buf[:0], n.addr...)
	b = append(b, n.id[:]...)
	if len(n.hash) > 0 {
		r.flags |= recHash
		b = append(b, n.hash...)
	}
	// The shape is looked up by its names, each after its length.
	at := len(b)
	for _, k := range n.keys {
		b = binary.AppendUvarint(b, uint64(len(k.name)))
		b = append(b, k.name...)
	}
	r.shape = t.shape(b[at:], n.keys)
	b = b[:at]
	for _, k := range n.keys {
		b = binary.AppendUvarint(b, uint64(len(k.value)))
		b = append(b, k.value...)
	}
	r.text = t.arena.add(b)
	t.buf = b
	return r
}

func (t *records) object(name []byte) uint32 {
	if i, ok := t.objIx[string(name)]; ok {
		return i
	}
	i := uint32(len(t.objects))
	s := string(name)
	t.objects = append(t.objects, s)
	t.objIx[s] = i
	t.objLive = append(t.objLive, 0)
	t.ranks = nil
	return i
}

func (t *records) shape(lookup []byte, keys []keyField) uint32 {
	if i, ok := t.shapeIx[string(lookup)]; ok {
		return i
	}
	i := uint32(len(t.shapes))
	names := make([]string, len(keys))
	for j, k := range keys {
		names[j] = string(k.name)
	}
	t.shapes = append(t.shapes, names)
	t.shapeIx[string(lookup)] = i
	return i
}

// eachKey calls fn with each key field of r, in name order.
func (t *records) eachKey(r *rec, fn func(name, value string)) {
	text := r.keyText()
	for _, name := range t.shapes[r.shape] {
		n, w := uvarint(text)
		fn(name, text[w:w+n])
		text = text[w+n:]
	}
}

// uvarint reads a length written by binary.AppendUvarint.
func uvarint(s string) (n, width int) {
	n, width = varint.Read(s)
	if width == 0 {
		panic("state: corrupt record text")
	}
	return n, width
}

// record makes the Record of the record at p.
func (t *records) record(p int32) Record {
	r := &t.rs[p]
	out := Record{Address: r.addr(), Object: t.objects[r.obj], ID: r.id(), Key: make(map[string]string, len(t.shapes[r.shape]))}
	t.eachKey(r, func(name, value string) { out.Key[name] = value })
	if h := r.rawHash(); h != "" {
		out.Hash = string(appendHash(nil, h))
	}
	return out
}

func (t *records) binding(p int32) Binding {
	r := &t.rs[p]
	return Binding{Address: r.addr(), Object: t.objects[r.obj], ID: r.id()}
}

// ordered reports whether the records are in file order without dead
// ones and the objects ranked, as normalize leaves them: then they can be
// read in order without changing anything.
func (t *records) ordered() bool {
	return t.dead == 0 && t.sorted == len(t.rs) && len(t.ranks) == len(t.objects)
}

// normalize puts the records in file order and drops the dead ones: the
// sorted part is compacted, the appended records sorted and merged into
// it, and the lookup tables rebuilt.
func (t *records) normalize() {
	rank := t.objectRanks()
	if t.ordered() {
		return
	}
	compare := func(a, b *rec) int {
		return cmp.Or(cmp.Compare(rank[a.obj], rank[b.obj]), strings.Compare(a.addr(), b.addr()))
	}
	n := 0
	for i := range t.rs[:t.sorted] {
		if t.rs[i].flags&recDead == 0 {
			t.rs[n] = t.rs[i]
			n++
		}
	}
	var tail []rec
	for _, r := range t.rs[t.sorted:] {
		if r.flags&recDead == 0 {
			tail = append(tail, r)
		}
	}
	slices.SortFunc(tail, func(a, b rec) int { return compare(&a, &b) })
	// Merge from the back, in place: the merged records fit where the
	// sorted part and the tail were.
	total := n + len(tail)
	i, j := n-1, len(tail)-1
	for k := total - 1; j >= 0; k-- {
		if i >= 0 && compare(&t.rs[i], &tail[j]) > 0 {
			t.rs[k] = t.rs[i]
			i--
		} else {
			t.rs[k] = tail[j]
			j--
		}
	}
	clear(t.rs[total:])
	t.rs = t.rs[:total]
	if cap(t.rs) > 2*total+1024 {
		t.rs = slices.Clip(slices.Clone(t.rs))
	}
	t.sorted, t.dead = total, 0
	t.byAddr.Clear()
	t.byID.Clear()
	t.byAddr.Reserve(total)
	t.byID.Reserve(total)
	for p := range t.rs {
		r := &t.rs[p]
		t.byAddr.Insert(maphash.String(t.seed, r.addr()), int32(p))
		t.byID.Insert(maphash.String(t.seed, r.id()), int32(p))
	}
}

// objectRanks returns each object's position in name order. Unless
// ordered, it changes t.
func (t *records) objectRanks() []int {
	if len(t.ranks) == len(t.objects) {
		return t.ranks
	}
	order := make([]int, len(t.objects))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(t.objects[a], t.objects[b]) })
	t.ranks = make([]int, len(t.objects))
	for rank, obj := range order {
		t.ranks[obj] = rank
	}
	return t.ranks
}

// objectRange returns where the records of object are in rs, which must be
// normalized.
func (t *records) objectRange(object string) (lo, hi int) {
	obj, ok := t.objIx[object]
	if !ok {
		return 0, 0
	}
	rank := t.objectRanks()
	lo = sort.Search(len(t.rs), func(i int) bool { return rank[t.rs[i].obj] >= rank[obj] })
	hi = sort.Search(len(t.rs), func(i int) bool { return rank[t.rs[i].obj] > rank[obj] })
	return lo, hi
}

// arena hands out strings carved from large shared blocks, so that a
// million small texts are not a million allocations. A block is never
// written where it has handed out a string.
type arena struct{ b strings.Builder }

const arenaBlock = 64 << 10

func (a *arena) add(p []byte) string {
	if a.b.Cap()-a.b.Len() < len(p) {
		a.b = strings.Builder{}
		a.b.Grow(max(arenaBlock, len(p)))
	}
	start := a.b.Len()
	a.b.Write(p)
	return a.b.String()[start:]
}
