//go:build unix

package state

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process with this pid runs on this host.
// Signal 0 checks without signalling: ESRCH means there is none, EPERM that
// it exists but belongs to someone else.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || !errors.Is(err, syscall.ESRCH)
}
