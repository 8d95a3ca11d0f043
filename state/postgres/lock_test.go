package postgres

import (
	"errors"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sfsync/sfsync/state"
)

// A second process holds the lock: a run fails at once naming it, or waits
// -lock-timeout and then fails, or waits and gets the lock when the holder
// releases it.
func TestLockContention(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b, dsn, schema := newBackend(t, "staging")
	h := startHolder(t, dsn, schema, "staging")

	_, err := state.Open(ctx, b, state.Options{Operation: "apply"})
	var le *state.LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Open while another process holds the lock: %v; want a LockedError", err)
	}
	if le.Holder.ID != h.id || le.Holder.PID != h.cmd.Process.Pid || le.Holder.Operation != "holder test" || le.Waited != 0 {
		t.Errorf("LockedError names %+v (waited %s); want lock %s of pid %d", le.Holder, le.Waited, h.id, h.cmd.Process.Pid)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, `PostgreSQL state "staging" (`) || !strings.Contains(msg, "  sfsync force-unlock "+h.id) {
		t.Errorf("message:\n%s", msg)
	}
	if got, err := b.LockHolder(ctx); err != nil || got == nil || got.ID != h.id {
		t.Errorf("LockHolder = %v, %v; want lock %s", got, err, h.id)
	}

	// -lock-timeout: waits, then gives up.
	waits := 0
	start := time.Now()
	_, err = state.Open(ctx, b, state.Options{Operation: "apply", LockTimeout: 400 * time.Millisecond, OnWait: func(state.LockInfo) { waits++ }})
	if !errors.As(err, &le) || le.Waited < 400*time.Millisecond || waits != 1 || time.Since(start) < 400*time.Millisecond {
		t.Fatalf("Open with a timeout: %v (waited %s, OnWait called %d times)", err, le.Waited, waits)
	}

	// A run that waits gets the lock once the holder releases it.
	waiting := make(chan state.LockInfo, 1)
	done := make(chan error, 1)
	var st *state.Store
	go func() {
		var err error
		st, err = state.Open(ctx, b, state.Options{Operation: "apply", LockTimeout: time.Minute, OnWait: func(h state.LockInfo) { waiting <- h }})
		done <- err
	}()
	if w := <-waiting; w.ID != h.id {
		t.Errorf("waiting for %s; want %s", w.ID, h.id)
	}
	if got := h.do("close"); got != "closed" {
		t.Fatalf("holder: %s", got)
	}
	if err := <-done; err != nil {
		t.Fatalf("Open waiting for the lock: %v", err)
	}
	if st.Lease().Replaced != nil {
		t.Errorf("a released lock was reported as stale: %+v", st.Lease().Replaced)
	}
	if got, err := b.LockHolder(ctx); err != nil || got == nil || got.ID != st.Lease().Info.ID {
		t.Errorf("LockHolder = %v, %v; want this run's lock", got, err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// A holder killed with SIGKILL cannot release anything, yet its lock goes
// with its session; the next run takes over its record and reports it.
func TestKilledHolderFreesLock(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b, dsn, schema := newBackend(t, "default")
	h := startHolder(t, dsn, schema, "")
	if got := h.do("write"); got != "wrote serial 1" {
		t.Fatalf("holder: %s", got)
	}
	if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	h.cmd.Wait()

	// The server notices the closed connection at once, but not within
	// any bound a test may assume: wait for it.
	st, err := state.Open(ctx, b, state.Options{Operation: "apply", LockTimeout: time.Minute})
	if err != nil {
		t.Fatalf("Open after the holder was killed: %v", err)
	}
	defer st.Close(ctx)
	if r := st.Lease().Replaced; r == nil || r.ID != h.id {
		t.Errorf("Lease.Replaced = %+v; want the killed holder's lock %s", r, h.id)
	}
	if st.State().Serial() != 1 {
		t.Errorf("serial %d; want the killed holder's write, 1", st.State().Serial())
	}
	bind(t, st.State(), 1)
	if err := st.Persist(ctx); err != nil {
		t.Fatal(err)
	}
}

// force-unlock ends the holder's session; the holder learns it at its next
// write and cannot write without the lock.
func TestForceUnlock(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b, dsn, schema := newBackend(t, "default")
	h := startHolder(t, dsn, schema, "")
	if got := h.do("write"); got != "wrote serial 1" {
		t.Fatalf("holder: %s", got)
	}

	err := b.Unlock(ctx, "00000000-0000-0000-0000-000000000000")
	if err == nil || !strings.Contains(err.Error(), "it is locked with lock ID "+h.id+", not 00000000-0000-0000-0000-000000000000; that lock is held by ") {
		t.Fatalf("Unlock with the wrong id: %v", err)
	}
	if err := b.Unlock(ctx, h.id); err != nil {
		t.Fatalf("force-unlock: %v", err)
	}
	if got, err := b.LockHolder(ctx); got != nil || err != nil {
		t.Errorf("LockHolder after force-unlock = %v, %v", got, err)
	}
	if err := b.Unlock(ctx, h.id); !errors.Is(err, state.ErrNotLocked) {
		t.Errorf("second force-unlock: %v; want ErrNotLocked", err)
	}

	// The holder has lost its session and with it the lock.
	if got := h.do("write"); !strings.HasPrefix(got, "error: write PostgreSQL state") || !strings.Contains(got, "has ended (was the lock released with force-unlock") {
		t.Errorf("holder's write after force-unlock: %s", got)
	}
	if got := h.do("close"); !strings.Contains(got, "the database session that held the lock ended before this run finished") {
		t.Errorf("holder's close after force-unlock: %s", got)
	}

	st, err := state.Open(ctx, b, state.Options{Operation: "apply"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	if st.State().Serial() != 1 || st.Lease().Replaced != nil {
		t.Errorf("serial %d, replaced %v; want serial 1 and a clean lock", st.State().Serial(), st.Lease().Replaced)
	}
}

// A session that holds the advisory lock without a lock record (not an
// sfsync run) is named by its session, and force-unlock ends it too.
func TestLockHeldWithoutRecord(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b, dsn, _ := newBackend(t, "default")
	other, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	var pid int32
	if err := other.QueryRow(ctx, "SELECT pg_backend_pid() FROM (SELECT pg_advisory_lock($1)) l", b.key).Scan(&pid); err != nil {
		t.Fatal(err)
	}

	_, err = b.Lock(ctx, state.NewLockInfo("apply"))
	var le *state.LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Lock: %v; want a LockedError", err)
	}
	wantID := SessionLockPrefix + strconv.Itoa(int(pid))
	if le.Holder.ID != wantID || le.Holder.Holder != b.pg.User || le.Holder.PID != int(pid) || !strings.Contains(le.Holder.Operation, "with no lock record") {
		t.Errorf("holder %+v; want lock ID %s", le.Holder, wantID)
	}
	if err := b.Unlock(ctx, wantID); err != nil {
		t.Fatal(err)
	}
	if err := other.Ping(ctx); err == nil {
		t.Error("the session holding the lock was not ended")
	}
	lease, err := b.Lock(ctx, state.NewLockInfo("apply"))
	if err != nil {
		t.Fatal(err)
	}
	// The same backend cannot take its own lock twice.
	if _, err := b.Lock(ctx, state.NewLockInfo("apply")); !errors.As(err, &le) || le.Holder.ID != lease.Info.ID {
		t.Errorf("second Lock: %v", err)
	}
	if err := b.Unlock(ctx, "not-mine"); err == nil || !strings.Contains(err.Error(), "this run holds it with lock ID "+lease.Info.ID) {
		t.Errorf("Unlock of another id while holding: %v", err)
	}
	if err := b.Unlock(ctx, lease.Info.ID); err != nil {
		t.Fatal(err)
	}
}
