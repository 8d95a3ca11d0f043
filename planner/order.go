package planner

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/internal/sfid"
)

// order puts the changes into the plan's objects and decides the order of
// apply. Inserts and updates are grouped into levels: a record comes after
// the inserts whose Ids it needs (its level is one more than theirs), so a
// self-referencing object becomes depth levels; a record that takes a value
// of a unique field that an update gives up comes after that update, since
// Salesforce refuses a duplicate value even for a moment (a key swap); a
// standard price book entry comes before the other entries of its product.
// A true record cycle among inserts is broken by inserting one record
// without the field and setting it in a deferred update; a cycle that
// cannot be broken so is an error. Deletes are leveled by object, children
// before parents.
func (b *builder) order(ctx context.Context) error {
	for _, op := range b.objects {
		if len(op.changes) == 0 && op.unchanged == 0 && len(op.forget) == 0 {
			continue
		}
		b.plan.Objects = append(b.plan.Objects, &ObjectPlan{Object: op.name, Changes: op.changes, Unchanged: op.unchanged, Forget: op.forget})
		op.changes = nil
	}
	g := newWriteGraph(b.plan)
	b.standardPriceFirst(g)
	if err := b.breakCycles(g); err != nil {
		return err
	}
	b.uniqueValuesFreedFirst(g)
	b.uniqueValuesHeldByDeletes(g)
	if err := b.checkAcyclic(g); err != nil {
		return err
	}
	b.after = map[string][]string{}
	for i, es := range g.extra {
		for _, e := range es {
			b.after[g.nodes[i].Address] = append(b.after[g.nodes[i].Address], g.nodes[e.to].Address)
		}
	}
	maxLevel := g.levels()
	for _, d := range g.deferred {
		d.Level = maxLevel + 1
	}
	for _, o := range b.plan.Objects {
		for _, d := range g.deferred {
			if d.Object == o.Object {
				o.Changes = append(o.Changes, *d)
			}
		}
	}
	b.deleteLevels()
	if b.diags.HasErrors() {
		return errDiags
	}
	return nil
}

// writeGraph is the graph of the plan's writes — inserts (and
// replacements, which insert) and updates (and adoptions and rebinds that
// update fields) — with an edge from a record to each record it must be
// written after: the inserts whose Ids it needs, and the order-only edges.
type writeGraph struct {
	nodes  []*Change
	byAddr map[string]int // the inserts, by address
	edges  [][]gedge
	extra  [][]orderEdge // order-only edges
	level  []int
	// deferred are the updates that close broken cycles.
	deferred []*Change
}

type gedge struct {
	to    int
	field int // index into the from node's Fields
}

// orderEdge orders two writes that do not refer to each other; why says
// why, for an error.
type orderEdge struct {
	to  int
	why string
}

// isUpdate reports whether a change is written by an update job.
func isUpdate(ch *Change) bool {
	switch ch.Action {
	case Update:
		return true
	case Adopt, Rebind:
		return ch.ChangedFields() > 0
	}
	return false
}

func newWriteGraph(p *Plan) *writeGraph {
	g := &writeGraph{byAddr: map[string]int{}}
	for _, o := range p.Objects {
		for i := range o.Changes {
			ch := &o.Changes[i]
			switch {
			case ch.Action == Insert || ch.Action == Replace:
				g.byAddr[ch.Address] = len(g.nodes)
				g.nodes = append(g.nodes, ch)
			case isUpdate(ch):
				g.nodes = append(g.nodes, ch)
			}
		}
	}
	g.edges = make([][]gedge, len(g.nodes))
	g.extra = make([][]orderEdge, len(g.nodes))
	for i, ch := range g.nodes {
		for j, f := range ch.Fields {
			if f.Ref == "" {
				continue
			}
			if to, ok := g.byAddr[f.Ref]; ok {
				g.edges[i] = append(g.edges[i], gedge{to: to, field: j})
			}
		}
	}
	return g
}

