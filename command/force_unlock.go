package command

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sfsync/sfsync/state"
)

func init() {
	register(&Command{
		Name:     "force-unlock",
		Synopsis: "Release a state lock left by a run that is gone",
		Usage: `Usage: sfsync force-unlock [options] LOCK_ID

Releases the state lock with this ID: the one a "state is locked" error
names. Use it only when the run holding the lock is gone (killed, or on a
machine that went away); releasing the lock of a run that is still working
lets two runs write the same state. A lock left by a process that died on
this machine is taken over automatically and needs no force-unlock.

With the PostgreSQL backend, a lock goes with its holder's database session,
so a holder that died anywhere leaves none. force-unlock ends the session of
a holder that is still connected (pg_terminate_backend), which the database
user may do to sessions of its own user; the holder's next write then fails.

Asks for confirmation on a terminal; elsewhere -force is required.

Options:
` + stateFlagsHelp + `
  -force                  do not ask for confirmation`,
		Run: runForceUnlock,
	})
}

type forceUnlockOptions struct {
	state stateFlags
	force bool
	id    string
}

func parseForceUnlock(args []string) (forceUnlockOptions, error) {
	var o forceUnlockOptions
	fs := newFlagSet("force-unlock")
	o.state.add(fs, false)
	fs.BoolVar(&o.force, "force", false, "")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return o, err
	}
	if len(pos) != 1 || pos[0] == "" {
		return o, errors.New("force-unlock takes exactly one LOCK_ID")
	}
	o.id = pos[0]
	return o, nil
}

func runForceUnlock(ctx context.Context, env *Env, args []string) int {
	o, err := parseForceUnlock(args)
	if err != nil {
		return usageError(env, "force-unlock", err)
	}
	b, err := stateBackend(env, o.state)
	if err != nil {
		return reportError(env, err)
	}
	var holder *state.LockInfo
	if in, ok := b.(state.LockInspector); ok {
		if holder, err = in.LockHolder(ctx); err != nil {
			env.Errorf("%v", err)
			return ExitError
		}
		if holder == nil {
			env.Errorf("%s is not locked", b)
			return ExitError
		}
		if holder.ID != o.id {
			env.Errorf("%s is locked with lock ID %s, not %s; that lock is held by %s", b, holder.ID, o.id, holder)
			return ExitError
		}
	}
	if !o.force {
		if !env.StdinTTY {
			env.Errorf("force-unlock asks for confirmation, and stdin is not a terminal; pass -force to release the lock without asking")
			return ExitError
		}
		if !confirmUnlock(env, b, o.id, holder) {
			fmt.Fprintln(env.Stderr, "force-unlock cancelled; the lock is kept.")
			return ExitError
		}
	}
	if err := b.Unlock(ctx, o.id); err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	fmt.Fprintf(env.Stdout, "Released lock %s: %s is unlocked.\n", o.id, b)
	return ExitOK
}

// confirmUnlock shows the holder and asks; only "yes" releases the lock.
func confirmUnlock(env *Env, b state.Backend, id string, holder *state.LockInfo) bool {
	if holder == nil {
		fmt.Fprintf(env.Stderr, "Releasing lock %s of %s.\n", id, b)
	} else {
		fmt.Fprintf(env.Stderr, "%s is locked by %s.\n", b, holder)
		if host, _ := os.Hostname(); holder.Host == host {
			fmt.Fprintf(env.Stderr, "That process (pid %d) is on this machine; check that it is not still running.\n", holder.PID)
		}
	}
	fmt.Fprint(env.Stderr, "Releasing the lock of a run that is still working lets two runs write the same state.\n"+
		"Do you really want to release it? Only 'yes' will be accepted: ")
	line, _ := bufio.NewReader(env.Stdin).ReadString('\n')
	return strings.TrimSpace(line) == "yes"
}
