package command

import (
	"context"
	"errors"

	"github.com/sfsync/sfsync/state"
)

func init() {
	register(&Command{
		Name:     "state pull",
		Synopsis: "Print the state as JSON",
		Hidden:   true,
		Usage: `Usage: sfsync state pull [options]

Prints the stored state to stdout as JSON, in the current format (an older
state file is shown upgraded; the file itself is not rewritten). Useful to
inspect a state kept in a shared backend, or to keep a copy.

Options:
` + stateFlagsHelp,
		Run: runStatePull,
	})
}

type statePullOptions struct {
	state stateFlags
}

func parseStatePull(args []string) (statePullOptions, error) {
	var o statePullOptions
	fs := newFlagSet("state pull")
	o.state.add(fs, false)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return o, err
	}
	if len(pos) > 0 {
		return o, errors.New("state pull takes no arguments")
	}
	return o, nil
}

func runStatePull(ctx context.Context, env *Env, args []string) int {
	o, err := parseStatePull(args)
	if err != nil {
		return usageError(env, "state pull", err)
	}
	b, err := stateBackend(env, o.state)
	if err != nil {
		return reportError(env, err)
	}
	var s *state.State
	if s, err = readState(ctx, b); err == nil {
		var data []byte
		if data, err = s.Encode(); err == nil {
			_, err = env.Stdout.Write(data)
		}
	}
	if err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	return ExitOK
}
