package planner

import (
	"context"
	"fmt"
	"strings"
)

// replacements marks the existing records whose create-only fields change
// as replaced (-/+), on objects that allow it. A replaced record gets a new
// Id, so records whose create-only fields refer to it are replaced too:
// the marking repeats until nothing more changes. Objects that do not allow
// replacement get their errors when diffing.
func (b *builder) replacements(ctx context.Context) error {
	var ops []*objPlan
	for _, op := range b.objects {
		if op.cfg != nil && op.cfg.Replace && op.hasCreateOnly() {
			ops = append(ops, op)
		}
	}
	for changed := len(ops) > 0; changed; {
		changed = false
		res := b.cfg.NewResolver(b.lookupRef)
		for _, op := range ops {
			b.muted++
			b.eachDesired(op, res, false, func(d *desiredRec) {
				id := op.slot(d.ord)
				if !d.ok || id.org < 0 || id.kind == identUnknown || id.kind == identInsert || id.flags&flagReplace != 0 {
					return
				}
				for _, dv := range d.vals {
					if createOnly(dv.desc) && (dv.ref != "" || !op.ix.Value(id.org, op.ix.col(dv.field)).Equal(dv.v)) {
						id.flags |= flagReplace
						op.replaced[d.ord] = d.address()
						changed = true
						return
					}
				}
			})
			b.muted--
		}
	}
	return nil
}

// hasCreateOnly reports whether the configuration sets a create-only field
// of the object.
func (op *objPlan) hasCreateOnly() bool {
	for _, c := range op.cols {
		if f := op.schema.field(c); f != nil && createOnly(f) {
			return true
		}
	}
	return false
}

// diff compares every desired record with its org record and makes the
// plan's inserts, updates, adoptions, rebinds and replacements.
func (b *builder) diff(ctx context.Context) error {
	b.plan = &Plan{}
	for _, op := range b.objects {
		if op.cfg == nil {
			continue
		}
		b.progress(ProgressEvent{Step: "plan", Object: op.name})
		res := b.cfg.NewResolver(b.lookupRef)
		reqReported := map[*csvPlan]bool{}
		n := int64(0)
		b.eachDesired(op, res, true, func(d *desiredRec) {
			b.diffRecord(op, d, reqReported)
			if n++; n%100_000 == 0 {
				b.progress(ProgressEvent{Step: "plan", Object: op.name, Rows: n})
			}
		})
		b.progress(ProgressEvent{Step: "plan", Object: op.name, Rows: n, Done: true})
	}
	if b.diags.HasErrors() {
		return errDiags
	}
	return nil
}

// keyOf is the desired record's key values, in key order (null where the
// value is the Id of a record this plan inserts). org is the record's org
// record, or -1: a value that is the org's text is not among the parsed
// values.
func (op *objPlan) keyOf(d *desiredRec, org int32) []KeyValue {
	out := make([]KeyValue, 0, len(op.keyFields))
	for i, f := range op.keyFields {
		kv := KeyValue{Field: f, Value: Null(op.keySpecs[i].Type)}
		found := false
		for _, dv := range d.vals {
			if strings.EqualFold(dv.field, f) {
				kv.Value, found = dv.v, true
			}
		}
		if !found && org >= 0 {
			kv.Value = op.ix.Value(org, op.ix.key[i])
			if kv.Value.typ == TypeNumber || kv.Value.typ == TypeInteger {
				kv.Value.approx = false
			}
		}
		out = append(out, kv)
	}
	return out
}

