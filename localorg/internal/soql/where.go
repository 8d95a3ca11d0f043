package soql

import (
	"strconv"
	"strings"

	"github.com/sfsync/sfsync/internal/sfid"
)

// Field type families, as far as filtering is concerned.
func isText(t string) bool {
	switch t {
	case "string", "textarea", "email", "phone", "url", "picklist", "combobox", "encryptedstring":
		return true
	}
	return false
}

func isNumber(t string) bool {
	switch t {
	case "int", "long", "double", "currency", "percent":
		return true
	}
	return false
}

func isID(t string) bool { return t == "id" || t == "reference" }

// soapType is how Salesforce's filter errors name a field type.
func soapType(t string) string {
	switch {
	case isText(t), t == "multipicklist":
		return "string"
	case t == "int":
		return "integer"
	case t == "long":
		return "long"
	case isNumber(t):
		return "double"
	case t == "datetime":
		return "dateTime"
	case isID(t):
		return "id"
	}
	return t
}

// condition compiles a WHERE expression. Salesforce's logic is two-valued:
// a comparison on a null field is simply false, so NOT of it is true. SQL's
// NULL would make NOT unknown, hence NOT IFNULL(…, 0).
func (c *compiler) condition(s *scope, cond Condition) (string, *Error) {
	switch x := cond.(type) {
	case *And:
		return c.terms(s, x.Terms, " AND ")
	case *Or:
		return c.terms(s, x.Terms, " OR ")
	case *Not:
		inner, err := c.condition(s, x.X)
		if err != nil {
			return "", err
		}
		return "NOT IFNULL(" + inner + ", 0)", nil
	case *Comparison:
		return c.comparison(s, x)
	}
	return "", errUnexpected(c.src, 0, "?")
}

func (c *compiler) terms(s *scope, terms []Condition, sep string) (string, *Error) {
	parts := make([]string, 0, len(terms))
	for _, t := range terms {
		p, err := c.condition(s, t)
		if err != nil {
			return "", err
		}
		parts = append(parts, p)
	}
	return "(" + strings.Join(parts, sep) + ")", nil
}

// arg adds a bound argument and returns its numbered placeholder: numbered,
// so that the text may be assembled in another order than the arguments.
func (c *compiler) arg(v any) string {
	c.args = append(c.args, v)
	return "?" + strconv.Itoa(len(c.args))
}

// operand is a literal converted for one field: a point, a range of
// instants or days [lo, hi), or null.
type operand struct {
	null    bool
	isRange bool
	v       any
	lo, hi  any
}

