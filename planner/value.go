package planner

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/internal/sfvalue"
	"github.com/zclconf/go-cty/cty"
)

// FieldType is how sfsync reads, compares and writes a field's values. The
// planner maps describe's field types onto it; types sfsync cannot write
// through the Bulk API (base64, address, location, anyType) have none. The
// zero value is invalid.
type FieldType int

const (
	_ FieldType = iota
	// TypeText is string, textarea, email, phone, url, combobox and
	// encryptedstring: compared exactly.
	TypeText
	// TypePicklist is a single-select picklist: compared exactly.
	TypePicklist
	// TypeMultiPicklist is a multi-select picklist: a set of values, compared
	// without regard to order, written joined by ";".
	TypeMultiPicklist
	// TypeBoolean is a checkbox.
	TypeBoolean
	// TypeInteger is int and long: whole numbers.
	TypeInteger
	// TypeNumber is double, currency and percent: decimals with a scale.
	TypeNumber
	// TypeDate is a date without time or zone.
	TypeDate
	// TypeDateTime is an instant, kept in UTC with millisecond precision.
	TypeDateTime
	// TypeTime is a time of day with millisecond precision.
	TypeTime
	// TypeID is id and reference: a record Id, 15 and 18 characters alike.
	TypeID
	fieldTypeEnd
)

var fieldTypeNames = [...]string{
	TypeText:          "text",
	TypePicklist:      "picklist",
	TypeMultiPicklist: "multipicklist",
	TypeBoolean:       "boolean",
	TypeInteger:       "integer",
	TypeNumber:        "number",
	TypeDate:          "date",
	TypeDateTime:      "datetime",
	TypeTime:          "time",
	TypeID:            "id",
}

func (t FieldType) valid() bool { return t > 0 && t < fieldTypeEnd }

func (t FieldType) String() string {
	if !t.valid() {
		return fmt.Sprintf("FieldType(%d)", int(t))
	}
	return fieldTypeNames[t]
}

// MarshalText writes the type's name; an invalid type is an error.
func (t FieldType) MarshalText() ([]byte, error) {
	if !t.valid() {
		return nil, fmt.Errorf("invalid field type %d", int(t))
	}
	return []byte(fieldTypeNames[t]), nil
}

// UnmarshalText reads a type's name.
func (t *FieldType) UnmarshalText(b []byte) error {
	for v := TypeText; v < fieldTypeEnd; v++ {
		if fieldTypeNames[v] == string(b) {
			*t = v
			return nil
		}
	}
	return fmt.Errorf("unknown field type %q", b)
}

// FieldSpec is what value handling needs to know about a field, taken from
// describe.
type FieldSpec struct {
	Type FieldType
	// Length is the most characters a text, picklist or multi-select
	// picklist value may have (describe's length); 0: not checked.
	Length int
	// Precision is the most digits a number may have (describe's precision,
	// or digits for int and long); 0: not checked, and numbers not rounded.
	Precision int
	// Scale is how many of a TypeNumber's digits follow the point. When
	// Precision is set, values are rounded to Scale as Salesforce rounds them
	// on save, so a desired 1.005 on a field of scale 2 plans 1.01.
	Scale int
}

// Value is one field value, typed and normalized, with equality as Salesforce
// means it. The zero Value is null. Values are small and immutable; copy them
// freely.
//
// A value has four renderings: Canonical (the normalized text that plans,
// saved plans and state hashes hold), Display (how a plan shows it), CSV (how
// a Bulk upload writes it) and Key (how keys are matched).
type Value struct {
	typ FieldType
	// s is the canonical text; "" is null (Salesforce does not tell an
	// empty string from null, and no non-null value has an empty form).
	s string
	// approx marks a number read from the org, which renders numbers as
	// Java doubles and so may show fewer digits than it stores.
	approx bool
}

// Null returns the null value of type t.
func Null(t FieldType) Value { return Value{typ: t} }

