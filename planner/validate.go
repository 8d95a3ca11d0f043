package planner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"slices"
	"strings"

	hclv2 "github.com/hashicorp/hcl/v2"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/hcl"
)

// validate checks the configuration against describe before anything is
// read: objects, key fields, every field a record block or CSV column sets,
// relationship columns and data lookups. It sets up the objects' plans.
// Problems that depend on values (types, lengths, picklists, nulls) are
// found while diffing, and those that depend on the org's records (required
// fields on inserts, create-only changes) once matching is done; all are
// collected, and a plan with any of them is not made.
func (b *builder) validate(ctx context.Context) error {
	rels := map[string]*relPlan{}
	for _, o := range b.cfg.Objects {
		s := b.schema(o.Name)
		if s == nil {
			continue
		}
		op := &objPlan{
			name:      s.name,
			cfg:       o,
			schema:    s,
			blocks:    make([]ident, len(o.Records)),
			blockAt:   make(map[*hcl.Record]int, len(o.Records)),
			from:      map[uint32]string{},
			newKeys:   map[string]uint32{},
			tentative: map[int32]pendingKey{},
			gone:      nil,
			goneSeen:  map[string]bool{},
			replaced:  map[uint32]string{},
			inserted:  map[uint32]string{},
			csvRefs:   map[hcl.Address]uint32{},
			ignore:    map[string]bool{},
		}
		op.nextOrd = uint32(len(o.Records))
		for i, r := range o.Records {
			op.blockAt[r] = i
			op.blocks[i] = ident{org: -1}
		}
		b.objects = append(b.objects, op)
		b.objByName[strings.ToLower(op.name)] = op

		cols := newFieldSet()
		keyRange := o.KeyRange
		for _, k := range o.Key {
			f := s.field(k)
			switch {
			case f == nil:
				b.errorf(&keyRange, "Unknown key field", "%s has no field %s.%s", s.name, k, didYouMean(k, s.fieldNames()))
				continue
			case !keyTypeOK(f):
				b.errorf(&keyRange, "Invalid key field", "%s.%s is %s field, which cannot identify records: a key field is text (not long text), a number, a date, a datetime, a boolean or an Id that SOQL can filter on.", s.name, f.Name, withArticle(f.Type))
				continue
			}
			spec, _ := SpecOf(f)
			op.keyFields = append(op.keyFields, f.Name)
			op.keySpecs = append(op.keySpecs, spec)
			op.keyCS = append(op.keyCS, f.CaseSensitive)
			cols.add(f.Name)
		}
		declRange := o.DeclRange
		for _, name := range o.Ignore {
			f := s.field(name)
			if f == nil {
				b.errorf(&declRange, "Unknown field in ignore", "%s has no field %s.%s", s.name, name, didYouMean(name, s.fieldNames()))
				continue
			}
			op.ignore[strings.ToLower(f.Name)] = true
		}
		seen := map[*hcl.RecordDecl]bool{}
		for _, r := range o.Records {
			if seen[r.Decl] {
				continue
			}
			seen[r.Decl] = true
			for _, fd := range r.Decl.Fields {
				f := b.checkField(s, fd.Name, fd.NameRange)
				if f != nil && !op.ignore[strings.ToLower(f.Name)] {
					cols.add(f.Name)
				}
			}
		}
		for _, src := range o.CSV {
			cp := &csvPlan{src: src, base: noBase}
			hdr := csvHeaderRanges(b.cfg.Path(src.Path), src.Path, len(src.Columns))
			for i, c := range src.Columns {
				rng := src.Range
				if i < len(hdr) {
					rng = hdr[i]
				}
				cc := csvCol{key: c.Key, rng: rng}
				if c.Relationship == "" {
					f := b.checkField(s, c.Field, rng)
					if f != nil {
						cc.field, cc.desc = f.Name, f
						cc.spec, _ = SpecOf(f)
					}
				} else {
					cc.field, cc.desc, cc.rel = b.checkRelationship(s, c, rng, rels)
					cc.spec = FieldSpec{Type: TypeID}
				}
				if cc.field != "" && !op.ignore[strings.ToLower(cc.field)] {
					cols.add(cc.field)
				}
				cp.cols = append(cp.cols, cc)
			}
			op.csv = append(op.csv, cp)
		}
		if strings.EqualFold(op.name, "PricebookEntry") {
			// The standard price rule needs each entry's price book and
			// product.
			for _, f := range []string{"Pricebook2Id", "Product2Id"} {
				if s.field(f) != nil {
					cols.add(f)
				}
			}
		}
		op.cols = cols.list
	}
	for _, op := range b.objects {
		for _, cp := range op.csv {
			cp.rows = make([]ident, 0, max(cp.src.RowCount, 0))
		}
	}
	// Relationship columns keyed on their parent's key resolve through
	// the parent's plan.
	for _, rp := range rels {
		if p := b.object(rp.parent); p != nil && len(p.keyFields) == 1 && strings.EqualFold(p.keyFields[0], rp.parentField) {
			rp.viaKey = true
		}
	}
	// Children that a delete cascades to are read with the field that
	// refers to their parent, so that the plan can name them.
	for _, op := range b.objects {
		for _, cr := range op.schema.d.ChildRelationships {
			if !cr.CascadeDelete {
				continue
			}
			if child := b.object(cr.ChildSObject); child != nil && child.schema.field(cr.Field) != nil && !slices.ContainsFunc(child.cols, func(c string) bool { return strings.EqualFold(c, cr.Field) }) {
				child.cols = append(child.cols, child.schema.field(cr.Field).Name)
			}
		}
	}
	b.rels = rels
	for _, d := range b.cfg.Data {
		s := b.schema(d.Object)
		if s == nil {
			continue
		}
		rng := d.DeclRange
		for _, f := range d.Fields {
			if s.field(f) == nil {
				b.errorf(&rng, "Unknown field", "%s has no field %s, which %s.%s reads.%s", s.name, f, d.Addr(), f, didYouMean(f, s.fieldNames()))
			}
		}
	}
	if b.diags.HasErrors() {
		return errDiags
	}
	return nil
}

