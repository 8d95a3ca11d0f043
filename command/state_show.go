package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/sfsync/sfsync/state"
)

func init() {
	register(&Command{
		Name:     "state show",
		Synopsis: "Show one record's binding in the state",
		Hidden:   true,
		Usage: `Usage: sfsync state show [options] ADDRESS

Shows what the state knows of one record: its object, Salesforce Id, the key
values it was matched by, the hash of the values last applied, and any Bulk
job in flight that carries it. The state holds no other field values; 'sfsync
plan' shows the record as it is in the org.

Options:
` + stateFlagsHelp,
		Run: runStateShow,
	})
}

type stateShowOptions struct {
	state   stateFlags
	address string
}

func parseStateShow(args []string) (stateShowOptions, error) {
	var o stateShowOptions
	fs := newFlagSet("state show")
	o.state.add(fs, false)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return o, err
	}
	if len(pos) != 1 {
		return o, errors.New("state show takes exactly one ADDRESS")
	}
	o.address = pos[0]
	return o, nil
}

func runStateShow(ctx context.Context, env *Env, args []string) int {
	o, err := parseStateShow(args)
	if err != nil {
		return usageError(env, "state show", err)
	}
	b, err := stateBackend(env, o.state)
	if err != nil {
		return reportError(env, err)
	}
	s, err := readState(ctx, b)
	if err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	r, ok := s.Record(o.address)
	if !ok {
		env.Errorf("no record %s in %s%s", o.address, b, suggestAddress(s, o.address))
		return ExitError
	}
	showRecord(env.Stdout, r, s.Jobs())
	return ExitOK
}

// showRecord is the human view of one record.
func showRecord(w io.Writer, r state.Record, jobs []state.Job) {
	fmt.Fprintf(w, "# %s\n", r.Address)
	fmt.Fprintf(w, "object = %s\n", r.Object)
	fmt.Fprintf(w, "id     = %s\n", r.ID)
	keys := slices.Sorted(maps.Keys(r.Key))
	switch len(keys) {
	case 0:
		fmt.Fprintln(w, "key    = (none)")
	default:
		fmt.Fprintln(w, "key    = {")
		width := 0
		for _, k := range keys {
			width = max(width, len(k))
		}
		for _, k := range keys {
			fmt.Fprintf(w, "  %-*s = %s\n", width, k, strconv.Quote(r.Key[k]))
		}
		fmt.Fprintln(w, "}")
	}
	hash := r.Hash
	if hash == "" {
		hash = "(unknown: not applied by this sfsync yet)"
	}
	fmt.Fprintf(w, "hash   = %s\n", hash)
	for _, j := range jobs {
		for row, a := range j.Addresses {
			if a == r.Address {
				fmt.Fprintf(w, "in flight: %s job %s (%s %s, level %d), row %d of %d, created %s\n",
					j.API, j.ID, j.Operation, j.Object, j.Level, row+1, len(j.Addresses), j.Created.Format("2006-01-02T15:04:05Z07:00"))
			}
		}
	}
}
