//go:build unix

package state

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestSymlinkedStateStaysALink(t *testing.T) {
	ctx := context.Background()
	realDir, linkDir := t.TempDir(), t.TempDir()
	real := filepath.Join(realDir, "shared.json")
	link := filepath.Join(linkDir, DefaultPath)
	must(t, os.Symlink(real, link))
	st, err := Open(ctx, NewLocalBackend(link), Options{Operation: "test"})
	if err != nil {
		t.Fatal(err)
	}
	must(t, st.Persist(ctx))
	must(t, st.Persist(ctx))
	must(t, st.Close(ctx))
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the state path is no longer a link: %v %v", fi.Mode(), err)
	}
	if readSerial(t, real) != 2 || readSerial(t, real+".backup") != 1 {
		t.Error("the link's target was not the one written")
	}
}
