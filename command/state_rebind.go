package command

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/planner"
	"github.com/sfsync/sfsync/state"
)

func init() {
	register(&Command{
		Name:     "state rebind",
		Synopsis: "Bind the state to a refreshed sandbox's new org, re-matching records by key",
		Usage: `Usage: sfsync [-chdir=DIR] state rebind [options]

Refreshing a sandbox gives it a new org Id and new records, so its state
belongs to an org that no longer exists, and the org guard refuses it.
rebind binds the state to the org the configuration connects to now: it
reads that org by key exactly as plan does, and binds every address of the
state whose record it finds to that record's new Id. Addresses whose key is
not in the new org, and addresses the configuration no longer declares,
leave the state (the next plan inserts the first kind again). The state
keeps its lineage; its serial goes up, as with every write. Nothing is
written to the org.

It prints what matched and what did not, then asks for confirmation on a
terminal; elsewhere -auto-approve is required.

Options:
  -auto-approve           rebind without asking
  -var 'NAME=VALUE'       set a variable (repeatable)
  -var-file=FILE          set variables from a file (repeatable)
` + stateFlagsHelp + `
` + lockFlagsHelp + `

The org comes from the configuration's org block, flags or SFSYNC_* variables,
as for plan.`,
		Run: runStateRebind,
	})
}

// rebindOptions is state rebind's parsed command line.
type rebindOptions struct {
	autoApprove bool
	vars        []hcl.VarInput
	state       stateFlags
	org         orgOptions
}

// parseStateRebind parses state rebind's arguments. It does no I/O.
func parseStateRebind(args []string) (rebindOptions, error) {
	var o rebindOptions
	fs := newFlagSet("state rebind")
	fs.BoolVar(&o.autoApprove, "auto-approve", false, "")
	addVarFlags(fs, &o.vars)
	o.state.add(fs, true)
	addOrgFlags(fs, &o.org)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("state rebind takes no arguments: %s", strings.Join(fs.Args(), " "))
	}
	return o, nil
}

// rebinding is what rebind found: the state's addresses by what becomes of
// them.
type rebinding struct {
	matched  []rebound // found by key in the new org
	notFound []string  // configured, key not in the new org
	dropped  []string  // no longer configured
}

type rebound struct {
	record state.Record // the new binding
	oldID  string
	differ int // fields whose value in the new org differs from the configuration
}

func runStateRebind(ctx context.Context, env *Env, args []string) int {
	o, err := parseStateRebind(args)
	if err != nil {
		return usageError(env, "state rebind", err)
	}
	backend, err := stateBackend(env, o.state)
	if err != nil {
		return reportError(env, err)
	}
	cfg, diags := hcl.Load(env.Dir, hcl.LoadOptions{Vars: o.vars, Getenv: env.Getenv, SkipCSVRows: true})
	if diags.HasErrors() {
		hcl.WriteDiagnostics(env.Stderr, cfg.Sources(diags), diags, 78, env.Color)
		return ExitError
	}
	writeWarnings(env, cfg, diags)
	store, err := openState(ctx, env, backend, o.state, "state rebind")
	if err != nil {
		return reportError(env, err)
	}
	defer store.Close(ctx)
	st := store.State()
	switch {
	case st.Serial() == 0:
		env.Errorf("no state: %s does not exist, so there is nothing to rebind", backend)
		return ExitError
	case len(st.Jobs()) > 0:
		env.Errorf("%s journals Bulk jobs of an apply that did not finish in org %s; run 'sfsync apply' against that org to record their results before rebinding, or remove the state if that org is gone", backend, st.OrgID())
		return ExitError
	}
	conn, err := connectOrgWith(ctx, env, o.org, cfg.Dir, cfg.Org, func(c *bulk.Config) {
		c.Poll = bulk.PollPolicy{Initial: 250 * time.Millisecond, Max: 2 * time.Second}
	})
	if err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	defer conn.Close()
	newOrg, newURL := conn.Client.OrgID(), conn.Client.InstanceURL()
	oldOrg, oldURL := st.OrgID(), st.InstanceURL()
	if oldOrg != "" && sfid.Equal(oldOrg, newOrg) {
		fmt.Fprintf(env.Stdout, "%s already belongs to org %s%s: nothing to rebind.\n", capitalize(backend.String()), newOrg, paren(newURL))
		return ExitOK
	}

	// Plan against the new org from an empty state: every configured
	// record the new org has is then found by its key, as plan finds it.
	p, diags, err := planner.Build(ctx, planner.Options{Config: cfg, State: state.New(), Org: conn.Client})
	if len(diags) > 0 {
		hcl.WriteDiagnostics(env.Stderr, cfg.Sources(diags), diags, 78, env.Color)
	}
	if err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	if p == nil {
		return ExitError
	}
	rb := matchState(st, p)

	from := "no org"
	if oldOrg != "" {
		from = "org " + oldOrg + paren(oldURL)
	}
	fmt.Fprintf(env.Stdout, "%s belongs to %s; this run is connected to org %s%s.\n", capitalize(backend.String()), from, newOrg, paren(newURL))
	writeRebinding(env.Stdout, rb, newOrg)
	if !o.autoApprove {
		if !env.StdinTTY {
			env.Errorf("state rebind asks for confirmation, and stdin is not a terminal; pass -auto-approve to rebind without asking")
			return ExitError
		}
		fmt.Fprintf(env.Stderr, "\nRebind %s to org %s? Only 'yes' will be accepted: ", backend, newOrg)
		line, _ := bufio.NewReader(env.Stdin).ReadString('\n')
		if strings.TrimSpace(line) != "yes" {
			fmt.Fprintln(env.Stderr, "Rebind cancelled; the state is unchanged.")
			return ExitError
		}
	}
	if err := applyRebinding(st, rb, newOrg, newURL); err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	if err := store.Persist(context.WithoutCancel(ctx)); err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	fmt.Fprintf(env.Stdout, "\nRebound %s to org %s: %d %s rebound, %d left the state (serial %d, lineage %s).\n",
		backend, newOrg, len(rb.matched), plural(len(rb.matched), "record", "records"), len(rb.notFound)+len(rb.dropped), st.Serial(), st.Lineage())
	return ExitOK
}

