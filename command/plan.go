package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	hclv2 "github.com/hashicorp/hcl/v2"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/planner"
	"github.com/sfsync/sfsync/render"
	"github.com/sfsync/sfsync/state"
)

func init() {
	register(&Command{
		Name:     "plan",
		Synopsis: "Show which records apply would insert, update and delete",
		Usage: `Usage: sfsync [-chdir=DIR] plan [options]

Reads the configuration (every *.sfsync.hcl file in the working directory),
checks it against the org's schema, reads the org's records through Bulk API
queries and prints what apply would do: the records it would insert (+),
update (~, only the fields that change), delete (-), replace (-/+) and adopt
(<=), then "Plan: N to insert, N to update, N to delete.", the Bulk jobs apply
would run and the org's remaining daily limits. Plan never writes to the org.

Options:
  -out=FILE               save the plan to FILE for 'sfsync apply FILE', which
                          applies it only if neither the configuration, the
                          state nor the planned records changed since. The file
                          can hold values of sensitive variables: it is
                          written with mode 0600; keep it out of Git.
  -detailed-exitcode      exit 2 when the plan has changes, 0 when it has none
  -json                   print the plan as JSON (see docs/plan-json.md)
  -markdown               print the plan as Markdown, for a pull request comment
  -no-color               no color (also: NO_COLOR set, or not a terminal)
  -target=ADDRESS         plan only this record (Account.acme,
                          Account.country["DE"]), record block (Account.country)
                          or object (Account), and the records it needs;
                          repeatable
  -max-deletes=N          fail when the plan deletes more than N records
  -api=auto|bulk|rest     how apply writes: auto (default) uses sObject
                          Collections below 200 records per job and the Bulk
                          API above; bulk or rest force one
  -var 'NAME=VALUE'       set a variable (repeatable)
  -var-file=FILE          set variables from a file (repeatable)
` + stateFlagsHelp + `
` + lockFlagsHelp + `

The org is the configuration's org block (org { local = DIR } runs the
embedded local org), unless flags or SFSYNC_* variables name another; see
'sfsync job -help' for the flags (-instance-url, -sf-org, -login-url,
-username, -client-id, -jwt-key-file, -api-version) and variables.

` + exitCodeHelp,
		Run: runPlan,
	})
}

// planOptions is plan's parsed command line.
type planOptions struct {
	vars       []hcl.VarInput
	out        string
	detailed   bool
	format     render.Format
	noColor    bool
	targets    []string
	maxDeletes int
	api        planner.APIChoice
	state      stateFlags
	org        orgOptions
}

// targetFlags collects -target.
type targetFlags struct{ list *[]string }

func (t targetFlags) String() string { return "" }

func (t targetFlags) Set(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return errors.New("-target needs an address")
	}
	if err := planner.CheckTarget(s); err != nil {
		return err
	}
	*t.list = append(*t.list, s)
	return nil
}

// parsePlan parses plan's arguments. It does no I/O.
func parsePlan(args []string) (planOptions, error) {
	o := planOptions{format: render.FormatHuman, maxDeletes: -1, api: planner.APIAuto}
	fs := newFlagSet("plan")
	addVarFlags(fs, &o.vars)
	fs.StringVar(&o.out, "out", "", "")
	fs.BoolVar(&o.detailed, "detailed-exitcode", false, "")
	var asJSON, asMarkdown bool
	fs.BoolVar(&asJSON, "json", false, "")
	fs.BoolVar(&asMarkdown, "markdown", false, "")
	fs.BoolVar(&o.noColor, "no-color", false, "")
	fs.Var(targetFlags{&o.targets}, "target", "")
	fs.IntVar(&o.maxDeletes, "max-deletes", -1, "")
	api := "auto"
	fs.StringVar(&api, "api", "auto", "")
	o.state.add(fs, true)
	addOrgFlags(fs, &o.org)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("plan takes no arguments (use -chdir=DIR to plan another directory): %s", strings.Join(fs.Args(), " "))
	}
	switch {
	case asJSON && asMarkdown:
		return o, errors.New("-json and -markdown cannot be used together")
	case asJSON:
		o.format = render.FormatJSON
	case asMarkdown:
		o.format = render.FormatMarkdown
	}
	var err error
	if o.api, err = planner.ParseAPIChoice(api); err != nil {
		return o, err
	}
	if o.maxDeletes < -1 {
		return o, fmt.Errorf("-max-deletes=%d: want a number of records, 0 or more", o.maxDeletes)
	}
	if o.out == "" && flagSet(fs, "out") {
		return o, errors.New("-out needs a file name")
	}
	return o, nil
}

// writePlan renders p to stdout in the given form; color as env decided.
func writePlan(env *Env, format render.Format, p *planner.Plan) error {
	view, err := render.New(format, env.Color)
	if err != nil {
		return err
	}
	if err := view.Plan(env.Stdout, p); err != nil {
		return fmt.Errorf("render the plan: %w", err)
	}
	return nil
}

// isDir reports whether path is an existing directory.
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

