package bulk

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/internal/sfvalue"
)

// Kind says how a value is written to Salesforce and how Salesforce's
// renderings of it are compared (Canonical). The zero Kind is invalid.
type Kind uint8

const (
	kindInvalid       Kind = iota
	KindNull               // set the field to null (#N/A in CSV)
	KindText               // strings, picklists, emails, …: compared exactly
	KindNumber             // double, currency, percent: compared as doubles
	KindBool               // boolean
	KindDate               // date: yyyy-MM-dd
	KindDateTime           // datetime: yyyy-MM-ddTHH:mm:ss.SSSZ (UTC)
	KindTime               // time: HH:mm:ss.SSSZ
	KindInteger            // int, long: whole numbers, compared exactly
	KindID                 // id, reference: 15 and 18 characters alike
	KindMultiPicklist      // multi-select picklist: a set of values joined by ";"
	kindEnd
)

func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindText:
		return "text"
	case KindNumber:
		return "number"
	case KindBool:
		return "bool"
	case KindDate:
		return "date"
	case KindDateTime:
		return "datetime"
	case KindTime:
		return "time"
	case KindInteger:
		return "integer"
	case KindID:
		return "id"
	case KindMultiPicklist:
		return "multipicklist"
	}
	return "invalid"
}

// KindOf maps a describe field type ("double", "datetime", "reference", …) to
// the Kind its values have.
func KindOf(fieldType string) Kind {
	switch strings.ToLower(fieldType) {
	case "double", "currency", "percent":
		return KindNumber
	case "int", "long":
		return KindInteger
	case "id", "reference":
		return KindID
	case "multipicklist":
		return KindMultiPicklist
	case "boolean":
		return KindBool
	case "date":
		return KindDate
	case "datetime":
		return KindDateTime
	case "time":
		return KindTime
	}
	return KindText
}

// Value is one field value to write. A field that a record does not carry is
// left unchanged (an empty CSV cell); Null() clears it (#N/A).
type Value struct {
	kind Kind
	text string // canonical wire text for every kind but Null
}

// Null clears the field.
func Null() Value { return Value{kind: KindNull} }

// Text is a string value. Salesforce stores "" as null, so Text("") is Null().
func Text(s string) Value {
	if s == "" {
		return Null()
	}
	return Value{kind: KindText, text: s}
}

// Number is a decimal number given as text ("912260031", "-1500.50",
// "9.12260031E8") for a double, currency or percent field; it is written as
// a plain decimal.
func Number(s string) (Value, error) {
	d, err := sfvalue.ParseNumber(s)
	if err != nil {
		return Value{}, err
	}
	return Value{kind: KindNumber, text: d.String()}, nil
}

// Integer is a whole number given as text ("2676", "2.676E3") for an int or
// long field; it is written in plain digits.
func Integer(s string) (Value, error) {
	d, err := sfvalue.ParseNumber(s)
	if err != nil {
		return Value{}, err
	}
	if d.FracDigits() > 0 {
		return Value{}, fmt.Errorf("%q is not a whole number", s)
	}
	return Value{kind: KindInteger, text: d.String()}, nil
}

// Int is an integer value.
func Int(i int64) Value { return Value{kind: KindInteger, text: strconv.FormatInt(i, 10)} }

// Float is a floating-point value, written as a plain decimal with the
// shortest digits that round-trip.
func Float(f float64) Value {
	return Value{kind: KindNumber, text: strconv.FormatFloat(f, 'f', -1, 64)}
}

// Bool is a boolean value.
func Bool(b bool) Value { return Value{kind: KindBool, text: strconv.FormatBool(b)} }

// Date is a date value; only the year, month and day of t are used.
func Date(t time.Time) Value { return Value{kind: KindDate, text: sfvalue.FormatDate(t)} }

// DateTime is a datetime value, written in UTC with milliseconds.
func DateTime(t time.Time) Value {
	return Value{kind: KindDateTime, text: sfvalue.FormatDateTime(t)}
}

// Time is a time-of-day value, written with milliseconds and Z.
func Time(t time.Time) Value { return Value{kind: KindTime, text: sfvalue.FormatTime(t)} }

// ID is a record Id, 15 or 18 characters, written in its 18-character form.
func ID(s string) (Value, error) {
	if !sfid.Valid(s) {
		return Value{}, fmt.Errorf("%q is not a Salesforce Id", s)
	}
	return Value{kind: KindID, text: sfid.To18(s)}, nil
}

// MultiPicklist is a multi-select picklist value: its distinct non-empty
// values, sorted and joined by ";"; none is Null().
func MultiPicklist(values ...string) Value {
	s := sfvalue.MultiPicklist(values)
	if s == "" {
		return Null()
	}
	return Value{kind: KindMultiPicklist, text: s}
}

