package command

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/planner"
	"github.com/sfsync/sfsync/render"
	"github.com/sfsync/sfsync/state"
)

func init() {
	register(&Command{
		Name:     "apply",
		Synopsis: "Write the planned changes to the org through Bulk API jobs",
		Usage: `Usage: sfsync apply [options] [PLANFILE]

Without PLANFILE, makes a plan exactly as 'sfsync plan' does, shows it and
asks 'Do you want to perform these actions?': only 'yes' proceeds
(-auto-approve skips the question; when standard input is not a terminal,
-auto-approve is required).

With PLANFILE, a plan saved by 'sfsync plan -out=PLANFILE', applies exactly
its changes, without asking. The plan is refused, naming what moved, if
anything it was made from moved: another org, a state another run wrote
since, a changed configuration, CSV or variable, a record it updates or
deletes that was changed in the org or is gone, or a record it inserts that
now exists.

Either way apply first finishes the Bulk jobs a killed apply left in flight
and records their results. Changes are written in levels — inserts (parents
before children), then updates, deletes last (children before parents) —
one job per object, operation and level; jobs of fewer than 200 records go
through sObject Collections, larger ones through the Bulk API (see -api).
Every record's result is recorded in the state as soon as its job finishes,
and a Bulk job's id is saved in the state before its data is uploaded, so a
killed apply is finished by the next plan or apply, without duplicates.
Records that fail are listed by object with Salesforce's status code,
message and fields, and the records that refer to them are skipped; the rest
is applied. Written records are read back, and fields the org stored
differently (triggers, rounding) are reported as warnings.

Options:
  -auto-approve           apply without asking
  -api=auto|bulk|rest     the API writes go through: auto (sObject Collections
                          below 200 records, else the Bulk API; a saved plan
                          keeps the choice it was made with), bulk or rest
  -target=ADDRESS         plan and apply only this record, object or block and
                          the records it needs (repeatable; not with PLANFILE)
  -max-deletes=N          refuse a plan that deletes more than N records
  -var 'NAME=VALUE'       set a variable (repeatable); with PLANFILE, the plan
  -var-file=FILE          is refused if a value differs from its own
  -no-color               no color in the plan
` + stateFlagsHelp + `
` + lockFlagsHelp + `

Interrupting (Ctrl-C) stops starting new jobs, lets the jobs in flight finish
and saves the state; a second Ctrl-C aborts the jobs in flight (what they
processed stays written, and the next run records it).

Exit codes: 0 applied (or nothing to apply); 1 error (nothing written, or
the failure came before anything was written), or the plan was not approved;
3 applied, but some records failed; 4 interrupted: by Ctrl-C (at the
question too), or by an error after apply began writing — the state records
what is known to be written, and the next plan or apply finishes the rest.`,
		Run: runApply,
	})
}

// applyOptions are apply's arguments.
type applyOptions struct {
	planFile    string
	autoApprove bool
	noColor     bool
	vars        []hcl.VarInput
	targets     []string
	api         planner.APIChoice // 0: -api not given
	maxDeletes  int               // negative: no limit
	state       stateFlags
	org         orgOptions
}

// parseApply parses apply's arguments. It does no I/O.
func parseApply(args []string) (applyOptions, error) {
	o := applyOptions{maxDeletes: -1}
	fs := newFlagSet("apply")
	addVarFlags(fs, &o.vars)
	fs.BoolVar(&o.autoApprove, "auto-approve", false, "")
	fs.BoolVar(&o.noColor, "no-color", false, "")
	fs.Var(targetFlags{&o.targets}, "target", "")
	api := fs.String("api", "", "")
	fs.IntVar(&o.maxDeletes, "max-deletes", -1, "")
	o.state.add(fs, true)
	addOrgFlags(fs, &o.org)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return o, err
	}
	if *api != "" {
		if o.api, err = planner.ParseAPIChoice(*api); err != nil {
			return o, err
		}
	}
	if o.maxDeletes < -1 {
		return o, fmt.Errorf("-max-deletes=%d: want a number of records, 0 or more", o.maxDeletes)
	}
	switch len(pos) {
	case 0:
	case 1:
		o.planFile = pos[0]
	default:
		return o, fmt.Errorf("apply takes at most one plan file, not %d arguments: %s", len(pos), strings.Join(pos, " "))
	}
	if o.planFile != "" && len(o.targets) > 0 {
		return o, errors.New("-target cannot be used with a plan file: the plan was limited when it was made (plan -target)")
	}
	return o, nil
}

