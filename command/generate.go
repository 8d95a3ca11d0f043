package command

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sfsync/sfsync/generate"
	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/planner"
	"github.com/sfsync/sfsync/state"
)

func init() {
	register(&Command{
		Name:     "generate",
		Synopsis: "Write configuration for records that already exist in the org",
		Usage: `Usage: sfsync [-chdir=DIR] generate -object NAME [-where COND] [-key F,...]
                       [-fields F,...] [-object NAME ...] [-out FILE] [-adopt]

Reads existing records from the org and writes object blocks for them:
formatted, sorted by label, the same on every run. Labels come from the key
values. No Salesforce Id is written: a lookup to another generated record,
or to one the configuration already has, becomes a reference
(Account.acme.Id); RecordTypeId, OwnerId (users and queues) and the standard
price book become data lookups by developer name, username or IsStandard; a
lookup to anything else is left out and reported.

Options (-where, -key and -fields apply to the -object before them):
  -object NAME        an sObject to generate (repeatable)
  -where COND         a SOQL condition choosing its records; also written as
                      the object block's where
  -key F[,F]          the fields its records are matched by (default: an
                      external Id field every record has and no two share;
                      PricebookEntry: Pricebook2Id,Product2Id)
  -fields F[,F]       the fields to write besides the key (default: every
                      field that can be written and read back, except system,
                      formula, auto-number and encrypted fields)
  -out FILE           write FILE (name it *.sfsync.hcl to make it part of the
                      configuration) instead of printing; never overwrites
  -adopt              with -out in the working directory: also record the
                      generated records in the state, as apply does for
                      adopted records, so that the next plan says "No
                      changes." Nothing is written to the org.
  -var 'NAME=VALUE'   a variable of the existing configuration (repeatable)
  -var-file=FILE      variables from a file (repeatable)
` + stateFlagsHelp + `
` + lockFlagsHelp + `

The org comes from the configuration's org block, flags or SFSYNC_* variables,
as for plan. Existing object blocks are not generated again: generate writes
new objects only.

` + exitCodeHelp,
		Run: runGenerate,
	})
}

// generateOptions is generate's parsed command line.
type generateOptions struct {
	objects []generate.Spec
	out     string
	adopt   bool
	vars    []hcl.VarInput
	state   stateFlags
	org     orgOptions
}

// specFlag is -object, -where, -key or -fields: -object starts a spec, the
// others fill in the last one.
type specFlag struct {
	o    *generateOptions
	name string
}

func (f specFlag) String() string { return "" }

func (f specFlag) Set(v string) error {
	v = strings.TrimSpace(v)
	if f.name == "object" {
		if v == "" {
			return errors.New("-object needs an sObject name")
		}
		if !validAPIName(v) {
			return fmt.Errorf("-object: %q is not an object API name (such as Account or Invoice__c)", v)
		}
		f.o.objects = append(f.o.objects, generate.Spec{Object: v})
		return nil
	}
	if len(f.o.objects) == 0 {
		return fmt.Errorf("-%s comes after the -object it applies to", f.name)
	}
	s := &f.o.objects[len(f.o.objects)-1]
	twice := fmt.Errorf("-%s is given twice for -object %s", f.name, s.Object)
	switch f.name {
	case "where":
		if s.Where != "" {
			return twice
		}
		s.Where = v
	case "key", "fields":
		var list []string
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			if !validAPIName(p) {
				return fmt.Errorf("-%s: %q is not a field API name (such as Name or Code__c)", f.name, p)
			}
			// Field names are case-insensitive, as Salesforce compares them.
			if i := slices.IndexFunc(list, func(q string) bool { return strings.EqualFold(p, q) }); i >= 0 {
				same := ""
				if list[i] != p {
					same = fmt.Sprintf(" (%s and %s are the same field)", list[i], p)
				}
				return fmt.Errorf("-%s names %s twice for -object %s%s: give each field once", f.name, list[i], s.Object, same)
			}
			list = append(list, p)
		}
		if len(list) == 0 {
			return fmt.Errorf("-%s needs one or more field names, separated by commas", f.name)
		}
		dst := &s.Key
		if f.name == "fields" {
			dst = &s.Fields
		}
		if *dst != nil {
			return twice
		}
		*dst = list
	}
	return nil
}

