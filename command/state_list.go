package command

import (
	"context"
	"fmt"

	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/state"
)

func init() {
	register(&Command{
		Name:     "state list",
		Synopsis: "List the addresses in the state",
		Hidden:   true,
		Usage: `Usage: sfsync state list [options] [ADDRESS_PREFIX...]

Lists the addresses the state binds, one per line, sorted by object and
address. With prefixes, lists only the addresses under them: "Account" lists
every Account record, "Account.country" every instance of that for_each.

Options:
` + stateFlagsHelp + `
  -id=ID                  only the address bound to this Salesforce Id (15 or
                          18 characters)`,
		Run: runStateList,
	})
}

type stateListOptions struct {
	state    stateFlags
	id       string
	prefixes []string
}

func parseStateList(args []string) (stateListOptions, error) {
	var o stateListOptions
	fs := newFlagSet("state list")
	o.state.add(fs, false)
	fs.StringVar(&o.id, "id", "", "")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return o, err
	}
	if o.id != "" && !sfid.Valid(o.id) {
		return o, fmt.Errorf("-id: %q is not a Salesforce Id", o.id)
	}
	o.prefixes = pos
	return o, nil
}

func runStateList(ctx context.Context, env *Env, args []string) int {
	o, err := parseStateList(args)
	if err != nil {
		return usageError(env, "state list", err)
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
	for _, r := range listRecords(s, o) {
		fmt.Fprintln(env.Stdout, r.Address)
	}
	return ExitOK
}

// listRecords selects the records state list prints.
func listRecords(s *state.State, o stateListOptions) []state.Record {
	var out []state.Record
	for _, r := range s.AllRecords() {
		if o.id != "" && !sfid.Equal(r.ID, o.id) {
			continue
		}
		if len(o.prefixes) > 0 && !matchesAny(r.Address, o.prefixes) {
			continue
		}
		out = append(out, r)
	}
	return out
}

func matchesAny(address string, prefixes []string) bool {
	for _, p := range prefixes {
		if matchAddress(address, p) {
			return true
		}
	}
	return false
}
