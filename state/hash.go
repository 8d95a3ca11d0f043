package state

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
)

const hashPrefix = "sha256:"

// HashValues returns the hash state keeps of the managed values last applied
// to a record, so that state holds no field values but can still tell
// whether the values sfsync wants are the ones it wrote. values maps field
// names to their values in the planner's normalized text form; as in
// Salesforce, "" is null. The hash does not depend on map order, and field
// names and values cannot run into each other.
func HashValues(values map[string]string) string {
	h := sha256.New()
	var n [8]byte
	write := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		write(name)
		write(values[name])
	}
	return hashPrefix + hex.EncodeToString(h.Sum(nil))
}

func validHash(s string) bool {
	hexPart, ok := strings.CutPrefix(s, hashPrefix)
	if !ok || len(hexPart) != 2*sha256.Size {
		return false
	}
	for _, c := range hexPart {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
