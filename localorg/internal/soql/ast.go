package soql

import "time"

// Pos is a byte offset into the query text. Errors turn it into Salesforce's
// "Row:R:Column:C" and the caret line.
type Pos int

// Query is a parsed SOQL statement.
type Query struct {
	Select []SelectItem
	From   Ident  // the object as written
	Alias  *Ident // FROM Contact c
	Where  Condition
	Order  []OrderItem
	Limit  *Int
	Offset *Int
	// Unsupported lists the constructs that were recognised and skipped
	// because this engine does not run them (GROUP BY, HAVING, WITH, USING
	// SCOPE, FOR VIEW/UPDATE). Compile rejects a query that has any, with the
	// error the target API gives.
	Unsupported []Unsupported
	Pos         Pos // of SELECT
	// Source is the whole statement text the query was parsed from (for a
	// semi-join too); error messages quote it.
	Source string
}

// Ident is a name as written in the query.
type Ident struct {
	Name string
	Pos  Pos
}

// Int is a non-negative integer written in LIMIT or OFFSET.
type Int struct {
	Value int64
	Pos   Pos
}

// Path is a field reference: zero or more relationship names followed by a
// field name, for example Owner.Profile.Name. An optional leading object name
// or alias (Contact.Name in a query FROM Contact) is part of Parts; the binder
// strips it.
type Path struct {
	Parts []Ident
}

// Pos returns the position of the first part.
func (p Path) Pos() Pos {
	if len(p.Parts) == 0 {
		return 0
	}
	return p.Parts[0].Pos
}

// String returns the path as written, joined by dots.
func (p Path) String() string {
	s := ""
	for i, part := range p.Parts {
		if i > 0 {
			s += "."
		}
		s += part.Name
	}
	return s
}

// SelectItem is one entry of the SELECT list: *FieldItem, *CountItem or
// *UnsupportedItem.
type SelectItem interface{ selectItem() }

// FieldItem selects a field, possibly through parent relationships.
type FieldItem struct {
	Path Path
}

// CountItem is COUNT() (Field nil) or COUNT(field), with an optional alias.
type CountItem struct {
	Field *Path
	Alias *Ident
	Pos   Pos
}

// UnsupportedItem is a SELECT-list entry that was recognised and skipped: a
// parent-to-child subquery, TYPEOF, FIELDS(), or a function other than COUNT.
type UnsupportedItem struct {
	Kind Feature
	Name string // the function name as written, for FeatureFunction
	Pos  Pos
}

func (*FieldItem) selectItem()       {}
func (*CountItem) selectItem()       {}
func (*UnsupportedItem) selectItem() {}

// Feature names a SOQL construct the engine recognises but does not run.
type Feature int

const (
	_                 Feature = iota
	FeatureSubquery           // (SELECT … FROM Contacts) in the SELECT list
	FeatureTypeOf             // TYPEOF … END
	FeatureFields             // FIELDS(ALL|STANDARD|CUSTOM)
	FeatureFunction           // SUM(), MAX(), toLabel(), FORMAT(), CALENDAR_YEAR() …
	FeatureGroupBy            // GROUP BY
	FeatureHaving             // HAVING
	FeatureWith               // WITH SECURITY_ENFORCED, WITH DATA CATEGORY …
	FeatureUsingScope         // USING SCOPE
	FeatureFor                // FOR VIEW / FOR REFERENCE / FOR UPDATE
)

var featureNames = [...]string{
	FeatureSubquery:   "parent-to-child subquery",
	FeatureTypeOf:     "TYPEOF",
	FeatureFields:     "FIELDS()",
	FeatureFunction:   "function",
	FeatureGroupBy:    "GROUP BY",
	FeatureHaving:     "HAVING",
	FeatureWith:       "WITH",
	FeatureUsingScope: "USING SCOPE",
	FeatureFor:        "FOR",
}

func (f Feature) String() string {
	if f <= 0 || int(f) >= len(featureNames) {
		return "Feature(?)"
	}
	return featureNames[f]
}

// Unsupported records a clause that was recognised and skipped.
type Unsupported struct {
	Kind Feature
	Pos  Pos
}

// OrderItem is one ORDER BY key.
type OrderItem struct {
	Field Path
	Desc  bool
	// Nulls is NullsDefault unless NULLS FIRST or NULLS LAST was written.
	Nulls NullsOrder
}

