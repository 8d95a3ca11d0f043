// Package sfid handles Salesforce record Ids: the 15-character case-sensitive
// form, the 18-character form with its case checksum, and comparison between
// the two. Both the client (bulk, planner) and the local org need exactly the
// same rules, so they live here once.
package sfid

const checksumAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

// Canonical is Valid and To18 in one pass and without allocating: the
// 18-character form of a well-formed 15- or 18-character Id, with ok false
// for anything else. The state and the planner run it for every record they
// index, so it takes either a string or the bytes of one.
func Canonical[T string | []byte](id T) (k [18]byte, ok bool) {
	if len(id) != 15 && len(id) != 18 {
		return k, false
	}
	for i := 0; i < 15; i++ {
		if !isBase62(id[i]) {
			return k, false
		}
		k[i] = id[i]
	}
	sum := checksum(id)
	copy(k[15:], sum[:])
	// Salesforce accepts the suffix in any case.
	if len(id) == 18 && (upper(id[15]) != sum[0] || upper(id[16]) != sum[1] || upper(id[17]) != sum[2]) {
		return k, false
	}
	return k, true
}

// checksum computes the 3-character suffix of the 18-character form from
// the case of the first 15 characters: one character per 5, each bit an
// upper-case letter.
func checksum[T string | []byte](id T) (sum [3]byte) {
	for chunk := range 3 {
		n := 0
		for i := range 5 {
			if c := id[chunk*5+i]; c >= 'A' && c <= 'Z' {
				n |= 1 << i
			}
		}
		sum[chunk] = checksumAlphabet[n]
	}
	return sum
}

// To18 returns the 18-character form of a 15- or 18-character Id. An
// 18-character Id is returned with its checksum recomputed (Salesforce accepts
// the suffix in any case and always answers in upper case). Any other input is
// returned unchanged; use Valid to reject it.
func To18(id string) string {
	if len(id) != 15 && len(id) != 18 {
		return id
	}
	b := make([]byte, 18)
	copy(b, id[:15])
	sum := checksum(id)
	copy(b[15:], sum[:])
	return string(b)
}

// Valid reports whether id is a well-formed 15- or 18-character Id: base-62
// characters and, for 18 characters, a suffix that matches the checksum of the
// first 15 (compared case-insensitively, as Salesforce does).
func Valid(id string) bool {
	_, ok := Canonical(id)
	return ok
}

// Equal reports whether a and b name the same record: the 15-character
// prefixes compared case-sensitively. Invalid Ids are compared as strings.
func Equal(a, b string) bool {
	if !Valid(a) || !Valid(b) {
		return a == b
	}
	return a[:15] == b[:15]
}

// Prefix returns the 3-character key prefix that names the object type.
func Prefix(id string) string {
	if len(id) < 3 {
		return ""
	}
	return id[:3]
}

func isBase62(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}
