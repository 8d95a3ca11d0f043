package planner

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/internal/sfid"
)

// deletes plans the deletes of each object by its mode: managed records
// (in state) that left the configuration, or — scoped — every record inside
// where that the configuration does not declare; never deletes nothing. The
// managed records of a removed object block are deleted. State records
// whose org record is gone, or that a never-deleting object no longer
// declares, are forgotten. Deletes that cascade to records sfsync knows are
// warned about.
func (b *builder) deletes(ctx context.Context) error {
	for _, op := range b.objects {
		mode, reason := hcl.DeleteManaged, LeftConfig
		if op.cfg == nil {
			reason = ObjectRemoved
		} else {
			mode = op.cfg.Delete
		}
		if op.ix != nil {
			var undeclared []int32
			for x := int32(0); int(x) < op.ix.Len(); x++ {
				if op.ix.idClaim[x] != 0 {
					continue // declared (or renamed): kept
				}
				r, managed := b.st.BindingByID(op.ix.ID(x))
				switch {
				case managed && mode == hcl.DeleteNever:
					op.forget = append(op.forget, r.Address)
					b.plan.Warnings = append(b.plan.Warnings, Warning{Address: r.Address, Message: fmt.Sprintf("no longer configured; %s has delete = \"never\", so %s stays in the org and apply forgets it", op.name, r.ID)})
				case managed:
					op.changes = append(op.changes, b.deleteChange(op, x, r.Address, reason))
				case mode == hcl.DeleteScoped && op.ix.flags[x]&flagOutside == 0:
					undeclared = append(undeclared, x)
				}
			}
			addrs := op.undeclaredAddresses(undeclared)
			for i, x := range undeclared {
				op.changes = append(op.changes, b.deleteChange(op, x, addrs[i], NotDeclared))
			}
		}
		for _, addr := range sortedKeys(op.gone) {
			if op.goneSeen[addr] {
				continue // inserted again
			}
			r := op.gone[addr]
			op.forget = append(op.forget, addr)
			b.plan.Warnings = append(b.plan.Warnings, Warning{Address: addr, Message: fmt.Sprintf("%s %s was deleted outside sfsync and is no longer configured; apply forgets it", op.name, r.ID)})
		}
	}
	return b.cascades(ctx)
}

func (b *builder) deleteChange(op *objPlan, x int32, addr string, reason Reason) Change {
	ch := Change{Action: Delete, Address: addr, Object: op.name, ID: op.ix.ID(x), SystemModstamp: op.ix.Modstamp(x), Reasons: []Reason{reason}}
	if len(op.keyFields) > 0 {
		ch.Key = op.orgKeyValues(x)
	}
	return ch
}

// undeclaredAddresses names org records the configuration does not
// declare (deleted by a scoped object). No record block or CSV row is
// theirs, so their addresses have no label: Account["STRAY-001"] by the
// org's key (composite keys joined with |, as for CSV rows), or
// Account[Id="001…"] when the key does not name the record alone — a key
// value is empty, the org has other records with the key, or two names
// would be the same.
func (op *objPlan) undeclaredAddresses(xs []int32) []string {
	out := make([]string, len(xs))
	count := map[string]int{}
	for i, x := range xs {
		if len(op.keyFields) == 0 || len(op.ix.lookupKey(op.ix.field(x, 0))) > 1 {
			continue
		}
		parts := make([]string, len(op.keyFields))
		for n := range op.keyFields {
			v := op.ix.Value(x, op.ix.key[n])
			if v.IsNull() {
				parts = nil
				break
			}
			parts[n] = v.Canonical()
		}
		if parts != nil {
			out[i] = op.name + "[" + hcl.QuoteKey(strings.Join(parts, hcl.KeySeparator)) + "]"
			count[out[i]]++
		}
	}
	for i, x := range xs {
		if out[i] == "" || count[out[i]] > 1 {
			out[i] = undeclaredIDAddress(op.name, op.ix.ID(x))
		}
	}
	return out
}

// undeclaredIDAddress names an org record the configuration does not
// declare by its Id: Account[Id="001…"].
func undeclaredIDAddress(object, id string) string {
	return object + `[Id="` + id + `"]`
}

