package hcl

import (
	"fmt"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Marks carried by values during evaluation. A Ref mark says the value
// depends on that reference; it is how a deferred value learns exactly what
// it waits for, through interpolations, functions and other fields.
type (
	sensitiveMark struct{}
	poisonMark    struct{} // the value came out of an error already reported
)

type evalState uint8

const (
	unevaluated evalState = iota
	evaluating
	evaluated
)

type eachValue struct {
	key   string
	value cty.Value
	obj   cty.Value // each, built on first use
}

func (e *eachValue) object() cty.Value {
	if e.obj == cty.NilVal {
		e.obj = cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(e.key), "value": e.value})
	}
	return e.obj
}

// evaluator holds what expressions can refer to.
type evaluator struct {
	cfg     *Config
	funcs   map[string]function.Function
	vars    map[string]cty.Value // with sensitive marks
	varDecl map[string]*Variable
	locals  map[string]*localNode
	objects map[string]*objectNode
	data    map[string]map[string]*dataNode
	infos   map[hclv2.Expression]*exprInfo
}

type localNode struct {
	local *Local
	expr  hclv2.Expression
	state evalState
	value cty.Value // with marks
}

type objectNode struct {
	obj       *Object
	decls     map[string]*declNode
	hasCSV    bool
	csvKeys   map[string]bool // CSV row keys that references name; set true when seen
	csvRefRng map[string]hclv2.Range
	blockKeys map[string]*Record // key text of record blocks, for CSV duplicates
}

type declNode struct {
	decl      *RecordDecl
	forEach   hclv2.Expression
	single    *Record
	instances map[string]*Record
	keys      []string // instance keys, sorted
}

type dataNode struct {
	data   *DataLookup
	fields map[string]bool
}

func (e *evaluator) record(a Address) *Record {
	on := e.objects[a.Object]
	if on == nil {
		return nil
	}
	dn := on.decls[a.Label]
	if dn == nil {
		return nil
	}
	if !a.Keyed {
		return dn.single
	}
	return dn.instances[a.Key]
}

// frame is one step of the evaluation path, for printing cycles.
type frame struct {
	name  string  // local.x
	rec   *Record // or a record's field, named lazily: most frames never print
	field string
	rng   hclv2.Range
}

func (f frame) String() string {
	if f.rec != nil {
		return f.rec.Addr.String() + "." + f.field
	}
	return f.name
}

// session is one evaluation pass: loading, or a planner's Resolver.
type session struct {
	ev     *evaluator
	diags  hclv2.Diagnostics
	stack  []frame
	lookup func(Ref) cty.Value // nil while loading: references are unknown
	cache  map[*Field]cty.Value
	busy   map[*Field]bool
	// ctxCache holds context objects by the paths they were built from.
	ctxCache map[string]cty.Value
}

// scope says what an expression may refer to.
type scope struct {
	what    string  // what is evaluated, for messages: "a local value", "for_each"
	rec     *Record // the record whose field is evaluated
	records bool    // records and data lookups may be referenced
	self    *Variable
}

func (s *session) errorf(rng hclv2.Range, summary, format string, args ...any) {
	r := rng
	s.diags = append(s.diags, &hclv2.Diagnostic{
		Severity: hclv2.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  &r,
	})
}

func poisoned() cty.Value { return cty.DynamicVal.Mark(poisonMark{}) }

// exprInfo is what evaluation needs to know about an expression's
// references; it is computed once per expression and shared by every
// record instance that evaluates it.
type exprInfo struct {
	refs []exprRef
}

type exprRef struct {
	trav hclv2.Traversal
	// index is set when trav is Object.label used as the collection of an
	// index expression, as in Account.country[each.key].Id: the key is
	// evaluated first so that only that instance enters the context.
	index     hclsyntax.Expression
	indexRng  hclv2.Range
	keyLocal  bool   // the index key uses for-expression symbols: all instances are needed
	attrAfter string // the attribute after the index (".Id"), if any
}

type refWalker struct {
	stack  []hclsyntax.Node
	scopes []map[string]struct{}
	refs   []exprRef
}

func (w *refWalker) local(name string) bool {
	for _, s := range w.scopes {
		if _, ok := s[name]; ok {
			return true
		}
	}
	return false
}

