//go:build !unix

package localorg

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// dirLock is the lock a process holds on an org directory: the file "lock"
// created exclusively with the holder's pid. Without flock, a lock whose
// pid no longer runs is taken over.
type dirLock struct {
	path string
}

type errLocked struct {
	pid int
}

func (e *errLocked) Error() string { return fmt.Sprintf("held by process %d", e.pid) }

func lockDir(path string) (*dirLock, error) {
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, err = f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
			f.Close()
			return &dirLock{path: path}, err
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, err
		}
		b, _ := os.ReadFile(path)
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		if pid > 0 && processAlive(pid) {
			return nil, &errLocked{pid: pid}
		}
		os.Remove(path)
	}
	return nil, errors.New("lock file keeps reappearing")
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	// On Windows FindProcess opens the process and fails if it is gone.
	p.Release()
	return true
}

func (l *dirLock) unlock() error { return os.Remove(l.path) }
