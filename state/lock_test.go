package state

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

func init() { helpers["locker"] = runLocker }

// runLocker is the lock holder of the contention tests, run in its own
// process: it takes the lock, says so, and holds it until its stdin closes.
func runLocker() int {
	ctx := context.Background()
	st, err := Open(ctx, NewLocalBackend(os.Getenv("STATE_PATH")), Options{Operation: "locker-test"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("locked %s\n", st.Lease().Info.ID)
	io.Copy(io.Discard, os.Stdin)
	if err := st.Close(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

type holder struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	id    string
}

// startHolder starts a process that holds the lock of the state at path.
func startHolder(t *testing.T, path string) *holder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=locker", "STATE_PATH="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &holder{cmd: cmd, stdin: stdin}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	id, ok := strings.CutPrefix(strings.TrimSpace(line), "locked ")
	if err != nil || !ok {
		t.Fatalf("lock holder did not take the lock: %q, %v", line, err)
	}
	h.id = id
	return h
}

// release makes the holder unlock and exit.
func (h *holder) release(t *testing.T) {
	t.Helper()
	h.stdin.Close()
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("lock holder: %v", err)
	}
}

func TestSecondProcessFailsFastNamingTheHolder(t *testing.T) {
	ctx := context.Background()
	path := statePath(t)
	h := startHolder(t, path)
	_, err := Open(ctx, NewLocalBackend(path), Options{Operation: "apply"})
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Open while another process holds the lock = %v, want *LockedError", err)
	}
	if le.Holder.PID != h.cmd.Process.Pid || le.Holder.ID != h.id || le.Holder.Operation != "locker-test" || le.Waited != 0 {
		t.Errorf("holder reported as %+v (waited %v); want pid %d, id %s", le.Holder, le.Waited, h.cmd.Process.Pid, h.id)
	}
	host, _ := os.Hostname()
	for _, want := range []string{
		"state file " + path + " is locked by",
		"on " + host + " (pid " + strconv.Itoa(h.cmd.Process.Pid) + ")",
		`for "locker-test"`,
		"sfsync force-unlock " + h.id,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%s", want, err)
		}
	}
	h.release(t)
}

func TestSecondProcessWaitsWithLockTimeout(t *testing.T) {
	ctx := context.Background()
	path := statePath(t)
	h := startHolder(t, path)
	var waitedFor LockInfo
	calls := 0
	// The holder is released only once Open has started waiting, so the
	// test shows the wait, not a race.
	st, err := Open(ctx, NewLocalBackend(path), Options{
		Operation:   "apply",
		LockTimeout: time.Minute,
		OnWait: func(holder LockInfo) {
			calls++
			waitedFor = holder
			h.release(t)
		},
	})
	if err != nil {
		t.Fatalf("Open with -lock-timeout: %v", err)
	}
	defer st.Close(ctx)
	if calls != 1 || waitedFor.ID != h.id {
		t.Errorf("OnWait called %d times with %+v; want once with the holder", calls, waitedFor)
	}
	if st.Lease().Replaced != nil {
		t.Errorf("a released lock was reported stale: %+v", st.Lease().Replaced)
	}
}

func TestLockTimeoutGivesUp(t *testing.T) {
	ctx := context.Background()
	path := statePath(t)
	h := startHolder(t, path)
	const timeout = 300 * time.Millisecond
	_, err := Open(ctx, NewLocalBackend(path), Options{Operation: "apply", LockTimeout: timeout})
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Open with a timeout against a held lock = %v, want *LockedError", err)
	}
	if le.Holder.ID != h.id || le.Waited < timeout || !strings.Contains(err.Error(), "(waited ") {
		t.Errorf("gave up after %v naming %+v: %v", le.Waited, le.Holder, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Open(cctx, NewLocalBackend(path), Options{Operation: "apply", LockTimeout: time.Hour})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled wait = %v", err)
	}
	h.release(t)
}