func (w *refWalker) Enter(n hclsyntax.Node) hclv2.Diagnostics {
	w.stack = append(w.stack, n)
	switch n := n.(type) {
	case hclsyntax.ChildScope:
		w.scopes = append(w.scopes, n.LocalNames)
	case *hclsyntax.ScopeTraversalExpr:
		if w.local(n.Traversal.RootName()) {
			return nil
		}
		r := exprRef{trav: n.Traversal}
		if len(w.stack) >= 2 {
			if ie, ok := w.stack[len(w.stack)-2].(*hclsyntax.IndexExpr); ok && ie.Collection == hclsyntax.Expression(n) {
				r.index = ie.Key
				r.indexRng = ie.Key.Range()
				r.keyLocal = w.usesLocal(ie.Key)
				if len(w.stack) >= 3 {
					if rt, ok := w.stack[len(w.stack)-3].(*hclsyntax.RelativeTraversalExpr); ok && rt.Source == hclsyntax.Expression(ie) && len(rt.Traversal) > 0 {
						if a, ok := rt.Traversal[0].(hclv2.TraverseAttr); ok {
							r.attrAfter = a.Name
						}
					}
				}
			}
		}
		w.refs = append(w.refs, r)
	}
	return nil
}

func (w *refWalker) usesLocal(expr hclsyntax.Expression) bool {
	found := false
	for _, t := range expr.Variables() {
		if w.local(t.RootName()) {
			found = true
		}
	}
	return found
}

func (w *refWalker) Exit(n hclsyntax.Node) hclv2.Diagnostics {
	w.stack = w.stack[:len(w.stack)-1]
	if _, ok := n.(hclsyntax.ChildScope); ok {
		w.scopes = w.scopes[:len(w.scopes)-1]
	}
	return nil
}

func (e *evaluator) info(expr hclv2.Expression) *exprInfo {
	if in, ok := e.infos[expr]; ok {
		return in
	}
	in := &exprInfo{}
	if se, ok := expr.(hclsyntax.Expression); ok {
		w := &refWalker{}
		hclsyntax.Walk(se, w)
		in.refs = w.refs
	} else {
		for _, t := range expr.Variables() {
			in.refs = append(in.refs, exprRef{trav: t})
		}
	}
	e.infos[expr] = in
	return in
}

// vtree builds the nested object values of an evaluation context from the
// paths that the expression refers to, so that only what is referenced is
// ever built.
type vtree struct {
	val  cty.Value
	leaf bool
	kids map[string]*vtree
}

func (t *vtree) set(path []string, v cty.Value) {
	for _, p := range path {
		if t.kids == nil {
			t.kids = map[string]*vtree{}
		}
		k := t.kids[p]
		if k == nil {
			k = &vtree{}
			t.kids[p] = k
		}
		t = k
	}
	t.val, t.leaf = v, true
}

func (t *vtree) ensure(path []string) {
	for _, p := range path {
		if t.leaf {
			return
		}
		if t.kids == nil {
			t.kids = map[string]*vtree{}
		}
		k := t.kids[p]
		if k == nil {
			k = &vtree{}
			t.kids[p] = k
		}
		t = k
	}
}

func (t *vtree) value() cty.Value {
	if t.leaf {
		return t.val
	}
	m := make(map[string]cty.Value, len(t.kids))
	for k, c := range t.kids {
		m[k] = c.value()
	}
	return cty.ObjectVal(m)
}

// eval evaluates expr in scope sc. Problems are added to s.diags; the
// value is then marked as poisoned so that nothing downstream repeats them.
func (s *session) eval(expr hclv2.Expression, sc *scope) cty.Value {
	before := len(s.diags)
	b := ctxBuilder{}
	ok := true
	for _, r := range s.ev.info(expr).refs {
		if !s.resolve(r, sc, &b) {
			ok = false
		}
	}
	if !ok {
		return poisoned()
	}
	if b.poisoned {
		// A value this one needs failed; its problem is already reported.
		return poisoned()
	}
	ctx := &hclv2.EvalContext{Functions: s.ev.funcs, Variables: b.variables(s)}
	v, diags := expr.Value(ctx)
	for _, d := range diags {
		if d.Severity == hclv2.DiagError && (d.Expression != nil || d.EvalContext != nil) {
			d.EvalContext = ctx
		}
		for _, m := range b.missing {
			if d.Summary == "Invalid index" && d.Subject != nil && rangesOverlap(*d.Subject, m.rng) {
				d.Summary, d.Detail = "Reference to undeclared record", m.detail
			}
		}
		if d.Summary == "Call to unknown function" {
			d.Detail += " sfsync has no function whose result changes between plan and apply, such as a clock or a random value: write the value, or pass it in a variable."
		}
	}
	s.diags = append(s.diags, diags...)
	if len(s.diags) > before && s.diags[before:].HasErrors() {
		return poisoned()
	}
	return v
}

