// Package command is sfsync's command-line layer: one file per command, each
// split into argument parsing (pure, table-tested), the orchestration that
// calls into the planner, state, bulk and localorg packages, and views that
// render results. It owns process concerns — exit codes, interrupts, color,
// terminals — so that no other package needs to know about them.
package command

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/term"
)

// Env is everything a command may touch besides its arguments. Main builds it
// from the process; tests may build their own.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer // data: plans, JSON, listings
	Stderr io.Writer // progress, logs and diagnostics

	// Getenv reads the environment (os.Getenv in production).
	Getenv func(string) string

	// Dir is the directory relative paths are resolved against: the process
	// working directory, or the one -chdir named.
	Dir string

	// Whether the standard streams are terminals.
	StdinTTY, StdoutTTY, StderrTTY bool

	// Color is decided once, here: off with -no-color, with NO_COLOR set, or
	// when stdout is not a terminal. Views consult it; nothing else writes
	// escape codes.
	Color bool

	// Submit is cancelled by the first interrupt (Ctrl-C): commands stop
	// starting new work but let work in flight finish. The context passed to
	// Run is cancelled by the second interrupt: work in flight is aborted.
	Submit context.Context

	// Log is the debug logger: discarding unless SFSYNC_LOG is set.
	Log *slog.Logger
}

// Path resolves p against the working directory.
func (e *Env) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(e.Dir, p)
}

// Errorf prints an error line to stderr in the one format sfsync uses for
// errors that are not configuration diagnostics.
func (e *Env) Errorf(format string, args ...any) {
	fmt.Fprintf(e.Stderr, "Error: "+format+"\n", args...)
}

// Command is one sfsync command. Names with a space are subcommands
// ("localorg serve"); the longest name that prefixes the arguments wins.
type Command struct {
	Name     string
	Synopsis string // one line for the command list
	Usage    string // full help text, starting with "Usage: sfsync ..."
	Hidden   bool   // left out of the command list
	// Run executes the command with the arguments that follow its name and
	// returns the process exit code.
	Run func(ctx context.Context, env *Env, args []string) int
}

var registry = map[string]*Command{}

// register adds a command; each command file calls it from init so that
// commands can be added without touching a shared list.
func register(c *Command) {
	if _, dup := registry[c.Name]; dup {
		panic("command registered twice: " + c.Name)
	}
	registry[c.Name] = c
}

// lookup finds the command named by the longest prefix of args made of
// non-flag words, and returns it with the remaining arguments.
func lookup(args []string) (*Command, []string) {
	var words []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			break
		}
		words = append(words, a)
	}
	for n := len(words); n > 0; n-- {
		if c, ok := registry[strings.Join(words[:n], " ")]; ok {
			return c, args[n:]
		}
	}
	return nil, args
}

// globalOptions are the flags that come before the command name.
type globalOptions struct {
	chdir   string
	help    bool
	version bool
	noColor bool
	rest    []string
}

// parseGlobal parses the global flags. It does no I/O.
func parseGlobal(args []string) (globalOptions, error) {
	var o globalOptions
	fs := flag.NewFlagSet("sfsync", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.chdir, "chdir", "", "")
	fs.BoolVar(&o.help, "help", false, "")
	fs.BoolVar(&o.help, "h", false, "")
	fs.BoolVar(&o.version, "version", false, "")
	fs.BoolVar(&o.version, "v", false, "")
	fs.BoolVar(&o.noColor, "no-color", false, "")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.rest = fs.Args()
	return o, nil
}

// Main runs sfsync in this process with its real standard streams,
// environment and signals, and returns the exit code for os.Exit.
func Main() int {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		return ExitError
	}
	isTTY := func(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
	env := &Env{
		Stdin:     os.Stdin,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		Getenv:    os.Getenv,
		Dir:       wd,
		StdinTTY:  isTTY(os.Stdin),
		StdoutTTY: isTTY(os.Stdout),
		StderrTTY: isTTY(os.Stderr),
	}

	submit, cancelSubmit := context.WithCancel(context.Background())
	abort, cancelAbort := context.WithCancel(context.Background())
	defer cancelSubmit()
	defer cancelAbort()
	env.Submit = submit

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		n := 0
		for range sigs {
			n++
			if n == 1 {
				fmt.Fprintln(os.Stderr, "\nInterrupt received: no new work will be started; waiting for work in flight. Press Ctrl-C again to abort it.")
				cancelSubmit()
				continue
			}
			fmt.Fprintln(os.Stderr, "\nSecond interrupt: aborting work in flight.")
			cancelAbort()
			return
		}
	}()
	return Run(abort, env, os.Args[1:])
}

