package planner

import (
	"context"
	"fmt"
	"slices"
	"strings"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/sfsync/sfsync/hcl"
)

// identify decides, for every desired record, which org record it is —
// design.md's identity rules: the Id state binds its address to first, then
// its key (looked up outside where when the query did not return it), so
// that an existing record is adopted rather than duplicated, a renamed
// label re-binds, and an edited key is an update. Objects whose keys refer
// to other objects' records come after those objects.
func (b *builder) identify(ctx context.Context) error {
	order, err := b.keyOrder()
	if err != nil {
		return err
	}
	for _, d := range b.cfg.Edges() {
		if !d.To.IsData() && d.To.Record.Label == hcl.CSVLabel {
			if op := b.object(d.To.Record.Object); op != nil {
				op.csvRefs[d.To.Record] = 0
			}
		}
	}
	res := b.cfg.NewResolver(b.lookupRef)
	for _, op := range order {
		if err := b.identifyObject(ctx, op, res); err != nil {
			return err
		}
	}
	// A record block may refer to a CSV row that no file has (found here
	// when the configuration was loaded without reading the rows).
	for _, e := range b.cfg.Edges() {
		if e.To.IsData() || e.To.Record.Label != hcl.CSVLabel {
			continue
		}
		if op := b.object(e.To.Record.Object); op != nil && op.csvRefs[e.To.Record] == 0 {
			rng := e.Range
			b.errorf(&rng, "Reference to undeclared record", "No row of %s's records_csv has the key %s, so %s does not exist.", op.name, hcl.QuoteKey(e.To.Record.Key), e.To.Record)
		}
	}
	return nil
}

// maxRowDiags caps the bad-row diagnostics reported per CSV file.
const maxRowDiags = 20

// keyOrder orders the configured objects so that an object whose key
// fields refer to another object's records comes after it.
func (b *builder) keyOrder() ([]*objPlan, error) {
	deps := map[*objPlan]map[*objPlan]bool{}
	add := func(from, to *objPlan) {
		if from == nil || to == nil || from == to {
			return
		}
		if deps[from] == nil {
			deps[from] = map[*objPlan]bool{}
		}
		deps[from][to] = true
	}
	for _, e := range b.cfg.Edges() {
		if e.Key && !e.To.IsData() {
			add(b.object(e.From.Object), b.object(e.To.Record.Object))
		}
	}
	for _, op := range b.objects {
		for _, cp := range op.csv {
			for _, c := range cp.cols {
				if c.key && c.rel != nil {
					if strings.EqualFold(c.rel.parent, op.name) {
						rng := c.rng
						b.errorf(&rng, "Key refers to its own object", "Column %s is a key field of %s that names another %s record; records_csv rows cannot be keyed on records of their own object. Key them on their own fields.", cp.src.Columns[slices.Index(cp.cols, c)].Name, op.name, op.name)
						continue
					}
					add(op, b.object(c.rel.parent))
				}
			}
		}
	}
	var order []*objPlan
	state := map[*objPlan]int{} // 1 visiting, 2 done
	var cycle []string
	var visit func(op *objPlan) bool
	visit = func(op *objPlan) bool {
		switch state[op] {
		case 1:
			cycle = append(cycle, op.name)
			return false
		case 2:
			return true
		}
		state[op] = 1
		var tos []*objPlan
		for to := range deps[op] {
			tos = append(tos, to)
		}
		slices.SortFunc(tos, func(a, c *objPlan) int { return strings.Compare(a.name, c.name) })
		for _, to := range tos {
			if !visit(to) {
				cycle = append(cycle, op.name)
				return false
			}
		}
		state[op] = 2
		order = append(order, op)
		return true
	}
	for _, op := range b.objects {
		if op.cfg != nil && !visit(op) {
			rng := op.cfg.KeyRange
			b.errorf(&rng, "Key fields refer to each other's objects", "The key fields of %s refer to records of each other's objects, so sfsync cannot find either object's records first. Key one of them on fields that do not refer to records.", strings.Join(cycle, ", "))
			return nil, errDiags
		}
	}
	if b.diags.HasErrors() {
		return nil, errDiags
	}
	return order, nil
}