// ctxBuilder collects the values an expression refers to, by path.
type ctxBuilder struct {
	leaves   []leaf
	poisoned bool
	missing  []missingKey
}

// missingKey is an instance key that an index expression computed but no
// instance has; it is reported only if the index is evaluated.
type missingKey struct {
	rng    hclv2.Range
	detail string
}

// ensure makes path exist in the context (an empty object unless other
// references fill it).
func (b *ctxBuilder) ensure(path []string, rng hclv2.Range, detail string) {
	b.leaves = append(b.leaves, leaf{path: path})
	b.missing = append(b.missing, missingKey{rng, detail})
}

type leaf struct {
	path []string
	val  cty.Value
}

func (b *ctxBuilder) set(path []string, v cty.Value) {
	if v.HasMark(poisonMark{}) {
		b.poisoned = true
	}
	b.leaves = append(b.leaves, leaf{path, v})
}

// variables builds the context's root values. Within one session the value
// at a path never changes (except each, which is cached per record), so the
// objects built for a set of paths are cached: the 100,000 instances of a
// for_each that all refer to Account.root.Id share one object.
func (b *ctxBuilder) variables(s *session) map[string]cty.Value {
	if len(b.leaves) == 0 {
		return nil
	}
	vars := make(map[string]cty.Value, 4)
	var roots []string
	byRoot := map[string][]leaf{}
	for _, l := range b.leaves {
		r := l.path[0]
		if _, seen := byRoot[r]; !seen {
			roots = append(roots, r)
		}
		byRoot[r] = append(byRoot[r], l)
	}
	for _, r := range roots {
		ls := byRoot[r]
		if r == "each" {
			// Per record: never cached. Every each leaf is the whole object.
			vars[r] = ls[0].val
			continue
		}
		if len(ls) == 1 && len(ls[0].path) == 1 {
			vars[r] = ls[0].val
			continue
		}
		var sig strings.Builder
		for _, l := range ls {
			for _, p := range l.path {
				sig.WriteString(p)
				sig.WriteByte(0)
			}
			sig.WriteByte(1)
		}
		key := sig.String()
		if v, ok := s.ctxCache[key]; ok {
			vars[r] = v
			continue
		}
		t := &vtree{}
		for _, l := range ls {
			if l.val == cty.NilVal {
				t.ensure(l.path[1:])
			} else {
				t.set(l.path[1:], l.val)
			}
		}
		v := t.value()
		if s.ctxCache == nil {
			s.ctxCache = map[string]cty.Value{}
		}
		if len(s.ctxCache) < 1<<16 {
			s.ctxCache[key] = v
		}
		vars[r] = v
	}
	return vars
}

