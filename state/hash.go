package state

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"maps"
	"slices"
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
	_, ok := parseHash(s)
	return ok
}

// parseHash reads a hash of the form sha256:<64 hex digits>, in lower case
// as HashValues writes it.
func parseHash[T string | []byte](s T) (sum [sha256.Size]byte, ok bool) {
	if len(s) != len(hashPrefix)+2*sha256.Size || string(s[:len(hashPrefix)]) != hashPrefix {
		return sum, false
	}
	var bad byte
	for i := range sum {
		hi, lo := hexValue[s[len(hashPrefix)+2*i]], hexValue[s[len(hashPrefix)+2*i+1]]
		bad |= hi | lo
		sum[i] = hi<<4 | lo&0xf
	}
	return sum, bad&0x10 == 0
}

// hexValue is the value of each lower-case hexadecimal digit; any other
// byte has bit 0x10 set.
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0x10
	}
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c - '0'
	}
	for c := byte('a'); c <= 'f'; c++ {
		t[c] = c - 'a' + 10
	}
	return t
}()

// appendHash writes the text form of a hash's 32 bytes.
func appendHash(b []byte, sum string) []byte {
	const digits = "0123456789abcdef"
	b = append(b, hashPrefix...)
	for i := 0; i < len(sum); i++ {
		b = append(b, digits[sum[i]>>4], digits[sum[i]&0xf])
	}
	return b
}
