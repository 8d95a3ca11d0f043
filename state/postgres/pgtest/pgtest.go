// Package pgtest gives tests a real PostgreSQL database, the way httptest
// gives them a real HTTP server: the server SFSYNC_TEST_PG_DSN points at, or
// else a private server started from the installed PostgreSQL binaries in a
// temporary directory, reachable only through a Unix socket there. The state
// backend's locking can only be tested against a real server, so a machine
// without PostgreSQL fails these tests with a message saying how to get
// one; they never skip.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DSNVar names the environment variable with the connection string of a
// database the tests may use instead of a private server. The tests create
// and drop schemas in it.
const DSNVar = "SFSYNC_TEST_PG_DSN"

// BinVar names the environment variable with the directory of the
// PostgreSQL server binaries (initdb, postgres), when they are not where
// Debian's packages put them.
const BinVar = "SFSYNC_TEST_PG_BIN"

// Server is a private PostgreSQL server in a temporary directory.
type Server struct {
	dir  string // removed by Stop
	dsn  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the server process has exited
	err  error         // its exit status, once done
}

// DSN is a connection string for the server's "postgres" database as its
// superuser, "postgres".
func (s *Server) DSN() string { return s.dsn }

// Start initializes a cluster in a new temporary directory and starts a
// server on it that listens only on a Unix socket in that directory. Run
// as root, it runs the server as the "postgres" user (created by Debian's
// package), because PostgreSQL refuses to run as root. The server is told
// to exit should this process die without stopping it.
func Start(ctx context.Context) (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	removeAbandoned(tempBase())
	dir, err := os.MkdirTemp(tempBase(), "sfsync-pg-")
	if err != nil {
		return nil, err
	}
	cred, err := credential(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, strings.TrimSpace(string(out)))
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logf.Close()
	if cred != nil {
		os.Chown(logf.Name(), int(cred.Uid), int(cred.Gid))
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"),
		"-D", data,
		"-k", dir, // the socket directory
		"-c", "listen_addresses=",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=60", "-c", "shared_buffers=16MB",
	)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// SIGQUIT is PostgreSQL's immediate shutdown: should this process be
	// killed, the server does not outlive it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	s := &Server{
		dir:  dir,
		dsn:  fmt.Sprintf("host=%s port=5432 user=postgres dbname=postgres sslmode=disable", dir),
		cmd:  cmd,
		done: make(chan struct{}),
	}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// waitReady connects until the server accepts connections, it exits, or a
// minute passes (a loaded machine is slow, but not that slow).
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var last error
	for {
		c, err := pgx.Connect(ctx, s.dsn)
		if err == nil {
			return c.Close(ctx)
		}
		last = err
		select {
		case <-s.done:
			return fmt.Errorf("postgres exited (%v) before accepting connections:\n%s", s.err, s.logTail())
		case <-ctx.Done():
			return fmt.Errorf("postgres did not accept connections within a minute: %v\n%s", last, s.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}

// Stop shuts the server down (fast shutdown: sessions are ended) and
// removes its directory.
func (s *Server) Stop() error {
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	return os.RemoveAll(s.dir)
}

// tempBase is where the server's directory goes: the usual temporary
// directory, unless the server's socket path would be too long there (Unix
// socket paths have about 100 bytes) or, as root, the server (another
// user) might not reach it; then /tmp.
func tempBase() string {
	base := os.TempDir()
	if (os.Geteuid() == 0 || len(base) > 60) && base != "/tmp" {
		if fi, err := os.Stat("/tmp"); err == nil && fi.IsDir() {
			return "/tmp"
		}
	}
	return base
}

// removeAbandoned removes the directories of servers whose test process
// was killed (the server exits with it, but cannot remove its directory):
// those without a running postmaster, left alone for a minute so as not to
// race a server another process is starting.
func removeAbandoned(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, "sfsync-pg-*"))
	for _, d := range dirs {
		fi, err := os.Stat(d)
		if err != nil || time.Since(fi.ModTime()) < time.Minute {
			continue
		}
		if pid, err := os.ReadFile(filepath.Join(d, "data", "postmaster.pid")); err == nil {
			line, _, _ := strings.Cut(string(pid), "\n")
			if n, err := strconv.Atoi(strings.TrimSpace(line)); err == nil && n > 0 {
				if err := syscall.Kill(n, 0); err == nil || errors.Is(err, syscall.EPERM) {
					continue // running
				}
			}
		}
		os.RemoveAll(d)
	}
}

// binDir finds initdb and postgres: $SFSYNC_TEST_PG_BIN, the newest
// /usr/lib/postgresql/N/bin (Debian), or the PATH.
func binDir() (string, error) {
	if d := os.Getenv(BinVar); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range dirs {
		if fileExists(filepath.Join(d, "initdb")) && fileExists(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		d := filepath.Dir(p)
		if real, err := filepath.EvalSymlinks(p); err == nil {
			d = filepath.Dir(real)
		}
		if fileExists(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("no PostgreSQL server binaries (initdb, postgres) in /usr/lib/postgresql/*/bin or on the PATH")
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// credential returns whom to run the server as: nobody else when this
// process is not root; otherwise the "postgres" user, given dir.
func credential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and PostgreSQL refuses to: there is no \"postgres\" user to run it as (%v)", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("user postgres: %w", err)
	}
	if err := os.Chown(dir, int(uid), int(gid)); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

var shared struct {
	once sync.Once
	srv  *Server
	dsn  string
	err  error
}

// SharedDSN returns SFSYNC_TEST_PG_DSN when it is set, and otherwise the
// connection string of a private server this process starts on first use
// and Run stops. The error says how to make PostgreSQL available.
func SharedDSN() (string, error) {
	shared.once.Do(func() {
		if dsn := os.Getenv(DSNVar); dsn != "" {
			shared.dsn = dsn
			return
		}
		shared.srv, shared.err = Start(context.Background())
		if shared.err != nil {
			shared.err = fmt.Errorf("these tests need PostgreSQL, and none could be started: %w\n"+
				"Run .ci/run (it installs PostgreSQL), or set %s to a database where the tests may create schemas", shared.err, DSNVar)
			return
		}
		shared.dsn = shared.srv.DSN()
	})
	return shared.dsn, shared.err
}

// DSN is SharedDSN for a test: it fails the test when there is no
// PostgreSQL.
func DSN(t testing.TB) string {
	t.Helper()
	dsn, err := SharedDSN()
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// Runner is *testing.M.
type Runner interface{ Run() int }

// Run runs the tests and then stops the private server, if one was
// started. Call it from TestMain: os.Exit(pgtest.Run(m)).
func Run(m Runner) int {
	code := m.Run()
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stop PostgreSQL: %v\n", err)
		}
	}
	return code
}

// Schema returns the shared database's connection string and the name of
// a new schema for one test alone, which is dropped when the test ends.
// The schema does not exist yet: creating it is the code under test's
// business.
func Schema(t testing.TB) (dsn, schema string) {
	t.Helper()
	dsn = DSN(t)
	schema = NewSchemaName()
	t.Cleanup(func() {
		if err := DropSchema(dsn, schema); err != nil {
			t.Errorf("drop test schema: %v", err)
		}
	})
	return dsn, schema
}

// NewSchemaName returns a schema name no other test uses.
func NewSchemaName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "sfsync_test_" + hex.EncodeToString(b)
}

// DropSchema drops schema and everything in it, if it exists.
func DropSchema(dsn, schema string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	return err
}
