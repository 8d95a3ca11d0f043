//go:build unix

package command

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/internal/proctest"
	"github.com/sfsync/sfsync/localorg"
)

// The crash test and the benchmarks run sfsync as it runs for users: a
// binary in a process of its own, against `sfsync localorg serve` in
// another.

// servedOrg is `sfsync localorg serve` running in a process of its own.
type servedOrg struct {
	cmd  *exec.Cmd
	dir  string
	conn localorg.Connection
}

// serveOrg starts a local org process on dir and waits until it listens.
// It is stopped when the test ends.
func serveOrg(tb testing.TB, dir string, args ...string) *servedOrg {
	tb.Helper()
	cmd := exec.Command(sfsyncBinary(tb), append([]string{"localorg", "serve", "-dir", dir, "-addr", "127.0.0.1:0"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	s := &servedOrg{cmd: cmd, dir: dir}
	tb.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := localorg.ReadConnection(dir)
		if err == nil && conn.PID == cmd.Process.Pid {
			s.conn = conn
			return s
		}
		if time.Now().After(deadline) {
			tb.Fatalf("localorg serve did not start: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// client connects to the served org.
func (s *servedOrg) client(tb testing.TB) *bulk.Client {
	tb.Helper()
	c, err := bulk.New(context.Background(), bulk.Config{
		Auth: &bulk.RefreshTokenFlow{LoginURL: s.conn.LoginURL, ClientID: s.conn.ClientID, ClientSecret: s.conn.ClientSecret, RefreshToken: s.conn.RefreshToken},
		Poll: bulk.PollPolicy{Initial: 20 * time.Millisecond, Max: time.Second, Timeout: time.Hour},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// procRun is one finished sfsync process.
type procRun struct {
	code           int
	stdout, stderr string
	wall           time.Duration
	cpu            time.Duration // user + system
	maxRSS         int64         // bytes
}

// runSfsync runs the sfsync binary in dir and waits for it.
func runSfsync(tb testing.TB, dir string, args ...string) procRun {
	tb.Helper()
	cmd := exec.Command(sfsyncBinary(tb), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	u, err := proctest.Run(cmd)
	r := procRun{wall: u.Wall, cpu: u.CPU, maxRSS: u.PeakRSS, stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		tb.Fatal(err)
	}
	return r
}
