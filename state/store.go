package state

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sfsync/sfsync/internal/version"
)

// Options says how Open takes the state.
type Options struct {
	// Operation is what this run does ("apply", "state rm"), recorded in
	// the lock for other runs' messages.
	Operation string
	// NoLock reads and writes without the lock (-lock=false).
	NoLock bool
	// LockTimeout is how long to wait for a lock held by another run
	// (-lock-timeout); zero fails at once.
	LockTimeout time.Duration
	// OnWait, when set, is called once if the lock is held and Open starts
	// waiting for it.
	OnWait func(holder LockInfo)
	// OnLocked, when set, is called once the lock is held (at once with
	// NoLock), before the state is read: a run that reads the org while the
	// state loads must not start before then, or it could read what another
	// run was still writing.
	OnLocked func()
	// OrgID, when set, is checked by the org guard (State.BindOrg) right
	// after reading.
	OrgID, InstanceURL string
}

// Store is a state taken for one run: locked (unless asked not to), read,
// and written back by Persist as often as the run finishes work.
type Store struct {
	backend Backend
	state   *State
	lease   *Lease

	mu     sync.Mutex // serializes Persist and Close
	closed bool
}

// Open locks the backend's state, waiting up to opts.LockTimeout for
// another run's lock, and reads it; a backend with no state yet gives an
// empty State with a fresh lineage. On error nothing stays locked.
func Open(ctx context.Context, b Backend, opts Options) (*Store, error) {
	st := &Store{backend: b}
	if !opts.NoLock {
		lease, err := acquire(ctx, b, NewLockInfo(opts.Operation), opts.LockTimeout, opts.OnWait)
		if err != nil {
			return nil, err
		}
		st.lease = &lease
	}
	if opts.OnLocked != nil {
		opts.OnLocked()
	}
	s, err := b.Read(ctx)
	if err == nil && s == nil {
		s = New()
	}
	if err == nil && opts.OrgID != "" {
		err = s.BindOrg(opts.OrgID, opts.InstanceURL)
	}
	if err != nil {
		if st.lease != nil {
			if uerr := b.Unlock(context.WithoutCancel(ctx), st.lease.Info.ID); uerr != nil {
				err = errors.Join(err, uerr)
			}
		}
		return nil, err
	}
	st.state = s
	return st, nil
}

// acquire tries the lock, then polls with a growing delay (up to a second)
// until timeout, calling onWait once when it starts waiting.
func acquire(ctx context.Context, l Locker, info LockInfo, timeout time.Duration, onWait func(LockInfo)) (Lease, error) {
	start := time.Now()
	delay := 50 * time.Millisecond
	for waiting := false; ; waiting = true {
		lease, err := l.Lock(ctx, info)
		var le *LockedError
		if !errors.As(err, &le) {
			return lease, err
		}
		elapsed := time.Since(start)
		if elapsed >= timeout {
			if timeout > 0 {
				le.Waited = elapsed
			}
			return Lease{}, le
		}
		if !waiting && onWait != nil {
			onWait(le.Holder)
		}
		t := time.NewTimer(min(delay, timeout-elapsed))
		select {
		case <-ctx.Done():
			t.Stop()
			return Lease{}, fmt.Errorf("waiting for the lock of %s: %w", le.Backend, ctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, time.Second)
	}
}

// State is the state this run reads and changes.
func (st *Store) State() *State { return st.state }

// Lease is the lock this run holds, or nil with NoLock.
func (st *Store) Lease() *Lease { return st.lease }

// Backend is where the state lives.
func (st *Store) Backend() Backend { return st.backend }

// Persist writes the state as its next version (serial + 1, this sfsync's
// version). Apply calls it after every finished job and after journaling a
// job, so that a killed run loses nothing. Pass a context that outlives
// interrupts (context.WithoutCancel): saving what was done must not be
// cancelled.
func (st *Store) Persist(ctx context.Context) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return errors.New("persist state: the store is closed")
	}
	s := st.state
	prevSerial, prevVersion := s.Serial(), s.SfsyncVersion()
	s.setSerial(prevSerial+1, version.Version)
	if err := st.backend.Write(ctx, s); err != nil {
		s.setSerial(prevSerial, prevVersion)
		return err
	}
	return nil
}

// Close releases the lock. It is safe to call more than once.
func (st *Store) Close(ctx context.Context) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return nil
	}
	st.closed = true
	if st.lease == nil {
		return nil
	}
	return st.backend.Unlock(context.WithoutCancel(ctx), st.lease.Info.ID)
}
