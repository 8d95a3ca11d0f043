package planner

import (
	"context"
	"fmt"
	"slices"
	"strings"

	hclv2 "github.com/hashicorp/hcl/v2"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/internal/sfid"
)

// dval is one desired field value.
type dval struct {
	field string // as describe spells it
	desc  *bulk.Field
	v     Value
	// ref is the address of a record this plan inserts (or replaces), whose
	// Id the field gets after apply; v is then null.
	ref       string
	sensitive bool
	rng       hclv2.Range
}

// desiredRec is one desired record with its values.
type desiredRec struct {
	ord  uint32
	vals []dval
	ok   bool        // every value is valid
	rng  hclv2.Range // where the record is declared
	csv  *csvPlan    // the CSV source of a row; nil for a record block
	// same counts the values that are, as text, the org's: not parsed,
	// not in vals, unchanged. skipped are their columns in row, the CSV
	// row being read, for a record that gets a change to parse
	// (unchangedValues); both are valid only during the call of fn.
	same    int
	skipped []int
	row     *hcl.Row

	addr    string
	hclAddr hcl.Address
}

// address is the record's address. A CSV row's is rendered only when asked
// for: most rows of a large file need none.
func (d *desiredRec) address() string {
	if d.addr == "" {
		d.addr = d.hclAddr.String()
	}
	return d.addr
}

// eachDesired calls fn with every desired record of op and its values,
// record blocks first, then CSV rows, streamed. With fast, a CSV cell whose
// text is the org record's rendering of the field is counted in same
// rather than parsed: the org holds that very value, so it fits the field
// and is no change.
func (b *builder) eachDesired(op *objPlan, res *hcl.Resolver, fast bool, fn func(d *desiredRec)) {
	for i, r := range op.cfg.Records {
		d := &desiredRec{ord: op.ordBase + 1 + uint32(i), addr: r.Addr.String(), ok: true, rng: r.Decl.DeclRange}
		for j := range r.Fields {
			f := &r.Fields[j]
			desc := op.schema.field(f.Name())
			if desc == nil {
				d.ok = false
				continue
			}
			dv, good := b.blockValue(op, r, f, desc, res)
			if !good {
				d.ok = false
				continue
			}
			d.vals = append(d.vals, dv)
		}
		fn(d)
	}
	for _, cp := range op.csv {
		d := &desiredRec{csv: cp}
		ixCol := make([]int, len(cp.cols))
		for i, c := range cp.cols {
			ixCol[i] = -1
			if fast && c.rel == nil && op.ix != nil {
				ixCol[i] = op.ix.col(c.field)
			}
		}
		for row, diags := range cp.src.Rows() {
			if diags != nil {
				continue // reported while matching
			}
			d.ord, d.addr, d.hclAddr, d.ok, d.vals, d.same = cp.base+uint32(row.Number), "", row.Addr, true, d.vals[:0], 0
			d.row, d.skipped = row, d.skipped[:0]
			d.rng = cp.src.Range
			if len(row.Cells) > 0 {
				d.rng = row.CellRange(0)
			}
			org := int32(-1)
			if id := op.slot(d.ord); fast && id.org >= 0 && id.flags&flagReplace == 0 && id.kind != identInsert {
				org = id.org
			}
			for i := range cp.cols {
				if cp.cols[i].desc == nil {
					d.ok = false
					continue
				}
				if org >= 0 && ixCol[i] >= 0 && row.Cells[i] != "" && row.Cells[i] == op.ix.Raw(org, ixCol[i]) {
					d.same++
					d.skipped = append(d.skipped, i)
					continue
				}
				dv, good := b.cellValue(op, cp, row, i)
				if !good {
					d.ok = false
					continue
				}
				d.vals = append(d.vals, dv)
			}
			fn(d)
		}
	}
}

