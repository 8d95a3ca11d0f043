package planner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/state"
)

// dataResult is the record a data lookup matched.
type dataResult struct {
	values map[string]cty.Value // by lower-case field name
}

// read reads what the plan compares with: the data lookups, every
// configured object's records inside its where, the records state says
// sfsync manages, and the standard price book when price book entries are
// planned.
func (b *builder) read(ctx context.Context) error {
	b.data = map[string]*dataResult{}
	for _, d := range b.cfg.Data {
		if err := b.readData(ctx, d); err != nil {
			return err
		}
	}
	for _, op := range b.objects {
		if err := b.readObject(ctx, op); err != nil {
			return err
		}
	}
	if _, err := b.awaitState(); err != nil {
		return err
	}
	if err := b.removedObjects(ctx); err != nil {
		return err
	}
	for _, op := range b.objects {
		if err := b.readManaged(ctx, op); err != nil {
			return err
		}
	}
	if b.object("PricebookEntry") != nil {
		err := b.rd.query(ctx, "lookup", "Pricebook2", "SELECT Id FROM Pricebook2 WHERE IsStandard = true LIMIT 1", 1, func(row bulk.Row) error {
			b.stdPricebook, _ = row.Get("Id")
			return nil
		})
		if err != nil {
			return fmt.Errorf("find the standard price book: %w", err)
		}
	}
	if b.diags.HasErrors() {
		return errDiags
	}
	return nil
}

// soqlError reports whether err is Salesforce refusing a query (a bad where
// condition), rather than a failure to reach it.
func soqlError(err error) (string, bool) {
	var ae *bulk.APIError
	if errors.As(err, &ae) && ae.StatusCode == 400 {
		return ae.Code + ": " + ae.Message, true
	}
	var je *bulk.JobError
	if errors.As(err, &je) {
		return je.Error(), true
	}
	return "", false
}

func (b *builder) readData(ctx context.Context, d *hcl.DataLookup) error {
	s := b.schema(d.Object)
	if s == nil {
		return nil
	}
	soql := fmt.Sprintf("SELECT %s FROM %s WHERE %s LIMIT 2", strings.Join(d.Fields, ", "), s.name, d.Where)
	var rows []bulk.Row
	err := b.rd.query(ctx, "lookup", d.Addr(), soql, 2, func(row bulk.Row) error {
		rows = append(rows, bulk.Row{Header: row.Header, Values: append([]string(nil), row.Values...)})
		return nil
	})
	rng := d.WhereRange
	if msg, ok := soqlError(err); ok {
		b.errorf(&rng, "Invalid where condition", "The query of %s failed: %s", d.Addr(), msg)
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", d.Addr(), err)
	}
	switch len(rows) {
	case 0:
		b.errorf(&rng, "Data lookup found nothing", "%s must match exactly one %s record, but no record matches %s.", d.Addr(), s.name, d.Where)
		return nil
	case 2:
		b.errorf(&rng, "Data lookup is ambiguous", "%s must match exactly one %s record, but more than one matches %s: narrow the condition.", d.Addr(), s.name, d.Where)
		return nil
	}
	res := &dataResult{values: map[string]cty.Value{}}
	for _, name := range d.Fields {
		text, _ := rows[0].Get(name)
		f := s.field(name)
		if f == nil {
			continue
		}
		res.values[strings.ToLower(name)] = orgCty(f, text)
	}
	b.data[d.Object+"."+d.Name] = res
	return nil
}

// orgCty converts a value as the org rendered it to the configuration's
// types: numbers as numbers, booleans as bools, anything else as a string;
// null as null.
func orgCty(f *bulk.Field, text string) cty.Value {
	if text == "" {
		return cty.NullVal(cty.String)
	}
	spec, ok := SpecOf(f)
	if !ok {
		return cty.StringVal(text)
	}
	v, err := ParseOrg(spec, text)
	if err != nil {
		return cty.StringVal(text)
	}
	switch spec.Type {
	case TypeInteger, TypeNumber:
		if n, err := cty.ParseNumberVal(v.Canonical()); err == nil {
			return n
		}
	case TypeBoolean:
		return cty.BoolVal(v.Canonical() == "true")
	}
	return cty.StringVal(v.Canonical())
}

