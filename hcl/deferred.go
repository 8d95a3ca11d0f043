package hcl

import (
	"fmt"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Deferred is a field value that depends on something only the planner
// knows: the Id of another record, or a field of a data lookup's record.
// It names what it waits for, and evaluates once the planner knows them.
type Deferred struct {
	// Refs are the references the value depends on, directly or through
	// other fields it refers to, sorted.
	Refs []Ref

	rec   *Record
	field *Field
	ev    *evaluator
	bare  bool
}

// Ref reports whether the value is a bare reference, such as
// Account.acme.Id or data.RecordType.partner.Id, and returns it: the
// value is then exactly the referenced value — a lookup field.
func (d *Deferred) Ref() (Ref, bool) {
	if d.bare {
		return d.Refs[0], true
	}
	return Ref{}, false
}

// Expr is the expression as written.
func (d *Deferred) Expr() hclv2.Expression { return d.field.Decl.Expr }

// String is the expression's source text, e.g. `Account.acme.Id`.
func (d *Deferred) String() string {
	rng := d.field.Decl.ValueRange
	if f := d.ev.cfg.Files[rng.Filename]; f != nil && rng.End.Byte <= len(f.Bytes) && rng.Start.Byte <= rng.End.Byte {
		return string(f.Bytes[rng.Start.Byte:rng.End.Byte])
	}
	return fmt.Sprintf("(known after apply: %d references)", len(d.Refs))
}

// Eval evaluates the value with lookup answering its references. See
// Resolver; Eval is a Resolver used once.
func (d *Deferred) Eval(lookup func(Ref) cty.Value) (cty.Value, hclv2.Diagnostics) {
	return d.ev.cfg.NewResolver(lookup).Eval(d)
}

// Resolver evaluates deferred values for the planner. lookup answers each
// Ref: the record's Id as a string, a data lookup's field value, or an
// unknown value (cty.UnknownVal(cty.String)) for an Id that exists only
// after apply — the result is then unknown too. A Resolver caches values;
// make a new one when lookup's answers change.
type Resolver struct {
	s *session
}

// NewResolver returns a Resolver answering references with lookup.
func (c *Config) NewResolver(lookup func(Ref) cty.Value) *Resolver {
	return &Resolver{s: &session{ev: c.ev, lookup: lookup, cache: map[*Field]cty.Value{}, busy: map[*Field]bool{}}}
}

// Eval returns the deferred value: normalized like a known Field.Value
// ("" is null), without marks, or unknown when lookup answered unknown.
func (r *Resolver) Eval(d *Deferred) (cty.Value, hclv2.Diagnostics) {
	r.s.diags = nil
	v := r.s.planField(d.rec, d.field)
	diags := r.s.diags
	r.s.diags = nil
	if v.HasMark(poisonMark{}) {
		if !diags.HasErrors() {
			diags = append(diags, &hclv2.Diagnostic{Severity: hclv2.DiagError, Summary: "Cannot evaluate field", Detail: fmt.Sprintf("%s.%s could not be evaluated.", d.rec.Addr, d.field.Decl.Name), Subject: d.field.Decl.ValueRange.Ptr()})
		}
		return cty.NilVal, diags
	}
	v, _ = v.UnmarkDeep()
	if !v.IsWhollyKnown() {
		return cty.UnknownVal(cty.String), diags
	}
	nv, problem := normalizeFieldValue(v)
	if problem != "" {
		diags = append(diags, &hclv2.Diagnostic{Severity: hclv2.DiagError, Summary: "Invalid field value", Detail: fmt.Sprintf("%s.%s: %s", d.rec.Addr, d.field.Decl.Name, problem), Subject: d.field.Decl.ValueRange.Ptr()})
		return cty.NilVal, diags
	}
	return nv, diags
}

// planField is a field's value at plan time, as references see it.
func (s *session) planField(r *Record, f *Field) cty.Value {
	if f.Deferred == nil {
		return f.marked
	}
	if v, ok := s.cache[f]; ok {
		return v
	}
	if s.busy[f] {
		// Loading rejected every cycle; this only guards a configuration
		// loaded with errors.
		return poisoned()
	}
	s.busy[f] = true
	v := s.eval(f.Decl.Expr, &scope{what: "a field", rec: r, records: true})
	delete(s.busy, f)
	s.cache[f] = v
	return v
}
