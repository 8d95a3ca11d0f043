package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
)

// Lock creates the lock file PATH.lock holding info. The file appears
// complete or not at all: it is written under a temporary name and
// hard-linked into place, which fails if a lock file exists. A lock whose
// holder ran on this host and is no longer running is stale: it is removed
// and reported in Lease.Replaced. A holder on another host cannot be
// checked, so its lock is never taken over; force-unlock releases it.
func (b *LocalBackend) Lock(_ context.Context, info LockInfo) (Lease, error) {
	if info.ID == "" {
		return Lease{}, errors.New("lock: the lock has no id")
	}
	lp := b.LockPath()
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return Lease{}, fmt.Errorf("lock %s: %w", b, err)
	}
	data = append(data, '\n')
	if err := makeDir(lp); err != nil {
		return Lease{}, fmt.Errorf("lock %s: %w", b, err)
	}
	var replaced *LockInfo
	for range 3 {
		err := createExclusive(lp, data)
		if err == nil {
			b.mu.Lock()
			b.heldID = info.ID
			b.mu.Unlock()
			return Lease{Info: info, Replaced: replaced}, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return Lease{}, fmt.Errorf("lock %s: %w", b, err)
		}
		holder, err := readLockSettled(lp)
		if errors.Is(err, fs.ErrNotExist) {
			continue // released in the meantime
		}
		if err != nil {
			return Lease{}, err
		}
		if !isStale(holder) {
			return Lease{}, &LockedError{Backend: b.String(), Holder: holder}
		}
		if err := removeLock(lp, holder.ID); err != nil {
			return Lease{}, fmt.Errorf("remove stale lock %s: %w", lp, err)
		}
		replaced = &holder
	}
	return Lease{}, fmt.Errorf("lock %s: other runs keep taking and releasing the lock; try again", b)
}

// isStale reports whether the holder ran on this host and is gone.
func isStale(h LockInfo) bool {
	host, err := os.Hostname()
	if err != nil || h.Host != host || h.PID == os.Getpid() {
		return false
	}
	return !processAlive(h.PID)
}

// createExclusive creates path with data, failing with fs.ErrExist if it
// exists. Readers never see it partly written, except on file systems
// without hard links, where it falls back to O_EXCL.
func createExclusive(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	err = linkFile(tmp, path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	// No hard links here: create in place.
	g, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = g.Write(data)
	if err == nil {
		err = g.Sync()
	}
	if cerr := g.Close(); err == nil {
		err = cerr
	}
	return err
}

func readLock(path string) (LockInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return LockInfo{}, err
	}
	var info LockInfo
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&info); err != nil || info.ID == "" {
		if err == nil {
			err = errors.New("it has no lock id")
		}
		return LockInfo{}, &damagedLockError{path, err}
	}
	return info, nil
}

// readLockSettled reads the lock file, reading once more after a moment if
// it does not decode: a lock created in place (no hard links) may be read
// before it is fully written.
func readLockSettled(path string) (LockInfo, error) {
	info, err := readLock(path)
	if de := (*damagedLockError)(nil); errors.As(err, &de) {
		time.Sleep(100 * time.Millisecond)
		info, err = readLock(path)
	}
	return info, err
}

type damagedLockError struct {
	path string
	err  error
}

func (e *damagedLockError) Error() string {
	return fmt.Sprintf("lock file %s is damaged (%v); if no sfsync run is using this state, remove it", e.path, e.err)
}

// removeLock removes the lock file if it holds the lock id. Checking and
// removing cannot be one step, so the file is first renamed to a name of
// our own (only one run can win that rename) and checked there; a lock that
// turns out to be another one is linked back.
func removeLock(path, id string) error {
	aside := fmt.Sprintf("%s.release-%s", path, uuid.NewString()[:8])
	if err := os.Rename(path, aside); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // someone else removed it
		}
		return err
	}
	defer os.Remove(aside)
	got, err := readLock(aside)
	if err == nil && got.ID == id {
		return nil
	}
	// Not the lock we meant: another run took the lock between our read
	// and the rename. Put it back. Should a third run have created a lock
	// in that instant too, the link fails, and the run we displaced finds
	// a lock that is not its own when it unlocks, and says so.
	if lerr := linkFile(aside, path); lerr != nil && !errors.Is(lerr, fs.ErrExist) {
		return fmt.Errorf("put back the lock of another run: %w", lerr)
	}
	return nil
}

// Unlock removes the lock file if it holds the lock id.
func (b *LocalBackend) Unlock(_ context.Context, id string) error {
	lp := b.LockPath()
	holder, err := readLock(lp)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("unlock %s: %w", b, ErrNotLocked)
	}
	if err != nil {
		return fmt.Errorf("unlock %s: %w", b, err)
	}
	if holder.ID != id {
		return fmt.Errorf("unlock %s: it is locked with lock ID %s, not %s; that lock is held by %s", b, holder.ID, id, holder)
	}
	if err := removeLock(lp, id); err != nil {
		return fmt.Errorf("unlock %s: %w", b, err)
	}
	b.mu.Lock()
	if b.heldID == id {
		b.heldID = ""
	}
	b.mu.Unlock()
	return nil
}

// LockHolder returns the lock file's holder, or nil when there is none.
func (b *LocalBackend) LockHolder(context.Context) (*LockInfo, error) {
	info, err := readLock(b.LockPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &info, nil
}
