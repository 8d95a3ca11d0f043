//go:build windows

package state

import (
	"errors"
	"os"
	"syscall"
)

// processAlive reports whether a process with this pid runs on this host.
// On Windows, FindProcess opens the process and fails when there is none;
// a process we may not open (access denied) exists.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return errors.Is(err, syscall.ERROR_ACCESS_DENIED)
	}
	p.Release()
	return true
}