// levels computes every write's level and returns the highest. The graph
// has no cycle (checkAcyclic).
func (g *writeGraph) levels() int {
	g.level = make([]int, len(g.nodes))
	state := make([]uint8, len(g.nodes))
	top := 0
	var visit func(i int) int
	visit = func(i int) int {
		switch state[i] {
		case 2:
			return g.level[i]
		case 1:
			return 0 // not reached: checkAcyclic refused cycles
		}
		state[i] = 1
		lv := 0
		for _, e := range g.edges[i] {
			if !g.nodes[i].Fields[e.field].Deferred {
				lv = max(lv, visit(e.to)+1)
			}
		}
		for _, e := range g.extra[i] {
			lv = max(lv, visit(e.to)+1)
		}
		state[i] = 2
		g.level[i] = lv
		g.nodes[i].Level = lv
		top = max(top, lv)
		return lv
	}
	for i := range g.nodes {
		visit(i)
	}
	return top
}

// breakCycles finds the record cycles among inserts and breaks each by
// deferring one field of the cycle: the first, in address and field order,
// that may be left out of an insert (nillable) and set later (updateable).
// A cycle without such a field is an error.
func (b *builder) breakCycles(g *writeGraph) error {
	for {
		cyc := g.findCycle()
		if cyc == nil {
			return nil
		}
		var pick *gedge
		var from int
		for _, st := range cyc {
			e := &g.edges[st.node][st.edge]
			ch := g.nodes[st.node]
			f := b.schema(ch.Object).field(ch.Fields[e.field].Field)
			if f != nil && f.Nillable && f.Updateable {
				if pick == nil || cmp.Or(CompareAddresses(ch.Address, g.nodes[from].Address), strings.Compare(ch.Fields[e.field].Field, g.nodes[from].Fields[pick.field].Field)) < 0 {
					pick, from = e, st.node
				}
			}
		}
		if pick == nil {
			var path []string
			for _, st := range cyc {
				e := g.edges[st.node][st.edge]
				ch := g.nodes[st.node]
				path = append(path, fmt.Sprintf("%s.%s refers to %s", ch.Address, ch.Fields[e.field].Field, g.nodes[e.to].Address))
			}
			b.errorf(nil, "Reference cycle cannot be broken", "These records refer to each other's Ids, and each is inserted by this plan:\n  %s\nsfsync breaks such a cycle by inserting one record without the field and setting it afterwards, but every field in this cycle is required or cannot be updated. Remove one of the references.", strings.Join(path, "\n  "))
			return errDiags
		}
		ch := g.nodes[from]
		fc := &ch.Fields[pick.field]
		fc.Deferred = true
		d := &Change{Action: DeferredUpdate, Address: ch.Address, Object: ch.Object, Key: ch.Key,
			Fields: []FieldChange{{Field: fc.Field, Old: Null(fc.New.Type()), New: fc.New, Ref: fc.Ref, Sensitive: fc.Sensitive}}}
		g.deferred = append(g.deferred, d)
		// The edge no longer orders the inserts.
		g.edges[from] = slices.DeleteFunc(g.edges[from], func(e gedge) bool { return e == *pick })
	}
}

type cycleStep struct{ node, edge int }

// findCycle returns a cycle of the graph's reference edges (without
// order-only edges and deferred fields), or nil.
func (g *writeGraph) findCycle() []cycleStep {
	return cycleOf(len(g.nodes), g.byAddress(), func(i int) []cycleStep {
		var out []cycleStep
		for k, e := range g.edges[i] {
			if !g.nodes[i].Fields[e.field].Deferred {
				out = append(out, cycleStep{i, k})
			}
		}
		return out
	}, func(st cycleStep) int { return g.edges[st.node][st.edge].to })
}

// byAddress lists the graph's nodes in address order, so that the cycle
// found first, and so every message, is the same on every run.
func (g *writeGraph) byAddress() []int {
	order := make([]int, len(g.nodes))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, c int) int { return CompareAddresses(g.nodes[a].Address, g.nodes[c].Address) })
	return order
}