// resolve puts the value a reference needs into the context tree.
func (s *session) resolve(r exprRef, sc *scope, root *ctxBuilder) bool {
	t := r.trav
	rng := t.SourceRange()
	name := t.RootName()
	switch name {
	case "var":
		n, ok := attrAt(t, 1)
		if !ok {
			s.errorf(rng, "Invalid reference", "A reference to a variable names it: var.NAME.")
			return false
		}
		if sc.self != nil {
			if n != sc.self.Name {
				s.errorf(rng, "Invalid reference in variable validation", "A validation condition can refer only to the variable it validates, var.%s.", sc.self.Name)
				return false
			}
			root.set([]string{"var", n}, s.ev.vars[n])
			return true
		}
		v, ok := s.ev.vars[n]
		if !ok {
			s.errorf(rng, "Reference to undeclared variable", "There is no variable %q.%s Declare it with a variable block.", n, suggest(n, mapKeys(s.ev.varDecl)))
			return false
		}
		root.set([]string{"var", n}, v)
		return true
	case "local":
		n, ok := attrAt(t, 1)
		if !ok {
			s.errorf(rng, "Invalid reference", "A reference to a local value names it: local.NAME.")
			return false
		}
		if sc.self != nil {
			s.errorf(rng, "Invalid reference in variable validation", "A validation condition can refer only to the variable it validates, var.%s.", sc.self.Name)
			return false
		}
		v, ok := s.local(n, rng)
		if !ok {
			return false
		}
		root.set([]string{"local", n}, v)
		return true
	case "each":
		if sc.rec == nil || sc.rec.each == nil {
			s.errorf(rng, "Reference to \"each\" outside for_each", "each.key and each.value are available only in the fields of a record block that has for_each; here %s is evaluated.", sc.what)
			return false
		}
		if n, ok := attrAt(t, 1); !ok || (n != "key" && n != "value") {
			s.errorf(rng, "Invalid reference to each", "Use each.key (the instance key) or each.value (the element of for_each).")
			return false
		}
		root.set([]string{"each"}, sc.rec.each.object())
		return true
	case "data":
		return s.resolveData(r, sc, root)
	}
	on := s.ev.objects[name]
	if on == nil {
		var names []string
		for n := range s.ev.objects {
			names = append(names, n)
		}
		s.errorf(rng, "Reference to undeclared object", "There is no object block %q, so %s cannot be resolved.%s References start with var., local., each., data. or an object's name.", name, traversalString(t), suggest(name, append(names, "var", "local", "each", "data")))
		return false
	}
	if !sc.records {
		s.errorf(rng, "Reference to a record here", "Records cannot be referred to from %s: it is evaluated when the configuration is loaded, before any record exists. Records may be referred to from the fields of other records.", sc.what)
		return false
	}
	return s.resolveRecord(r, sc, on, root)
}

func (s *session) resolveData(r exprRef, sc *scope, root *ctxBuilder) bool {
	t := r.trav
	rng := t.SourceRange()
	obj, ok1 := attrAt(t, 1)
	name, ok2 := attrAt(t, 2)
	field, ok3 := attrAt(t, 3)
	if !ok1 || !ok2 || !ok3 {
		s.errorf(rng, "Invalid data reference", "A reference to a data lookup names the field it reads: data.OBJECT.NAME.FIELD, e.g. data.RecordType.partner.Id.")
		return false
	}
	dn := s.ev.data[obj][name]
	if dn == nil {
		var names []string
		for o, m := range s.ev.data {
			for n := range m {
				names = append(names, o+"."+n)
			}
		}
		sort.Strings(names)
		s.errorf(rng, "Reference to undeclared data block", "There is no data block %q %q.%s Declare it with data %q %q { where = \"...\" }.", obj, name, suggest(obj+"."+name, names), obj, name)
		return false
	}
	if !sc.records {
		s.errorf(rng, "Reference to a data lookup here", "Data lookups cannot be referred to from %s: they are resolved when planning, after the configuration is loaded. Data lookups may be referred to from the fields of records.", sc.what)
		return false
	}
	if !validFieldName(field) {
		s.errorf(rng, "Invalid field name", "%q is not a Salesforce field name.", field)
		return false
	}
	dn.fields[field] = true
	ref := Ref{DataObject: obj, DataName: name, Field: field}
	root.set([]string{"data", obj, name, field}, s.refValue(ref, cty.DynamicPseudoType))
	return true
}

func (s *session) refValue(ref Ref, ty cty.Type) cty.Value {
	if s.lookup != nil {
		return s.lookup(ref)
	}
	return cty.UnknownVal(ty).Mark(ref)
}

