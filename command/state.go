package command

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/sfsync/sfsync/state"
)

// The state commands inspect and edit the state without touching the org.
// This file holds the "state" group and what its commands share: the
// -state, -lock and -lock-timeout flags, finding the backend, and the lock
// messages. plan and apply take the same flags.

func init() {
	register(&Command{
		Name:     "state",
		Synopsis: "Inspect and edit the state: list, show, rm, pull, rebind",
		Usage: `Usage: sfsync state <subcommand> [options] [args]

The state records which org record each configured address is bound to, the
key values it was matched by and a hash of the values last applied. These
commands read and edit it without writing to the org.

Subcommands:
  list [ADDRESS_PREFIX...]   list the addresses in the state
  show ADDRESS               show one record's binding
  rm ADDRESS...              forget records (the org is not changed)
  pull                       print the state as JSON
  rebind                     bind the state to a refreshed sandbox's new org,
                             matching its records by key (reads the org)

Related: sfsync force-unlock LOCK_ID releases a lock left by a run that is gone.

Run 'sfsync state <subcommand> -help' for a subcommand's options.`,
		Run: func(ctx context.Context, env *Env, args []string) int {
			if len(args) == 0 {
				fmt.Fprintln(env.Stderr, strings.TrimSpace(registry["state"].Usage))
				return ExitError
			}
			env.Errorf("unknown state subcommand %q\n\nRun 'sfsync state -help' for the list.", args[0])
			return ExitError
		},
	})
}

// stateFlags are the flags every command that uses the state takes.
type stateFlags struct {
	path        string        // -state; "" is the default file
	lock        bool          // -lock
	lockTimeout time.Duration // -lock-timeout
}

// stateFlagsHelp documents stateFlags for a command's Usage.
const stateFlagsHelp = `  -state=PATH             use the state file PATH (default: where the
                          configuration's backend block says, else
                          sfsync.state.json in the working directory)`

const lockFlagsHelp = `  -lock=false             do not lock the state (only when nothing else can
                          use it at the same time)
  -lock-timeout=DURATION  wait this long for another run's lock (e.g. 30s, 5m)
                          instead of failing at once`

// add registers -state, and with locking also -lock and -lock-timeout.
func (f *stateFlags) add(fs *flag.FlagSet, locking bool) {
	fs.StringVar(&f.path, "state", "", "")
	f.lock = true
	if locking {
		fs.BoolVar(&f.lock, "lock", true, "")
		fs.DurationVar(&f.lockTimeout, "lock-timeout", 0, "")
	}
}

// newFlagSet returns a flag set that reports errors instead of printing
// them.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseInterspersed parses flags that may come before, between or after
// the positional arguments ("state rm Account.acme -dry-run"), and returns
// the positional ones. Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// openState locks (unless -lock=false) and reads the state for operation,
// telling the user when it waits for a lock or takes over a stale one.
func openState(ctx context.Context, env *Env, b state.Backend, f stateFlags, operation string) (*state.Store, error) {
	return openStateThen(ctx, env, b, f, operation, nil)
}

// pendingState is a state being opened in the background: a large state
// takes seconds to read, so plan and apply read it (and take its lock)
// while the configuration loads and the org is connected.
type pendingState struct {
	locked <-chan struct{} // closed once the lock is held
	done   <-chan struct{} // closed once opening has finished
	// Get waits for the state; every call returns the same result.
	Get   func() (*state.Store, error)
	close sync.Once
}

// openStateAsync starts opening the state as openState does.
func openStateAsync(ctx context.Context, env *Env, b state.Backend, f stateFlags, operation string) *pendingState {
	type result struct {
		store *state.Store
		err   error
	}
	opened := make(chan result, 1)
	locked, done := make(chan struct{}), make(chan struct{})
	go func() {
		store, err := openStateThen(ctx, env, b, f, operation, func() { close(locked) })
		opened <- result{store, err}
		close(done)
	}()
	return &pendingState{
		locked: locked,
		done:   done,
		Get: sync.OnceValues(func() (*state.Store, error) {
			r := <-opened
			return r.store, r.err
		}),
	}
}

// WaitLocked waits until the lock is held (the state may still be being
// read), or returns the error that stopped opening the state: a run that
// reads the org must not start before then, and should not start at all
// when the state is locked by another run or cannot be read.
func (p *pendingState) WaitLocked() error {
	select {
	case <-p.locked:
		return nil
	case <-p.done:
		_, err := p.Get()
		return err
	}
}

// Close waits for the state and, if it was opened, closes it (releasing
// the lock), even when ctx is cancelled. Only the first call does anything.
func (p *pendingState) Close(ctx context.Context) {
	p.close.Do(func() {
		if store, err := p.Get(); err == nil {
			store.Close(context.WithoutCancel(ctx))
		}
	})
}

// openStateThen is openState calling onLocked once the lock is held, before
// the state is read (see state.Options.OnLocked).
func openStateThen(ctx context.Context, env *Env, b state.Backend, f stateFlags, operation string, onLocked func()) (*state.Store, error) {
	st, err := state.Open(ctx, b, state.Options{
		OnLocked:    onLocked,
		Operation:   operation,
		NoLock:      !f.lock,
		LockTimeout: f.lockTimeout,
		OnWait: func(h state.LockInfo) {
			fmt.Fprintf(env.Stderr, "Waiting up to %s for the lock of %s, held by %s...\n", f.lockTimeout, b, h)
		},
	})
	if err != nil {
		return nil, err
	}
	if l := st.Lease(); l != nil && l.Replaced != nil {
		fmt.Fprintf(env.Stderr, "Warning: the lock of %s was stale: it was held by %s, and that process is no longer running. Took it over.\n", b, *l.Replaced)
	}
	return st, nil
}

// matchAddress reports whether address is prefix or lies under it: the
// object "Account" covers "Account.acme", and "Account.country" covers
// "Account.country[\"DE\"]", but "Account" does not cover
// "AccountContactRelation.x".
func matchAddress(address, prefix string) bool {
	if address == prefix {
		return true
	}
	rest, ok := strings.CutPrefix(address, prefix)
	return ok && (strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, "["))
}

// suggestAddress offers the closest address for a misspelt one.
func suggestAddress(s *state.State, address string) string {
	best, bestDist := "", max(3, len(address)/5)
	for _, r := range s.AllRecords() {
		if d := levenshtein(address, r.Address); d < bestDist {
			best, bestDist = r.Address, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %s?", best)
}

// readState reads the state without locking it; no state is an error that
// names where it was looked for.
func readState(ctx context.Context, b state.Backend) (*state.State, error) {
	s, err := b.Read(ctx)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, fmt.Errorf("no state: %s does not exist", b)
	}
	return s, nil
}