// readObject reads a configured object's records inside its where (all of
// them without one).
func (b *builder) readObject(ctx context.Context, op *objPlan) error {
	if op.schema == nil {
		return nil
	}
	if err := b.newIndex(op); err != nil {
		return err
	}
	ix := op.ix
	if op.cfg != nil {
		where := strings.TrimSpace(op.cfg.Where)
		rng := op.cfg.WhereRange
		// A configuration of many records is planned against an org with
		// at least as many, as a rule: read through the Bulk API without
		// counting first (counting a large object takes a while).
		// Otherwise count, to read small results through REST.
		n := int64(op.desiredCount(b.cfg.Path))
		if n <= restReadLimit {
			var err error
			n, err = b.rd.count(ctx, op.name, where)
			if msg, ok := soqlError(err); ok && where != "" {
				b.errorf(&rng, "Invalid where condition", "The query of %s failed: %s", op.name, msg)
				return nil
			}
			if err != nil {
				return fmt.Errorf("count %s: %w", op.name, err)
			}
		}
		ix.reserve(int(n))
		soql := "SELECT " + selectList(op.cols) + " FROM " + op.name
		if where != "" {
			soql += " WHERE " + where
		}
		if err := b.scan(ctx, op, "query", soql, n, 0, nil); err != nil {
			if msg, ok := soqlError(err); ok && where != "" {
				b.errorf(&rng, "Invalid where condition", "The query of %s failed: %s", op.name, msg)
				return nil
			}
			return err
		}
		ix.full = where == ""
	}
	return nil
}

func (b *builder) newIndex(op *objPlan) error {
	specs := make([]FieldSpec, len(op.cols))
	for i, c := range op.cols {
		specs[i] = op.schema.spec(c)
	}
	ix, err := newOrgIndex(op.name, op.cols, specs, op.keyFields, op.keyCS)
	op.ix = ix
	return err
}

// readManaged reads the records state binds to op's object that the query
// over where did not return (by Id), and notes those the org no longer has.
// A removed object's records are read by Id only.
func (b *builder) readManaged(ctx context.Context, op *objPlan) error {
	op.gone = map[string]state.Binding{}
	if op.schema == nil {
		// The org has no such object any more: nothing to delete.
		for r := range b.st.Bindings(op.name) {
			op.gone[r.Address] = r
		}
		return nil
	}
	if op.ix == nil {
		if err := b.newIndex(op); err != nil {
			return err
		}
	}
	ix := op.ix
	var missing []string
	for r := range b.st.Bindings(op.name) {
		if _, ok := ix.byIDText(r.ID); !ok {
			missing = append(missing, r.ID)
		}
	}
	if len(missing) > 0 && !ix.full {
		if err := b.lookupIDs(ctx, op, missing); err != nil {
			return err
		}
	}
	for r := range b.st.Bindings(op.name) {
		if _, ok := ix.byIDText(r.ID); !ok {
			op.gone[r.Address] = r
		}
	}
	return nil
}

// scan runs a query of op's columns into its index. keep, when set,
// filters the rows kept.
func (b *builder) scan(ctx context.Context, op *objPlan, step, soql string, expect int64, flags uint8, keep func(bulk.Row, *colReader) bool) error {
	return b.scanAll(ctx, op, step, []string{soql}, expect, flags, keep)
}

// scanAll runs several queries of op's columns (the chunks of a lookup)
// into its index, as one step.
func (b *builder) scanAll(ctx context.Context, op *objPlan, step string, soqls []string, expect int64, flags uint8, keep func(bulk.Row, *colReader) bool) error {
	var cr *colReader
	return b.rd.queries(ctx, step, op.name, soqls, expect, func(row bulk.Row) error {
		if cr == nil || cr.header != row.Header {
			var err error
			if cr, err = op.ix.reader(row.Header); err != nil {
				return err
			}
		}
		if keep != nil && !keep(row, cr) {
			return nil
		}
		_, err := op.ix.add(cr, row, flags)
		return err
	})
}