func (s *session) resolveRecord(r exprRef, sc *scope, on *objectNode, root *ctxBuilder) bool {
	t := r.trav
	rng := t.SourceRange()
	obj := on.obj.Name
	label, ok := attrAt(t, 1)
	if !ok {
		s.errorf(rng, "Invalid record reference", "A reference to a record names its label and a field, e.g. %s.acme.Id.", obj)
		return false
	}
	rest := t[2:]
	var key string
	keyed := false
	var keyRng hclv2.Range
	if len(rest) > 0 {
		if ix, ok := rest[0].(hclv2.TraverseIndex); ok {
			k, err := keyString(ix.Key)
			if err != "" {
				s.errorf(ix.SrcRange, "Invalid instance key", "%s", err)
				return false
			}
			key, keyed, keyRng = k, true, ix.SrcRange
			rest = rest[1:]
		}
	}
	dynamic := false
	if !keyed && len(rest) == 0 && r.index != nil && !r.keyLocal {
		kv := s.eval(r.index, sc)
		if kv.HasMark(poisonMark{}) {
			return false
		}
		if !kv.IsWhollyKnown() {
			s.errorf(r.indexRng, "Instance key not known when loading", "The key that selects an instance of %s.%s must be known when the configuration is loaded; it cannot depend on a record's Id or a data lookup.", obj, label)
			return false
		}
		kv, _ = kv.Unmark()
		k, err := keyString(kv)
		if err != "" {
			s.errorf(r.indexRng, "Invalid instance key", "%s", err)
			return false
		}
		key, keyed, keyRng, dynamic = k, true, r.indexRng, true
	}
	var attr string
	attrRng := rng
	if len(rest) > 0 {
		a, ok := rest[0].(hclv2.TraverseAttr)
		if !ok {
			s.errorf(rest[0].SourceRange(), "Invalid record reference", "After %s.%s comes a field name, such as .Id.", obj, label)
			return false
		}
		attr, attrRng = a.Name, a.SrcRange
	} else if dynamic {
		attr = r.attrAfter
	}

	if label == CSVLabel && on.hasCSV {
		if r.index != nil && r.keyLocal && !keyed {
			s.errorf(rng, "Cannot iterate over CSV rows", "The rows of %s's records_csv are streamed, not held in memory, so an expression can refer only to one row at a time by its key: %s.csv[\"KEY\"].Id.", obj, obj)
			return false
		}
		if !keyed {
			s.errorf(rng, "Missing row key", "A reference to a records_csv row names the row by its key: %s.csv[\"KEY\"].Id (composite keys joined with %q).", obj, KeySeparator)
			return false
		}
		if attr != "Id" {
			s.errorf(attrRng, "Unsupported CSV row reference", "A records_csv row can be referred to only by its Id: %s.csv[%s].Id. Its other values are not held in memory.", obj, QuoteKey(key))
			return false
		}
		addr := Address{Object: obj, Label: CSVLabel, Key: key, Keyed: true}
		if s.lookup == nil {
			if _, seen := on.csvKeys[key]; !seen {
				on.csvKeys[key] = false
				on.csvRefRng[key] = keyRng
			}
		}
		s.putRecordValue(root, obj, label, key, true, attr, s.refValue(Ref{Record: addr, Field: "Id"}, cty.String))
		return true
	}

	dn := on.decls[label]
	if dn == nil {
		var labels []string
		for l := range on.decls {
			labels = append(labels, l)
		}
		hint := ""
		if label == CSVLabel {
			hint = fmt.Sprintf(" Object %s has no records_csv, so it has no CSV rows either.", obj)
		}
		s.errorf(rng, "Reference to undeclared record", "Object %s has no record %q.%s%s", obj, label, suggest(label, labels), hint)
		return false
	}
	if dn.decl.ForEach && !keyed {
		if r.index != nil && r.keyLocal {
			return s.putAllInstances(r, sc, on, dn, root)
		}
		s.errorf(rng, "Missing instance key", "%s.%s has for_each, so a reference names one instance by its key: %s.%s[\"KEY\"].%s.", obj, label, obj, label, orDefault(attr, "Id"))
		return false
	}
	if !dn.decl.ForEach && keyed {
		s.errorf(keyRng, "Unexpected instance key", "%s.%s has no for_each, so it has no instances: remove the index and write %s.%s.%s.", obj, label, obj, label, orDefault(attr, "Id"))
		return false
	}
	var target *Record
	if keyed {
		target = dn.instances[key]
		if target == nil && dynamic {
			// The index may sit in a branch that is not taken, as in
			// parent == "" ? null : Account.region[parent].Id: leave the
			// collection without that key, and explain if HCL's index
			// fails.
			root.ensure([]string{obj, label}, keyRng, fmt.Sprintf("%s.%s has no instance %s.%s", obj, label, QuoteKey(key), suggestQuoted(key, dn.keys)))
			return true
		}
		if target == nil {
			s.errorf(keyRng, "Reference to undeclared record", "%s.%s has no instance %s.%s", obj, label, QuoteKey(key), suggestQuoted(key, dn.keys))
			return false
		}
	} else {
		target = dn.single
	}
	if attr == "" {
		s.errorf(rng, "Missing field name", "A reference to a record reads one of its fields, such as %s.Id.", target.Addr)
		return false
	}
	v, ok := s.recordAttr(target, attr, attrRng)
	if !ok {
		return false
	}
	s.putRecordValue(root, obj, label, key, keyed, attr, v)
	return true
}

