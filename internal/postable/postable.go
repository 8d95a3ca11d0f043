// Package postable is a hash table of record positions for the compact
// indexes of state and the planner, which may hold millions of records: a
// Go map of keys to positions costs 24 to 50 bytes a record and, with
// string keys, pointers for the garbage collector to scan; a Table costs
// about 12 bytes a record and holds no pointers.
//
// A Table does not store keys. The caller hashes a key (hash/maphash) and
// tells Find whether the record at a position has it, so the keys stay
// where the records keep them. A slot holds the top 32 bits of the key's
// hash and the position; probing is linear, and a key's home slot is
// derived from those 32 bits, so the table grows without hashing again.
package postable

// Table maps keys, by their 64-bit hashes, to int32 positions. The zero
// value is an empty table.
type Table struct {
	slots []uint64 // 0: empty; else the hash's top 32 bits << 32 | position + 1
	n     int
}

// home is the first slot to probe for a key whose hash's top 32 bits are
// tag: the tag scaled to the table's size.
func (t *Table) home(tag uint64) int {
	return int(tag * uint64(len(t.slots)) >> 32)
}

// Len is the number of positions in the table.
func (t *Table) Len() int { return t.n }

// Find returns the position of a key with hash h for which eq reports
// true, or -1.
func (t *Table) Find(h uint64, eq func(p int32) bool) int32 {
	if t.n == 0 {
		return -1
	}
	tag := h >> 32
	for i := t.home(tag); ; i = t.step(i) {
		v := t.slots[i]
		if v == 0 {
			return -1
		}
		if v>>32 == tag {
			if p := int32(uint32(v)) - 1; eq(p) {
				return p
			}
		}
	}
}

func (t *Table) step(i int) int {
	if i++; i == len(t.slots) {
		return 0
	}
	return i
}

// Add adds position p (at least 0) of a key with hash h unless a position
// of the key is there already (eq tells, as for Find): then it returns that
// position and adds nothing. Otherwise it returns -1. It probes once where
// Find and Insert would probe twice.
func (t *Table) Add(h uint64, p int32, eq func(p int32) bool) int32 {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.resize(max(2*len(t.slots), 16))
	}
	tag := h >> 32
	i := t.home(tag)
	for ; t.slots[i] != 0; i = t.step(i) {
		if v := t.slots[i]; v>>32 == tag {
			if q := int32(uint32(v)) - 1; eq(q) {
				return q
			}
		}
	}
	t.slots[i] = tag<<32 | uint64(uint32(p)+1)
	t.n++
	return -1
}

// Insert adds position p (at least 0) of a key with hash h.
func (t *Table) Insert(h uint64, p int32) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.resize(max(2*len(t.slots), 16))
	}
	t.put(h>>32<<32 | uint64(uint32(p)+1))
	t.n++
}

func (t *Table) put(v uint64) {
	i := t.home(v >> 32)
	for t.slots[i] != 0 {
		i = t.step(i)
	}
	t.slots[i] = v
}

// Remove drops position p of a key with hash h, moving back the entries
// after it that it kept from their home slots (so that no tombstones
// accumulate).
func (t *Table) Remove(h uint64, p int32) {
	if t.n == 0 {
		return
	}
	v := h>>32<<32 | uint64(uint32(p)+1)
	i := t.home(v >> 32)
	for t.slots[i] != v {
		if t.slots[i] == 0 {
			return
		}
		i = t.step(i)
	}
	for j := t.step(i); t.slots[j] != 0; j = t.step(j) {
		// The entry at j stays if its home is cyclically in (i, j].
		if k := t.home(t.slots[j] >> 32); i < j && i < k && k <= j || i > j && (i < k || k <= j) {
			continue
		}
		t.slots[i] = t.slots[j]
		i = j
	}
	t.slots[i] = 0
	t.n--
}

// Reserve sizes the table for n positions, about two thirds full.
func (t *Table) Reserve(n int) {
	if n*4 > len(t.slots)*3 {
		t.resize(max(16, n+n/2))
	}
}

func (t *Table) resize(size int) {
	old := t.slots
	t.slots = make([]uint64, size)
	for _, v := range old {
		if v != 0 {
			t.put(v)
		}
	}
}

// Clear empties the table, keeping its size.
func (t *Table) Clear() {
	clear(t.slots)
	t.n = 0
}