// NullsOrder says where ORDER BY puts nulls.
type NullsOrder int

const (
	NullsDefault NullsOrder = iota // first for ASC, last for DESC
	NullsFirst
	NullsLast
)

// Condition is a WHERE expression: *And, *Or, *Not or *Comparison.
type Condition interface{ condition() }

// And is true when every term is.
type And struct{ Terms []Condition }

// Or is true when any term is.
type Or struct{ Terms []Condition }

// Not negates X.
type Not struct {
	X   Condition
	Pos Pos
}

// Comparison is field op value. For OpIn, OpNotIn, OpIncludes and OpExcludes
// Value is a *List, or for OpIn/OpNotIn a *SemiJoin.
type Comparison struct {
	Field Path
	// Func is set when the field is wrapped in a function such as
	// CALENDAR_YEAR(CreatedDate); the engine does not run those.
	Func  *Ident
	Op    Op
	Value Value
	OpPos Pos
}

func (*And) condition()        {}
func (*Or) condition()         {}
func (*Not) condition()        {}
func (*Comparison) condition() {}

// Op is a comparison operator.
type Op int

const (
	_ Op = iota
	OpEq
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
	OpLike
	OpIn
	OpNotIn
	OpIncludes
	OpExcludes
)

var opNames = [...]string{
	OpEq: "=", OpNe: "!=", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">=",
	OpLike: "LIKE", OpIn: "IN", OpNotIn: "NOT IN", OpIncludes: "INCLUDES", OpExcludes: "EXCLUDES",
}

func (o Op) String() string {
	if o <= 0 || int(o) >= len(opNames) {
		return "Op(?)"
	}
	return opNames[o]
}

// Value is a literal on the right of a comparison: *Null, *Bool, *Number,
// *String, *Date, *DateTime, *DateLiteral, *List or *SemiJoin.
type Value interface {
	value()
	Position() Pos
}

// Null is NULL.
type Null struct{ Pos Pos }

// Bool is TRUE or FALSE.
type Bool struct {
	Value bool
	Pos   Pos
}

// Number is a numeric literal, kept as written (-1.5, 1e3).
type Number struct {
	Text string
	Pos  Pos
}

// String is a quoted string. Value has the SOQL escapes decoded, except \%
// and \_, which only mean something in LIKE and are kept as written. Pattern
// is the same string as a LIKE pattern in an unambiguous form: % and _ are
// wildcards, and \%, \_ and \\ stand for the literal characters.
type String struct {
	Value   string
	Pattern string
	Pos     Pos
}

// Date is an unquoted date such as 2024-01-31 (midnight UTC in Time).
type Date struct {
	Text string
	Time time.Time
	Pos  Pos
}

// DateTime is an unquoted datetime such as 2024-01-31T10:00:00.000+05:00;
// Time keeps the written offset.
type DateTime struct {
	Text string
	Time time.Time
	Pos  Pos
}

// DateLiteral is a relative date such as TODAY or LAST_N_DAYS:30. Name is
// upper-cased; N is the number after the colon, if the literal takes one.
type DateLiteral struct {
	Name string
	N    int
	Pos  Pos
}

// List is the parenthesised value list of IN, NOT IN, INCLUDES, EXCLUDES.
type List struct {
	Values []Value
	Pos    Pos
}

// SemiJoin is the subquery of Field IN (SELECT …) or NOT IN (SELECT …).
type SemiJoin struct {
	Query *Query
	Pos   Pos
}

func (*Null) value()        {}
func (*Bool) value()        {}
func (*Number) value()      {}
func (*String) value()      {}
func (*Date) value()        {}
func (*DateTime) value()    {}
func (*DateLiteral) value() {}
func (*List) value()        {}
func (*SemiJoin) value()    {}

// Position returns where the value starts in the query text.
func (v *Null) Position() Pos        { return v.Pos }
func (v *Bool) Position() Pos        { return v.Pos }
func (v *Number) Position() Pos      { return v.Pos }
func (v *String) Position() Pos      { return v.Pos }
func (v *Date) Position() Pos        { return v.Pos }
func (v *DateTime) Position() Pos    { return v.Pos }
func (v *DateLiteral) Position() Pos { return v.Pos }
func (v *List) Position() Pos        { return v.Pos }
func (v *SemiJoin) Position() Pos    { return v.Pos }
