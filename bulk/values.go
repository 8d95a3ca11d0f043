package bulk

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/sfsync/sfsync/internal/sfid"
)

// Kind says how a value is written to Salesforce and how Salesforce's
// renderings of it are compared. The zero Kind is invalid.
type Kind uint8

const (
	kindInvalid  Kind = iota
	KindNull          // set the field to null (#N/A in CSV)
	KindText          // strings, picklists, Ids, references, emails, …
	KindNumber        // int, long, double, currency, percent
	KindBool          // boolean
	KindDate          // date: yyyy-MM-dd
	KindDateTime      // datetime: yyyy-MM-ddTHH:mm:ss.SSSZ (UTC)
	KindTime          // time: HH:mm:ss.SSSZ
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
	}
	return "invalid"
}

// KindOf maps a describe field type ("double", "datetime", "reference", …) to
// the Kind its values have.
func KindOf(fieldType string) Kind {
	switch strings.ToLower(fieldType) {
	case "int", "long", "double", "currency", "percent":
		return KindNumber
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
// "9.12260031E8"); it is written as a plain decimal.
func Number(s string) (Value, error) {
	r, err := ParseNumber(s)
	if err != nil {
		return Value{}, err
	}
	return Value{kind: KindNumber, text: plainDecimal(r)}, nil
}

// Int is an integer value.
func Int(i int64) Value { return Value{kind: KindNumber, text: strconv.FormatInt(i, 10)} }

// Float is a floating-point value, written as a plain decimal with the
// shortest digits that round-trip.
func Float(f float64) Value {
	return Value{kind: KindNumber, text: strconv.FormatFloat(f, 'f', -1, 64)}
}

// Bool is a boolean value.
func Bool(b bool) Value { return Value{kind: KindBool, text: strconv.FormatBool(b)} }

// Date is a date value; only the year, month and day of t are used.
func Date(t time.Time) Value { return Value{kind: KindDate, text: t.Format("2006-01-02")} }

// DateTime is a datetime value, written in UTC with milliseconds.
func DateTime(t time.Time) Value {
	return Value{kind: KindDateTime, text: t.UTC().Format("2006-01-02T15:04:05.000Z")}
}

// Time is a time-of-day value, written with milliseconds and Z.
func Time(t time.Time) Value { return Value{kind: KindTime, text: t.Format("15:04:05.000") + "Z"} }

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

// ParseNumber parses a number as Salesforce renders it: plain decimals
// ("1500.0", "-3") and Java Double.toString's scientific form ("9.12260031E8",
// "1.0E-4"). The result is exact.
func ParseNumber(s string) (*big.Rat, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil, fmt.Errorf("parse number %q: empty", s)
	}
	r, ok := new(big.Rat).SetString(t)
	if !ok || strings.ContainsAny(t, "/xXpP_") {
		return nil, fmt.Errorf("parse number %q: not a decimal number", s)
	}
	return r, nil
}

func plainDecimal(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	// Find the smallest number of decimals that represents r exactly (a
	// finite decimal always does, since inputs are decimal text).
	for prec := 1; prec <= 1000; prec++ {
		s := r.FloatString(prec)
		if back, ok := new(big.Rat).SetString(s); ok && back.Cmp(r) == 0 {
			return s
		}
	}
	return r.FloatString(30)
}

// ParseBool parses "true"/"false" in any case (and "1"/"0").
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("parse boolean %q: want true or false", s)
}

// ParseDate parses a date as Salesforce renders it ("2015-05-15", and the
// "1940-06-07Z" form seen in Bulk 1.0 samples).
func ParseDate(s string) (time.Time, error) {
	t := strings.TrimSuffix(strings.TrimSpace(s), "Z")
	d, err := time.Parse("2006-01-02", t)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse date %q: want yyyy-mm-dd", s)
	}
	return d, nil
}

var dateTimeLayouts = []string{
	"2006-01-02T15:04:05.000Z0700", // 2021-12-03T17:59:20.000+0000 (REST, Bulk 1.0 JSON, Bulk 2.0 JSON)
	"2006-01-02T15:04:05Z0700",
	time.RFC3339Nano, // 2021-12-03T17:59:20.000Z, +00:00
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04:05.000",
}

