package localorg

import (
	"testing"
	"time"
)

// A process that starts while the holder shuts down (it holds the clients
// file exclusively and has removed connection.json) takes the org over once
// the holder is gone, instead of waiting for a connection.json that will
// not come back.
func TestStartWaitsOutClosingHolder(t *testing.T) {
	dir := t.TempDir()
	held, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	release, ok, err := claimClients(dir)
	if err != nil || !ok {
		t.Fatalf("claim clients: ok=%v err=%v", ok, err)
	}
	type result struct {
		inst *Instance
		err  error
	}
	started := make(chan result, 1)
	go func() {
		inst, err := Start(t.Context(), dir, StartOptions{JoinTimeout: 5 * time.Second})
		started <- result{inst, err}
	}()
	time.Sleep(300 * time.Millisecond)
	select {
	case r := <-started:
		t.Fatalf("Start returned while the holder was still there: %+v", r)
	default:
	}
	if err := held.Close(); err != nil {
		t.Fatal(err)
	}
	release()
	r := <-started
	if r.err != nil {
		t.Fatalf("Start after the holder left: %v", r.err)
	}
	defer r.inst.Close()
	if r.inst.Joined || r.inst.Org == nil {
		t.Fatal("Start did not take the org over")
	}
}
