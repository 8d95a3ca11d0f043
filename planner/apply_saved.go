package planner

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/state"
)

// StalePlanError refuses a saved plan because something it was made from
// moved since.
type StalePlanError struct {
	// Moved says what moved, one phrase each.
	Moved []string
}

// maxMoved is how many moves the error lists before counting the rest.
const maxMoved = 20

func (e *StalePlanError) Error() string {
	var b strings.Builder
	b.WriteString("the saved plan no longer matches what it was made from, so it was not applied:")
	for i, m := range e.Moved {
		if i == maxMoved {
			fmt.Fprintf(&b, "\n  … and %d more", len(e.Moved)-maxMoved)
			break
		}
		b.WriteString("\n  - " + m)
	}
	b.WriteString("\nMake a new plan (sfsync plan -out=FILE) and apply that.")
	return b.String()
}

// CheckSaved checks, before apply FILE writes anything, that the saved
// plan p still describes the org and the state: the org is the one the plan
// was made for; the state is the version the plan was made from (same
// lineage and serial); inputs (the hashes of the configuration, CSV and var
// files and variable values the command computes now) are those the plan
// was made from; every record it updates, deletes, adopts or rebinds still
// exists with the SystemModstamp the plan saw; and no record it inserts
// exists by key. What moved is returned as a *StalePlanError naming each
// thing; a nil error means the plan can be applied exactly as saved.
func CheckSaved(ctx context.Context, c *bulk.Client, s *state.State, p *Plan, inputs []Input) error {
	var moved []string
	if !sfid.Equal(p.OrgID, c.OrgID()) {
		return &StalePlanError{Moved: []string{fmt.Sprintf("the plan was made for org %s, but this run is connected to org %s", p.OrgID, c.OrgID())}}
	}
	switch {
	case p.Serial == 0 && s.Serial() != 0:
		moved = append(moved, fmt.Sprintf("the state was written since the plan was made (it had no state; now serial %d)", s.Serial()))
	case p.Serial != 0 && p.Lineage != s.Lineage():
		moved = append(moved, fmt.Sprintf("the state is another one than the plan was made from (lineage %s, the plan's %s)", s.Lineage(), p.Lineage))
	case p.Serial != s.Serial():
		moved = append(moved, fmt.Sprintf("another run wrote the state since the plan was made (serial %d then, %d now)", p.Serial, s.Serial()))
	}
	moved = append(moved, DiffInputs(p.Inputs, inputs)...)
	recs, err := checkModstamps(ctx, c, p)
	if err != nil {
		return err
	}
	moved = append(moved, recs...)
	keys, err := checkInsertKeys(ctx, c, p)
	if err != nil {
		return err
	}
	moved = append(moved, keys...)
	if len(moved) > 0 {
		return &StalePlanError{Moved: moved}
	}
	return nil
}

// idChunk is how many Ids or key values one check query names.
const idChunk = 200

// keyScanThreshold is the number of inserted keys of an object above which
// the check reads every key of the object instead of looking them up.
const keyScanThreshold = 2000

