package command

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	scriptCmds["ptyrun"] = cmdPtyrun
}

// cmdPtyrun is the script command
//
//	ptyrun [-cols N] [-ctrl-c-at REGEXP] EXITCODE PROGRAM [ARGS...]
//
// which runs PROGRAM with its standard input, output and error on a new
// pseudo-terminal that is its controlling terminal, as in an interactive
// shell, and checks its exit code. The terminal reports no window size (0
// columns) unless -cols gives its width. -ctrl-c-at types Ctrl-C once the
// terminal's output matches REGEXP: the terminal sends the program SIGINT,
// as it does for a user. What the program wrote to the terminal (stdout and
// stderr together, line ends as "\n") becomes the command's stdout.
//
// testscript's own ttyin puts only standard input on a terminal and types
// its input at once, before the program is ready for a Ctrl-C.
func cmdPtyrun(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("ptyrun", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cols := fs.Int("cols", 0, "")
	ctrlC := fs.String("ctrl-c-at", "", "")
	if neg || fs.Parse(args) != nil || fs.NArg() < 2 {
		ts.Fatalf("usage: ptyrun [-cols N] [-ctrl-c-at REGEXP] EXITCODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(fs.Arg(0))
	if err != nil {
		ts.Fatalf("ptyrun: exit code %q: %v", fs.Arg(0), err)
	}
	var at *regexp.Regexp
	if *ctrlC != "" {
		if at, err = regexp.Compile(*ctrlC); err != nil {
			ts.Fatalf("ptyrun: %v", err)
		}
	}
	path, err := exec.LookPath(fs.Arg(1)) // the test binary's PATH holds testscript's programs
	if err != nil {
		ts.Fatalf("ptyrun: %v", err)
	}
	master, tty, err := openPTY(*cols)
	if err != nil {
		ts.Fatalf("ptyrun: %v", err)
	}
	defer master.Close()
	cmd := exec.Command(path, fs.Args()[2:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, name := range []string{"PATH", "HOME", "TMPDIR", "WORK", "NO_COLOR", "ROOT"} {
		cmd.Env = append(cmd.Env, name+"="+ts.Getenv(name))
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		tty.Close()
		ts.Fatalf("ptyrun: %v", err)
	}
	tty.Close()

	var mu sync.Mutex
	var out strings.Builder
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		typed := false
		for {
			n, err := master.Read(buf)
			mu.Lock()
			out.Write(buf[:n])
			seen := out.String()
			mu.Unlock()
			if at != nil && !typed && at.MatchString(seen) {
				typed = true
				master.Write([]byte{3}) // Ctrl-C
			}
			if err != nil {
				return // EIO once the program has closed the terminal
			}
		}
	}()
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	var werr error
	select {
	case werr = <-waitErr:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		werr = <-waitErr
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		master.Close()
		<-done
	}
	mu.Lock()
	text := strings.ReplaceAll(out.String(), "\r\n", "\n")
	mu.Unlock()
	ts.Stdout().Write([]byte(text))
	got := 0
	if werr != nil {
		var ee *exec.ExitError
		if !errors.As(werr, &ee) {
			ts.Fatalf("ptyrun: %v", werr)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d\n%s", fs.Arg(1), got, want, text)
	}
}

// openPTY opens a new pseudo-terminal: its controlling side and the
// terminal. cols > 0 sets the terminal's window size; otherwise it has
// none, as a fresh Linux pseudo-terminal does.
func openPTY(cols int) (master, tty *os.File, err error) {
	master, tty, err = pty.Open()
	if err != nil {
		return nil, nil, err
	}
	if cols > 0 {
		if err := pty.Setsize(master, &pty.Winsize{Rows: 24, Cols: uint16(cols)}); err != nil {
			master.Close()
			tty.Close()
			return nil, nil, fmt.Errorf("set the window size: %w", err)
		}
	}
	return master, tty, nil
}

// TestApplyProgressOnPTY picks plain lines on a pseudo-terminal without a
// window size (it reports 0 columns) and bars on one with a width.
func TestApplyProgressOnPTY(t *testing.T) {
	for _, tt := range []struct {
		cols int
		bars bool
	}{{0, false}, {100, true}} {
		master, tty, err := openPTY(tt.cols)
		if err != nil {
			t.Fatalf("open a pseudo-terminal: %v", err)
		}
		if w := terminalWidth(tty); w != tt.cols {
			t.Errorf("terminalWidth = %d, want %d", w, tt.cols)
		}
		go io.Copy(io.Discard, master)
		p := newApplyProgress(&Env{Stderr: tty, StderrTTY: true})
		if _, bars := p.(*progressBars); bars != tt.bars {
			t.Errorf("%d columns: %T, want bars %v", tt.cols, p, tt.bars)
		}
		p.Close()
		tty.Close()
		master.Close()
	}
}
