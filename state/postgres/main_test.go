package postgres

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/state"
	"github.com/sfsync/sfsync/state/postgres/pgtest"
)

// holderEnv makes a re-executed test binary run the lock holder instead of
// the tests.
const holderEnv = "SFSYNC_PG_TEST_HOLDER"

func TestMain(m *testing.M) {
	if os.Getenv(holderEnv) != "" {
		os.Exit(runHolder())
	}
	os.Exit(pgtest.Run(m))
}

// runHolder is another sfsync run, in its own process: it opens the state
// (taking the lock), says "locked ID", and then obeys its stdin line by
// line: "write" persists the next version, "close" releases the lock and
// exits. At the end of its stdin it exits without releasing anything.
func runHolder() int {
	ctx := context.Background()
	b, err := New(Config{ConnString: os.Getenv("HOLDER_DSN"), Schema: os.Getenv("HOLDER_SCHEMA"), Workspace: os.Getenv("HOLDER_WORKSPACE")})
	if err != nil {
		fmt.Println("error:", oneLine(err))
		return 1
	}
	st, err := state.Open(ctx, b, state.Options{Operation: "holder test"})
	if err != nil {
		fmt.Println("error:", oneLine(err))
		return 1
	}
	fmt.Println("locked", st.Lease().Info.ID)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "write":
			if err := st.Persist(ctx); err != nil {
				fmt.Println("error:", oneLine(err))
				continue
			}
			fmt.Println("wrote serial", st.State().Serial())
		case "close":
			if err := st.Close(ctx); err != nil {
				fmt.Println("error:", oneLine(err))
				return 1
			}
			fmt.Println("closed")
			return 0
		}
	}
	return 0
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " | ") }

// holder is a lock holder process.
type holder struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
	id    string
}

// startHolder starts a process that opens the workspace's state, and
// waits until it holds the lock.
func startHolder(t *testing.T, dsn, schema, workspace string) *holder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holderEnv+"=1", "HOLDER_DSN="+dsn, "HOLDER_SCHEMA="+schema, "HOLDER_WORKSPACE="+workspace)
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
	h := &holder{t: t, cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	t.Cleanup(func() {
		h.cmd.Process.Kill()
		h.cmd.Wait()
	})
	line := h.line()
	id, ok := strings.CutPrefix(line, "locked ")
	if !ok {
		t.Fatalf("holder: %s", line)
	}
	h.id = id
	return h
}

// line reads the holder's next line of output.
func (h *holder) line() string {
	h.t.Helper()
	if !h.out.Scan() {
		h.t.Fatalf("holder ended without output: %v", h.out.Err())
	}
	return h.out.Text()
}

// do sends the holder a command and returns its answer.
func (h *holder) do(command string) string {
	h.t.Helper()
	fmt.Fprintln(h.stdin, command)
	return h.line()
}

// backend returns a backend for a fresh schema of the test database.
func newBackend(t *testing.T, workspace string) (*Backend, string, string) {
	t.Helper()
	dsn, schema := pgtest.Schema(t)
	b, err := New(Config{ConnString: dsn, Schema: schema, Workspace: workspace})
	if err != nil {
		t.Fatal(err)
	}
	return b, dsn, schema
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