func (c *compiler) comparison(s *scope, x *Comparison) (string, *Error) {
	if x.Func != nil {
		return "", c.errNotSupported(x.Func.Pos, "the function "+strings.ToUpper(x.Func.Name)+"()")
	}
	b, err := c.resolve(s, x.Field)
	if err != nil {
		return "", err
	}
	f := b.field
	if !f.Filterable || f.Column == "" {
		// Real wording.
		return "", errorAt(c.src, x.Field.Pos(), CodeInvalidField, "field '%s' can not be filtered in a query call", f.Name)
	}
	if sj, ok := x.Value.(*SemiJoin); ok {
		return c.semiJoin(s, b, x, sj)
	}
	if err := c.checkOperator(b, x); err != nil {
		return "", err
	}
	col := b.col()
	coll := c.collate(f)

	if x.Op == OpLike {
		str, ok := x.Value.(*String)
		if !ok {
			if _, isNull := x.Value.(*Null); isNull {
				return "0", nil
			}
			return "", c.errValueType(f, x.Value)
		}
		return fnLike + "(" + col + ", " + c.arg(str.Pattern) + ")", nil
	}
	if f.Type == "multipicklist" {
		return c.multipicklist(b, x)
	}
	if list, ok := x.Value.(*List); ok {
		var points []string
		var alts []string
		for _, v := range list.Values {
			o, err := c.operand(f, v)
			if err != nil {
				return "", err
			}
			switch {
			case o.null:
				alts = append(alts, col+" IS NULL")
			case o.isRange:
				alts = append(alts, c.rangeCmp(col, OpEq, o))
			default:
				points = append(points, c.arg(o.v))
			}
		}
		if len(points) > 0 {
			alts = append([]string{col + coll + " IN (" + strings.Join(points, ", ") + ")"}, alts...)
		}
		expr := "(" + strings.Join(alts, " OR ") + ")"
		if x.Op == OpNotIn {
			// NOT IN, like !=, also matches null.
			return "NOT IFNULL(" + expr + ", 0)", nil
		}
		return expr, nil
	}
	o, err := c.operand(f, x.Value)
	if err != nil {
		return "", err
	}
	switch {
	case o.null:
		switch x.Op {
		case OpEq:
			return col + " IS NULL", nil
		case OpNe:
			return col + " IS NOT NULL", nil
		}
		return "0", nil // x < null: nothing is less than null
	case o.isRange:
		return c.rangeCmp(col, x.Op, o), nil
	}
	sqlOp := map[Op]string{OpEq: " = ", OpNe: " <> ", OpLt: " < ", OpLe: " <= ", OpGt: " > ", OpGe: " >= "}[x.Op]
	expr := col + coll + sqlOp + c.arg(o.v)
	if x.Op == OpNe {
		// != also matches null.
		return "(" + expr + " OR " + col + " IS NULL)", nil
	}
	return expr, nil
}

// rangeCmp compares a date or datetime column with a range [lo, hi): equal
// means inside it, less means before it starts, greater means after it
// ends.
func (c *compiler) rangeCmp(col string, op Op, o operand) string {
	switch op {
	case OpEq:
		return "(" + col + " >= " + c.arg(o.lo) + " AND " + col + " < " + c.arg(o.hi) + ")"
	case OpNe:
		return "(" + col + " < " + c.arg(o.lo) + " OR " + col + " >= " + c.arg(o.hi) + " OR " + col + " IS NULL)"
	case OpLt:
		return col + " < " + c.arg(o.lo)
	case OpLe:
		return col + " < " + c.arg(o.hi)
	case OpGt:
		return col + " >= " + c.arg(o.hi)
	case OpGe:
		return col + " >= " + c.arg(o.lo)
	}
	return "0"
}

// checkOperator rejects operators the field's type does not take.
// UNCERTAIN: the wording of these errors.
func (c *compiler) checkOperator(b bound, x *Comparison) *Error {
	t := b.field.Type
	switch x.Op {
	case OpIncludes, OpExcludes:
		if t != "multipicklist" {
			return errorAt(c.src, x.OpPos, CodeInvalidFilterOperator,
				"includes or excludes operator only valid on multipicklist field")
		}
	case OpLike:
		if !isText(t) {
			return errorAt(c.src, x.OpPos, CodeInvalidFilterOperator, "invalid operator on %s field: %s", soapType(t), b.field.Name)
		}
	case OpLt, OpLe, OpGt, OpGe:
		if t == "boolean" || t == "multipicklist" {
			return errorAt(c.src, x.OpPos, CodeInvalidFilterOperator, "invalid operator on %s field: %s", soapType(t), b.field.Name)
		}
	case OpIn, OpNotIn:
		if t == "multipicklist" {
			return errorAt(c.src, x.OpPos, CodeInvalidFilterOperator, "invalid operator on multipicklist field")
		}
	}
	return nil
}

