//go:build unix

package localorg

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// dirLock is the lock a process holds on an org directory: the file "lock"
// holding the holder's pid, flock'ed. The kernel drops the flock when the
// process dies, however it dies, so a dead holder's lock is taken over
// without guessing from pids (which the OS reuses).
type dirLock struct {
	f *os.File
}

// errLocked reports that a live process holds the directory.
type errLocked struct {
	pid int
}

func (e *errLocked) Error() string {
	if e.pid > 0 {
		return fmt.Sprintf("held by process %d", e.pid)
	}
	return "held by another process"
}

func lockDir(path string) (*dirLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			return nil, &errLocked{pid: pid}
		}
		return nil, err
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		f.Close()
		return nil, err
	}
	return &dirLock{f: f}, nil
}

func (l *dirLock) unlock() error {
	// Empty the pid first so nobody mistakes a released lock for a live one.
	l.f.Truncate(0)
	return l.f.Close()
}
