package command

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// The crash test and the benchmarks run the sfsync binary as users do, in
// processes of their own.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// sfsyncBinary builds sfsync once per test run.
func sfsyncBinary(tb testing.TB) string {
	tb.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sfsync-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "sfsync")
		if runtime.GOOS == "windows" {
			binPath += ".exe"
		}
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/sfsync/sfsync").CombinedOutput()
		if err != nil {
			binErr = errors.New(string(out))
		}
	})
	if binErr != nil {
		tb.Fatalf("build sfsync: %v", binErr)
	}
	return binPath
}

// removeSfsyncBinary deletes the binary once the tests are done.
func removeSfsyncBinary() {
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
}