// multipicklist compiles =, !=, INCLUDES and EXCLUDES on a ;-joined
// multi-select picklist. INCLUDES ('a;b', 'c') means (a and b) or c; =
// means exactly that set of values. Values match case-insensitively.
// EXCLUDES and != also match null, like NOT IN.
func (c *compiler) multipicklist(b bound, x *Comparison) (string, *Error) {
	col := b.col()
	var values []Value
	if list, ok := x.Value.(*List); ok {
		values = list.Values
	} else {
		values = []Value{x.Value}
	}
	var alts []string
	for _, v := range values {
		switch lit := v.(type) {
		case *Null:
			alts = append(alts, col+" IS NULL")
		case *String:
			items := splitValues(lit.Value)
			if len(items) == 0 {
				alts = append(alts, col+" IS NULL")
				continue
			}
			if x.Op == OpEq || x.Op == OpNe {
				alts = append(alts, fnSetEq+"("+col+", "+c.arg(strings.Join(items, ";"))+")")
				continue
			}
			var all []string
			for _, item := range items {
				all = append(all, fnIncludes+"("+col+", "+c.arg(item)+")")
			}
			alts = append(alts, "("+strings.Join(all, " AND ")+")")
		default:
			return "", c.errValueType(b.field, v)
		}
	}
	expr := "(" + strings.Join(alts, " OR ") + ")"
	if x.Op == OpExcludes || x.Op == OpNe {
		return "NOT IFNULL(" + expr + ", 0)", nil
	}
	return expr, nil
}

// operand converts a literal for comparison with field f, or explains why
// it cannot be.
func (c *compiler) operand(f Field, v Value) (operand, *Error) {
	if _, ok := v.(*Null); ok {
		return operand{null: true}, nil
	}
	t := f.Type
	switch {
	case isText(t):
		s, ok := v.(*String)
		if !ok {
			return operand{}, c.errValueType(f, v)
		}
		if s.Value == "" {
			// Salesforce stores "" as null, and so compares '' as null.
			return operand{null: true}, nil
		}
		return operand{v: s.Value}, nil
	case isID(t):
		s, ok := v.(*String)
		if !ok {
			return operand{}, c.errValueType(f, v)
		}
		if s.Value == "" {
			return operand{null: true}, nil
		}
		if !sfid.Valid(s.Value) {
			// Real wording.
			return operand{}, errorAt(c.src, v.Position(), CodeInvalidFilterOperator, "invalid ID field: %s", s.Value)
		}
		return operand{v: sfid.To18(s.Value)}, nil
	case t == "boolean":
		bv, ok := v.(*Bool)
		if !ok {
			return operand{}, c.errValueType(f, v)
		}
		if bv.Value {
			return operand{v: int64(1)}, nil
		}
		return operand{v: int64(0)}, nil
	case isNumber(t):
		n, ok := v.(*Number)
		if !ok {
			return operand{}, c.errValueType(f, v)
		}
		if i, err := strconv.ParseInt(n.Text, 10, 64); err == nil {
			return operand{v: i}, nil
		}
		fl, err := strconv.ParseFloat(n.Text, 64)
		if err != nil {
			return operand{}, c.errValueType(f, v)
		}
		return operand{v: fl}, nil
	case t == "date":
		switch lit := v.(type) {
		case *Date:
			return operand{v: lit.Text}, nil
		case *DateLiteral:
			lo, hi := resolveDateLiteral(lit, c.now, c.loc).dates()
			return operand{isRange: true, lo: lo, hi: hi}, nil
		}
		return operand{}, c.errValueType(f, v)
	case t == "datetime":
		switch lit := v.(type) {
		case *DateTime:
			return operand{v: lit.Time.UTC().Format(datetimeLayout)}, nil
		case *Date:
			// Salesforce itself refuses a date literal against a datetime
			// field; localorg accepts it as the whole day in UTC.
			lo := lit.Time
			return operand{isRange: true, lo: lo.Format(datetimeLayout), hi: lo.AddDate(0, 0, 1).Format(datetimeLayout)}, nil
		case *DateLiteral:
			lo, hi := resolveDateLiteral(lit, c.now, c.loc).datetimes()
			return operand{isRange: true, lo: lo, hi: hi}, nil
		}
		return operand{}, c.errValueType(f, v)
	}
	// time, base64 and anything else: only null tests.
	return operand{}, c.errValueType(f, v)
}