// cycleOf finds a cycle in a directed graph of n nodes by depth-first
// search from roots in order: edges(i) are node i's edges, to(e) the node
// edge e leads to. It returns the cycle's edges in order, or nil when there
// is none.
func cycleOf[E any](n int, roots []int, edges func(i int) []E, to func(E) int) []E {
	state := make([]uint8, n) // 1 on the path, 2 done
	var path []int            // the nodes on the current path
	var stack []E             // stack[k] leads from path[k]
	var visit func(i int) []E
	visit = func(i int) []E {
		state[i] = 1
		path = append(path, i)
		for _, e := range edges(i) {
			next := to(e)
			stack = append(stack, e)
			switch state[next] {
			case 0:
				if c := visit(next); c != nil {
					return c
				}
			case 1:
				return slices.Clone(stack[slices.Index(path, next):])
			}
			stack = stack[:len(stack)-1]
		}
		path = path[:len(path)-1]
		state[i] = 2
		return nil
	}
	for _, i := range roots {
		if state[i] == 0 {
			if c := visit(i); c != nil {
				return c
			}
		}
	}
	return nil
}

// standardPriceFirst orders the inserts of price book entries so that a
// product's entry in the standard price book comes before its entries in
// other price books: Salesforce refuses the others until the standard
// price exists.
func (b *builder) standardPriceFirst(g *writeGraph) {
	value := func(ch *Change, field string) string {
		for _, f := range ch.Fields {
			if strings.EqualFold(f.Field, field) {
				if f.Ref != "" {
					return "ref:" + f.Ref
				}
				return f.New.Canonical()
			}
		}
		return ""
	}
	std := map[string]int{}
	entry := func(ch *Change) bool {
		return strings.EqualFold(ch.Object, "PricebookEntry") && (ch.Action == Insert || ch.Action == Replace)
	}
	for i, ch := range g.nodes {
		if entry(ch) && b.stdPricebook != "" && value(ch, "Pricebook2Id") == toID18(b.stdPricebook) {
			std[value(ch, "Product2Id")] = i
		}
	}
	for i, ch := range g.nodes {
		if !entry(ch) {
			continue
		}
		if s, ok := std[value(ch, "Product2Id")]; ok && s != i {
			g.extra[i] = append(g.extra[i], orderEdge{to: s, why: fmt.Sprintf("%s is a price of the product whose standard price %s sets", ch.Address, g.nodes[s].Address)})
		}
	}
}

// uniqueValue is a value of a unique field of an object, as Salesforce
// compares it.
type uniqueValue struct{ object, field, value string }

// uniqueField reports whether a field of an object is unique, and whether
// its values compare case-sensitively.
func (b *builder) uniqueField(object, field string) (unique, caseSensitive bool) {
	s := b.schema(object)
	if s == nil {
		return false, false
	}
	f := s.field(field)
	return f != nil && f.Unique, f != nil && f.CaseSensitive
}

// uniqueTaken calls fn for every value of a unique field that a write of
// the graph takes: every value an insert sets, every changed value of an
// update (references, which are Ids of new records, aside).
func (b *builder) uniqueTaken(g *writeGraph, fn func(i int, f FieldChange, v uniqueValue)) {
	for i, ch := range g.nodes {
		for _, f := range ch.Fields {
			if f.Ref != "" || f.New.IsNull() || f.Deferred || isUpdate(ch) && !f.Changed() {
				continue
			}
			if u, cs := b.uniqueField(ch.Object, f.Field); u {
				fn(i, f, uniqueValue{strings.ToLower(ch.Object), strings.ToLower(f.Field), f.New.Key(cs)})
			}
		}
	}
}