// blockValue is a record block field's desired value.
func (b *builder) blockValue(op *objPlan, r *hcl.Record, f *hcl.Field, desc *bulk.Field, res *hcl.Resolver) (dval, bool) {
	spec, _ := SpecOf(desc)
	d := dval{field: desc.Name, desc: desc, sensitive: f.Sensitive, rng: f.Range()}
	who := func() string { return r.Addr.String() + "." + desc.Name }
	cv := f.Value
	if f.Deferred != nil {
		v, diags := res.Eval(f.Deferred)
		b.addDiags(diags)
		if diags.HasErrors() {
			return d, false
		}
		ref, bare := f.Deferred.Ref()
		if bare && !ref.IsData() && !b.checkRefTarget(desc, ref.Record.Object, who(), d.rng) {
			return d, false
		}
		if !v.IsKnown() {
			if !bare || ref.IsData() {
				b.errorf(&d.rng, "Value known only after apply", "%s depends on %s, whose Id exists only after apply. Only a plain reference (such as Account.acme.Id) can wait for apply: set the field to the reference itself.", who(), refList(f.Deferred.Refs))
				return d, false
			}
			d.v, d.ref = Null(spec.Type), ref.Record.String()
			return d, true
		}
		cv = v
	}
	v, err := FromCty(spec, cv)
	if err != nil {
		b.errorf(&d.rng, "Invalid value", "%s: %v.", who(), err)
		return d, false
	}
	v, ok := b.checkValue(desc, v, who, d.rng)
	d.v = v
	return d, ok
}

func refList(refs []hcl.Ref) string {
	var s []string
	for _, r := range refs {
		s = append(s, r.String())
	}
	return strings.Join(s, ", ")
}

// cellValue is a CSV cell's desired value: an empty cell is null; a
// relationship cell is its parent's Id.
func (b *builder) cellValue(op *objPlan, cp *csvPlan, row *hcl.Row, i int) (dval, bool) {
	c := &cp.cols[i]
	cell := row.Cells[i]
	d := dval{field: c.field, desc: c.desc}
	rng := row.CellRange(i)
	d.rng = rng
	who := func() string {
		return fmt.Sprintf("%s (%s row %d) %s", row.Addr, cp.src.Path, row.Number, cp.src.Columns[i].Name)
	}
	if c.rel != nil && cell != "" {
		res := b.resolveRel(c.rel, cell)
		switch res.status {
		case relFound:
			d.v, _ = ParseCell(FieldSpec{Type: TypeID}, res.id)
			return d, true
		case relRef:
			d.v, d.ref = Null(TypeID), res.ref
			return d, true
		case relInvalid:
			b.errorf(&rng, "Invalid value", "%s: %v.", who(), res.err)
		case relMissing:
			b.errorf(&rng, "Parent not found", "%s: no %s has %s = %s, in the org or in this configuration.", who(), c.rel.parent, c.rel.parentField, res.v.Display())
		case relAmbiguous:
			b.errorf(&rng, "Parent is ambiguous", "%s: %d %s records have %s = %s, so the cell does not name one. Name parents by a field that is unique.", who(), res.count, c.rel.parent, c.rel.parentField, res.v.Display())
		default:
			panic(fmt.Sprintf("planner: %s %s was not looked up", c.rel.parent, cell))
		}
		return d, false
	}
	v, err := ParseCell(c.spec, cell)
	if err != nil {
		b.errorf(&rng, "Invalid value", "%s: %v.", who(), err)
		return d, false
	}
	v, ok := b.checkValue(c.desc, v, who, rng)
	d.v = v
	return d, ok
}

