package planner

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/internal/version"
	"github.com/sfsync/sfsync/state"
)

// Org is what planning needs of an org. *bulk.Client is one.
type Org interface {
	DescribeGlobal(ctx context.Context) (*bulk.GlobalDescribe, error)
	Describe(ctx context.Context, object string) (*bulk.SObject, error)
	Query(ctx context.Context, soql string, opt bulk.QueryOptions) *bulk.Rows
	Limits(ctx context.Context) (bulk.Limits, error)
	OrgID() string
	InstanceURL() string
}

var _ Org = (*bulk.Client)(nil)

// APIChoice is -api: which API apply's writes go through. The zero value is
// invalid.
type APIChoice int

const (
	_ APIChoice = iota
	// APIAuto uses sObject Collections for a job below the REST threshold
	// and the Bulk API otherwise.
	APIAuto
	// APIBulkOnly always uses the Bulk API.
	APIBulkOnly
	// APIRESTOnly always uses sObject Collections.
	APIRESTOnly
)

// ParseAPIChoice reads -api's value: auto, bulk or rest.
func ParseAPIChoice(s string) (APIChoice, error) {
	switch s {
	case "auto":
		return APIAuto, nil
	case "bulk":
		return APIBulkOnly, nil
	case "rest":
		return APIRESTOnly, nil
	}
	return 0, fmt.Errorf("-api %q: want auto, bulk or rest", s)
}

func (a APIChoice) String() string {
	switch a {
	case APIAuto:
		return "auto"
	case APIBulkOnly:
		return "bulk"
	case APIRESTOnly:
		return "rest"
	}
	return fmt.Sprintf("APIChoice(%d)", int(a))
}

// DefaultRESTThreshold is the size below which a job goes through sObject
// Collections rather than the Bulk API (-api=auto).
const DefaultRESTThreshold = 200

// Options are the inputs of a plan.
type Options struct {
	// Config is the loaded configuration (without errors).
	Config *hcl.Config
	// State is the state the plan starts from; nil is an empty state,
	// unless StateFunc is set.
	State *state.State
	// StateFunc, when State is nil, returns the state. Build calls it after
	// starting to read the org, so that reading a large state overlaps with
	// the org's queries.
	StateFunc func() (*state.State, error)
	// Org is the org the plan reads.
	Org Org
	// Targets, when set, limit the plan to these addresses (Object,
	// Object.label, Object.label["key"]) and the records they need.
	Targets []string
	// MaxDeletes is -max-deletes: the most records the plan may delete;
	// negative for no limit.
	MaxDeletes int
	// API is -api; zero is APIAuto.
	API APIChoice
	// RESTThreshold is the job size below which APIAuto uses sObject
	// Collections; zero is DefaultRESTThreshold.
	RESTThreshold int
	// Progress, when set, is told what planning is doing.
	Progress func(ProgressEvent)
}

// ProgressEvent says what planning is doing, for a display on stderr.
type ProgressEvent struct {
	// Step is what is being done: "describe", "query", "lookup", "plan".
	Step   string
	Object string
	// Rows counts the records read (or planned) so far in this step.
	Rows int64
	// Done marks the step's last event.
	Done bool
}

// Build reads the org and plans how to bring it to the configuration. It
// never writes to the org. Configuration problems that only the org can
// reveal (unknown fields, values that do not fit, duplicate keys, …) come
// back as diagnostics with source ranges, all of them, and no plan; other
// failures (the org cannot be reached, a query fails) as an error.
func Build(ctx context.Context, opts Options) (*Plan, hclv2.Diagnostics, error) {
	if opts.Config == nil || opts.Org == nil {
		return nil, nil, errors.New("plan: a configuration and an org are required")
	}
	if opts.API == 0 {
		opts.API = APIAuto
	}
	if opts.RESTThreshold <= 0 {
		opts.RESTThreshold = DefaultRESTThreshold
	}
	b := &builder{opts: opts, cfg: opts.Config, st: opts.State, org: opts.Org, objByName: map[string]*objPlan{}}
	defer b.awaitState() // a StateFunc's work ends before Build returns
	b.rd = &reader{org: opts.Org, progress: opts.Progress, bulkAPI: bulk.Bulk2}
	if b.cfg.Org != nil && b.cfg.Org.Bulk == hcl.Bulk1 {
		b.rd.bulkAPI = bulk.Bulk1
	}
	// Steps up to the diff collect every problem they find and go on, so
	// that one run reports them all; the plan stops at the first step
	// after which there are errors.
	steps := []struct {
		run      func(context.Context) error
		goOnDiag bool
	}{
		{b.describe, false},
		{b.validate, false},
		{b.read, false},
		{b.identify, true},
		{b.resolveRelationships, true},
		{b.replacements, true},
		{b.diff, false},
		{b.deletes, false},
		{b.order, false},
		{b.applyTargets, false},
		{b.checkDeleteHandOffs, false},
		{b.checkDeletes, false},
		{b.estimate, false},
	}
	for _, step := range steps {
		if err := step.run(ctx); err != nil {
			if errors.Is(err, errDiags) {
				return nil, b.diags, nil
			}
			return nil, b.diags, err
		}
		if b.diags.HasErrors() && !step.goOnDiag {
			return nil, b.diags, nil
		}
	}
	p := b.plan
	p.SfsyncVersion = version.Version
	p.OrgID = b.org.OrgID()
	p.InstanceURL = b.org.InstanceURL()
	p.Serial = b.st.Serial()
	if p.Serial > 0 {
		// A state never stored has a lineage of its own making, which the
		// state apply reads would not share.
		p.Lineage = b.st.Lineage()
	}
	inputs, err := Inputs(b.cfg)
	if err != nil {
		return nil, b.diags, err
	}
	p.Inputs = inputs
	p.Sort()
	return p, b.diags, nil
}