// uniqueValuesFreedFirst orders a write that takes a value of a unique
// field after the update that gives that value up, in the same object:
// Salesforce checks uniqueness record by record as it writes, so the value
// must be free first. (A replaced record gives its values up when it is
// deleted, before every insert and update; a deleted one only after them:
// uniqueValuesHeldByDeletes.)
//
// A chain of hand-offs (a takes b's value, b takes c's, …) is a chain of
// levels, one job per record: each write really must wait for the next, as
// long as uniqueness is checked record by record. Independent hand-offs
// share levels already (a level is the longest chain below a write), so
// only renumbering a long run of values costs many jobs; sending such a
// chain as one job with its rows in order would rely on Salesforce
// writing a job's rows one by one in upload order, which Bulk API 2.0 does
// not promise.
func (b *builder) uniqueValuesFreedFirst(g *writeGraph) {
	freed := map[uniqueValue][]int{}
	for i, ch := range g.nodes {
		if !isUpdate(ch) {
			continue
		}
		for _, f := range ch.Fields {
			if f.Old.IsNull() || !f.Changed() {
				continue
			}
			if u, cs := b.uniqueField(ch.Object, f.Field); u {
				k := uniqueValue{strings.ToLower(ch.Object), strings.ToLower(f.Field), f.Old.Key(cs)}
				freed[k] = append(freed[k], i)
			}
		}
	}
	if len(freed) == 0 {
		return
	}
	b.uniqueTaken(g, func(i int, f FieldChange, v uniqueValue) {
		ch := g.nodes[i]
		for _, from := range freed[v] {
			if from != i {
				why := fmt.Sprintf("%s takes %s = %s from %s", ch.Address, f.Field, f.New.Display(), g.nodes[from].Address)
				g.extra[i] = append(g.extra[i], orderEdge{to: from, why: why})
			}
		}
	})
}

// deleteHandOff is a write that takes a value of a unique field that a
// record this plan deletes holds until then.
type deleteHandOff struct {
	taker, holder string // their addresses
	field         string
	value         Value
}

// uniqueValuesHeldByDeletes finds the writes that take a value of a unique
// field from a record this plan deletes: a field that is not the key, or
// the key itself when a record bound by state has its key edited to that
// of a record that left the configuration. Apply deletes after every insert
// and update, so such a write would meet the value still taken and fail
// with DUPLICATE_VALUE. The plan does not run such deletes early instead:
// deletes come last so that records moved away from a parent (updated) are
// not deleted with it (cascades), and children go before their parents; a
// delete moved ahead of the writes would break both. So these are plan
// errors (checkDeleteHandOffs, once -target has had its say), and the way
// out is to apply the deletes first, with -target.
func (b *builder) uniqueValuesHeldByDeletes(g *writeGraph) {
	b.handOffs = nil
	taken := map[uniqueValue][]int{}
	fields := map[[2]string]bool{} // the object and field of every value taken
	b.uniqueTaken(g, func(i int, f FieldChange, v uniqueValue) {
		taken[v] = append(taken[v], i)
		fields[[2]string{v.object, v.field}] = true
	})
	if len(taken) == 0 {
		return
	}
	type col struct {
		c     int
		field string
		cs    bool
	}
	for _, o := range b.plan.Objects {
		op := b.object(o.Object)
		if op == nil || op.ix == nil {
			continue
		}
		var cols []col // the unique fields read whose values are taken
		for c, field := range op.cols {
			if u, cs := b.uniqueField(o.Object, field); u && fields[[2]string{strings.ToLower(o.Object), strings.ToLower(field)}] {
				cols = append(cols, col{c, field, cs})
			}
		}
		if len(cols) == 0 {
			continue
		}
		for i := range o.Changes {
			ch := &o.Changes[i]
			if ch.Action != Delete {
				continue
			}
			x, ok := op.ix.byIDText(ch.ID)
			if !ok {
				continue
			}
			for _, c := range cols {
				v := op.ix.Value(x, c.c)
				if v.IsNull() {
					continue
				}
				for _, t := range taken[uniqueValue{strings.ToLower(o.Object), strings.ToLower(c.field), v.Key(c.cs)}] {
					b.handOffs = append(b.handOffs, deleteHandOff{taker: g.nodes[t].Address, holder: ch.Address, field: c.field, value: v})
				}
			}
		}
	}
}

