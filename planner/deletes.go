package planner

import (
	"context"
	"fmt"
	"strings"

	"github.com/sfsync/sfsync/hcl"
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
	b.cascades()
	return nil
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

// cascades adds to each delete the records Salesforce deletes with it that
// sfsync read: children of configured objects whose relationship to the
// deleted record's object cascades.
func (b *builder) cascades() {
	for _, op := range b.objects {
		if op.schema == nil {
			continue
		}
		var dels []int
		for i := range op.changes {
			if op.changes[i].Action == Delete || op.changes[i].Action == Replace {
				dels = append(dels, i)
			}
		}
		if len(dels) == 0 {
			continue
		}
		for _, cr := range op.schema.d.ChildRelationships {
			if !cr.CascadeDelete {
				continue
			}
			child := b.object(cr.ChildSObject)
			if child == nil || child.ix == nil {
				continue
			}
			col := child.ix.col(cr.Field)
			if col < 0 {
				continue
			}
			want := map[string]int{}
			for _, i := range dels {
				want[op.changes[i].ID] = i
			}
			found := map[int]*Cascade{}
			for x := int32(0); int(x) < child.ix.Len(); x++ {
				parent := child.ix.Value(x, col)
				i, ok := want[parent.Canonical()]
				if !ok {
					continue
				}
				c := found[i]
				if c == nil {
					c = &Cascade{Object: child.name, Field: child.schema.field(cr.Field).Name}
					found[i] = c
				}
				c.Count++
				if r, ok := b.st.BindingByID(child.ix.ID(x)); ok {
					c.Addresses = append(c.Addresses, r.Address)
				}
			}
			for i, c := range found {
				op.changes[i].Cascade = append(op.changes[i].Cascade, *c)
			}
		}
	}
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