// Kind returns the value's kind.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether the value clears the field.
func (v Value) IsNull() bool { return v.kind == KindNull }

// String returns the value as Salesforce expects it in a CSV cell: "#N/A" for
// null, the plain text otherwise.
func (v Value) String() string {
	if v.kind == KindNull {
		return "#N/A"
	}
	return v.text
}

// Text returns the wire text of a non-null value ("" for null).
func (v Value) Text() string { return v.text }

// ParseDateTime reads a datetime as Salesforce's APIs render it: the forms
// of sfvalue.ParseDateTime (yyyy-MM-ddTHH:mm:ss.SSSZ in Bulk CSV,
// …+0000 in REST and JSON), and the epoch milliseconds of Bulk API 1.0
// JSON query results. The result is in UTC.
func ParseDateTime(s string) (time.Time, error) {
	if len(s) >= 10 && strings.Trim(s, "0123456789") == "" {
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.UnixMilli(ms).UTC(), nil
		}
	}
	return sfvalue.ParseDateTime(s)
}

// Canonical returns a form of a rendered value in which two renderings of the
// same typed value are equal, by Salesforce's value rules (package sfvalue):
//
//	number          the Java rendering of the nearest double (DoubleKey)
//	integer         exact plain decimal
//	bool            true or false
//	date            yyyy-MM-dd
//	datetime        yyyy-MM-ddTHH:mm:ss.SSSZ, in UTC
//	time            HH:mm:ss.SSSZ
//	id              the 18-character Id
//	multipicklist   the distinct values sorted, joined by ";"
//	text            as given
//
// "" and "#N/A" are both null (""). A value that does not read as kind is
// returned as given.
//
// It compares what sfsync sent with what Salesforce echoes (Bulk API 2.0
// results are correlated by it), and the echo renders double, currency and
// percent values as Java doubles, which show at most 17 of the 18 digits
// Salesforce stores: two numbers are the same when they are the same
// double, as the planner's Value.Equal has it for a number read from the
// org (sfvalue.SameDouble). The planner's other comparisons are these too,
// by the same sfvalue functions.
func Canonical(kind Kind, s string) string {
	if s == "" || s == "#N/A" || kind == KindNull {
		return ""
	}
	switch kind {
	case KindNumber:
		if d, err := sfvalue.ParseDecimal(s); err == nil {
			return sfvalue.DoubleKey(d)
		}
	case KindInteger:
		if d, err := sfvalue.ParseNumber(s); err == nil {
			return d.String()
		}
	case KindBool:
		if b, err := sfvalue.ParseBool(s); err == nil {
			return strconv.FormatBool(b)
		}
	case KindDate:
		if d, err := sfvalue.ParseDate(s); err == nil {
			return sfvalue.FormatDate(d)
		}
	case KindDateTime:
		if d, err := ParseDateTime(s); err == nil {
			return sfvalue.FormatDateTime(d)
		}
	case KindTime:
		if d, err := sfvalue.ParseTime(s); err == nil {
			return sfvalue.FormatTime(d)
		}
	case KindID:
		if sfid.Valid(s) {
			return sfid.To18(s)
		}
	case KindMultiPicklist:
		return sfvalue.MultiPicklist(strings.Split(s, ";"))
	}
	return s
}

// SameValue reports whether a and b render the same value of the given kind
// (see Canonical).
func SameValue(kind Kind, a, b string) bool { return Canonical(kind, a) == Canonical(kind, b) }

// ParseValue reads s as a value of the given kind ("" and "#N/A" are null)
// by Salesforce's value rules: numbers in any rendering Salesforce uses,
// booleans, dates, datetimes (normalised to UTC), times, Ids and
// multi-select picklists. It is how text from a configuration or a query
// becomes a Value to write.
func ParseValue(kind Kind, s string) (Value, error) {
	if s == "" || s == "#N/A" || kind == KindNull {
		return Null(), nil
	}
	switch kind {
	case KindNumber:
		return Number(s)
	case KindInteger:
		return Integer(s)
	case KindBool:
		b, err := sfvalue.ParseBool(s)
		return Bool(b), err
	case KindDate:
		d, err := sfvalue.ParseDate(s)
		return Date(d), err
	case KindDateTime:
		d, err := ParseDateTime(s)
		return DateTime(d), err
	case KindTime:
		d, err := sfvalue.ParseTime(s)
		return Time(d), err
	case KindID:
		return ID(s)
	case KindMultiPicklist:
		return MultiPicklist(strings.Split(s, ";")...), nil
	case KindText:
		return Text(s), nil
	}
	return Value{}, fmt.Errorf("parse %q: invalid kind", s)
}
