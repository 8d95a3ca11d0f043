package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"time"

	"github.com/google/uuid"

	"github.com/sfsync/sfsync/internal/version"
)

// Reader reads the stored state.
type Reader interface {
	// Read returns the stored state, or nil and no error when nothing has
	// been stored yet.
	Read(ctx context.Context) (*State, error)
}

// Writer stores a state.
type Writer interface {
	// Write stores s as the next version of the stored state. It refuses,
	// with a *ConflictError, unless nothing is stored and s.Serial() is 1,
	// or the stored state has s's lineage and serial s.Serial()-1, so that a
	// writer never overwrites a state it did not read. Write is atomic: the
	// stored state is the old version or the new one, never a mix.
	Write(ctx context.Context, s *State) error
}

// Locker keeps two runs from writing the same state.
type Locker interface {
	// Lock takes the lock for the run described by info (whose ID is the
	// lock's id) without waiting. A lock held by another run is a
	// *LockedError naming it.
	Lock(ctx context.Context, info LockInfo) (Lease, error)
	// Unlock releases the lock with the given id. It is also how
	// force-unlock releases a lock some other run holds.
	Unlock(ctx context.Context, id string) error
}

// LockInspector is implemented by lockers that can report who holds the
// lock without taking it (force-unlock shows it before releasing).
type LockInspector interface {
	// LockHolder returns the current holder, or nil when the state is not
	// locked.
	LockHolder(ctx context.Context) (*LockInfo, error)
}

// Backend is where a state lives: the local file, or a shared database.
type Backend interface {
	Reader
	Writer
	Locker
	// String names the backend in messages ("state file sfsync.state.json").
	String() string
}

// LockInfo describes who holds a lock, for the message another run prints.
type LockInfo struct {
	ID            string    `json:"id"`
	Operation     string    `json:"operation"`
	Holder        string    `json:"holder"`
	Host          string    `json:"host"`
	PID           int       `json:"pid"`
	Created       time.Time `json:"created"`
	SfsyncVersion string    `json:"sfsync_version"`
}

// NewLockInfo describes this process running operation ("apply",
// "state rm"), with a fresh lock id.
func NewLockInfo(operation string) LockInfo {
	host, _ := os.Hostname()
	return LockInfo{
		ID:            uuid.NewString(),
		Operation:     operation,
		Holder:        currentUser(),
		Host:          host,
		PID:           os.Getpid(),
		Created:       time.Now().UTC().Truncate(time.Millisecond),
		SfsyncVersion: version.Version,
	}
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, k := range []string{"USER", "USERNAME", "LOGNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "unknown"
}

// String describes the holder in one phrase: who, where, doing what, since
// when.
func (l LockInfo) String() string {
	return fmt.Sprintf("%s on %s (pid %d) for %q since %s", l.Holder, l.Host, l.PID, l.Operation,
		l.Created.UTC().Format(time.RFC3339))
}

// Lease is a lock this run holds.
type Lease struct {
	// Info is the lock as stored; Info.ID releases it.
	Info LockInfo
	// Replaced is the stale lock this one replaced: its holder ran on this
	// host and is no longer running, so it could not have released it.
	Replaced *LockInfo
}

// LockedError reports a lock held by another run.
type LockedError struct {
	Backend string // where the state lives
	Holder  LockInfo
	// Waited is how long this run waited for the lock (-lock-timeout)
	// before giving up; zero when it did not wait.
	Waited time.Duration
}

func (e *LockedError) Error() string {
	waited := ""
	if e.Waited > 0 {
		waited = fmt.Sprintf(" (waited %s)", e.Waited.Round(time.Millisecond))
	}
	return fmt.Sprintf("%s is locked by %s, lock ID %s%s\n"+
		"Wait for that run to finish (-lock-timeout=DURATION waits for it), or, if it is gone, release the lock with:\n"+
		"  sfsync force-unlock %s",
		e.Backend, e.Holder, e.Holder.ID, waited, e.Holder.ID)
}

// ErrNotLocked is returned by Unlock when the state is not locked.
var ErrNotLocked = errors.New("the state is not locked")

// ConflictError refuses a write that would overwrite a state the writer did
// not read: another run wrote it since, or it is a different state.
type ConflictError struct {
	Backend string
	Reason  string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("refusing to write %s: %s", e.Backend, e.Reason)
}

// CheckSuccessor is the check every Writer makes before storing s: stored
// is the header of the state stored now (nil when none). Backends share it
// so that they agree on what a conflict is.
func CheckSuccessor(backend string, stored *Header, s *State) error {
	lineage, serial := s.Lineage(), s.Serial()
	switch {
	case stored == nil && serial == 1:
		return nil
	case stored == nil:
		return &ConflictError{backend, fmt.Sprintf("it no longer exists, but this run read serial %d of it", serial-1)}
	case stored.Lineage != lineage:
		return &ConflictError{backend, fmt.Sprintf("it holds a different state (lineage %s, this run's is %s)", stored.Lineage, lineage)}
	case stored.Serial != serial-1:
		return &ConflictError{backend, fmt.Sprintf("another run changed it since this run read it (serial %d there, this run read %d)", stored.Serial, serial-1)}
	}
	return nil
}

// Header is the part of a stored state that says which state and which
// version of it this is.
type Header struct {
	FormatVersion int    `json:"format_version"`
	Lineage       string `json:"lineage"`
	Serial        uint64 `json:"serial"`
}
