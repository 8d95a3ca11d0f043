// Package varint reads, from a string, the unsigned varints that
// binary.AppendUvarint writes. The state and the planner keep their compact
// record texts as strings (lengths before values) and read them on every
// lookup; binary.Uvarint would need each converted to bytes first.
package varint

// Read returns the value at the start of s and the number of bytes it
// takes; width is 0 when s does not start with a complete varint.
func Read(s string) (n, width int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s) && i < 10; i++ {
		c := s[i]
		if c < 0x80 {
			return int(x | uint64(c)<<shift), i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}
