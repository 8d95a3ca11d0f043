//go:build !unix && !windows

package state

// processAlive cannot tell on this platform, so every holder is taken to be
// alive: a lock is never treated as stale, and force-unlock releases it.
func processAlive(pid int) bool { return true }