// Run parses the global options, picks the command and runs it.
func Run(ctx context.Context, env *Env, args []string) int {
	g, err := parseGlobal(args)
	if err != nil {
		env.Errorf("%v\n\nRun 'sfsync -help' for usage.", err)
		return ExitError
	}
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Submit == nil {
		env.Submit = ctx
	}
	if g.chdir != "" {
		env.Dir = env.Path(g.chdir)
		if fi, err := os.Stat(env.Dir); err != nil || !fi.IsDir() {
			env.Errorf("-chdir: %s is not a directory", g.chdir)
			return ExitError
		}
	}
	env.Color = env.StdoutTTY && !g.noColor && env.Getenv("NO_COLOR") == "" && env.Getenv("TERM") != "dumb"
	env.Log = newLogger(env)

	if g.version {
		return registry["version"].Run(ctx, env, nil)
	}
	if len(g.rest) == 0 {
		if g.help {
			printUsage(env.Stdout)
			return ExitOK
		}
		printUsage(env.Stderr)
		return ExitError
	}
	if g.rest[0] == "help" {
		return runHelp(env, g.rest[1:])
	}
	cmd, rest := lookup(g.rest)
	if cmd == nil {
		env.Errorf("unknown command %q%s\n\nRun 'sfsync -help' for the list of commands.", strings.Join(commandWords(g.rest), " "), suggestCommand(g.rest))
		return ExitError
	}
	if g.help || wantsHelp(rest) {
		fmt.Fprintln(env.Stdout, strings.TrimSpace(cmd.Usage))
		return ExitOK
	}
	return cmd.Run(ctx, env, rest)
}

// usageError prints an argument error the same way for every command, with
// the way to its help, and returns the exit code.
func usageError(env *Env, command string, err error) int {
	env.Errorf("%v\n\nRun 'sfsync %s -help' for usage.", err, command)
	return ExitError
}

// wantsHelp reports whether a command's arguments ask for its help, so
// that every command answers -help the same way without declaring it.
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		switch a {
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

func commandWords(args []string) []string {
	var w []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			break
		}
		w = append(w, a)
	}
	return w
}

// suggestCommand offers the closest command name for a misspelt one.
func suggestCommand(args []string) string {
	words := commandWords(args)
	if len(words) == 0 {
		return ""
	}
	best, bestDist := "", 3
	for name := range registry {
		first := strings.Fields(name)[0]
		if d := levenshtein(words[0], first); d < bestDist {
			best, bestDist = first, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func runHelp(env *Env, args []string) int {
	if len(args) == 0 {
		printUsage(env.Stdout)
		return ExitOK
	}
	cmd, rest := lookup(args)
	if cmd == nil || len(rest) > 0 {
		env.Errorf("no help for %q: unknown command", strings.Join(args, " "))
		return ExitError
	}
	fmt.Fprintln(env.Stdout, strings.TrimSpace(cmd.Usage))
	return ExitOK
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: sfsync [global options] <command> [args]

sfsync keeps Salesforce records in HCL files, shows exactly which records an
apply would insert, update and delete, and applies them through the Bulk API.

Commands:
`)
	var names []string
	width := 0
	for name, c := range registry {
		if c.Hidden {
			continue
		}
		names = append(names, name)
		width = max(width, len(name))
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, name, registry[name].Synopsis)
	}
	fmt.Fprint(w, `
Global options (before the command):
  -chdir=DIR   run as if sfsync was started in DIR
  -no-color    no color in the output (also: NO_COLOR set, or not a terminal)
  -help        this text; 'sfsync help COMMAND' or 'sfsync COMMAND -help' for a command
  -version     print the version

`)
	fmt.Fprint(w, exitCodeHelp)
}

// newLogger returns the debug logger: text to stderr when SFSYNC_LOG is set
// ("1", "debug", "info", "warn"), or to the file SFSYNC_LOG_PATH names.
func newLogger(env *Env) *slog.Logger {
	level := strings.ToLower(env.Getenv("SFSYNC_LOG"))
	if level == "" || level == "0" || level == "off" {
		return slog.New(slog.DiscardHandler)
	}
	var lv slog.Level
	switch level {
	case "warn":
		lv = slog.LevelWarn
	case "info":
		lv = slog.LevelInfo
	default:
		lv = slog.LevelDebug
	}
	var w io.Writer = env.Stderr
	if p := env.Getenv("SFSYNC_LOG_PATH"); p != "" {
		f, err := os.OpenFile(env.Path(p), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err == nil {
			w = f // closed when the process exits
		}
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv}))
}
