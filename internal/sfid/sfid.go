// Package sfid handles Salesforce record Ids: the 15-character case-sensitive
// form, the 18-character form with its case checksum, and comparison between
// the two. Both the client (bulk, planner) and the local org need exactly the
// same rules, so they live here once.
package sfid

import "strings"

const checksumAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

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
	if len(id) != 15 && len(id) != 18 {
		return false
	}
	for i := 0; i < 15; i++ {
		if !isBase62(id[i]) {
			return false
		}
	}
	if len(id) == 18 {
		return strings.EqualFold(id[15:], To18(id[:15])[15:])
	}
	return true
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