// Inputs hashes everything a configuration was built from: its files
// (configuration, variable, CSV and other files it read) and the values of
// its variables.
func Inputs(cfg *hcl.Config) ([]Input, error) {
	var out []Input
	for _, path := range cfg.Inputs {
		in, err := HashFile(cfg.Dir, path)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	for _, v := range cfg.Variables {
		if v.Value.Type() == cty.NilType {
			continue
		}
		out = append(out, HashVariable(v.Name, hcl.FormatValue(v.Value)))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// awaitState returns the state, from StateFunc the first time; no state is
// an empty one.
func (b *builder) awaitState() (*state.State, error) {
	if b.st == nil && b.opts.StateFunc != nil {
		st, err := b.opts.StateFunc()
		b.opts.StateFunc = nil
		if err != nil {
			return nil, err
		}
		b.st = st
	}
	if b.st == nil {
		b.st = state.New()
	}
	return b.st, nil
}

// errDiags stops a build whose diagnostics say why.
var errDiags = errors.New("the configuration has errors")

// builder holds one plan in the making.
type builder struct {
	opts Options
	cfg  *hcl.Config
	st   *state.State
	org  Org
	rd   *reader

	global    *bulk.GlobalDescribe
	schemas   map[string]*objectSchema // by lower-case name
	objects   []*objPlan               // configured objects in configuration order, then removed ones by name
	objByName map[string]*objPlan      // by lower-case name
	data      map[string]*dataResult   // by "Object.name"
	rels      map[string]*relPlan      // by lower-case "Parent.Field"
	// stdPricebook is the Id of the standard price book, when price book
	// entries are planned.
	stdPricebook string
	// after lists, by address, the writes that a write must come after
	// for another reason than a reference (a unique value handed over, a
	// standard price first): -target keeps them with it.
	after map[string][]string
	// handOffs are the writes that take a unique value a delete frees
	// (checkDeleteHandOffs).
	handOffs []deleteHandOff

	diags hclv2.Diagnostics
	// muted > 0 discards diagnostics: a pass that another pass repeats
	// reports nothing twice.
	muted int
	plan  *Plan
}

func (b *builder) errorf(rng *hclv2.Range, summary, format string, args ...any) {
	if b.muted > 0 {
		return
	}
	b.diags = append(b.diags, &hclv2.Diagnostic{Severity: hclv2.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: rng})
}

func (b *builder) progress(ev ProgressEvent) {
	if b.opts.Progress != nil {
		b.opts.Progress(ev)
	}
}

func (b *builder) schema(object string) *objectSchema { return b.schemas[strings.ToLower(object)] }

func (b *builder) object(name string) *objPlan { return b.objByName[strings.ToLower(name)] }

// describe fetches the describe of every object the configuration and the
// data lookups name, and of the parents of relationship columns. Objects
// the org does not have are diagnostics. The objects only the state names
// are described once the state is read (removedObjects).
func (b *builder) describe(ctx context.Context) error {
	b.progress(ProgressEvent{Step: "describe"})
	g, err := b.org.DescribeGlobal(ctx)
	if err != nil {
		return fmt.Errorf("describe the org: %w", err)
	}
	b.global = g
	var names []string
	for _, g := range g.SObjects {
		names = append(names, g.Name)
	}
	b.schemas = map[string]*objectSchema{}
	need := func(object string, rng *hclv2.Range, what string) bool {
		if b.schema(object) != nil {
			return true
		}
		if _, ok := g.Object(object); !ok {
			b.errorf(rng, "Unknown object", "The org has no object %s (%s).%s", object, what, didYouMean(object, names))
			return false
		}
		d, err := b.org.Describe(ctx, object)
		if err != nil {
			b.errorf(rng, "Cannot describe object", "Describing %s failed: %v.", object, err)
			return false
		}
		b.schemas[strings.ToLower(object)] = newObjectSchema(d)
		return true
	}
	for _, o := range b.cfg.Objects {
		rng := o.DeclRange
		need(o.Name, &rng, fmt.Sprintf("object block %q", o.Name))
	}
	for _, d := range b.cfg.Data {
		rng := d.DeclRange
		need(d.Object, &rng, "data block "+d.Addr())
	}
	// Parents of relationship columns and the targets of reference fields.
	for _, o := range b.cfg.Objects {
		s := b.schema(o.Name)
		if s == nil {
			continue
		}
		for _, src := range o.CSV {
			for _, c := range src.Columns {
				if c.Relationship == "" {
					continue
				}
				if f := s.relationship(c.Relationship); f != nil && len(f.ReferenceTo) == 1 {
					rng := src.Range
					need(f.ReferenceTo[0], &rng, "the parent of column "+c.Name)
				}
			}
		}
	}
	b.progress(ProgressEvent{Step: "describe", Rows: int64(len(b.schemas)), Done: true})
	if b.diags.HasErrors() {
		return errDiags
	}
	return nil
}

// keyPrefixObjects maps key prefixes to object names, from the global
// describe.
func (b *builder) prefixObject(prefix string) string {
	for _, o := range b.global.SObjects {
		if o.KeyPrefix == prefix {
			return o.Name
		}
	}
	return ""
}