func (s *session) putRecordValue(root *ctxBuilder, obj, label, key string, keyed bool, attr string, v cty.Value) {
	if keyed {
		root.set([]string{obj, label, key, attr}, v)
	} else {
		root.set([]string{obj, label, attr}, v)
	}
}

// putAllInstances handles an index whose key uses for-expression symbols,
// as in [for c in local.codes : Account.country[c].Id]: every instance
// enters the context, each with the one field that is read after the index.
func (s *session) putAllInstances(r exprRef, sc *scope, on *objectNode, dn *declNode, root *ctxBuilder) bool {
	if r.attrAfter == "" {
		s.errorf(r.trav.SourceRange(), "Missing field name", "A reference to an instance of %s.%s reads one of its fields, such as .Id.", on.obj.Name, dn.decl.Label)
		return false
	}
	ok := true
	for _, k := range dn.keys {
		v, good := s.recordAttr(dn.instances[k], r.attrAfter, r.trav.SourceRange())
		if !good {
			ok = false
			break
		}
		root.set([]string{on.obj.Name, dn.decl.Label, k, r.attrAfter}, v)
	}
	if len(dn.keys) == 0 {
		root.set([]string{on.obj.Name, dn.decl.Label}, cty.EmptyObjectVal)
	}
	return ok
}

// recordAttr is the value of field attr of record target as a reference
// sees it.
func (s *session) recordAttr(target *Record, attr string, rng hclv2.Range) (cty.Value, bool) {
	if attr == "Id" {
		return s.refValue(Ref{Record: target.Addr, Field: "Id"}, cty.String), true
	}
	for i, fd := range target.Decl.Fields {
		if fd.Name == attr {
			return s.field(target, i), true
		}
	}
	var names []string
	for _, fd := range target.Decl.Fields {
		names = append(names, fd.Name)
	}
	s.errorf(rng, "Reference to a field the record does not set", "%s does not set %s. A reference can read its Id or a field it sets: %s.%s", target.Addr, attr, strings.Join(names, ", "), suggest(attr, names))
	return cty.NilVal, false
}

// local returns a local value, evaluating it on first use.
func (s *session) local(name string, rng hclv2.Range) (cty.Value, bool) {
	ln := s.ev.locals[name]
	if ln == nil {
		s.errorf(rng, "Reference to undeclared local value", "There is no local value %q.%s Declare it in a locals block.", name, suggest(name, mapKeys(s.ev.locals)))
		return cty.NilVal, false
	}
	switch ln.state {
	case evaluated:
		return ln.value, !ln.value.HasMark(poisonMark{})
	case evaluating:
		s.cycle("local."+name, rng)
		return cty.NilVal, false
	}
	ln.state = evaluating
	s.stack = append(s.stack, frame{name: "local." + name, rng: ln.local.Range})
	v := s.eval(ln.expr, &scope{what: "a local value"})
	s.stack = s.stack[:len(s.stack)-1]
	ln.value, ln.state = v, evaluated
	if !v.HasMark(poisonMark{}) {
		if !v.IsWhollyKnown() {
			s.errorf(ln.local.Range, "Local value not known when loading", "local.%s must be known when the configuration is loaded.", name)
			ln.value = poisoned()
		} else {
			uv, pvm := v.UnmarkDeepWithPaths()
			ln.local.Value = uv
			for _, pm := range pvm {
				if pm.Marks.Has(sensitiveMark{}) {
					ln.local.Sensitive = true
				}
			}
		}
	}
	return ln.value, !ln.value.HasMark(poisonMark{})
}