// errValueType is Salesforce's complaint about a literal of the wrong kind
// ("value of filter criterion for field 'NumberOfEmployees' must be of type
// integer and should not be enclosed in quotes"). UNCERTAIN: the caret
// position (at the value here).
func (c *compiler) errValueType(f Field, v Value) *Error {
	typ := soapType(f.Type)
	if typ == "string" || typ == "id" {
		return errorAt(c.src, v.Position(), CodeInvalidField,
			"value of filter criterion for field '%s' must be of type %s and should be enclosed in quotes", f.Name, typ)
	}
	return errorAt(c.src, v.Position(), CodeInvalidField,
		"value of filter criterion for field '%s' must be of type %s and should not be enclosed in quotes", f.Name, typ)
}

// semiJoin compiles Field IN (SELECT … ) and NOT IN (SELECT …). Both sides
// must be Ids or references to a common object; the subquery selects one
// field and cannot itself hold a semi-join.
func (c *compiler) semiJoin(s *scope, outer bound, x *Comparison, sj *SemiJoin) (string, *Error) {
	sub := sj.Query
	if s.semi {
		// UNCERTAIN: wording.
		return "", errorAt(c.src, sj.Pos, CodeMalformedQuery, "Nesting of semi join sub-selects is not supported")
	}
	if !isID(outer.field.Type) {
		return "", errorAt(c.src, x.Field.Pos(), CodeInvalidField,
			"Invalid field for semi/anti join: %s", outer.field.Name)
	}
	obj, ok := c.cat.Object(sub.From.Name)
	if !ok {
		return "", errUnknownObject(c.src, sub.From.Pos, sub.From.Name)
	}
	if err := c.checkFeatures(sub); err != nil {
		return "", err
	}
	var item *FieldItem
	if len(sub.Select) == 1 {
		item, _ = sub.Select[0].(*FieldItem)
	}
	if item == nil {
		return "", errorAt(c.src, sub.Pos, CodeMalformedQuery, "The inner select field must be an Id or reference field")
	}
	alias := ""
	if sub.Alias != nil {
		alias = sub.Alias.Name
	}
	inner := c.newScope(obj, alias, true)
	ib, err := c.resolve(inner, item.Path)
	if err != nil {
		return "", err
	}
	if !isID(ib.field.Type) {
		return "", errorAt(c.src, item.Path.Pos(), CodeMalformedQuery, "The inner select field must be an Id or reference field")
	}
	if !c.sameTarget(s, outer, inner, ib) {
		// Real wording.
		return "", errorAt(c.src, item.Path.Pos(), CodeInvalidField,
			"The selected field '%s' in the subquery and the left operand field in the where expression in the outer query '%s' should point to the same object type",
			ib.field.Name, outer.field.Name)
	}
	var where []string
	if !c.opts.IncludeDeleted {
		if f, ok := c.cat.Field(obj.Name, "IsDeleted"); ok && f.Column != "" {
			where = append(where, inner.rootAlias()+"."+quoteIdent(f.Column)+" = 0")
		}
	}
	if sub.Where != nil {
		w, err := c.condition(inner, sub.Where)
		if err != nil {
			return "", err
		}
		where = append(where, w)
	}
	q := "SELECT " + ib.col() + " FROM " + inner.from()
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	expr := outer.col() + " IN (" + q + ")"
	if x.Op == OpNotIn {
		return "NOT IFNULL(" + expr + ", 0)", nil
	}
	return expr, nil
}

// targets returns the objects an Id or reference field points at.
func (c *compiler) targets(s *scope, b bound) []string {
	if b.field.Type == "id" {
		obj := s.object.Name
		if b.join != nil {
			obj = b.join.object.Name
		}
		return []string{obj}
	}
	return b.field.ReferenceTo
}

func (c *compiler) sameTarget(outerScope *scope, outer bound, innerScope *scope, inner bound) bool {
	for _, a := range c.targets(outerScope, outer) {
		for _, b := range c.targets(innerScope, inner) {
			if strings.EqualFold(a, b) {
				return true
			}
		}
	}
	return false
}