// checkDeleteHandOffs refuses a plan in which a write takes a unique value
// that a delete of the same plan frees (uniqueValuesHeldByDeletes), naming
// both records, the field and the value, and how to apply it in two steps.
// It runs after -target: a plan targeted at the deletes alone is the first
// of those steps.
func (b *builder) checkDeleteHandOffs(ctx context.Context) error {
	if len(b.handOffs) == 0 {
		return nil
	}
	kept := map[string]bool{}
	for _, o := range b.plan.Objects {
		for i := range o.Changes {
			if o.Changes[i].Action != Delete {
				kept[o.Changes[i].Address] = true
			}
		}
	}
	var hs []deleteHandOff
	for _, h := range b.handOffs {
		if kept[h.taker] {
			hs = append(hs, h)
		}
	}
	if len(hs) == 0 {
		return nil
	}
	slices.SortFunc(hs, func(x, y deleteHandOff) int {
		return cmp.Or(CompareAddresses(x.taker, y.taker), CompareAddresses(x.holder, y.holder), strings.Compare(x.field, y.field))
	})
	const most = 10
	var lines, targets []string
	seen := map[string]bool{}
	for k, h := range hs {
		if k < most {
			lines = append(lines, fmt.Sprintf("%s takes %s = %s from %s, which this plan deletes", h.taker, h.field, h.value.Display(), h.holder))
		}
		if !seen[h.holder] {
			seen[h.holder] = true
			targets = append(targets, "-target="+shellQuote(h.holder))
		}
	}
	if len(hs) > most {
		lines = append(lines, fmt.Sprintf("… and %d more", len(hs)-most))
	}
	slices.SortFunc(targets, CompareAddresses)
	how := "sfsync apply " + strings.Join(targets, " ")
	if len(targets) > most {
		how = fmt.Sprintf("sfsync apply with a -target for each of the %d deleted records", len(targets))
	}
	b.errorf(nil, "Changes cannot be ordered", "These records take a value of a unique field that a record this plan deletes holds until then:\n  %s\nApply deletes records after every insert and update (so that a record moved to another parent is not deleted with its old one), and Salesforce refuses a duplicate value of a unique field even for a moment, so these writes would fail. Apply the deletes first, then the rest:\n  %s\n  sfsync apply", strings.Join(lines, "\n  "), how)
	return errDiags
}