// parseGenerate parses generate's arguments. It does no I/O.
func parseGenerate(args []string) (generateOptions, error) {
	var o generateOptions
	fs := newFlagSet("generate")
	for _, n := range []string{"object", "where", "key", "fields"} {
		fs.Var(specFlag{&o, n}, n, "")
	}
	fs.StringVar(&o.out, "out", "", "")
	fs.BoolVar(&o.adopt, "adopt", false, "")
	addVarFlags(fs, &o.vars)
	o.state.add(fs, true)
	addOrgFlags(fs, &o.org)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("generate takes no arguments: %s", strings.Join(fs.Args(), " "))
	}
	if len(o.objects) == 0 {
		return o, errors.New("generate needs -object NAME")
	}
	if o.out == "" && flagSet(fs, "out") {
		return o, errors.New("-out needs a file name")
	}
	if o.adopt {
		if o.out == "" {
			return o, errors.New("-adopt needs -out FILE: records are adopted into the state only when their configuration is saved")
		}
		if filepath.Dir(o.out) != "." || !strings.HasSuffix(o.out, hcl.FileSuffix) {
			return o, fmt.Errorf("-adopt needs -out to name a *%s file in the working directory, so that the configuration holds the records it adopts; not %s", hcl.FileSuffix, o.out)
		}
	}
	return o, nil
}

func runGenerate(ctx context.Context, env *Env, args []string) int {
	o, err := parseGenerate(args)
	if err != nil {
		return usageError(env, "generate", err)
	}
	if o.out != "" {
		if _, err := os.Stat(env.Path(o.out)); err == nil {
			env.Errorf("%s already exists; generate never overwrites a file: remove it or choose another -out", o.out)
			return ExitError
		}
	}
	cfg, code := loadExisting(env, o.vars)
	if code != ExitOK {
		return code
	}
	dir, block := env.Dir, (*hcl.Org)(nil)
	if cfg != nil {
		dir, block = cfg.Dir, cfg.Org
		for _, s := range o.objects {
			for _, ob := range cfg.Objects {
				if strings.EqualFold(ob.Name, s.Object) {
					env.Errorf("the configuration already has object %q (%s); generate writes new object blocks only: generate into another directory and merge by hand, or leave -object %s out", ob.Name, ob.DeclRange, s.Object)
					return ExitError
				}
			}
		}
	}
	conn, err := connectOrg(ctx, env, o.org, dir, block)
	if err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	defer conn.Close()

	known := knownRecords(ctx, env, o, cfg, conn)
	gopts := generate.Options{
		Org:     conn.Client,
		Objects: o.objects,
		Known: func(id string) (hcl.Address, bool) {
			a, ok := known[id]
			return a, ok
		},
		Header: []string{
			"Generated by 'sfsync generate' from records in the org. No Salesforce Id is",
			"written: lookups are references or data lookups, so it applies to any org.",
		},
	}
	if cfg != nil {
		gopts.Data = cfg.Data
	}
	res, err := generate.Generate(ctx, gopts)
	if err != nil {
		env.Errorf("generate: %v", err)
		return ExitError
	}
	for _, n := range res.Notes {
		fmt.Fprintf(env.Stderr, "Note: %s.\n", n)
	}
	if o.out == "" {
		env.Stdout.Write(res.HCL)
		return ExitOK
	}
	if err := writeNewFile(env.Path(o.out), res.HCL); err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	var counts []string
	for _, c := range res.Records {
		counts = append(counts, fmt.Sprintf("%d %s", c.Records, c.Object))
	}
	fmt.Fprintf(env.Stdout, "Wrote %s: %s %s.\n", o.out, strings.Join(counts, ", "), plural(total(res.Records), "record", "records"))
	if !strings.HasSuffix(o.out, hcl.FileSuffix) {
		fmt.Fprintf(env.Stdout, "Only *%s files are read as configuration: rename it to use it.\n", hcl.FileSuffix)
	}
	if !o.adopt {
		if strings.HasSuffix(o.out, hcl.FileSuffix) && filepath.Dir(o.out) == "." {
			fmt.Fprintln(env.Stdout, "Next: 'sfsync plan' shows them as adopted (found by key, no org write); 'sfsync apply' records them in the state.")
		}
		return ExitOK
	}
	return adoptGenerated(ctx, env, o, conn, res.Addresses)
}