// checkField checks that the object has a field that sfsync can write, and
// returns it (nil after a diagnostic).
func (b *builder) checkField(s *objectSchema, name string, rng hclv2.Range) *bulk.Field {
	f := s.field(name)
	switch {
	case f == nil:
		b.errorf(&rng, "Unknown field", "%s has no field %s.%s", s.name, name, didYouMean(name, s.fieldNames()))
		return nil
	case !writable(f):
		b.errorf(&rng, "Field cannot be written", "%s.%s cannot be set: Salesforce computes it (it is neither createable nor updateable). Remove it from the configuration.", s.name, f.Name)
		return nil
	}
	if _, ok := SpecOf(f); !ok {
		b.errorf(&rng, "Unsupported field type", "%s.%s is %s field, which sfsync cannot write through the Bulk API.", s.name, f.Name, withArticle(f.Type))
		return nil
	}
	return f
}

// checkRelationship confirms a relationship column (Product2.ProductCode)
// with describe: the relationship exists, names one parent object, and the
// parent has the field. It returns the lookup field the column sets.
func (b *builder) checkRelationship(s *objectSchema, c hcl.CSVColumn, rng hclv2.Range, rels map[string]*relPlan) (string, *bulk.Field, *relPlan) {
	f := s.relationship(c.Relationship)
	if f == nil {
		var names []string
		for _, x := range s.d.Fields {
			if x.RelationshipName != "" {
				names = append(names, x.RelationshipName)
			}
		}
		b.errorf(&rng, "Unknown relationship", "Column %s names the parent through %s, but %s has no relationship %s.%s", c.Name, c.Relationship, s.name, c.Relationship, didYouMean(c.Relationship, names))
		return "", nil, nil
	}
	if !writable(f) {
		b.errorf(&rng, "Field cannot be written", "Column %s sets %s.%s, which cannot be set.", c.Name, s.name, f.Name)
		return "", nil, nil
	}
	if len(f.ReferenceTo) != 1 {
		b.errorf(&rng, "Polymorphic relationship", "Column %s: %s.%s can refer to %s, so a parent key alone does not say which record it means. Give the parent's Id in a column %s instead.", c.Name, s.name, f.Name, strings.Join(f.ReferenceTo, ", "), f.Name)
		return "", nil, nil
	}
	ps := b.schema(f.ReferenceTo[0])
	if ps == nil {
		return "", nil, nil
	}
	pf := ps.field(c.ParentField)
	switch {
	case pf == nil:
		b.errorf(&rng, "Unknown field", "Column %s names %s records by %s, but %s has no field %s.%s", c.Name, ps.name, c.ParentField, ps.name, c.ParentField, didYouMean(c.ParentField, ps.fieldNames()))
		return "", nil, nil
	case !keyTypeOK(pf):
		b.errorf(&rng, "Invalid relationship column", "Column %s names %s records by %s, %s field, which cannot identify a record.", c.Name, ps.name, pf.Name, withArticle(pf.Type))
		return "", nil, nil
	}
	id := strings.ToLower(ps.name + "." + pf.Name)
	rp := rels[id]
	if rp == nil {
		spec, _ := SpecOf(pf)
		rp = &relPlan{parent: ps.name, parentField: pf.Name, spec: spec, cs: pf.CaseSensitive, looked: map[string]relAnswer{}, want: map[string]Value{}}
		rels[id] = rp
	}
	return f.Name, f, rp
}