// checkValue checks that a value fits its field — length, precision,
// dates, restricted picklists, nulls, the object an Id refers to — and
// brings picklist values to the spelling the field defines, as Salesforce
// stores them.
func (b *builder) checkValue(f *bulk.Field, v Value, who func() string, rng hclv2.Range) (Value, bool) {
	spec, _ := SpecOf(f)
	if v.IsNull() {
		if !f.Nillable {
			what := "it is required"
			if spec.Type == TypeBoolean {
				what = "a checkbox is true or false"
			}
			b.errorf(&rng, "Null value", "%s cannot be null (or \"\"): %s. Set a value, or leave the field out to leave it unmanaged.", who(), what)
			return v, false
		}
		return v, true
	}
	switch spec.Type {
	case TypePicklist:
		if nv, ok := picklistSpelling(f, v.s); ok {
			v.s = nv
		} else if f.RestrictedPicklist {
			b.errorf(&rng, "Value not in picklist", "%s: %s is not a value of the restricted picklist %s. Its values are %s.", who(), v.Display(), f.Name, quoteList(activeValues(f)))
			return v, false
		}
	case TypeMultiPicklist:
		items := strings.Split(v.s, ";")
		for i, it := range items {
			if nv, ok := picklistSpelling(f, it); ok {
				items[i] = nv
			} else if f.RestrictedPicklist {
				b.errorf(&rng, "Value not in picklist", "%s: %q is not a value of the restricted picklist %s. Its values are %s.", who(), it, f.Name, quoteList(activeValues(f)))
				return v, false
			}
		}
		v = multiPicklist(items)
	case TypeID:
		if strings.EqualFold(f.Type, "reference") && len(f.ReferenceTo) > 0 {
			if obj := b.prefixObject(sfid.Prefix(v.s)); obj != "" && !slices.ContainsFunc(f.ReferenceTo, func(o string) bool { return strings.EqualFold(o, obj) }) {
				b.errorf(&rng, "Reference to the wrong object", "%s: %s is the Id of %s record, but %s refers to %s records.", who(), v.Display(), withArticle(obj), f.Name, strings.Join(f.ReferenceTo, " or "))
				return v, false
			}
		}
	}
	if err := spec.Check(v); err != nil {
		b.errorf(&rng, "Value does not fit the field", "%s: %v.", who(), err)
		return v, false
	}
	return v, true
}

// checkRefTarget checks that a reference to a record of object fits a
// lookup field.
func (b *builder) checkRefTarget(f *bulk.Field, object, who string, rng hclv2.Range) bool {
	if !strings.EqualFold(f.Type, "reference") || len(f.ReferenceTo) == 0 {
		return true
	}
	if slices.ContainsFunc(f.ReferenceTo, func(o string) bool { return strings.EqualFold(o, object) }) {
		return true
	}
	b.errorf(&rng, "Reference to the wrong object", "%s refers to %s record, but %s refers to %s records.", who, withArticle(object), f.Name, strings.Join(f.ReferenceTo, " or "))
	return false
}