func total(cs []generate.ObjectCount) int {
	n := 0
	for _, c := range cs {
		n += c.Records
	}
	return n
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// loadExisting loads the working directory's configuration, nil when it
// has none. Errors are reported.
func loadExisting(env *Env, vars []hcl.VarInput) (*hcl.Config, int) {
	matches, _ := filepath.Glob(filepath.Join(env.Dir, "*"+hcl.FileSuffix))
	if len(matches) == 0 {
		return nil, ExitOK
	}
	cfg, diags := hcl.Load(env.Dir, hcl.LoadOptions{Vars: vars, Getenv: env.Getenv, SkipCSVRows: true})
	if diags.HasErrors() {
		hcl.WriteDiagnostics(env.Stderr, cfg.Sources(diags), diags, 78, env.Color)
		return nil, ExitError
	}
	return cfg, ExitOK
}

// knownRecords maps the Ids of records the configuration already declares
// to their addresses: those the state binds, and those a plan of the
// existing configuration matches by key. What cannot be read is only
// warned about: generate then writes fewer references.
func knownRecords(ctx context.Context, env *Env, o generateOptions, cfg *hcl.Config, conn *orgConn) map[string]hcl.Address {
	known := map[string]hcl.Address{}
	add := func(id, address string) {
		if a, err := hcl.ParseAddress(address); err == nil && sfid.Valid(id) {
			known[sfid.To18(id)] = a
		}
	}
	var st *state.State
	if b, err := stateBackend(env, o.state); err == nil {
		if s, err := b.Read(ctx); err == nil && s != nil && (s.OrgID() == "" || sfid.Equal(s.OrgID(), conn.Client.OrgID())) {
			st = s
			for _, r := range s.AllRecords() {
				add(r.ID, r.Address)
			}
		}
	}
	if cfg == nil || len(cfg.Objects) == 0 {
		return known
	}
	if st == nil {
		st = state.New()
	}
	p, diags, err := planner.Build(ctx, planner.Options{Config: cfg, State: st, Org: conn.Client})
	if err != nil || p == nil || diags.HasErrors() {
		fmt.Fprintln(env.Stderr, "Warning: the existing configuration could not be planned, so lookups to its records are known only from the state. Run 'sfsync plan' to see why.")
		return known
	}
	for _, op := range p.Objects {
		for _, ch := range op.Changes {
			if ch.ID != "" && ch.Action != planner.Delete {
				add(ch.ID, ch.Address)
			}
		}
	}
	return known
}

// writeNewFile writes a new file; an existing one is never replaced.
func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// adoptGenerated plans the configuration that now holds the generated
// records and binds those the plan adopts without a change in the state,
// exactly as apply does for an adopt-only plan.
func adoptGenerated(ctx context.Context, env *Env, o generateOptions, conn *orgConn, addresses []string) int {
	cfg, diags := hcl.Load(env.Dir, hcl.LoadOptions{Vars: o.vars, Getenv: env.Getenv, SkipCSVRows: true})
	if diags.HasErrors() {
		hcl.WriteDiagnostics(env.Stderr, cfg.Sources(diags), diags, 78, env.Color)
		env.Errorf("the configuration with %s does not load, so nothing was adopted", o.out)
		return ExitError
	}
	backend, err := stateBackend(env, o.state)
	if err != nil {
		return reportError(env, err)
	}
	store, err := openState(ctx, env, backend, o.state, "generate -adopt")
	if err != nil {
		return reportError(env, err)
	}
	defer store.Close(ctx)
	st := store.State()
	if err := st.BindOrg(conn.Client.OrgID(), conn.Client.InstanceURL()); err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	// Jobs an apply that was killed left in flight are finished first,
	// as plan does: what they wrote must be in the state before the org
	// is read.
	if err := recoverJobs(ctx, env, conn.Client, store); err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	p, diags, err := planner.Build(ctx, planner.Options{Config: cfg, State: st, Org: conn.Client})
	if len(diags) > 0 {
		hcl.WriteDiagnostics(env.Stderr, cfg.Sources(diags), diags, 78, env.Color)
	}
	if err != nil || p == nil {
		if err != nil {
			env.Errorf("%v", err)
		}
		env.Errorf("the configuration does not plan, so nothing was adopted")
		return ExitError
	}
	generated := map[string]bool{}
	for _, a := range addresses {
		generated[a] = true
	}
	adopted := 0
	var changed []string
	for _, op := range p.Objects {
		for _, ch := range op.Changes {
			if !generated[ch.Address] {
				continue
			}
			if ch.Action != planner.Adopt || changesFields(ch) {
				changed = append(changed, fmt.Sprintf("%s (%s)", ch.Address, ch.Action))
				continue
			}
			if err := st.Bind(planner.AdoptedRecord(&ch)); err != nil {
				env.Errorf("adopt %s: %v", ch.Address, err)
				return ExitError
			}
			adopted++
		}
	}
	if adopted > 0 {
		if err := store.Persist(context.WithoutCancel(ctx)); err != nil {
			env.Errorf("%v", err)
			return ExitError
		}
	}
	fmt.Fprintf(env.Stdout, "Adopted %d %s into %s (no org write).\n", adopted, plural(adopted, "record", "records"), backend)
	if len(changed) > 0 {
		fmt.Fprintf(env.Stderr, "Warning: %d generated %s would not plan unchanged, so %s not adopted: %s. Run 'sfsync plan' to see why.\n",
			len(changed), plural(len(changed), "record", "records"), plural(len(changed), "it was", "they were"), strings.Join(changed, ", "))
	}
	return ExitOK
}

// changesFields reports whether an adopt would also write fields.
func changesFields(ch planner.Change) bool {
	for _, f := range ch.Fields {
		if f.Changed() {
			return true
		}
	}
	return false
}
