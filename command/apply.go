package command

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/planner"
	"github.com/sfsync/sfsync/state"
)

func init() {
	register(&Command{
		Name:     "apply",
		Synopsis: "Write a saved plan's changes to the org through Bulk API jobs",
		Usage: `Usage: sfsync apply [options] PLANFILE

Applies a plan saved by 'sfsync plan -out=PLANFILE': exactly its changes, with
no prompt. Before writing anything it finishes the Bulk jobs a killed apply
left in flight, then refuses the plan if anything it was made from moved:
another org, a state another run wrote since, a changed configuration, CSV or
variable, a record it updates or deletes that was changed in the org or is
gone, or a record it inserts that now exists. What moved is listed.

Changes are written in levels — inserts (parents before children), then
updates, deletes last (children before parents) — one Bulk job per object,
operation and level; jobs of fewer than 200 records go through sObject
Collections unless -api says otherwise. Every record's result is recorded in
the state as soon as its job finishes; a job's id is saved in the state
before its data is uploaded, so that a killed apply is finished by the next
plan or apply without duplicates. Records that fail are listed with
Salesforce's status code, message and fields; the records that refer to them
are skipped. Written records are read back, and fields the org stored
differently (triggers, rounding) are reported as warnings.

Options:
  -api=auto|bulk|rest     the API writes go through: auto (the plan's choice),
                          bulk (always a Bulk job) or rest (sObject Collections)
  -max-deletes=N          refuse to apply a plan that deletes more than N
                          records (default: no limit)
  -var 'NAME=VALUE'       a variable's value, as given to plan (repeatable);
  -var-file=FILE          the plan is refused if a value differs from the one
                          it was made with
` + stateFlagsHelp + `
` + lockFlagsHelp + `

Interrupting (Ctrl-C) stops starting new jobs, lets the jobs in flight finish
and saves the state; a second Ctrl-C aborts the jobs in flight (records they
processed stay written, and are recorded by the next run).

Exit codes: 0 applied; 1 error (nothing written, or the failure came before
anything was written); 3 applied, but some records failed; 4 interrupted.`,
		Run: runApply,
	})
}

// applyOptions are apply's arguments.
type applyOptions struct {
	planFile   string
	vars       []hcl.VarInput
	api        planner.APIChoice // 0: as planned
	maxDeletes int               // negative: no limit
	state      stateFlags
}

// parseApply parses apply's arguments. It does no I/O.
func parseApply(args []string) (applyOptions, error) {
	o := applyOptions{maxDeletes: -1}
	fs := newFlagSet("apply")
	addVarFlags(fs, &o.vars)
	api := fs.String("api", "", "")
	fs.IntVar(&o.maxDeletes, "max-deletes", -1, "")
	o.state.add(fs, true)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return o, err
	}
	if *api != "" {
		if o.api, err = planner.ParseAPIChoice(*api); err != nil {
			return o, err
		}
	}
	switch len(pos) {
	case 0:
		return o, errors.New("apply needs the plan file that 'sfsync plan -out=FILE' saved")
	case 1:
		o.planFile = pos[0]
	default:
		return o, fmt.Errorf("apply takes one plan file, not %d arguments: %s", len(pos), strings.Join(pos, " "))
	}
	return o, nil
}

func runApply(ctx context.Context, env *Env, args []string) int {
	o, err := parseApply(args)
	if err != nil {
		return usageError(env, "apply", err)
	}
	p, err := planner.ReadSavedFile(env.Path(o.planFile))
	if err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	cfg, diags := hcl.Load(env.Dir, hcl.LoadOptions{Vars: o.vars, Getenv: env.Getenv})
	if diags.HasErrors() {
		return reportError(env, &configError{files: cfg.Sources(diags), diags: diags})
	}
	if o.maxDeletes >= 0 {
		if n := p.Counts().Delete; n > o.maxDeletes {
			env.Errorf("the plan deletes %s, more than -max-deletes=%d allows; nothing was written", countNoun(n, "record"), o.maxDeletes)
			return ExitError
		}
	}
	conn, err := connectForApply(ctx, env, cfg)
	if err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	defer conn.close()
	b, err := stateBackend(env, o.state)
	if err != nil {
		return reportError(env, err)
	}
	st, err := openState(ctx, env, b, o.state, "apply")
	if err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	defer st.Close(context.WithoutCancel(ctx))
	if err := st.State().BindOrg(conn.c.OrgID(), conn.c.InstanceURL()); err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	if err := recoverJobs(ctx, env, conn.c, st); err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	inputs, err := configInputs(cfg)
	if err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	if err := planner.CheckSaved(ctx, conn.c, st.State(), p, inputs); err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	if p.Counts().Empty() {
		fmt.Fprintln(env.Stdout, "No changes. The saved plan has nothing to apply.")
		return ExitOK
	}
	jobs := planner.JobOptions{API: o.api}
	if cfg.Org != nil && cfg.Org.Bulk == hcl.Bulk1 {
		jobs.Bulk = planner.APIBulk1
	}
	return executePlan(ctx, env, conn.c, st, p, jobs)
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
	writeApplyResult(env, res)
	switch {
	case err != nil && (res.Interrupted || ctx.Err() != nil):
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

// configInputs hashes what the configuration was built from, as plan does
// when it saves a plan: its files and the values of its variables.
func configInputs(cfg *hcl.Config) ([]planner.Input, error) {
	var out []planner.Input
	for _, path := range cfg.Inputs {
		in, err := planner.HashFile(cfg.Dir, path)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	for _, v := range cfg.Variables {
		if v.Value.Type() == cty.NilType {
			continue
		}
		out = append(out, planner.HashVariable(v.Name, hcl.FormatValue(v.Value)))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// applyConn is the org apply writes to.
type applyConn struct {
	c     *bulk.Client
	close func()
}

// connectForApply connects to the org the configuration names (its org
// block, else the SFSYNC_* environment): the embedded local org is started
// here, or joined when another process holds it.
func connectForApply(ctx context.Context, env *Env, cfg *hcl.Config) (*applyConn, error) {
	var org orgOptions
	if cfg.Org != nil {
		o, err := orgFromBlock(cfg.Dir, cfg.Org, env.Getenv)
		if err != nil {
			return nil, err
		}
		org = o
	}
	org = mergeOrg(org, orgFromEnv(env.Getenv))
	conn := &applyConn{close: func() {}}
	var auth bulk.Authenticator
	poll := bulk.PollPolicy{}
	if org.local != "" && (org.method == "" || org.method == "local") {
		inst, err := openLocalorg(ctx, env, org.local)
		if err != nil {
			return nil, err
		}
		conn.close = func() { inst.Close() }
		lc := inst.Connection()
		auth = &bulk.RefreshTokenFlow{LoginURL: lc.LoginURL, ClientID: lc.ClientID, ClientSecret: lc.ClientSecret, RefreshToken: lc.RefreshToken}
		// The local org answers in milliseconds: poll it accordingly.
		poll = bulk.PollPolicy{Initial: 20 * time.Millisecond, Max: time.Second}
	} else {
		a, err := org.authenticator()
		if err != nil {
			return nil, err
		}
		auth = a
	}
	c, err := bulk.New(ctx, bulk.Config{Auth: auth, APIVersion: org.version, Logger: env.Log, Poll: poll})
	if err != nil {
		conn.close()
		return nil, err
	}
	conn.c = c
	return conn, nil
}