// shellQuote quotes an address for a shell command line when it needs it:
// Account.acme as it is, Account["KEY"] in single quotes.
func shellQuote(s string) string {
	if !strings.ContainsAny(s, "[]\"' $`\\*?&;|<>()!#~{}") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// checkAcyclic reports a cycle of writes that must each come after the
// next — a swap of unique values, or a record that takes a unique value an
// update gives up while that update needs the record's Id — as an error.
func (b *builder) checkAcyclic(g *writeGraph) error {
	// A step is node's k-th reference edge, or its k-th order-only edge.
	type step struct {
		node, k int
		extra   bool
	}
	to := func(s step) int {
		if s.extra {
			return g.extra[s.node][s.k].to
		}
		return g.edges[s.node][s.k].to
	}
	cycle := cycleOf(len(g.nodes), g.byAddress(), func(i int) []step {
		var out []step
		for k, e := range g.edges[i] {
			if !g.nodes[i].Fields[e.field].Deferred {
				out = append(out, step{node: i, k: k})
			}
		}
		for k := range g.extra[i] {
			out = append(out, step{node: i, k: k, extra: true})
		}
		return out
	}, to)
	if cycle == nil {
		return nil
	}
	whys := make([]string, len(cycle)) // why each write comes after the next
	for k, s := range cycle {
		if s.extra {
			whys[k] = g.extra[s.node][s.k].why
			continue
		}
		f := g.nodes[s.node].Fields[g.edges[s.node][s.k].field]
		whys[k] = fmt.Sprintf("%s needs the Id of %s (%s)", g.nodes[s.node].Address, g.nodes[to(s)].Address, f.Field)
	}
	b.errorf(nil, "Changes cannot be ordered", "Each of these records must be written after the one it names, in a circle:\n  %s\nSalesforce refuses a duplicate value of a unique field even for a moment, so no order of writes works. Make the change in two applies: first give one of the records a value no other record has, then the value it should have.", strings.Join(whys, "\n  "))
	return errDiags
}

func toID18(id string) string {
	v, err := ParseCell(FieldSpec{Type: TypeID}, id)
	if err != nil {
		return id
	}
	return v.Canonical()
}

// deleteLevels levels the deletes by object: an object whose records refer
// to another object with deletes gets a higher level, and apply deletes the
// highest level first, so children go before their parents.
func (b *builder) deleteLevels() {
	deleting := map[string]bool{}
	for _, o := range b.plan.Objects {
		for i := range o.Changes {
			if o.Changes[i].Action == Delete {
				deleting[strings.ToLower(o.Object)] = true
			}
		}
	}
	level := map[string]int{}
	var visit func(name string, seen map[string]bool) int
	visit = func(name string, seen map[string]bool) int {
		if lv, ok := level[name]; ok {
			return lv
		}
		if seen[name] {
			return 0
		}
		seen[name] = true
		lv := 0
		if s := b.schema(name); s != nil {
			for _, f := range s.d.Fields {
				for _, to := range f.ReferenceTo {
					t := strings.ToLower(to)
					if t != name && deleting[t] && f.Createable {
						lv = max(lv, visit(t, seen)+1)
					}
				}
			}
		}
		level[name] = lv
		return lv
	}
	for _, o := range b.plan.Objects {
		lv := visit(strings.ToLower(o.Object), map[string]bool{})
		for i := range o.Changes {
			if o.Changes[i].Action == Delete {
				o.Changes[i].Level = lv
			}
		}
	}
}

// applyTargets keeps, with -target, only the changes of the targeted
// records and those they need: the inserts whose Ids they refer to, the
// writes they must come after (the update that gives up a unique value a
// targeted record takes, a product's standard price before its other
// prices), what those need in turn, and their deferred updates.
func (b *builder) applyTargets(ctx context.Context) error {
	if len(b.opts.Targets) == 0 {
		return nil
	}
	var ts []target
	var objectNames []string
	for _, op := range b.objects {
		objectNames = append(objectNames, op.name)
	}
	for _, arg := range b.opts.Targets {
		t, err := parseTarget(arg)
		if err != nil {
			b.errorf(nil, "Invalid target", "-target=%s: %v.", arg, err)
			continue
		}
		op := b.object(t.a.Object)
		if op == nil {
			b.errorf(nil, "Invalid target", "-target=%s: no object %s is configured or in state.%s", arg, t.a.Object, didYouMean(t.a.Object, objectNames))
			continue
		}
		t.a.Object = op.name
		t.foldKey = op.foldKey
		if !t.object && !b.targetExists(op, t) {
			b.errorf(nil, "Invalid target", "-target=%s: no record %s is declared in the configuration, bound in the state or changed by this plan.%s", arg, t, b.didYouMeanRecord(op, t))
			continue
		}
		ts = append(ts, t)
	}
	if b.diags.HasErrors() {
		return errDiags
	}
	matches := func(addr, object string) bool {
		for _, t := range ts {
			if strings.EqualFold(t.a.Object, object) && (t.object || t.names(addr)) {
				return true
			}
		}
		return false
	}
	keep := map[string]bool{}
	// writes are the changes by address (a deferred update goes with its
	// insert).
	writes := map[string]*Change{}
	for _, o := range b.plan.Objects {
		for i := range o.Changes {
			if ch := &o.Changes[i]; ch.Action != DeferredUpdate {
				writes[ch.Address] = ch
			}
		}
	}
	var need func(ch *Change)
	need = func(ch *Change) {
		if keep[ch.Address] {
			return
		}
		keep[ch.Address] = true
		for _, f := range ch.Fields {
			if t := writes[f.Ref]; t != nil {
				need(t)
			}
		}
		for _, addr := range b.after[ch.Address] {
			if t := writes[addr]; t != nil {
				need(t)
			}
		}
	}
	for _, o := range b.plan.Objects {
		for i := range o.Changes {
			if matches(o.Changes[i].Address, o.Object) {
				need(&o.Changes[i])
			}
		}
	}
	whole := map[string]bool{}
	for _, t := range ts {
		if t.object {
			whole[strings.ToLower(t.a.Object)] = true
		}
	}
	var objs []*ObjectPlan
	for _, o := range b.plan.Objects {
		o.Changes = slices.DeleteFunc(o.Changes, func(ch Change) bool { return !keep[ch.Address] })
		if !whole[strings.ToLower(o.Object)] {
			o.Unchanged = 0
			o.Forget = nil
		}
		if len(o.Changes) > 0 || o.Unchanged > 0 || len(o.Forget) > 0 {
			objs = append(objs, o)
		}
	}
	b.plan.Objects = objs
	b.plan.Warnings = slices.DeleteFunc(b.plan.Warnings, func(w Warning) bool { return w.Address != "" && !keep[w.Address] })
	b.plan.Warnings = append(b.plan.Warnings, Warning{Message: "-target is in effect: this plan covers only the targeted records and the records they need, so it may not be the whole difference between the configuration and the org"})
	return nil
}

// target is one -target: an object, a record address (Account.acme,
// Account.country["DE"], which without its key names every instance), or
// the address of a record the configuration does not declare
// (Account["KEY"], Account[Id="001…"]).
type target struct {
	a          hcl.Address // the object, and a record's label and key
	object     bool        // the whole object
	undeclared string      // an undeclared record's address after the object: ["KEY"] or [Id="…"]
	// undeclaredKey is the key of an undeclared record named by key.
	undeclaredKey string
	// foldKey, when set, is how the object compares keys (objPlan.foldKey):
	// the keys of CSV rows and undeclared records are its key values.
	foldKey func(string) string
}

// sameKey reports whether two keys of the object's records are the same,
// as Salesforce compares them.
func (t target) sameKey(a, b string) bool {
	if a == b {
		return true
	}
	return t.foldKey != nil && t.foldKey(a) == t.foldKey(b)
}

func (t target) String() string {
	switch {
	case t.object:
		return t.a.Object
	case t.undeclared != "":
		return t.a.Object + t.undeclared
	}
	return t.a.String()
}

// names reports whether the record target t names the record at addr. The
// key of a CSV row or of an undeclared record is its record's key, and
// compares as the object's keys do (case-insensitively, for a text key that
// is not case-sensitive); a record block's instance key is the
// configuration's own, and compares exactly.
func (t target) names(addr string) bool {
	if t.undeclared != "" {
		if addr == t.a.Object+t.undeclared {
			return true
		}
		if t.undeclaredKey == "" {
			return false
		}
		rest, ok := strings.CutPrefix(addr, t.a.Object+"[")
		if !ok || strings.HasPrefix(rest, "Id=") {
			return false
		}
		a, err := hcl.ParseAddress(t.a.Object + ".x[" + rest)
		return err == nil && a.Keyed && t.sameKey(t.undeclaredKey, a.Key)
	}
	a, err := hcl.ParseAddress(addr)
	if err != nil || t.a.Label != a.Label {
		return false
	}
	switch {
	case !t.a.Keyed:
		return true
	case !a.Keyed:
		return false
	case a.Label == hcl.CSVLabel:
		return t.sameKey(t.a.Key, a.Key)
	}
	return t.a.Key == a.Key
}

// foldKey is the form in which two keys of the object's records (a CSV
// row's or an undeclared record's address key: the key values, joined by
// hcl.KeySeparator when composite) are equal when Salesforce takes them for
// the same: each value normalized as matching normalizes it. A key that
// does not split into the object's key fields, or whose values do not
// parse, is left as it is.
func (op *objPlan) foldKey(key string) string {
	if len(op.keySpecs) == 0 {
		return key
	}
	parts := strings.Split(key, hcl.KeySeparator)
	if len(parts) != len(op.keySpecs) {
		return key
	}
	for i, p := range parts {
		v, err := ParseCell(op.keySpecs[i], p)
		if err != nil {
			return key
		}
		parts[i] = v.Key(op.keyCS[i])
	}
	return strings.Join(parts, hcl.KeySeparator)
}

var undeclaredByID = regexp.MustCompile(`^\[Id="([0-9A-Za-z]+)"\]$`)

// parseTarget reads a -target value.
func parseTarget(s string) (target, error) {
	if i := strings.IndexByte(s, '['); i > 0 && !strings.Contains(s[:i], ".") {
		// An undeclared record: Object["KEY"] or Object[Id="…"].
		t := target{a: hcl.Address{Object: s[:i]}}
		if !hclsyntax.ValidIdentifier(t.a.Object) {
			return t, fmt.Errorf("%q is not an object name", t.a.Object)
		}
		if m := undeclaredByID.FindStringSubmatch(s[i:]); m != nil {
			if !sfid.Valid(m[1]) {
				return t, fmt.Errorf("%s is not a Salesforce Id", m[1])
			}
			t.undeclared = `[Id="` + sfid.To18(m[1]) + `"]`
			return t, nil
		}
		a, err := hcl.ParseAddress(t.a.Object + ".x" + s[i:])
		if err != nil || !a.Keyed {
			return t, fmt.Errorf(`want Object, Object.label, Object.label["key"], or Object["key"] or Object[Id="…"] for a record the configuration does not declare`)
		}
		t.undeclared = "[" + hcl.QuoteKey(a.Key) + "]"
		t.undeclaredKey = a.Key
		return t, nil
	}
	if !strings.Contains(s, ".") {
		if !hclsyntax.ValidIdentifier(s) {
			return target{}, fmt.Errorf("%q is not an object name", s)
		}
		return target{a: hcl.Address{Object: s}, object: true}, nil
	}
	a, err := hcl.ParseAddress(s)
	if err != nil {
		return target{}, err
	}
	return target{a: a}, nil
}

// CheckTarget reports whether s can be a -target, without looking at any
// configuration: an object name, a record address, or the address of a
// record the configuration does not declare.
func CheckTarget(s string) error {
	_, err := parseTarget(s)
	return err
}

// targetExists reports whether a -target names a record the configuration
// declares or state binds, or one the plan changes (a CSV row inserted or
// adopted, an undeclared record deleted).
func (b *builder) targetExists(op *objPlan, t target) bool {
	found := false
	b.eachKnownAddress(op, func(addr string) bool {
		found = t.names(addr)
		return !found
	})
	return found
}

// eachKnownAddress calls fn with the addresses of op's object that the
// configuration's record blocks, the plan's changes and state name, until
// fn returns false.
func (b *builder) eachKnownAddress(op *objPlan, fn func(string) bool) {
	if op.cfg != nil {
		for _, r := range op.cfg.Records {
			if !fn(r.Addr.String()) {
				return
			}
		}
	}
	if o := b.plan.Object(op.name); o != nil {
		for i := range o.Changes {
			if !fn(o.Changes[i].Address) {
				return
			}
		}
		for _, addr := range o.Forget {
			if !fn(addr) {
				return
			}
		}
	}
	for r := range b.st.Bindings(op.name) {
		if !fn(r.Address) {
			return
		}
	}
}

// didYouMeanRecord suggests the known address closest to a -target that
// names no record.
func (b *builder) didYouMeanRecord(op *objPlan, t target) string {
	seen := map[string]bool{}
	var names []string
	b.eachKnownAddress(op, func(addr string) bool {
		names = append(names, addr)
		if a, err := hcl.ParseAddress(addr); err == nil && a.Keyed {
			// A record's every instance.
			if n := (hcl.Address{Object: a.Object, Label: a.Label}).String(); !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
		return true
	})
	if best := closest(t.String(), names); best != "" {
		// Addresses are shown as written, not quoted: their keys are.
		return " Did you mean " + best + "?"
	}
	return ""
}