// picklistSpelling finds a picklist value as the field defines it: exactly,
// or else ignoring case, as Salesforce matches picklist values.
func picklistSpelling(f *bulk.Field, s string) (string, bool) {
	for _, p := range f.PicklistValues {
		if p.Active && p.Value == s {
			return p.Value, true
		}
	}
	for _, p := range f.PicklistValues {
		if p.Active && strings.EqualFold(p.Value, s) {
			return p.Value, true
		}
	}
	return "", false
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

func (b *builder) addDiags(diags hclv2.Diagnostics) {
	if b.muted > 0 {
		return
	}
	b.diags = append(b.diags, diags...)
}

// relStatus is what resolving a relationship cell found.
type relStatus uint8

const (
	relPending   relStatus = iota // not looked up yet
	relFound                      // an existing record: id
	relRef                        // a record this plan inserts or replaces: ref
	relMissing                    // no such record
	relAmbiguous                  // more than one record
	relInvalid                    // the cell is not a value of the parent's field
)

type relResult struct {
	status relStatus
	id     string
	ref    string
	count  int
	v      Value
	err    error
}

// resolveRel resolves a relationship cell: through the parent object's
// plan when the parent is configured and keyed on the field the cell holds
// (a parent the configuration declares wins over an org record that has the
// key now), else through the answers of org lookups.
func (b *builder) resolveRel(rp *relPlan, cell string) relResult {
	v, err := ParseCell(rp.spec, cell)
	if err != nil {
		return relResult{status: relInvalid, err: err}
	}
	return b.resolveRelValue(rp, v)
}

func (b *builder) resolveRelValue(rp *relPlan, v Value) relResult {
	k := v.Key(rp.cs)
	if rp.viaKey {
		if p := b.object(rp.parent); p != nil && p.ix != nil {
			target := uint32(0)
			ms := p.ix.lookupKey(k)
			switch {
			case len(ms) > 1:
				return relResult{status: relAmbiguous, count: len(ms), v: v}
			case len(ms) == 1 && p.ix.keyClaim[ms[0]] == 0:
				return relResult{status: relFound, id: p.ix.ID(ms[0]), v: v}
			case len(ms) == 1:
				target = p.ix.keyClaim[ms[0]]
			default:
				target = p.newKeys[k]
			}
			if target != 0 {
				d := p.slot(target)
				switch {
				case d.org >= 0 && d.flags&flagReplace == 0 && d.kind != identInsert:
					return relResult{status: relFound, id: p.ix.ID(d.org), v: v}
				case d.flags&flagReplace != 0:
					return relResult{status: relRef, ref: p.replaced[target], v: v}
				case p.inserted[target] != "":
					return relResult{status: relRef, ref: p.inserted[target], v: v}
				}
			}
			if p.ix.full {
				return relResult{status: relMissing, v: v}
			}
		}
	}
	if a, ok := rp.looked[k]; ok {
		switch a.count {
		case 0:
			return relResult{status: relMissing, v: v}
		case 1:
			return relResult{status: relFound, id: a.id, v: v}
		}
		return relResult{status: relAmbiguous, count: a.count, v: v}
	}
	return relResult{status: relPending, v: v}
}

// collectRelationships notes, while matching, the parent values a CSV
// row's relationship cells name, to look up those that no plan knows.
func (b *builder) collectRelationships(cp *csvPlan, row *hcl.Row) {
	for i, c := range cp.cols {
		if c.rel == nil || c.key || row.Cells[i] == "" {
			continue
		}
		if c.rel.viaKey {
			if p := b.object(c.rel.parent); p != nil && p.ix != nil && p.ix.full {
				continue // the parent's plan answers every value
			}
		}
		v, err := ParseCell(c.rel.spec, row.Cells[i])
		if err != nil {
			continue // reported when diffing
		}
		if c.rel.cand == nil {
			c.rel.cand = map[string]Value{}
		}
		c.rel.cand[v.Key(c.rel.cs)] = v
	}
}

// prepareKeyRelationships looks up, before matching a CSV source, the
// parents its key relationship columns name that the parents' plans do not
// know: the rows' keys need their Ids.
func (b *builder) prepareKeyRelationships(ctx context.Context, op *objPlan, cp *csvPlan) error {
	var rels []int
	for i, c := range cp.cols {
		if c.key && c.rel != nil {
			rels = append(rels, i)
		}
	}
	if len(rels) == 0 {
		return nil
	}
	for row, diags := range cp.src.Rows() {
		if diags != nil {
			continue
		}
		for _, i := range rels {
			rp := cp.cols[i].rel
			if row.Cells[i] == "" {
				continue
			}
			if r := b.resolveRel(rp, row.Cells[i]); r.status == relPending {
				rp.want[r.v.Key(rp.cs)] = r.v
			}
		}
	}
	for _, i := range rels {
		if err := b.lookupRelationship(ctx, cp.cols[i].rel); err != nil {
			return err
		}
	}
	return nil
}

// resolveRelationships looks up the parents that relationship cells name
// and that no plan knows, once every object's records are matched.
func (b *builder) resolveRelationships(ctx context.Context) error {
	for _, id := range sortedKeys(b.rels) {
		rp := b.rels[id]
		for k, v := range rp.cand {
			if r := b.resolveRelValue(rp, v); r.status == relPending {
				rp.want[k] = v
			}
		}
		rp.cand = nil
		if err := b.lookupRelationship(ctx, rp); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
