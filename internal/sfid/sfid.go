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
	for chunk := 0; chunk < 3; chunk++ {
		n := 0
		for i := 0; i < 5; i++ {
			if c := id[chunk*5+i]; c >= 'A' && c <= 'Z' {
				n |= 1 << i
			}
		}
		k[15+chunk] = checksumAlphabet[n]
		// Salesforce accepts the suffix in any case.
		if len(id) == 18 && upper(id[15+chunk]) != checksumAlphabet[n] {
			return k, false
		}
	}
	return k, true
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
	for chunk := 0; chunk < 3; chunk++ {
		n := 0
		for i := 0; i < 5; i++ {
			if c := id[chunk*5+i]; c >= 'A' && c <= 'Z' {
				n |= 1 << i
			}
		}
		b[15+chunk] = checksumAlphabet[n]
	}
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