// fieldSet is an ordered set of field names, case-insensitive.
type fieldSet struct {
	list []string
	has  map[string]bool
}

func newFieldSet() *fieldSet { return &fieldSet{has: map[string]bool{}} }

func (s *fieldSet) add(name string) {
	if !s.has[strings.ToLower(name)] {
		s.has[strings.ToLower(name)] = true
		s.list = append(s.list, name)
	}
}

// csvHeaderRanges returns the source range of each header cell of a CSV
// file, for diagnostics about its columns; nil when it cannot be read.
func csvHeaderRanges(abs, name string, n int) []hclv2.Range {
	f, err := os.Open(abs)
	if err != nil {
		return nil
	}
	defer f.Close()
	br := bufio.NewReader(f)
	bom := 0
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
		bom = 3
	}
	r := csv.NewReader(br)
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil {
		return nil
	}
	var out []hclv2.Range
	for i := range rec {
		line, col := r.FieldPos(i)
		start := hclv2.Pos{Line: line, Column: col, Byte: bom + col - 1}
		end := hclv2.Pos{Line: line, Column: col + max(len(rec[i]), 1), Byte: start.Byte + max(len(rec[i]), 1)}
		out = append(out, hclv2.Range{Filename: name, Start: start, End: end})
	}
	if len(out) != n {
		return nil
	}
	return out
}

// removedObjects plans the objects that the state names and the
// configuration no longer does: their managed records are deleted. An
// object the org no longer has is planned without a schema: its records are
// forgotten.
func (b *builder) removedObjects(ctx context.Context) error {
	for _, name := range b.st.Objects() {
		if b.cfg.Object(name) != nil || b.object(name) != nil {
			continue
		}
		op := &objPlan{name: name, goneSeen: map[string]bool{}}
		if g, ok := b.global.Object(name); ok {
			d, err := b.org.Describe(ctx, g.Name)
			if err != nil {
				return fmt.Errorf("describe %s: %w", name, err)
			}
			s := newObjectSchema(d)
			b.schemas[strings.ToLower(s.name)] = s
			op.name, op.schema = s.name, s
			b.stateKeyFields(op, name)
		}
		b.objects = append(b.objects, op)
		b.objByName[strings.ToLower(op.name)] = op
	}
	return nil
}

// stateKeyFields makes the key fields of a removed object those state
// recorded for its records (sorted by name: the configuration's order is
// gone with its block), so that its deletes are listed by key as the org
// has it. Fields the org no longer has, or that cannot be keys, are left
// out.
func (b *builder) stateKeyFields(op *objPlan, stateName string) {
	names := map[string]string{} // lower-case → describe spelling
	for _, rec := range b.st.Records(stateName) {
		for k := range rec.Key {
			if _, seen := names[strings.ToLower(k)]; seen {
				continue
			}
			if f := op.schema.field(k); f != nil && keyTypeOK(f) {
				names[strings.ToLower(k)] = f.Name
			} else {
				names[strings.ToLower(k)] = ""
			}
		}
	}
	var fields []string
	for _, n := range names {
		if n != "" {
			fields = append(fields, n)
		}
	}
	slices.Sort(fields)
	for _, n := range fields {
		f := op.schema.field(n)
		spec, _ := SpecOf(f)
		op.keyFields = append(op.keyFields, f.Name)
		op.keySpecs = append(op.keySpecs, spec)
		op.keyCS = append(op.keyCS, f.CaseSensitive)
	}
	op.cols = slices.Clone(op.keyFields)
}