// lookupRef answers a deferred value's references: a record's Id when the
// record exists and keeps its Id, unknown when this plan inserts or
// replaces it; a data lookup's field.
func (b *builder) lookupRef(r hcl.Ref) cty.Value {
	if r.IsData() {
		if d := b.data[r.DataObject+"."+r.DataName]; d != nil {
			if v, ok := d.values[strings.ToLower(r.Field)]; ok {
				return v
			}
		}
		return cty.UnknownVal(cty.String)
	}
	if id, ok := b.existingID(r.Record); ok {
		return cty.StringVal(id)
	}
	return cty.UnknownVal(cty.String)
}

// existingID is the Id of a desired record that exists in the org and
// keeps its Id.
func (b *builder) existingID(a hcl.Address) (string, bool) {
	op := b.object(a.Object)
	if op == nil {
		return "", false
	}
	ord := b.ordOf(op, a)
	if ord == 0 {
		return "", false
	}
	d := op.slot(ord)
	if d.org < 0 || d.flags&(flagReplace|flagPending) != 0 || d.kind == identUnknown {
		return "", false
	}
	return op.ix.ID(d.org), true
}

// ordOf is the ordinal of a record block, or of a CSV row a record block
// refers to (0 until the row is seen).
func (b *builder) ordOf(op *objPlan, a hcl.Address) uint32 {
	if a.Label == hcl.CSVLabel {
		return op.csvRefs[a]
	}
	r := b.cfg.Record(a)
	if r == nil {
		return 0
	}
	i, ok := op.blockAt[r]
	if !ok {
		return 0
	}
	return op.ordBase + 1 + uint32(i)
}

func (b *builder) identifyObject(ctx context.Context, op *objPlan, res *hcl.Resolver) error {
	b.progress(ProgressEvent{Step: "match", Object: op.name})
	for _, i := range b.blockOrder(op) {
		r := op.cfg.Records[i]
		ord := op.ordBase + 1 + uint32(i)
		key, rng, ok := b.blockKey(op, r, res)
		if !ok {
			continue
		}
		b.identifyOne(op, pendingKey{ord: ord, addr: r.Addr.String(), key: key, rng: rng})
	}
	for _, cp := range op.csv {
		if err := b.prepareKeyRelationships(ctx, op, cp); err != nil {
			return err
		}
		cp.base = op.nextOrd
		bad, last := 0, 0
		for row, diags := range cp.src.Rows() {
			if diags != nil {
				// Bad rows, when the configuration was loaded without
				// reading them: reported as validate reports them.
				if bad++; bad <= maxRowDiags {
					b.diags = append(b.diags, diags...)
				}
				last++
				continue
			}
			last = row.Number
			ord := cp.base + uint32(row.Number)
			if _, ok := op.csvRefs[row.Addr]; ok {
				op.csvRefs[row.Addr] = ord
			}
			b.collectRelationships(cp, row)
			key, rng, ok := b.rowKey(op, cp, row)
			if !ok {
				continue
			}
			b.identifyOne(op, pendingKey{ord: ord, addr: row.Addr.String(), key: key, rng: rng})
		}
		if bad > maxRowDiags {
			rng := cp.src.Range
			b.errorf(&rng, "More bad CSV rows", "%s has %d more bad rows that are not shown.", cp.src.Path, bad-maxRowDiags)
		}
		op.nextOrd = cp.base + uint32(last)
	}
	// The desired records whose keys the query over where did not find
	// are looked up outside it; a record found there is an update, with a
	// warning.
	if len(op.pending) > 0 {
		pending := op.pending
		op.pending = nil
		if err := b.lookupKeys(ctx, op, pending); err != nil {
			return err
		}
		for _, p := range pending {
			op.slot(p.ord).flags &^= flagPending
			b.matchKey(op, p, true)
		}
	}
	// Records that lost a claim by key to the state binding of another
	// address are inserted: that address keeps the org record.
	for len(op.recheck) > 0 {
		rc := op.recheck
		op.recheck = nil
		for _, p := range rc {
			b.matchKey(op, p, true)
		}
	}
	for x := range op.tentative {
		op.slot(op.tentative[x].ord).flags &^= flagTentative
	}
	op.tentative = map[int32]pendingKey{}
	b.progress(ProgressEvent{Step: "match", Object: op.name, Done: true})
	return nil
}

