package command

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/localorg"
	"github.com/sfsync/sfsync/state"
)

// A command that runs the embedded local org releases the state's lock
// before it goes on serving the org for a process that joined it: that
// process may be waiting for the lock, and would otherwise wait out its
// -lock-timeout while the holder waits for it.
func TestHolderReleasesStateLockBeforeServingJoined(t *testing.T) {
	dir := t.TempDir()
	config := `org {
  local = ".sfsync/localorg"
}

object "Account" {
  key = ["AccountNumber"]

  record "acme" {
    AccountNumber = "ACME"
    Name          = "Acme"
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.sfsync.hcl"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	backend := state.NewLocalBackend(filepath.Join(dir, "sfsync.state.json"))
	held, err := state.Open(t.Context(), backend, state.Options{Operation: "test hold"})
	if err != nil {
		t.Fatal(err)
	}

	// The plan runs the org and waits for the lock this test holds.
	var stdout, stderr bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Dir: dir, Getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() { done <- Run(context.Background(), env, []string{"plan", "-lock-timeout=60s"}) }()

	// Join the plan's org, as a second sfsync process would.
	orgDir := filepath.Join(dir, ".sfsync", "localorg")
	var joined *localorg.Instance
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, err := os.Stat(filepath.Join(orgDir, localorg.ConnectionFile)); err == nil {
			if joined, err = localorg.Start(t.Context(), orgDir, localorg.StartOptions{}); err != nil {
				t.Fatal(err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the plan did not start the local org:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	defer joined.Close()
	if !joined.Joined {
		t.Fatal("the test ran the org instead of joining the plan's")
	}

	// Let the plan have the lock, then ask for it again while still joined:
	// the plan must hand it back before it waits for this process.
	if err := held.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitLockedBy(t, backend, "plan")
	again, err := state.Open(t.Context(), backend, state.Options{Operation: "test again", LockTimeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("the plan kept the state's lock while serving the joined process: %v\n%s", err, stderr.String())
	}
	again.Close(t.Context())
	joined.Close()
	if code := <-done; code != ExitOK {
		t.Fatalf("plan exited %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "Plan: 1 to insert") {
		t.Errorf("plan output:\n%s", stdout.String())
	}
}

// waitLockedBy waits until the backend's lock is held for operation.
func waitLockedBy(t *testing.T, b *state.LocalBackend, operation string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var info state.LockInfo
		if data, err := os.ReadFile(b.LockPath()); err == nil && json.Unmarshal(data, &info) == nil && info.Operation == operation {
			return
		}
	}
	t.Fatalf("the lock was not taken for %q", operation)
}
