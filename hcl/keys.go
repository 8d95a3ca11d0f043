package hcl

import (
	"fmt"
	"sort"
	"strings"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// keyText is a key value as it is compared here and joined into CSV row
// addresses. Comparison is exact; the planner applies describe's rules
// (case-insensitive text keys, typed numbers and dates) on top.
func keyText(v cty.Value) string {
	switch v.Type() {
	case cty.String:
		return v.AsString()
	case cty.Number:
		return v.AsBigFloat().Text('f', -1)
	case cty.Bool:
		if v.True() {
			return "true"
		}
		return "false"
	}
	return ""
}

// checkKeys checks that every record sets its key fields to usable values
// and that no two records of an object have the same key values.
func (l *loader) checkKeys() {
	for _, o := range l.cfg.Objects {
		if len(o.Key) == 0 {
			continue
		}
		on := l.ev.objects[o.Name]
		on.blockKeys = map[string]*Record{}
		for _, dn := range l.declOrder(o) {
			var missing []string
			for _, k := range o.Key {
				found := false
				for _, fd := range dn.decl.Fields {
					if strings.EqualFold(fd.Name, k) {
						found = true
					}
				}
				if !found {
					missing = append(missing, k)
				}
			}
			if len(missing) > 0 {
				l.errorf(dn.decl.DeclRange, "Missing key field", "%s.%s does not set %s. Records are matched to the org by their key (key = %s at %s), so every record sets all key fields.", o.Name, dn.decl.Label, strings.Join(missing, ", "), formatList(o.Key), o.KeyRange)
				continue
			}
			reported := map[string]bool{} // one diagnostic per field and problem for all instances
			for _, r := range l.instances(dn) {
				l.checkRecordKey(o, on, r, reported)
			}
		}
	}
}

func formatList(ss []string) string { return "[" + strings.Join(quoteAll(ss), ", ") + "]" }

func (l *loader) instances(dn *declNode) []*Record {
	if dn.single != nil {
		return []*Record{dn.single}
	}
	out := make([]*Record, 0, len(dn.keys))
	for _, k := range dn.keys {
		out = append(out, dn.instances[k])
	}
	return out
}

func (l *loader) checkRecordKey(o *Object, on *objectNode, r *Record, reported map[string]bool) {
	var parts []string
	comparable := true
	report := func(f *Field, problem, summary, detail string) {
		if reported[f.Decl.Name+problem] {
			return
		}
		reported[f.Decl.Name+problem] = true
		l.errorf(f.Decl.ValueRange, summary, "%s", detail)
	}
	for _, k := range o.Key {
		f := r.Field(k)
		if f.marked.HasMark(poisonMark{}) {
			return
		}
		if f.Sensitive {
			report(f, "sensitive", "Sensitive key field", fmt.Sprintf("%s is a key field of %s, and key values are shown in plans and kept in state, so %s.%s cannot come from a sensitive variable.", f.Decl.Name, o.Name, r.Addr, f.Decl.Name))
			return
		}
		if f.Deferred != nil {
			if ref, ok := f.Deferred.Ref(); ok {
				parts = append(parts, "\x00"+ref.String())
			} else {
				comparable = false
			}
			continue
		}
		switch {
		case f.Value.IsNull():
			report(f, "null", "Empty key field", fmt.Sprintf("%s.%s is a key field of %s, so it needs a value; here it is null or \"\".", r.Addr, f.Decl.Name, o.Name))
			return
		case !f.Value.Type().IsPrimitiveType():
			report(f, "type", "Invalid key field", fmt.Sprintf("%s.%s is a key field of %s, so it is a single string, number or bool, not a list.", r.Addr, f.Decl.Name, o.Name))
			return
		}
		parts = append(parts, keyText(f.Value))
	}
	if !comparable {
		return
	}
	key := strings.Join(parts, KeySeparator)
	if prev := on.blockKeys[key]; prev != nil {
		f := r.Field(o.Key[0])
		l.errorf(f.Decl.ValueRange, "Duplicate key values", "%s and %s (at %s) have the same key values: %s. Keys must be unique within an object, since records are matched to the org by key.", r.Addr, prev.Addr, prev.Field(o.Key[0]).Decl.ValueRange, l.describeKey(o, r))
		return
	}
	on.blockKeys[key] = r
}

func (l *loader) describeKey(o *Object, r *Record) string {
	var parts []string
	for _, k := range o.Key {
		parts = append(parts, fmt.Sprintf("%s = %s", k, r.Field(k).FormatValue()))
	}
	return strings.Join(parts, ", ")
}

// checkKeyCycles rejects records whose key fields depend, through the Ids
// of other records, on a cycle: such records could never be matched,
// since matching each needs the other's Id first. Other reference cycles
// are legal; the planner splits them into an insert and a later update.
func (l *loader) checkKeyCycles() {
	type node struct {
		rec   *Record
		edges []*Record
		via   []string // the key field of each edge
		color int
	}
	nodes := map[*Record]*node{}
	var order []*Record
	for _, o := range l.cfg.Objects {
		for _, r := range o.Records {
			var n *node
			for _, k := range o.Key {
				f := r.Field(k)
				if f == nil || f.Deferred == nil {
					continue
				}
				for _, ref := range f.Deferred.Refs {
					if ref.IsData() || ref.Record.Label == CSVLabel {
						continue
					}
					t := l.ev.record(ref.Record)
					if t == nil || t == r {
						continue
					}
					if n == nil {
						n = &node{rec: r}
						nodes[r] = n
						order = append(order, r)
					}
					n.edges = append(n.edges, t)
					n.via = append(n.via, f.Decl.Name)
				}
			}
		}
	}
	var stack []*node
	var viaStack []string
	var visit func(n *node)
	visit = func(n *node) {
		n.color = 1
		stack = append(stack, n)
		for i, t := range n.edges {
			tn := nodes[t]
			if tn == nil {
				continue
			}
			viaStack = append(viaStack, n.via[i])
			switch tn.color {
			case 0:
				visit(tn)
			case 1:
				start := 0
				for j, s := range stack {
					if s == tn {
						start = j
					}
				}
				var path []string
				for j := start; j < len(stack); j++ {
					to := tn.rec
					if j+1 < len(stack) {
						to = stack[j+1].rec
					}
					path = append(path, fmt.Sprintf("%s.%s refers to %s.Id", stack[j].rec.Addr, viaStack[j], to.Addr))
				}
				first := stack[start]
				f := first.rec.Field(viaStack[start])
				l.errorf(f.Decl.ValueRange, "Key fields depend on a reference cycle", "To match a record to the org, sfsync needs its key values, and these key fields need each other's Ids:\n  %s\nNo record in the cycle can be matched before the others. Key the records on fields that do not refer to each other.", strings.Join(path, "\n  "))
			}
			viaStack = viaStack[:len(viaStack)-1]
		}
		stack = stack[:len(stack)-1]
		n.color = 2
	}
	for _, r := range order {
		if n := nodes[r]; n.color == 0 {
			visit(n)
		}
	}
}

// Edge is a reference from a field of a record to another record's Id or
// to a data lookup: the planner orders records by these.
type Edge struct {
	From  Address
	Field string // the field of From that holds the reference
	To    Ref
	Key   bool        // Field is a key field of From's object
	Range hclv2.Range // the field's value
}

// Edges returns every reference between record blocks (and to data
// lookups), sorted by From, Field, then To. References from records_csv
// rows are their relationship columns (CSVSource.Columns), which the
// planner resolves per row.
func (c *Config) Edges() []Edge {
	var out []Edge
	for _, o := range c.Objects {
		for _, r := range o.Records {
			for i := range r.Fields {
				f := &r.Fields[i]
				if f.Deferred == nil {
					continue
				}
				for _, ref := range f.Deferred.Refs {
					out = append(out, Edge{From: r.Addr, Field: f.Decl.Name, To: ref, Key: o.IsKey(f.Decl.Name), Range: f.Decl.ValueRange})
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.From != b.From {
			return a.From.Less(b.From)
		}
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		return a.To.less(b.To)
	})
	return out
}

// Cycles returns the groups of record blocks that refer to each other's
// Ids in a cycle (strongly connected components with more than one
// record), each sorted, the groups in order of their first address. They
// are legal — the planner inserts one side without the reference and
// updates it afterwards — but plans must show it.
func (c *Config) Cycles() [][]Address {
	adj := map[Address][]Address{}
	var nodes []Address
	for _, e := range c.Edges() {
		if e.To.IsData() {
			continue
		}
		if _, ok := adj[e.From]; !ok {
			nodes = append(nodes, e.From)
		}
		adj[e.From] = append(adj[e.From], e.To.Record)
	}
	// Tarjan's algorithm.
	index := map[Address]int{}
	low := map[Address]int{}
	on := map[Address]bool{}
	var stack []Address
	var out [][]Address
	next := 0
	var strong func(v Address)
	strong = func(v Address) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		on[v] = true
		for _, w := range adj[v] {
			if _, seen := index[w]; !seen {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if on[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var comp []Address
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				on[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			if len(comp) > 1 {
				sort.Slice(comp, func(i, j int) bool { return comp[i].Less(comp[j]) })
				out = append(out, comp)
			}
		}
	}
	for _, n := range nodes {
		if _, seen := index[n]; !seen {
			strong(n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0].Less(out[j][0]) })
	return out
}