// cycle reports a reference cycle through name, printing the path.
func (s *session) cycle(name string, rng hclv2.Range) {
	start := 0
	for i, f := range s.stack {
		if f.String() == name {
			start = i
			break
		}
	}
	var path []string
	for _, f := range s.stack[start:] {
		path = append(path, f.String())
	}
	path = append(path, name)
	subject := rng
	if start < len(s.stack) {
		subject = s.stack[start].rng
	}
	s.errorf(subject, "Reference cycle", "These values refer to each other, so none of them can be evaluated:\n  %s\nBreak the cycle by writing one of the values directly.", strings.Join(path, " → "))
}

// field evaluates field i of record r once and returns its value as
// references see it.
func (s *session) field(r *Record, i int) cty.Value {
	f := &r.Fields[i]
	if s.lookup != nil {
		return s.planField(r, f)
	}
	switch f.state {
	case evaluated:
		return f.marked
	case evaluating:
		s.cycle(r.Addr.String()+"."+f.Decl.Name, f.Decl.ValueRange)
		return poisoned()
	}
	d := r.Decl.Fields[i]
	f.state = evaluating
	var v cty.Value
	if d.static {
		v = d.staticVal
	} else {
		s.stack = append(s.stack, frame{rec: r, field: d.Name, rng: d.ValueRange})
		v = s.eval(d.Expr, &scope{what: "a field", rec: r, records: true})
		s.stack = s.stack[:len(s.stack)-1]
	}
	s.settle(r, f, v)
	f.state = evaluated
	return f.marked
}

// settle records a field's load-time value in the model.
func (s *session) settle(r *Record, f *Field, v cty.Value) {
	f.marked = v
	if v.HasMark(poisonMark{}) {
		return
	}
	f.Sensitive = v.HasMarkDeep(sensitiveMark{})
	if !v.IsWhollyKnown() {
		d := &Deferred{rec: r, field: f, ev: s.ev}
		seen := map[Ref]bool{}
		for ref := range cty.ValueMarksOfTypeDeep[Ref](v) {
			if !seen[ref] {
				seen[ref] = true
				d.Refs = append(d.Refs, ref)
			}
		}
		sort.Slice(d.Refs, func(i, j int) bool { return d.Refs[i].less(d.Refs[j]) })
		d.bare = len(d.Refs) == 1 && isBareReference(f.Decl.Expr)
		f.Deferred = d
		for _, ref := range d.Refs {
			if !ref.IsData() && ref.Record == r.Addr {
				s.errorf(f.Decl.ValueRange, "Record refers to itself", "%s.%s refers, directly or through other fields, to the Id of %s itself. A record's Id does not exist until it is inserted, so it cannot be a value of the same record.", r.Addr, f.Decl.Name, r.Addr)
				f.marked = poisoned()
				f.Deferred = nil
			}
		}
		return
	}
	uv, _ := v.UnmarkDeep()
	nv, problem := normalizeFieldValue(uv)
	if problem != "" {
		s.errorf(f.Decl.ValueRange, "Invalid field value", "%s.%s: %s", r.Addr, f.Decl.Name, problem)
		f.marked = poisoned()
		return
	}
	f.Value = nv
	if f.Sensitive {
		f.marked = nv.Mark(sensitiveMark{})
	} else {
		f.marked = nv
	}
}

// normalizeFieldValue checks that v can be a Salesforce field value and
// brings it to the model's form: "" is null, sequences of strings are
// lists of strings (multi-select picklists).
func normalizeFieldValue(v cty.Value) (cty.Value, string) {
	ty := v.Type()
	switch {
	case v.IsNull():
		if ty == cty.DynamicPseudoType {
			return cty.NullVal(cty.String), ""
		}
		if ty.IsPrimitiveType() {
			return v, ""
		}
		return cty.NullVal(cty.String), ""
	case ty == cty.String:
		if v.AsString() == "" {
			return cty.NullVal(cty.String), ""
		}
		return v, ""
	case ty == cty.Number || ty == cty.Bool:
		return v, ""
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		var elems []cty.Value
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.IsNull() || e.Type() != cty.String {
				return cty.NilVal, fmt.Sprintf("a list is a multi-select picklist value and holds only strings, but this one holds %s", typeName(e.Type()))
			}
			elems = append(elems, e)
		}
		if len(elems) == 0 {
			return cty.NullVal(cty.String), ""
		}
		return cty.ListVal(elems), ""
	}
	return cty.NilVal, fmt.Sprintf("a field value is a string, number, bool, null or a list of strings (a multi-select picklist), not %s", typeName(ty))
}