// matchState sorts the state's addresses by what the plan, made from an
// empty state against the new org, does with them.
func matchState(st *state.State, p *planner.Plan) rebinding {
	adopt := map[string]*planner.Change{}
	configured := map[string]bool{}
	for _, op := range p.Objects {
		for i := range op.Changes {
			ch := &op.Changes[i]
			configured[ch.Address] = true
			if ch.Action == planner.Adopt {
				adopt[ch.Address] = ch
			}
		}
	}
	var rb rebinding
	for _, r := range st.AllRecords() {
		ch, ok := adopt[r.Address]
		switch {
		case ok:
			key := make(map[string]string, len(ch.Key))
			for _, kv := range ch.Key {
				key[kv.Field] = kv.Value.Canonical()
			}
			differ := 0
			for _, f := range ch.Fields {
				if f.Changed() {
					differ++
				}
			}
			rb.matched = append(rb.matched, rebound{record: state.Record{Address: r.Address, Object: ch.Object, ID: ch.ID, Key: key}, oldID: r.ID, differ: differ})
		case configured[r.Address]:
			rb.notFound = append(rb.notFound, r.Address)
		default:
			rb.dropped = append(rb.dropped, r.Address)
		}
	}
	return rb
}

// writeRebinding prints what rebind will do.
func writeRebinding(w io.Writer, rb rebinding, org string) {
	if len(rb.matched) > 0 {
		fmt.Fprintf(w, "\nFound by key in org %s (bound to their new Ids):\n", org)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, m := range rb.matched {
			note := ""
			if m.differ > 0 {
				note = fmt.Sprintf("\t(%d %s from the configuration: the next plan updates %s)", m.differ, plural(m.differ, "field differs", "fields differ"), plural(m.differ, "it", "them"))
			}
			fmt.Fprintf(tw, "  %s\t%s -> %s%s\n", m.record.Address, m.oldID, m.record.ID, note)
		}
		tw.Flush()
	}
	if len(rb.notFound) > 0 {
		fmt.Fprintf(w, "\nNot found in org %s (they leave the state; the next plan inserts them):\n", org)
		for _, a := range rb.notFound {
			fmt.Fprintf(w, "  %s\n", a)
		}
	}
	if len(rb.dropped) > 0 {
		fmt.Fprintln(w, "\nNo longer in the configuration (they leave the state; nothing is deleted):")
		for _, a := range rb.dropped {
			fmt.Fprintf(w, "  %s\n", a)
		}
	}
	fmt.Fprintf(w, "\n%d to rebind, %d not found, %d no longer configured.\n", len(rb.matched), len(rb.notFound), len(rb.dropped))
}

// applyRebinding moves the state to the new org and binds the matched
// addresses to their new Ids; the others leave the state.
func applyRebinding(st *state.State, rb rebinding, org, url string) error {
	if err := st.MoveToOrg(org, url); err != nil {
		return err
	}
	for _, r := range st.AllRecords() {
		st.Remove(r.Address)
	}
	for _, m := range rb.matched {
		if err := st.Bind(m.record); err != nil {
			return fmt.Errorf("rebind %s: %w", m.record.Address, err)
		}
	}
	return nil
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