// Type is the value's field type (invalid for the zero Value).
func (v Value) Type() FieldType { return v.typ }

// IsNull reports whether v is null. The empty string is null.
func (v Value) IsNull() bool { return v.s == "" }

// Canonical is the normalized text of v, "" for null:
//
//	text, picklist   the text as is
//	multipicklist    the distinct values sorted and joined by ";"
//	boolean          true or false
//	integer, number  plain decimal without exponent or trailing zeros (1500.5)
//	date             yyyy-MM-dd
//	datetime         yyyy-MM-ddTHH:mm:ss.SSSZ, in UTC
//	time             HH:mm:ss.SSSZ
//	id               the 18-character Id
//
// Two values are Equal when their canonical texts are (numbers read from the
// org aside, see Equal). ParseCell reads a canonical text back to the same
// value; state hashes values in this form.
func (v Value) Canonical() string { return v.s }

// Equal reports whether v and w are the same value as Salesforce means it.
// Null equals null whatever the type.
//
// Numbers read from the org (ParseOrg) are Java double renderings, which show
// at most 17 significant digits of a number Salesforce stores with up to 18:
// such a number equals any number whose nearest double it is, because that is
// all the org lets sfsync see, and anything else would plan a change that
// apply can never make disappear.
func (v Value) Equal(w Value) bool {
	if v.s == "" || w.s == "" {
		return v.s == w.s
	}
	if v.typ != w.typ {
		return false
	}
	if v.s == w.s {
		return true
	}
	if (v.typ == TypeNumber || v.typ == TypeInteger) && (v.approx || w.approx) {
		a, errA := sfvalue.ParseDecimal(v.s)
		b, errB := sfvalue.ParseDecimal(w.s)
		return errA == nil && errB == nil && sfvalue.SameDouble(a, b)
	}
	return false
}

// Key is the text keys are matched by: Canonical, with text, picklist and
// multi-select picklist values case-folded unless caseSensitive (describe's
// caseSensitive of the key field). Two keys match when their Key texts are
// equal. Ids are never folded: a 15-character Id is case-sensitive.
func (v Value) Key(caseSensitive bool) string {
	if caseSensitive {
		return v.s
	}
	switch v.typ {
	case TypeText, TypePicklist:
		return foldCase(v.s)
	case TypeMultiPicklist:
		return multiPicklist(strings.Split(foldCase(v.s), ";")).s
	}
	return v.s
}

// foldCase maps every character to the smallest one of its simple case-folding
// orbit, so that a and b fold alike exactly when strings.EqualFold(a, b).
func foldCase(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToUpper(s)
	}
	return strings.Map(func(r rune) rune {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		return m
	}, s)
}