func typeName(ty cty.Type) string {
	switch {
	case ty == cty.DynamicPseudoType:
		return "null"
	case ty.IsObjectType():
		return "an object"
	case ty.IsMapType():
		return "a map"
	case ty.IsTupleType() || ty.IsListType():
		return "a list"
	case ty.IsSetType():
		return "a set"
	}
	return ty.FriendlyName()
}

// isBareReference reports whether expr is written as a plain reference,
// Account.acme.Id or Account.country[each.key].Id or data.T.n.Id, possibly
// wrapped in "${...}".
func isBareReference(expr hclv2.Expression) bool {
	switch e := expr.(type) {
	case *hclsyntax.TemplateWrapExpr:
		return isBareReference(e.Wrapped)
	case *hclsyntax.ScopeTraversalExpr:
		last, ok := e.Traversal[len(e.Traversal)-1].(hclv2.TraverseAttr)
		return ok && (last.Name == "Id" || e.Traversal.RootName() == "data" && len(e.Traversal) == 4)
	case *hclsyntax.RelativeTraversalExpr:
		ie, ok := e.Source.(*hclsyntax.IndexExpr)
		if !ok || len(e.Traversal) != 1 {
			return false
		}
		if _, ok := ie.Collection.(*hclsyntax.ScopeTraversalExpr); !ok {
			return false
		}
		a, ok := e.Traversal[0].(hclv2.TraverseAttr)
		return ok && a.Name == "Id"
	}
	return false
}

func attrAt(t hclv2.Traversal, i int) (string, bool) {
	if i >= len(t) {
		return "", false
	}
	switch s := t[i].(type) {
	case hclv2.TraverseAttr:
		return s.Name, true
	case hclv2.TraverseRoot:
		return s.Name, true
	}
	return "", false
}

// keyString turns an index key into an instance key.
func keyString(v cty.Value) (string, string) {
	if v.IsNull() {
		return "", "An instance key cannot be null."
	}
	if !v.IsKnown() {
		return "", "An instance key must be known when the configuration is loaded."
	}
	switch v.Type() {
	case cty.String:
		return v.AsString(), ""
	case cty.Number:
		return v.AsBigFloat().Text('f', -1), ""
	}
	return "", fmt.Sprintf("An instance key is a string, not %s.", typeName(v.Type()))
}

func traversalString(t hclv2.Traversal) string {
	var b strings.Builder
	for _, s := range t {
		switch s := s.(type) {
		case hclv2.TraverseRoot:
			b.WriteString(s.Name)
		case hclv2.TraverseAttr:
			b.WriteString("." + s.Name)
		case hclv2.TraverseIndex:
			if k, err := keyString(s.Key); err == "" {
				b.WriteString("[" + QuoteKey(k) + "]")
			} else {
				b.WriteString("[...]")
			}
		default:
			b.WriteString("[*]")
		}
	}
	return b.String()
}

// suggest returns " Did you mean "x"?" for the closest name, or "".
func suggest(given string, names []string) string {
	best, bestD := "", 3
	sort.Strings(names)
	for _, n := range names {
		if d := levenshtein.Distance(strings.ToLower(given), strings.ToLower(n), nil); d < bestD {
			best, bestD = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

func suggestQuoted(given string, keys []string) string {
	s := suggest(given, append([]string(nil), keys...))
	if s != "" {
		return s
	}
	if len(keys) == 0 {
		return " It has no instances: its for_each is empty."
	}
	shown := keys
	if len(shown) > 5 {
		shown = shown[:5]
	}
	var q []string
	for _, k := range shown {
		q = append(q, QuoteKey(k))
	}
	more := ""
	if len(keys) > len(shown) {
		more = fmt.Sprintf(" and %d more", len(keys)-len(shown))
	}
	return fmt.Sprintf(" Its keys are %s%s.", strings.Join(q, ", "), more)
}

func mapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func rangesOverlap(a, b hclv2.Range) bool {
	return a.Filename == b.Filename && a.Start.Byte < b.End.Byte && b.Start.Byte < a.End.Byte
}
