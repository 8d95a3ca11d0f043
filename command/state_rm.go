package command

import (
	"context"
	"errors"
	"fmt"

	"github.com/sfsync/sfsync/state"
)

func init() {
	register(&Command{
		Name:     "state rm",
		Synopsis: "Forget records in the state without touching the org",
		Hidden:   true,
		Usage: `Usage: sfsync state rm [options] ADDRESS...

Removes records from the state: sfsync forgets them, and the org is not
changed. An ADDRESS may be a prefix: "Account.country" removes every instance
of that for_each, "Account" every Account record. A record still in the
configuration is adopted again by its key at the next apply; a record that
left the configuration is no longer deleted by sfsync.

Every ADDRESS must match at least one record, or nothing is removed. The
state is locked while it is changed, its previous version is kept as the
backup, and its serial goes up (so saved plans made before no longer apply).

Options:
` + stateFlagsHelp + `
` + lockFlagsHelp + `
  -dry-run                only list what would be removed`,
		Run: runStateRm,
	})
}

type stateRmOptions struct {
	state     stateFlags
	dryRun    bool
	addresses []string
}

func parseStateRm(args []string) (stateRmOptions, error) {
	var o stateRmOptions
	fs := newFlagSet("state rm")
	o.state.add(fs, true)
	fs.BoolVar(&o.dryRun, "dry-run", false, "")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return o, err
	}
	if len(pos) == 0 {
		return o, errors.New("state rm needs at least one ADDRESS")
	}
	if o.state.lockTimeout < 0 {
		return o, fmt.Errorf("-lock-timeout: %s is negative", o.state.lockTimeout)
	}
	o.addresses = pos
	return o, nil
}

func runStateRm(ctx context.Context, env *Env, args []string) int {
	o, err := parseStateRm(args)
	if err != nil {
		return usageError(env, "state rm", err)
	}
	b, err := stateBackend(env, o.state)
	if err != nil {
		return reportError(env, err)
	}
	if o.dryRun {
		o.state.lock = false
	}
	st, err := openState(ctx, env, b, o.state, "state rm")
	if err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	defer func() {
		if err := st.Close(ctx); err != nil {
			env.Errorf("%v", err)
		}
	}()
	s := st.State()
	if s.Serial() == 0 {
		env.Errorf("no state: %s does not exist", b)
		return ExitError
	}
	selected, err := selectForRemoval(s, o.addresses)
	if err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	verb := "Removed"
	if o.dryRun {
		verb = "Would remove"
	} else {
		for _, r := range selected {
			s.Remove(r.Address)
		}
		if err := st.Persist(context.WithoutCancel(ctx)); err != nil {
			env.Errorf("%v", err)
			return ExitError
		}
	}
	for _, r := range selected {
		fmt.Fprintf(env.Stdout, "%s %s (%s %s)\n", verb, r.Address, r.Object, r.ID)
	}
	if !o.dryRun {
		fmt.Fprintf(env.Stdout, "\nRemoved %s from the state; the org was not changed.\n", countNoun(len(selected), "record"))
	}
	return ExitOK
}

// selectForRemoval finds the records the arguments name, in state order.
// An argument that matches nothing is an error, so a typo removes nothing.
func selectForRemoval(s *state.State, args []string) ([]state.Record, error) {
	all := s.AllRecords()
	matched := make([]bool, len(args))
	var out []state.Record
	for _, r := range all {
		hit := false
		for i, a := range args {
			if matchAddress(r.Address, a) {
				matched[i] = true
				hit = true
			}
		}
		if hit {
			out = append(out, r)
		}
	}
	var errs []error
	for i, a := range args {
		if !matched[i] {
			errs = append(errs, fmt.Errorf("no record in the state matches %s%s", a, suggestAddress(s, a)))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("nothing removed: %w", errors.Join(errs...))
	}
	return out, nil
}