// blockOrder orders an object's record blocks so that a block whose key
// refers to another block of the same object comes after it.
func (b *builder) blockOrder(op *objPlan) []int {
	deps := map[int][]int{}
	for _, e := range b.cfg.Edges() {
		if !e.Key || e.To.IsData() || !strings.EqualFold(e.From.Object, op.name) || !strings.EqualFold(e.To.Record.Object, op.name) {
			continue
		}
		from, to := b.cfg.Record(e.From), b.cfg.Record(e.To.Record)
		if from == nil || to == nil {
			continue
		}
		deps[op.blockAt[from]] = append(deps[op.blockAt[from]], op.blockAt[to])
	}
	var order []int
	done := make([]bool, len(op.cfg.Records))
	var visit func(i int)
	visit = func(i int) {
		if done[i] {
			return
		}
		done[i] = true // hcl rejects key cycles
		for _, j := range deps[i] {
			visit(j)
		}
		order = append(order, i)
	}
	for i := range op.cfg.Records {
		visit(i)
	}
	return order
}

// blockKey computes a record block's key.
func (b *builder) blockKey(op *objPlan, r *hcl.Record, res *hcl.Resolver) (keyVals, hclv2.Range, bool) {
	vals := make([]Value, len(op.keyFields))
	known, ok := true, true
	var rng hclv2.Range
	for i, kf := range op.keyFields {
		f := r.Field(kf)
		if f == nil {
			b.errorf(r.Decl.DeclRange.Ptr(), "Missing key field", "%s does not set %s, a key field of %s.", r.Addr, kf, op.name)
			ok = false
			continue
		}
		if i == 0 {
			rng = f.Range()
		}
		// A bad value is reported when diffing, with the record's other
		// values.
		b.muted++
		dv, good := b.blockValue(op, r, f, op.schema.field(kf), res)
		b.muted--
		if !good {
			ok = false
			continue
		}
		if dv.ref != "" {
			known = false
		}
		vals[i] = dv.v
	}
	return op.makeKey(vals, known), rng, ok
}

// rowKey computes a CSV row's key.
func (b *builder) rowKey(op *objPlan, cp *csvPlan, row *hcl.Row) (keyVals, hclv2.Range, bool) {
	vals := make([]Value, len(op.keyFields))
	known, ok := true, true
	var rng hclv2.Range
	for n, kf := range op.keyFields {
		i := slices.IndexFunc(cp.cols, func(c csvCol) bool { return c.key && strings.EqualFold(c.field, kf) })
		if i < 0 {
			ok = false
			continue
		}
		if n == 0 {
			rng = row.CellRange(i)
		}
		b.muted++
		dv, good := b.cellValue(op, cp, row, i)
		b.muted--
		if !good {
			ok = false
			continue
		}
		if dv.ref != "" {
			known = false
		}
		vals[n] = dv.v
	}
	return op.makeKey(vals, known), rng, ok
}

// identifyOne decides which org record the desired record p is.
func (b *builder) identifyOne(op *objPlan, p pendingKey) {
	id := op.slot(p.ord)
	*id = ident{org: -1}
	if st, ok := b.st.Binding(p.addr); ok && strings.EqualFold(st.Object, op.name) {
		if x, found := op.ix.byIDText(st.ID); found {
			if prev := op.ix.idClaim[x]; prev != 0 && prev != p.ord {
				// Only a claim by key can precede this one: the record
				// stays with the address state binds it to.
				if t, ok := op.tentative[x]; ok && t.ord == prev {
					delete(op.tentative, x)
					delete(op.from, prev)
					*op.slot(prev) = ident{org: -1}
					op.recheck = append(op.recheck, t)
				}
			}
			op.ix.idClaim[x] = p.ord
			id.org, id.kind = x, identState
			if op.ix.flags[x]&flagOutside != 0 {
				id.flags |= flagOutsideWhere
			}
			if p.key.known {
				b.registerKey(op, p)
				if !op.ix.keyIs(x, p.key.norm) && b.stateKeyNorm(op, p.addr) == p.key.norm {
					// The configuration still has the key state recorded:
					// someone edited it in the org.
					id.flags |= flagKeyRestored
				}
			}
			return
		}
		if _, gone := op.gone[p.addr]; gone {
			op.goneSeen[p.addr] = true
			id.flags |= flagDeletedOutside
		}
	}
	b.matchKey(op, p, op.ix.full)
}