// ParseDateTime parses a datetime as Salesforce renders it: with "Z", "+0000"
// or "+00:00", with or without milliseconds; the result is in UTC.
func ParseDateTime(s string) (time.Time, error) {
	t := strings.TrimSpace(s)
	for _, layout := range dateTimeLayouts {
		if d, err := time.Parse(layout, t); err == nil {
			return d.UTC(), nil
		}
	}
	// Bulk 1.0 JSON query results render datetimes as epoch milliseconds.
	if ms, err := strconv.ParseInt(t, 10, 64); err == nil && len(t) >= 10 {
		return time.UnixMilli(ms).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("parse datetime %q: want yyyy-mm-ddThh:mm:ss.sssZ", s)
}

// ParseTime parses a time of day ("17:59:20.000Z").
func ParseTime(s string) (time.Time, error) {
	t := strings.TrimSuffix(strings.TrimSpace(s), "Z")
	for _, layout := range []string{"15:04:05.000", "15:04:05", "15:04"} {
		if d, err := time.Parse(layout, t); err == nil {
			return d, nil
		}
	}
	return time.Time{}, fmt.Errorf("parse time %q: want hh:mm:ss.sssZ", s)
}

// FormatDouble renders f the way Salesforce does in query results and Bulk 2.0
// result echoes (Java Double.toString): "1500.0", "0.001", "9.12260031E8",
// "1.0E-4".
func FormatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64) // 9.12260031E+08
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	neg := strings.HasPrefix(exp, "-")
	exp = strings.TrimLeft(exp, "+-")
	exp = strings.TrimLeft(exp, "0")
	if exp == "" {
		exp = "0"
	}
	if neg {
		exp = "-" + exp
	}
	return mant + "E" + exp
}

// Canonical returns a form of a rendered value in which two renderings of the
// same typed value are equal: numbers as exact plain decimals, booleans
// lower-case, dates as yyyy-mm-dd, datetimes in UTC with milliseconds, Ids in
// their 18-character form; "" and "#N/A" are both null (""). A value that does
// not parse as kind is returned as given.
func Canonical(kind Kind, s string) string {
	if s == "" || s == "#N/A" || kind == KindNull {
		return ""
	}
	switch kind {
	case KindNumber:
		if r, err := ParseNumber(s); err == nil {
			return plainDecimal(r)
		}
	case KindBool:
		if b, err := ParseBool(s); err == nil {
			return strconv.FormatBool(b)
		}
	case KindDate:
		if d, err := ParseDate(s); err == nil {
			return d.Format("2006-01-02")
		}
	case KindDateTime:
		if d, err := ParseDateTime(s); err == nil {
			return d.Format("2006-01-02T15:04:05.000Z")
		}
	case KindTime:
		if d, err := ParseTime(s); err == nil {
			return d.Format("15:04:05.000")
		}
	default:
		if len(s) == 15 && sfid.Valid(s) {
			return sfid.To18(s)
		}
		if len(s) == 18 && sfid.Valid(s) {
			return sfid.To18(s) // normalise the checksum's case
		}
	}
	return s
}

// SameValue reports whether a and b render the same value of the given kind
// (see Canonical).
func SameValue(kind Kind, a, b string) bool { return Canonical(kind, a) == Canonical(kind, b) }

// ParseValue reads s as a value of the given kind ("" is null): numbers in
// any rendering Salesforce uses, booleans, dates, datetimes (normalised to
// UTC) and times. It is how text from a configuration or a query becomes a
// Value to write.
func ParseValue(kind Kind, s string) (Value, error) {
	if s == "" || s == "#N/A" || kind == KindNull {
		return Null(), nil
	}
	switch kind {
	case KindNumber:
		return Number(s)
	case KindBool:
		b, err := ParseBool(s)
		return Bool(b), err
	case KindDate:
		d, err := ParseDate(s)
		return Date(d), err
	case KindDateTime:
		d, err := ParseDateTime(s)
		return DateTime(d), err
	case KindTime:
		d, err := ParseTime(s)
		return Time(d), err
	case KindText:
		return Text(s), nil
	}
	return Value{}, fmt.Errorf("parse %q: invalid kind", s)
}
