package varint

import (
	"encoding/binary"
	"testing"
)

func TestReadAgreesWithBinary(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 300, 16383, 16384, 1 << 31, 1<<40 + 5} {
		b := binary.AppendUvarint(nil, v)
		n, w := Read(string(b) + "tail")
		if uint64(n) != v || w != len(b) {
			t.Errorf("Read(%x) = %d, %d; want %d, %d", b, n, w, v, len(b))
		}
	}
	for _, s := range []string{"", "\x80", "\xff\xff"} {
		if _, w := Read(s); w != 0 {
			t.Errorf("Read(%q) width %d, want 0", s, w)
		}
	}
}