// Display renders v for a plan: null as null, text, picklist, date, datetime,
// time and Id values quoted (with Go's escapes for control characters),
// numbers in plain decimal, booleans bare, and multi-select picklists as a list
// (["A", "B"]).
func (v Value) Display() string {
	if v.s == "" {
		return "null"
	}
	switch v.typ {
	case TypeBoolean, TypeInteger, TypeNumber:
		return v.s
	case TypeMultiPicklist:
		parts := strings.Split(v.s, ";")
		for i, p := range parts {
			parts[i] = strconv.Quote(p)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return strconv.Quote(v.s)
}

// String is Display.
func (v Value) String() string { return v.Display() }

// NullCSV is how a Bulk CSV upload clears a field: an empty cell would leave
// it unchanged.
const NullCSV = "#N/A"

// CSV renders v for a Bulk API CSV upload: NullCSV for null, plain decimals,
// yyyy-MM-dd, yyyy-MM-ddTHH:mm:ss.SSSZ, true and false, multi-select values
// joined by ";". A text value that is literally "#N/A" cannot be written
// through a CSV upload (Salesforce reads it as null); FieldSpec.Check refuses
// it.
func (v Value) CSV() string {
	if v.s == "" {
		return NullCSV
	}
	return v.s
}

// ParseOrg reads a value as Salesforce renders it in a Bulk query result
// (CSV; REST JSON values converted to strings read the same): "" is null,
// numbers may be Java double renderings such as 9.12260031E8, datetimes are
// usually yyyy-MM-ddTHH:mm:ss.SSSZ but a +0000 offset is accepted too.
func ParseOrg(spec FieldSpec, s string) (Value, error) {
	v, err := parseString(spec, s)
	if err != nil {
		return Value{}, err
	}
	if spec.Type == TypeNumber {
		v.approx = true
	}
	return v, nil
}

// ParseCell reads a value written by a person, in a records_csv cell or as an
// HCL string, in the forms Salesforce itself accepts (package sfvalue), so a
// cell means what it would mean to Salesforce: "" is null; booleans may be
// true/false (any case) or 1/0; numbers plain or scientific; datetimes
// yyyy-MM-ddTHH:mm:ss with an optional fraction and a zone (Z or an offset
// such as +02:00 or +0200); times HH:mm:ss with an optional fraction;
// multi-select picklists are values separated by ";". It also reads every
// Canonical text back to its value.
func ParseCell(spec FieldSpec, s string) (Value, error) {
	return parseString(spec, s)
}

// FromCty converts a value from the configuration: a string (read like a
// ParseCell cell), a number, a bool, or — for a multi-select picklist — a
// list, set or tuple of strings. A null value clears the field.
func FromCty(spec FieldSpec, v cty.Value) (Value, error) {
	if !spec.Type.valid() {
		return Value{}, fmt.Errorf("invalid field type %d", int(spec.Type))
	}
	v, _ = v.UnmarkDeep()
	if !v.IsKnown() {
		return Value{}, fmt.Errorf("value is not known yet")
	}
	if v.IsNull() {
		return Null(spec.Type), nil
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return parseString(spec, v.AsString())
	case ty == cty.Number:
		switch spec.Type {
		case TypeText, TypePicklist, TypeMultiPicklist, TypeInteger, TypeNumber:
		default:
			return Value{}, fmt.Errorf("a number cannot be the value of %s field", withArticle(spec.Type.String()))
		}
		text := bigFloatText(v.AsBigFloat())
		if spec.Type == TypeText || spec.Type == TypePicklist || spec.Type == TypeMultiPicklist {
			// As text, a number is written the way people write it.
			d, err := sfvalue.ParseNumber(text)
			if err != nil {
				return Value{}, err
			}
			text = d.String()
		}
		return parseString(spec, text)
	case ty == cty.Bool:
		switch spec.Type {
		case TypeText, TypePicklist, TypeBoolean:
		default:
			return Value{}, fmt.Errorf("a bool cannot be the value of %s field", withArticle(spec.Type.String()))
		}
		return parseString(spec, strconv.FormatBool(v.True()))
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		if spec.Type != TypeMultiPicklist {
			return Value{}, fmt.Errorf("a list is only a value for a multi-select picklist, not for %s field", withArticle(spec.Type.String()))
		}
		var items []string
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.IsNull() || !e.IsKnown() || e.Type() != cty.String {
				return Value{}, fmt.Errorf("multi-select picklist values must be strings, not %s", elementDesc(e))
			}
			if strings.Contains(e.AsString(), ";") {
				return Value{}, fmt.Errorf("multi-select picklist value %q contains ';'", e.AsString())
			}
			items = append(items, e.AsString())
		}
		return multiPicklist(items), nil
	}
	return Value{}, fmt.Errorf("%s cannot be a field value", withArticle(ty.FriendlyName()))
}

func elementDesc(e cty.Value) string {
	switch {
	case !e.IsKnown():
		return "an unknown value"
	case e.IsNull():
		return "null"
	}
	return e.Type().FriendlyName()
}

// bigFloatText is the shortest decimal that reads back to f at f's precision:
// "1.1" for a configuration's 1.1, which cty holds as a 512-bit float.
func bigFloatText(f *big.Float) string {
	if f.IsInf() {
		return "Inf" // refused by sfvalue.ParseDecimal
	}
	return f.Text('g', -1)
}

func parseString(spec FieldSpec, s string) (Value, error) {
	if s == "" {
		return Null(spec.Type), nil
	}
	v := Value{typ: spec.Type}
	switch spec.Type {
	case TypeText, TypePicklist:
		v.s = s
	case TypeMultiPicklist:
		return multiPicklist(strings.Split(s, ";")), nil
	case TypeBoolean:
		b, err := sfvalue.ParseBool(s)
		if err != nil {
			return Value{}, err
		}
		v.s = strconv.FormatBool(b)
	case TypeInteger, TypeNumber:
		d, err := sfvalue.ParseNumber(s)
		if err != nil {
			return Value{}, err
		}
		if spec.Type == TypeInteger && d.FracDigits() > 0 {
			return Value{}, fmt.Errorf("%q is not a whole number", s)
		}
		if spec.Type == TypeNumber && spec.Precision > 0 {
			d = d.Round(spec.Scale)
		}
		v.s = d.String()
	case TypeDate:
		t, err := sfvalue.ParseDate(s)
		if err != nil {
			return Value{}, err
		}
		v.s = sfvalue.FormatDate(t)
	case TypeDateTime:
		t, err := sfvalue.ParseDateTime(s)
		if err != nil {
			return Value{}, err
		}
		v.s = sfvalue.FormatDateTime(t)
	case TypeTime:
		t, err := sfvalue.ParseTime(s)
		if err != nil {
			return Value{}, err
		}
		v.s = sfvalue.FormatTime(t)
	case TypeID:
		if !sfid.Valid(s) {
			return Value{}, fmt.Errorf("%q is not a Salesforce Id", s)
		}
		v.s = sfid.To18(s)
	default:
		return Value{}, fmt.Errorf("invalid field type %d", int(spec.Type))
	}
	return v, nil
}

func multiPicklist(items []string) Value {
	return Value{typ: TypeMultiPicklist, s: sfvalue.MultiPicklist(items)}
}

// Check reports whether v fits the field and can be written: text no longer
// than Length characters and not the null marker #N/A, numbers within Precision digits (Scale of them after the point;
// more decimal places are rounded, not refused), dates and datetimes within
// the years Salesforce accepts (1700 to 4000). Null fits every field; whether
// the field may be null is the planner's question.
func (spec FieldSpec) Check(v Value) error {
	if v.s == "" {
		return nil
	}
	switch spec.Type {
	case TypeText, TypePicklist, TypeMultiPicklist:
		if v.s == NullCSV {
			return fmt.Errorf("the text %s cannot be written: a Bulk upload reads it as null", NullCSV)
		}
		if n := utf8.RuneCountInString(v.s); spec.Length > 0 && n > spec.Length {
			return fmt.Errorf("value is %d characters long; the field holds at most %d", n, spec.Length)
		}
	case TypeInteger, TypeNumber:
		if spec.Precision == 0 {
			return nil
		}
		d, err := sfvalue.ParseDecimal(v.s)
		if err != nil {
			return err
		}
		allowed := spec.Precision
		if spec.Type == TypeNumber {
			allowed -= spec.Scale
		}
		if n := d.IntDigits(); n > allowed {
			return fmt.Errorf("%s has %d digits before the decimal point; the field allows %d", v.s, n, allowed)
		}
	case TypeDate, TypeDateTime:
		if y, _ := strconv.Atoi(v.s[:4]); y < 1700 || y > 4000 {
			return fmt.Errorf("%s is outside the dates Salesforce accepts (1700-01-01 to 4000-12-31)", v.Display())
		}
	}
	return nil
}