func (b *builder) diffRecord(op *objPlan, d *desiredRec, reqReported map[*csvPlan]bool) {
	id := op.slot(d.ord)
	if !d.ok || id.kind == identUnknown {
		return // reported
	}
	rng := d.rng
	if id.kind == identInsert {
		if !op.schema.d.Createable {
			b.errorf(&rng, "Object cannot be inserted", "%s is a new record, but %s records cannot be created through the API.", d.address(), op.name)
			return
		}
		ch := Change{Action: Insert, Address: d.address(), Object: op.name, Key: op.keyOf(d, -1)}
		if id.flags&flagDeletedOutside != 0 {
			ch.Reasons = append(ch.Reasons, DeletedOutside)
		}
		set := map[string]bool{}
		for _, dv := range d.vals {
			set[strings.ToLower(dv.field)] = true
			if !dv.desc.Createable {
				r := dv.rng
				b.errorf(&r, "Field cannot be set on insert", "%s is a new record, but %s.%s can only be updated, not set when a record is created.", d.address(), op.name, dv.field)
				continue
			}
			ch.Fields = append(ch.Fields, FieldChange{Field: dv.field, Old: Null(dv.v.Type()), New: dv.v, Ref: dv.ref, Sensitive: dv.sensitive})
		}
		b.checkRequired(op, d, set, reqReported)
		op.changes = append(op.changes, ch)
		return
	}

	x := id.org
	ch := Change{
		Address:        d.address(),
		Object:         op.name,
		ID:             op.ix.ID(x),
		Key:            op.keyOf(d, id.org),
		SystemModstamp: op.ix.Modstamp(x),
	}
	replace := id.flags&flagReplace != 0
	ch.Unchanged = d.same
	for _, dv := range d.vals {
		col := op.ix.col(dv.field)
		if col < 0 {
			// An ignored field: never compared, written only when a
			// record is created.
			if replace {
				ch.Fields = append(ch.Fields, FieldChange{Field: dv.field, Old: Null(dv.v.Type()), New: dv.v, Ref: dv.ref, Sensitive: dv.sensitive})
			}
			continue
		}
		old := op.ix.Value(x, col)
		changed := dv.ref != "" || !old.Equal(dv.v)
		fc := FieldChange{Field: dv.field, Old: old, New: dv.v, Ref: dv.ref, Sensitive: dv.sensitive}
		switch {
		case replace:
			fc.ForcesReplacement = changed && createOnly(dv.desc)
			ch.Fields = append(ch.Fields, fc)
		case !changed:
			ch.Unchanged++
		case createOnly(dv.desc):
			r := dv.rng
			b.errorf(&r, "Create-only field changes", "%s.%s can be set only when a record is created, and %s (%s) has %s. To change it, set replace = true in object %q: the record is then deleted and inserted again (-/+).", d.address(), dv.field, d.address(), ch.ID, old.Display(), op.name)
		case !dv.desc.Updateable:
			r := dv.rng
			b.errorf(&r, "Field cannot be updated", "%s.%s cannot be changed on an existing record.", d.address(), dv.field)
		default:
			ch.Fields = append(ch.Fields, fc)
		}
	}
	switch {
	case replace:
		ch.Action = Replace
		if !op.schema.d.Deletable || !op.schema.d.Createable {
			b.errorf(&rng, "Record cannot be replaced", "%s must be replaced (a create-only field changes), but %s records cannot be deleted and created through the API.", d.address(), op.name)
		}
		set := map[string]bool{}
		for _, dv := range d.vals {
			set[strings.ToLower(dv.field)] = true
		}
		b.checkRequired(op, d, set, reqReported)
	case id.kind == identAdopt:
		ch.Action = Adopt
	case id.kind == identRebind:
		ch.Action, ch.From = Rebind, op.from[d.ord]
	case len(ch.Fields) == 0:
		op.unchanged++
		return
	default:
		ch.Action = Update
	}
	if ch.Action != Replace && len(ch.Fields) > 0 && !op.schema.d.Updateable {
		b.errorf(&rng, "Object cannot be updated", "%s differs from the org, but %s records cannot be updated through the API.", d.address(), op.name)
	}
	if id.flags&flagOutsideWhere != 0 {
		ch.Reasons = append(ch.Reasons, OutsideWhere)
		b.plan.Warnings = append(b.plan.Warnings, Warning{Address: d.address(), Message: fmt.Sprintf("found outside where (%s); %s", op.cfg.Where, outsidePlanned(&ch))})
	}
	if id.flags&flagKeyRestored != 0 {
		ch.Reasons = append(ch.Reasons, KeyRestored)
	}
	if id.flags&flagDeletedOutside != 0 {
		ch.Reasons = append(ch.Reasons, DeletedOutside)
	}
	if ch.Action != Replace {
		ch.UnchangedValues = b.unchangedValues(op, d, x)
	}
	op.changes = append(op.changes, ch)
}

// outsidePlanned says how a record found outside where is planned.
func outsidePlanned(ch *Change) string {
	switch {
	case ch.Action == Replace:
		return "planned as a replacement of that record, never as a second insert"
	case ch.ChangedFields() > 0:
		return "planned as an update, never as a second insert"
	case ch.Action == Rebind:
		return "re-bound to this address without an org write, never inserted a second time"
	}
	return "adopted without an org write, never inserted a second time"
}

// unchangedValues are the desired values of the managed fields of d that
// its org record x already has (Change.UnchangedValues): those diffRecord
// found equal, and the CSV cells eachDesired did not parse because their
// text is the org's. It is called only for a record that gets a change, so
// that a plan of records that are all up to date parses nothing more. Nil
// (the hash unknown) if a skipped cell does not read as a value after all.
func (b *builder) unchangedValues(op *objPlan, d *desiredRec, x int32) []KeyValue {
	if len(d.vals)+len(d.skipped) == 0 {
		return nil
	}
	out := make([]KeyValue, 0, len(d.vals)+len(d.skipped))
	for _, dv := range d.vals {
		if col := op.ix.col(dv.field); col >= 0 && dv.ref == "" && op.ix.Value(x, col).Equal(dv.v) {
			out = append(out, KeyValue{Field: dv.field, Value: dv.v})
		}
	}
	// The org holds these very texts, so they fit their fields: whatever
	// a check would say of them was not said while planning, and is not
	// now.
	b.muted++
	defer func() { b.muted-- }()
	for _, i := range d.skipped {
		dv, ok := b.cellValue(op, d.csv, d.row, i)
		if !ok {
			return nil
		}
		out = append(out, KeyValue{Field: dv.field, Value: dv.v})
	}
	return out
}

// checkRequired reports required fields that a record to be created does
// not set. A CSV file without the column is reported once.
func (b *builder) checkRequired(op *objPlan, d *desiredRec, set map[string]bool, reported map[*csvPlan]bool) {
	var missing []string
	for i := range op.schema.d.Fields {
		f := &op.schema.d.Fields[i]
		if f.Required() && !set[strings.ToLower(f.Name)] {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) == 0 {
		return
	}
	if d.csv != nil {
		if reported[d.csv] {
			return
		}
		reported[d.csv] = true
		rng := d.csv.src.Range
		b.errorf(&rng, "Required field missing", "%s creates %s records (%s is the first), which need %s, but the file has no such column.", d.csv.src.Path, op.name, d.address(), strings.Join(missing, ", "))
		return
	}
	rng := d.rng
	b.errorf(&rng, "Required field missing", "%s is a new %s record, which needs %s.", d.address(), op.name, strings.Join(missing, " and "))
}