func TestDeadHoldersLockIsStale(t *testing.T) {
	ctx := context.Background()
	path := statePath(t)
	h := startHolder(t, path)
	pid := h.cmd.Process.Pid
	must(t, h.cmd.Process.Kill())
	h.cmd.Wait()

	b := NewLocalBackend(path)
	holder, err := b.LockHolder(ctx)
	if err != nil || holder == nil || holder.PID != pid {
		t.Fatalf("the dead holder's lock file: %+v, %v", holder, err)
	}
	st, err := Open(ctx, b, Options{Operation: "apply"})
	if err != nil {
		t.Fatalf("Open over a dead holder's lock: %v", err)
	}
	if r := st.Lease().Replaced; r == nil || r.PID != pid || r.ID != h.id {
		t.Errorf("Lease.Replaced = %+v, want the dead holder (pid %d)", r, pid)
	}
	if now, _ := b.LockHolder(ctx); now == nil || now.ID != st.Lease().Info.ID {
		t.Errorf("lock file after the takeover: %+v", now)
	}
	must(t, st.Close(ctx))
}

func TestInProcessSecondOpenIsLocked(t *testing.T) {
	ctx := context.Background()
	path := statePath(t)
	st, err := Open(ctx, NewLocalBackend(path), Options{Operation: "apply"})
	if err != nil {
		t.Fatal(err)
	}
	// Same pid: this process is alive, so its lock is never stale.
	if _, err := Open(ctx, NewLocalBackend(path), Options{Operation: "plan"}); !errors.As(err, new(*LockedError)) {
		t.Errorf("second Open in the same process = %v", err)
	}
	if st2, err := Open(ctx, NewLocalBackend(path), Options{NoLock: true}); err != nil || st2.Lease() != nil {
		t.Errorf("Open with NoLock = %v", err)
	}
	must(t, st.Close(ctx))
}

func writeLockFile(t *testing.T, b *LocalBackend, info LockInfo) {
	t.Helper()
	data, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.WriteFile(b.LockPath(), data, 0o600))
}

func TestOtherHostsLockIsNeverStaleAndForceUnlockReleasesIt(t *testing.T) {
	ctx := context.Background()
	b := NewLocalBackend(statePath(t))
	foreign := LockInfo{ID: "0b7f8a52-1111-2222-3333-444455556666", Operation: "apply", Holder: "ci",
		Host: "build-agent-7.example", PID: 1 << 30, Created: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	writeLockFile(t, b, foreign)
	_, err := Open(ctx, b, Options{Operation: "apply"})
	if !errors.As(err, new(*LockedError)) || !strings.Contains(err.Error(), "ci on build-agent-7.example (pid 1073741824) for \"apply\" since 2025-01-02T03:04:05Z") {
		t.Fatalf("Open against another host's lock = %v", err)
	}
	err = b.Unlock(ctx, "wrong-id")
	if err == nil || !strings.Contains(err.Error(), "locked with lock ID "+foreign.ID+", not wrong-id") {
		t.Errorf("Unlock(wrong id) = %v", err)
	}
	must(t, b.Unlock(ctx, foreign.ID))
	if err := b.Unlock(ctx, foreign.ID); !errors.Is(err, ErrNotLocked) {
		t.Errorf("Unlock of an unlocked state = %v", err)
	}
	st, err := Open(ctx, b, Options{Operation: "apply"})
	if err != nil {
		t.Fatal(err)
	}
	must(t, st.Close(ctx))
	assertNoLeftovers(t, b.Path()[:len(b.Path())-len(DefaultPath)])
}

func TestDamagedLockFile(t *testing.T) {
	ctx := context.Background()
	b := NewLocalBackend(statePath(t))
	must(t, os.WriteFile(b.LockPath(), []byte(`{"id": `), 0o600))
	_, err := Open(ctx, b, Options{Operation: "apply"})
	if err == nil || !strings.Contains(err.Error(), "lock file "+b.LockPath()+" is damaged") {
		t.Errorf("Open with a damaged lock file = %v", err)
	}
}

// TestRemoveLockPutsBackAnotherRunsLock covers the race removeLock guards
// against: the lock file changed hands between reading it and removing it.
func TestRemoveLockPutsBackAnotherRunsLock(t *testing.T) {
	b := NewLocalBackend(statePath(t))
	live := NewLockInfo("apply")
	writeLockFile(t, b, live)
	must(t, removeLock(b.LockPath(), "the-stale-lock-id-read-earlier"))
	h, err := b.LockHolder(context.Background())
	if err != nil || h == nil || h.ID != live.ID {
		t.Errorf("after removeLock of another id, holder = %+v, %v; want the live lock back", h, err)
	}
	assertNoLeftovers(t, b.Path()[:len(b.Path())-len(DefaultPath)])
}