// stateKeyNorm is the normalized form of the key values state recorded for
// address.
func (b *builder) stateKeyNorm(op *objPlan, address string) string {
	rec, _ := b.st.Record(address)
	key := rec.Key
	vals := make([]Value, len(op.keyFields))
	for i, f := range op.keyFields {
		text, ok := key[f]
		if !ok {
			for k, v := range key {
				if strings.EqualFold(k, f) {
					text, ok = v, true
				}
			}
		}
		if !ok {
			return "\x00missing"
		}
		v, err := ParseCell(op.keySpecs[i], text)
		if err != nil {
			return "\x00invalid"
		}
		vals[i] = v
	}
	return op.makeKey(vals, true).norm
}

// matchKey finds the desired record p's org record by key. final says
// that a key the index does not have is not in the org.
func (b *builder) matchKey(op *objPlan, p pendingKey, final bool) {
	id := op.slot(p.ord)
	id.org = -1
	if !p.key.known {
		// A key value is the Id of a record this plan inserts: no org
		// record can have it yet.
		id.kind = identInsert
		op.inserted[p.ord] = p.addr
		return
	}
	ms := op.ix.lookupKey(p.key.norm)
	if len(ms) > 1 {
		var ids []string
		for _, x := range ms {
			ids = append(ids, op.ix.ID(x))
		}
		rng := p.rng
		b.errorf(&rng, "Duplicate key in the org", "%s has the key %s, which %d %s records in the org share: %s. Keys must be unique in the org: fix the duplicates there, or key %s on fields that are unique.", p.addr, op.describeKey(p.key.vals), len(ms), op.name, strings.Join(ids, ", "), op.name)
		id.kind = identUnknown
		return
	}
	if len(ms) == 1 {
		x := ms[0]
		if kc := op.ix.keyClaim[x]; kc != 0 && kc != p.ord {
			b.duplicate(op, p, kc)
			id.kind = identUnknown
			return
		}
		op.ix.keyClaim[x] = p.ord
		if claimer := op.ix.idClaim[x]; claimer != 0 && claimer != p.ord {
			// Another address is bound to this record in state and keeps
			// it (changing its key): this one is a new record.
			id.kind = identInsert
			op.inserted[p.ord] = p.addr
			return
		}
		id.org = x
		if bound, ok := b.st.BindingByID(op.ix.ID(x)); ok && bound.Address != p.addr {
			id.kind = identRebind
			op.from[p.ord] = bound.Address
			// Until every address of the object has claimed its state
			// binding, the address state names may still take it back.
			op.tentative[x] = p
			id.flags |= flagTentative
		} else {
			id.kind = identAdopt
		}
		op.ix.idClaim[x] = p.ord
		if op.ix.flags[x]&flagOutside != 0 {
			id.flags |= flagOutsideWhere
		}
		return
	}
	if !final {
		id.flags |= flagPending
		op.pending = append(op.pending, p)
		return
	}
	if prev, ok := op.newKeys[p.key.norm]; ok && prev != p.ord {
		b.duplicate(op, p, prev)
		id.kind = identUnknown
		return
	}
	op.newKeys[p.key.norm] = p.ord
	id.kind = identInsert
	op.inserted[p.ord] = p.addr
}

// registerKey records the key a desired record bound by state wants, so
// that two desired records with one key are found.
func (b *builder) registerKey(op *objPlan, p pendingKey) {
	if ms := op.ix.lookupKey(p.key.norm); len(ms) > 0 {
		x := ms[0]
		if kc := op.ix.keyClaim[x]; kc != 0 && kc != p.ord {
			b.duplicate(op, p, kc)
			return
		}
		op.ix.keyClaim[x] = p.ord
		return
	}
	if prev, ok := op.newKeys[p.key.norm]; ok && prev != p.ord {
		b.duplicate(op, p, prev)
		return
	}
	op.newKeys[p.key.norm] = p.ord
}

func (b *builder) duplicate(op *objPlan, p pendingKey, other uint32) {
	rng := p.rng
	b.errorf(&rng, "Duplicate key values", "%s and %s have the same key (%s) as Salesforce compares keys%s. Keys must be unique within an object, since records are matched to the org by key.", p.addr, op.describeOrd(other), op.describeKey(p.key.vals), caseNote(op))
	op.slot(p.ord).kind = identUnknown
}

// caseNote explains, for objects with case-insensitive text keys, why keys
// that differ in case are the same.
func caseNote(op *objPlan) string {
	for i, s := range op.keySpecs {
		if (s.Type == TypeText || s.Type == TypePicklist) && !op.keyCS[i] {
			return fmt.Sprintf(" (%s is not case-sensitive)", op.keyFields[i])
		}
	}
	return ""
}