// lookupIDs reads records by Id: in chunks, or by reading the whole object
// when there are many.
func (b *builder) lookupIDs(ctx context.Context, op *objPlan, ids []string) error {
	base := "SELECT " + selectList(op.cols) + " FROM " + op.name
	if len(ids) > scanThreshold {
		want := make(map[string]bool, len(ids))
		for _, id := range ids {
			want[id] = true
		}
		return b.scan(ctx, op, "lookup", base, -1, flagOutside, func(row bulk.Row, cr *colReader) bool {
			return want[row.Values[cr.id]]
		})
	}
	lits := make([]string, len(ids))
	for i, id := range ids {
		lits[i] = bulk.QuoteSOQL(id)
	}
	if err := b.scanAll(ctx, op, "lookup", where(base, inChunks("Id", lits)), int64(len(ids)), flagOutside, nil); err != nil {
		return fmt.Errorf("look up %s records by Id: %w", op.name, err)
	}
	return nil
}

// where makes a query of base for each condition.
func where(base string, conds []string) []string {
	out := make([]string, len(conds))
	for i, c := range conds {
		out[i] = base + " WHERE " + c
	}
	return out
}

// lookupKeys reads the records whose keys desired records have but the
// query over where did not return: in chunks of IN lists (OR-ed
// conditions for composite keys), or by reading the whole object when
// there are many.
func (b *builder) lookupKeys(ctx context.Context, op *objPlan, keys []pendingKey) error {
	if len(keys) == 0 {
		return nil
	}
	base := "SELECT " + selectList(op.cols) + " FROM " + op.name
	if len(keys) > scanThreshold {
		want := make(map[string]bool, len(keys))
		for _, k := range keys {
			want[k.key.norm] = true
		}
		return b.scan(ctx, op, "lookup", base, -1, flagOutside, func(row bulk.Row, cr *colReader) bool {
			return want[op.ix.normKeyFromRow(cr, row)]
		})
	}
	var conds []string
	seen := map[string]bool{}
	if len(op.keyFields) == 1 {
		var lits []string
		for _, k := range keys {
			if l := soqlLiteral(k.key.vals[0]); !seen[l] {
				seen[l] = true
				lits = append(lits, l)
			}
		}
		conds = inChunks(op.keyFields[0], lits)
	} else {
		var each []string
		for _, k := range keys {
			var parts []string
			for i, f := range op.keyFields {
				parts = append(parts, f+" = "+soqlLiteral(k.key.vals[i]))
			}
			c := strings.Join(parts, " AND ")
			if !seen[c] {
				seen[c] = true
				each = append(each, c)
			}
		}
		conds = orChunks(each)
	}
	if err := b.scanAll(ctx, op, "lookup", where(base, conds), int64(len(keys)), flagOutside, nil); err != nil {
		return fmt.Errorf("look up %s records by key: %w", op.name, err)
	}
	return nil
}

// lookupRelationship reads the parents that relationship cells name and
// that no plan knows: Id and the field, for the values in rp.want.
func (b *builder) lookupRelationship(ctx context.Context, rp *relPlan) error {
	if len(rp.want) == 0 {
		return nil
	}
	base := fmt.Sprintf("SELECT Id, %s FROM %s", rp.parentField, rp.parent)
	record := func(row bulk.Row) error {
		id, _ := row.Get("Id")
		text, _ := row.Get(rp.parentField)
		k := orgKeyText(rp.spec, rp.cs, text)
		if _, ok := rp.want[k]; !ok {
			return nil
		}
		a := rp.looked[k]
		a.count++
		if a.count == 1 {
			a.id = id
		}
		rp.looked[k] = a
		return nil
	}
	defer func() {
		// Every value asked for has its answer, found or not.
		for k := range rp.want {
			if _, ok := rp.looked[k]; !ok {
				rp.looked[k] = relAnswer{}
			}
		}
		rp.want = map[string]Value{}
	}()
	if len(rp.want) > scanThreshold {
		return b.rd.query(ctx, "lookup", rp.parent, base, -1, record)
	}
	var lits []string
	for _, v := range rp.want {
		lits = append(lits, soqlLiteral(v))
	}
	slices.Sort(lits)
	if err := b.rd.queries(ctx, "lookup", rp.parent, where(base, inChunks(rp.parentField, lits)), int64(len(rp.want)), record); err != nil {
		return fmt.Errorf("look up %s records by %s: %w", rp.parent, rp.parentField, err)
	}
	return nil
}