// cascades adds to each delete (and replacement, which deletes the old
// record) the records Salesforce deletes with it: the children in every
// relationship to the deleted record's object that cascades on delete
// (describe's childRelationships[].cascadeDelete: Contacts of an Account,
// master-detail children). Children of an object the plan read whole are
// counted from what it read; the others — objects the configuration does
// not name, or names with a where that may leave children out — are
// counted with queries of the children's Ids, made only when the plan
// deletes something.
func (b *builder) cascades(ctx context.Context) error {
	for _, op := range b.objects {
		if op.schema == nil {
			continue
		}
		want := map[string]int{} // deleted record's Id → its change
		for i := range op.changes {
			if op.changes[i].Action == Delete || op.changes[i].Action == Replace {
				want[op.changes[i].ID] = i
			}
		}
		if len(want) == 0 {
			continue
		}
		for _, cr := range op.schema.d.ChildRelationships {
			if !cr.CascadeDelete {
				continue
			}
			found := map[int]*Cascade{}
			add := func(parentID, childID, object, field string) {
				i, ok := want[parentID]
				if !ok {
					return
				}
				c := found[i]
				if c == nil {
					c = &Cascade{Object: object, Field: field}
					found[i] = c
				}
				c.Count++
				if r, ok := b.st.BindingByID(childID); ok {
					c.Addresses = append(c.Addresses, r.Address)
				}
			}
			child := b.object(cr.ChildSObject)
			if child != nil && child.ix != nil && child.ix.full && child.ix.col(cr.Field) >= 0 {
				col := child.ix.col(cr.Field)
				name := child.schema.field(cr.Field).Name
				for x := int32(0); int(x) < child.ix.Len(); x++ {
					add(child.ix.Value(x, col).Canonical(), child.ix.ID(x), child.name, name)
				}
			} else if err := b.queryChildren(ctx, op.name, cr, slices.Sorted(maps.Keys(want)), add); err != nil {
				return err
			}
			for i, c := range found {
				op.changes[i].Cascade = append(op.changes[i].Cascade, *c)
			}
		}
	}
	return nil
}

// queryChildren reads the Ids of the children in relationship cr of the
// parent object's records parents (18-character Ids, sorted) and calls add for each: in
// chunks of IN lists, or by reading every child that has a parent when there
// are many parents. Children of an object the org does not let sfsync
// query or create (history, feeds) are not looked for: no one manages them
// as data. A query the org refuses is a warning, not a failed plan.
func (b *builder) queryChildren(ctx context.Context, parent string, cr bulk.ChildRelationship, parents []string, add func(parentID, childID, object, field string)) error {
	g, ok := b.global.Object(cr.ChildSObject)
	if !ok || !g.Queryable || !g.Createable {
		return nil
	}
	object, field := g.Name, cr.Field
	base := fmt.Sprintf("SELECT Id, %s FROM %s", field, object)
	row := func(row bulk.Row) error {
		id, _ := row.Get("Id")
		parent, _ := row.Get(field)
		if p, ok := sfid.Canonical(parent); ok {
			add(string(p[:]), sfid.To18(id), object, field)
		}
		return nil
	}
	queries := []string{base + " WHERE " + field + " != null"}
	expect := int64(-1) // unknown: a Bulk query
	if len(parents) <= scanThreshold {
		lits := make([]string, len(parents))
		for i, id := range parents {
			lits[i] = bulk.QuoteSOQL(id)
		}
		queries = where(base, inChunks(field, lits))
		expect = int64(len(parents))
	}
	// The chunks of one relationship are one step: one progress line.
	if err := b.rd.queries(ctx, "lookup", object, queries, expect, row); err != nil {
		if msg, ok := soqlError(err); ok {
			b.plan.Warnings = append(b.plan.Warnings, Warning{Message: fmt.Sprintf("could not look for the %s records that Salesforce deletes with the %s records this plan deletes (%s.%s): %s", object, parent, object, field, msg)})
			return nil
		}
		return fmt.Errorf("look up the %s records deleted with their %s: %w", object, parent, err)
	}
	return nil
}

// checkDeletes enforces the delete budgets: an object's max_deletes and
// the run's -max-deletes. A replacement deletes a record too, and counts
// as the closing line counts it.
func (b *builder) checkDeletes(ctx context.Context) error {
	var total Counts
	for _, o := range b.plan.Objects {
		c := o.Counts()
		total.add(c)
		if op := b.object(o.Object); op != nil && op.cfg != nil && op.cfg.MaxDeletes >= 0 && c.Delete > op.cfg.MaxDeletes {
			rng := op.cfg.DeclRange
			b.errorf(&rng, "Too many deletes", "The plan deletes %s of %s%s, more than max_deletes = %d allows. Check that the configuration is complete, or raise max_deletes.", records(c.Delete), o.Object, replacedNote(c), op.cfg.MaxDeletes)
		}
	}
	if b.opts.MaxDeletes >= 0 && total.Delete > b.opts.MaxDeletes {
		b.errorf(nil, "Too many deletes", "The plan deletes %s%s, more than -max-deletes=%d allows.", records(total.Delete), replacedNote(total), b.opts.MaxDeletes)
	}
	if b.diags.HasErrors() {
		return errDiags
	}
	return nil
}

// replacedNote says how many of the deletes counted in c are replacements.
func replacedNote(c Counts) string {
	if c.Replace == 0 {
		return ""
	}
	if c.Replace == c.Delete {
		if c.Replace == 1 {
			return " (a replacement: deleted, then inserted again)"
		}
		return " (all replacements: deleted, then inserted again)"
	}
	return fmt.Sprintf(" (%d of them replacements: deleted, then inserted again)", c.Replace)
}

// records counts records in words: "1 record", "2 records".
func records(n int) string {
	if n == 1 {
		return "1 record"
	}
	return fmt.Sprintf("%d records", n)
}