func runApply(ctx context.Context, env *Env, args []string) int {
	o, err := parseApply(args)
	if err != nil {
		return usageError(env, "apply", err)
	}
	if o.noColor {
		env.Color = false
	}
	var saved *planner.Plan
	if o.planFile != "" {
		if saved, err = planner.ReadSavedFile(env.Path(o.planFile)); err != nil {
			env.Errorf("%v", err)
			return ExitError
		}
	}
	backend, err := stateBackend(env, o.state)
	if err != nil {
		return reportError(env, err)
	}
	pending := openStateAsync(ctx, env, backend, o.state, "apply")
	defer pending.Close(ctx)
	cfg, conn, prog, ok := loadAndConnect(ctx, env, o.vars, o.org)
	if !ok {
		return ExitError
	}
	defer prog.finish()
	// The state's lock is released before the local org, which may go on
	// serving other sfsync processes that joined it, and which may be
	// waiting for this lock.
	defer func() {
		pending.Close(ctx)
		conn.Close()
	}()
	c := conn.Client
	store, err := pending.Get()
	if err != nil {
		prog.finish()
		env.Errorf("%v", err)
		return ExitError
	}
	if err := store.State().BindOrg(c.OrgID(), c.InstanceURL()); err != nil {
		prog.finish()
		env.Errorf("%v", err)
		return ExitError
	}
	prog.finish()
	// Jobs a killed apply left in flight are finished before the org is
	// read: what they wrote must be in the org and in the state when the
	// plan (or the saved plan's check) looks.
	if err := recoverJobs(ctx, env, c, store); err != nil {
		env.Errorf("%v", err)
		return ExitError
	}

	p := saved
	if p != nil {
		inputs, err := planner.Inputs(cfg)
		if err != nil {
			env.Errorf("%v", err)
			return ExitError
		}
		if err := planner.CheckSaved(ctx, c, store.State(), p, inputs); err != nil {
			env.Errorf("%v", err)
			return ExitError
		}
		if o.maxDeletes >= 0 {
			if n := p.Counts().Delete; n > o.maxDeletes {
				env.Errorf("the plan deletes %s, more than -max-deletes=%d allows; nothing was written", countNoun(n, "record"), o.maxDeletes)
				return ExitError
			}
		}
	} else {
		prog := newPlanProgress(env)
		built, diags, err := planner.Build(ctx, planner.Options{
			Config:     cfg,
			State:      store.State(),
			Org:        c,
			Targets:    o.targets,
			MaxDeletes: o.maxDeletes,
			API:        cmpOr(o.api, planner.APIAuto),
			Progress:   prog.event,
		})
		prog.finish()
		if len(diags) > 0 {
			hcl.WriteDiagnostics(env.Stderr, cfg.Sources(diags), diags, 78, env.Color)
		}
		if err != nil {
			env.Errorf("%v", err)
			return ExitError
		}
		if built == nil {
			return ExitError
		}
		p = built
		if err := (render.Human{Color: env.Color}).Plan(env.Stdout, p); err != nil {
			env.Errorf("render the plan: %v", err)
			return ExitError
		}
	}
	if p.Counts().Empty() && !forgets(p) {
		if saved != nil {
			fmt.Fprintln(env.Stdout, "No changes. The saved plan has nothing to apply.")
		}
		return ExitOK
	}
	if saved == nil && p.Counts().HasChanges() && !o.autoApprove {
		ok, err := confirm(env)
		switch {
		case errors.Is(err, errConfirmInterrupted):
			fmt.Fprintln(env.Stdout, "Apply cancelled.")
			return ExitInterrupted
		case err != nil:
			env.Errorf("%v", err)
			return ExitError
		case !ok:
			fmt.Fprintln(env.Stdout, "Apply cancelled.")
			return ExitError
		}
	}
	jobs := planner.JobOptions{API: o.api}
	if saved == nil {
		// The plan was made for this apply, with the same -api: its jobs
		// are the ones to run.
		jobs.API = 0
	}
	if cfg.Org != nil && cfg.Org.Bulk == hcl.Bulk1 {
		jobs.Bulk = planner.APIBulk1
	}
	return executePlan(ctx, env, c, store, p, jobs)
}

