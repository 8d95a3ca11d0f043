//go:build unix

package localorg

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// clientsFile is the file, inside the org directory, through which the
// holder of an org knows whether other processes joined it: each joined
// process holds a shared flock on it for as long as it uses the org, and
// the holder takes it exclusively before it stops serving. The kernel drops
// a killed joiner's flock, so a dead joiner never keeps the holder waiting.
const clientsFile = "clients"

// joinClients takes a shared hold on dir's clients file; ok is false while
// the holder is closing (it holds the file exclusively).
func joinClients(dir string) (release func(), ok bool, err error) {
	return flockClients(dir, syscall.LOCK_SH)
}

// claimClients takes dir's clients file exclusively; ok is false while a
// joined process still uses the org.
func claimClients(dir string) (release func(), ok bool, err error) {
	return flockClients(dir, syscall.LOCK_EX)
}

func flockClients(dir string, how int) (func(), bool, error) {
	f, err := os.OpenFile(filepath.Join(dir, clientsFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, err
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, err
	}
	return func() { f.Close() }, true, nil
}
