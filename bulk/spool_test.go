package bulk

import (
	"os"
	"runtime"
	"testing"
)

// A spool leaves nothing in its directory, even while open: a process killed
// mid-apply must not litter the temporary directory with record data.
func TestSpoolLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	s, err := newSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	i, _, err := s.add(Record{"Name": Text("Acme")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.w.Flush(); err != nil {
		t.Fatal(err)
	}
	// Windows cannot unlink an open file; there close removes it.
	if runtime.GOOS != "windows" {
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("spool directory holds %d entries while the spool is open, want none", len(entries))
		}
	}
	buf := make([]byte, 1)
	if _, err := s.f.ReadAt(buf, s.offsets[i]); err != nil {
		t.Fatalf("unlinked spool is not readable: %v", err)
	}
	s.close()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("spool directory holds %d entries after close, want none", len(entries))
	}
}