func cmpOr(a, b planner.APIChoice) planner.APIChoice {
	if a != 0 {
		return a
	}
	return b
}

// forgets reports whether the plan removes addresses from state.
func forgets(p *planner.Plan) bool {
	for _, o := range p.Objects {
		if len(o.Forget) > 0 {
			return true
		}
	}
	return false
}

// errNotInteractive refuses to ask a question nobody can answer.
var errNotInteractive = errors.New("apply asks for approval, but standard input is not a terminal: run 'sfsync apply -auto-approve', or save a plan with 'sfsync plan -out=FILE' and apply that")

// errConfirmInterrupted is confirm's answer to a Ctrl-C.
var errConfirmInterrupted = errors.New("interrupted")

// confirm asks whether to apply: only "yes" proceeds. A first Ctrl-C while
// it waits is errConfirmInterrupted.
func confirm(env *Env) (bool, error) {
	if !env.StdinTTY {
		return false, errNotInteractive
	}
	fmt.Fprint(env.Stdout, "\nDo you want to perform these actions?\n"+
		"  sfsync will perform the actions described above.\n"+
		"  Only 'yes' will be accepted to approve.\n\n"+
		"  Enter a value: ")
	answer := make(chan string, 1)
	go func() {
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			line = ""
		}
		answer <- strings.TrimSpace(line)
	}()
	select {
	case a := <-answer:
		fmt.Fprintln(env.Stdout)
		return a == "yes", nil
	case <-env.Submit.Done():
		fmt.Fprintln(env.Stdout)
		return false, errConfirmInterrupted
	}
}

// executePlan applies p and reports what happened; it returns the exit
// code.
func executePlan(ctx context.Context, env *Env, c *bulk.Client, st *state.Store, p *planner.Plan, jobs planner.JobOptions) int {
	prog := newApplyProgress(env)
	res, err := planner.Apply(ctx, c, st, p, planner.ApplyOptions{
		Jobs:     jobs,
		Submit:   env.Submit,
		Observer: prog,
		Log:      env.Log,
	})
	prog.Close()
	// A Ctrl-C that came while the last jobs ran stopped nothing, yet the
	// run was interrupted: exit 4 says so, as README's table does.
	if env.Submit.Err() != nil && err == nil && !res.Interrupted {
		res.Interrupted = true
	}
	writeApplyResult(env, res, err != nil)
	switch {
	case ctx.Err() != nil:
		// The second Ctrl-C: the summary above says what was aborted; the
		// context's "canceled" adds nothing.
		env.Errorf("apply aborted by a second interrupt; the next plan or apply finishes what was in flight")
		return ExitInterrupted
	case err != nil && res.Interrupted:
		env.Errorf("%v", err)
		return ExitInterrupted
	case err != nil && res.Wrote():
		// Stopped part-way: not an error before writing (exit 1), not a
		// finished apply (exit 3), but an apply cut short, like an
		// interrupted one, whose next run finishes it.
		env.Errorf("%v", err)
		return ExitInterrupted
	case err != nil:
		env.Errorf("%v", err)
		return ExitError
	case res.Interrupted:
		return ExitInterrupted
	case res.Partial():
		return ExitPartial
	}
	return ExitOK
}

// recoverJobs finishes the jobs a killed apply left journaled and says so.
func recoverJobs(ctx context.Context, env *Env, c *bulk.Client, st *state.Store) error {
	jobs := st.State().Jobs()
	if len(jobs) == 0 {
		return nil
	}
	fmt.Fprintf(env.Stderr, "Finishing %s that an earlier apply left in flight...\n", countNoun(len(jobs), "Bulk job"))
	done, err := planner.Recover(ctx, c, st, nil)
	for _, j := range done {
		switch {
		case j.Gone:
			fmt.Fprintf(env.Stderr, "  %s %s job %s: the org no longer has it; what it wrote is found by key\n", j.Object, j.Operation, j.ID)
		default:
			fmt.Fprintf(env.Stderr, "  %s %s job %s: %s recorded in the state, %d failed\n", j.Object, j.Operation, j.ID,
				countNoun(j.Recorded, "record"), j.Failed)
		}
	}
	return err
}