func runPlan(ctx context.Context, env *Env, args []string) int {
	o, err := parsePlan(args)
	if err != nil {
		return usageError(env, "plan", err)
	}
	if o.noColor {
		env.Color = false
	}
	if o.out != "" {
		// Before the org is read: a plan that cannot be saved is wasted.
		if dir := filepath.Dir(env.Path(o.out)); !isDir(dir) {
			env.Errorf("-out=%s: the directory %s does not exist", o.out, filepath.Dir(o.out))
			return ExitError
		}
		if isDir(env.Path(o.out)) {
			env.Errorf("-out=%s is a directory; give a file name", o.out)
			return ExitError
		}
	}
	p, code := makePlan(ctx, env, o)
	if p == nil {
		return code
	}
	if err := writePlan(env, o.format, p); err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	if o.out != "" {
		if err := planner.WriteSavedFile(env.Path(o.out), p); err != nil {
			env.Errorf("%v", err)
			return ExitError
		}
		note := env.Stdout
		if o.format != render.FormatHuman {
			note = env.Stderr
		}
		fmt.Fprintf(note, "\nSaved the plan to %s (mode 0600: it may hold sensitive values). To perform exactly these actions, run:\n  sfsync apply %s\n", o.out, o.out)
	}
	if o.detailed && p.Counts().HasChanges() {
		return ExitChanges
	}
	return ExitOK
}

// makePlan loads the configuration, connects to the org, reads the state
// and builds the plan. The state is read while the configuration loads and
// the org is queried (a large state takes seconds to read), but the org is
// read only once the state's lock is held: a plan that waited for another
// run's apply must see what that apply wrote. On failure makePlan reports
// and returns the exit code.
func makePlan(ctx context.Context, env *Env, o planOptions) (*planner.Plan, int) {
	backend, err := stateBackend(env, o.state)
	if err != nil {
		return nil, reportError(env, err)
	}
	pending := openStateAsync(ctx, env, backend, o.state, "plan")
	defer pending.Close(ctx)
	getStore := pending.Get

	cfg, conn, prog, ok := loadAndConnect(ctx, env, o.vars, o.org)
	if !ok {
		return nil, ExitError
	}
	defer prog.finish()
	if err := pending.WaitLocked(); err != nil {
		prog.finish()
		conn.Close()
		env.Errorf("%v", err)
		return nil, ExitError
	}
	// The state's lock is released before the local org, which may go on
	// serving other sfsync processes that joined it, and which may be
	// waiting for this lock.
	defer func() {
		pending.Close(ctx)
		conn.Close()
	}()
	stateOf := func() (*state.State, error) {
		store, err := getStore()
		if err != nil {
			return nil, err
		}
		st := store.State()
		if err := st.BindOrg(conn.Client.OrgID(), conn.Client.InstanceURL()); err != nil {
			return nil, err
		}
		if len(st.Jobs()) > 0 {
			return nil, errJournaled
		}
		return st, nil
	}
	opts := planner.Options{
		Config:     cfg,
		StateFunc:  stateOf,
		Org:        conn.Client,
		Targets:    o.targets,
		MaxDeletes: o.maxDeletes,
		API:        o.api,
		Progress:   prog.event,
	}
	p, diags, err := planner.Build(ctx, opts)
	if errors.Is(err, errJournaled) {
		// An apply was killed with Bulk jobs in flight. What they wrote
		// must be in the state before the org is read, or the plan would
		// insert those records again: finish them, then read the org anew.
		prog.finish()
		store, _ := getStore()
		if err := recoverJobs(ctx, env, conn.Client, store); err != nil {
			env.Errorf("%v", err)
			return nil, ExitError
		}
		opts.StateFunc, opts.State = nil, store.State()
		p, diags, err = planner.Build(ctx, opts)
	}
	prog.finish()
	if len(diags) > 0 {
		hcl.WriteDiagnostics(env.Stderr, cfg.Sources(diags), diags, 78, env.Color)
	}
	if err != nil {
		env.Errorf("%v", err)
		return nil, ExitError
	}
	if p == nil {
		return nil, ExitError
	}
	return p, ExitOK
}

// writeWarnings prints warning diagnostics of the configuration.
// loadAndConnect begins plan and apply alike: it loads the configuration
// in env.Dir and connects to its org, showing progress. On failure it has
// reported the error and ok is false.
func loadAndConnect(ctx context.Context, env *Env, vars []hcl.VarInput, org orgOptions) (cfg *hcl.Config, conn *orgConn, prog *planProgress, ok bool) {
	// The planner reads every CSV row while matching, and checks the rows
	// then: loading does not read them first.
	cfg, diags := hcl.Load(env.Dir, hcl.LoadOptions{Vars: vars, Getenv: env.Getenv, SkipCSVRows: true})
	if diags.HasErrors() {
		hcl.WriteDiagnostics(env.Stderr, cfg.Sources(diags), diags, 78, env.Color)
		return nil, nil, nil, false
	}
	writeWarnings(env, cfg, diags)
	prog = newPlanProgress(env)
	prog.line("Connecting to the org")
	conn, err := connectOrgWith(ctx, env, org, cfg.Dir, cfg.Org, func(c *bulk.Config) {
		// Plan and apply wait for query and ingest jobs: poll them often,
		// so that they go on soon after the org is done.
		c.Poll = bulk.PollPolicy{Initial: 250 * time.Millisecond, Max: 2 * time.Second}
	})
	if err != nil {
		prog.finish()
		env.Errorf("%v", err)
		return nil, nil, nil, false
	}
	return cfg, conn, prog, true
}

func writeWarnings(env *Env, cfg *hcl.Config, diags hclv2.Diagnostics) {
	if len(diags) > 0 {
		hcl.WriteDiagnostics(env.Stderr, cfg.Sources(diags), diags, 78, env.Color)
	}
}

// errJournaled stops a plan whose state journals Bulk jobs of an apply
// that did not finish; makePlan finishes them and plans again.
var errJournaled = errors.New("the state journals Bulk jobs of an unfinished apply")