// checkModstamps reads the SystemModstamp of every record the plan touches
// by Id and names those that moved or are gone.
func checkModstamps(ctx context.Context, c *bulk.Client, p *Plan) ([]string, error) {
	var moved []string
	for _, o := range p.Objects {
		want := map[string]*Change{}
		for i := range o.Changes {
			ch := &o.Changes[i]
			if ch.ID == "" || ch.SystemModstamp.IsZero() || ch.Action == Insert || ch.Action == DeferredUpdate {
				continue
			}
			want[sfid.To18(ch.ID)] = ch
		}
		if len(want) == 0 {
			continue
		}
		seen := make(map[string]bool, len(want))
		ids := slices.Sorted(maps.Keys(want))
		for chunk := range slices.Chunk(ids, idChunk) {
			soql := fmt.Sprintf("SELECT Id, SystemModstamp FROM %s WHERE Id IN (%s)", o.Object, quoteAll(chunk))
			err := c.QueryEach(ctx, soql, bulk.QueryOptions{API: bulk.REST}, func(r bulk.Row) error {
				id, _ := r.Get("Id")
				id = sfid.To18(id)
				ch := want[id]
				if ch == nil {
					return nil
				}
				seen[id] = true
				text, _ := r.Get("SystemModstamp")
				stamp, err := bulk.ParseDateTime(text)
				if err != nil || !stamp.Equal(ch.SystemModstamp) {
					moved = append(moved, fmt.Sprintf("%s (%s) was changed in the org since the plan was made (SystemModstamp %s then, %s now)",
						ch.Address, id, ch.SystemModstamp.UTC().Format(time.RFC3339Nano), text))
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("check the saved plan's %s records: %w", o.Object, err)
			}
		}
		for _, id := range ids {
			if !seen[id] {
				moved = append(moved, fmt.Sprintf("%s (%s) no longer exists in the org", want[id].Address, id))
			}
		}
	}
	slices.Sort(moved)
	return moved, nil
}

// checkInsertKeys looks up the keys of the records the plan inserts and
// names those that now exist in the org. Keys that refer to records the
// plan inserts cannot exist yet and are not looked up.
func checkInsertKeys(ctx context.Context, c *bulk.Client, p *Plan) ([]string, error) {
	var moved []string
	for _, o := range p.Objects {
		var inserts []*Change
		for i := range o.Changes {
			ch := &o.Changes[i]
			if ch.Action == Insert && len(ch.Key) > 0 && !refersInKey(ch) {
				inserts = append(inserts, ch)
			}
		}
		if len(inserts) == 0 {
			continue
		}
		fields := make([]string, len(inserts[0].Key))
		for i, k := range inserts[0].Key {
			fields[i] = k.Field
		}
		d, err := c.Describe(ctx, o.Object)
		if err != nil {
			return nil, fmt.Errorf("check the saved plan's %s inserts: %w", o.Object, err)
		}
		cs := make([]bool, len(fields))
		specs := make([]FieldSpec, len(fields))
		for i, f := range fields {
			specs[i] = FieldSpec{Type: inserts[0].Key[i].Value.Type()}
			if df, ok := d.Field(f); ok {
				cs[i] = df.CaseSensitive
			}
		}
		keyOf := func(vals []Value) string {
			parts := make([]string, len(vals))
			for i, v := range vals {
				parts[i] = v.Key(cs[i])
			}
			return strings.Join(parts, "\x00")
		}
		byKey := map[string]*Change{}
		for _, ch := range inserts {
			if !sameKeyFields(ch.Key, fields) {
				continue
			}
			vals := make([]Value, len(ch.Key))
			for i, k := range ch.Key {
				vals[i] = k.Value
			}
			byKey[keyOf(vals)] = ch
		}
		// Look up by the first key field (IN lists), then compare whole keys.
		firstVals := map[string]Value{}
		for _, ch := range byKey {
			v := ch.Key[0].Value
			firstVals[v.Canonical()] = v
		}
		lits := make([]string, 0, len(firstVals))
		for _, k := range slices.Sorted(maps.Keys(firstVals)) {
			bv, err := bulkValue(firstVals[k])
			if err != nil {
				continue
			}
			lits = append(lits, bulk.SOQLLiteral(bv))
		}
		// Many keys: one key-only scan of the object through the Bulk API
		// costs less than hundreds of IN lists (each a scan of its own
		// unless the key field is indexed).
		queries := []string{fmt.Sprintf("SELECT Id, %s FROM %s", strings.Join(fields, ", "), o.Object)}
		api := bulk.Bulk2
		if len(lits) <= keyScanThreshold {
			queries, api = nil, bulk.REST
			for chunk := range slices.Chunk(lits, idChunk) {
				queries = append(queries, fmt.Sprintf("SELECT Id, %s FROM %s WHERE %s IN (%s)", strings.Join(fields, ", "), o.Object, fields[0], strings.Join(chunk, ",")))
			}
		}
		for _, soql := range queries {
			err := c.QueryEach(ctx, soql, bulk.QueryOptions{API: api}, func(r bulk.Row) error {
				vals := make([]Value, len(fields))
				for i, f := range fields {
					text, _ := r.Get(f)
					v, err := ParseOrg(specs[i], text)
					if err != nil {
						return nil
					}
					vals[i] = v
				}
				if ch := byKey[keyOf(vals)]; ch != nil {
					id, _ := r.Get("Id")
					moved = append(moved, fmt.Sprintf("%s, which the plan inserts, now exists in the org (%s, %s)", ch.Address, sfid.To18(id), describeKey(ch.Key)))
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("check the saved plan's %s inserts: %w", o.Object, err)
			}
		}
	}
	slices.SortFunc(moved, func(a, b string) int { return cmp.Compare(a, b) })
	return moved, nil
}

// refersInKey reports whether one of the insert's key fields refers to a
// record the plan inserts (known only after apply).
func refersInKey(ch *Change) bool {
	for _, f := range ch.Fields {
		if f.Ref == "" {
			continue
		}
		for _, k := range ch.Key {
			if k.Field == f.Field {
				return true
			}
		}
	}
	return false
}

func describeKey(key []KeyValue) string {
	parts := make([]string, len(key))
	for i, k := range key {
		parts[i] = k.Field + " = " + k.Value.Display()
	}
	return strings.Join(parts, ", ")
}

func quoteAll(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = bulk.QuoteSOQL(id)
	}
	return strings.Join(q, ",")
}
