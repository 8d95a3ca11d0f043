package schema

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/internal/sfvalue"
	"github.com/sfsync/sfsync/localorg/internal/jsonw"
)

// The value codec turns the values clients send (CSV cells, XML text, JSON
// values) into the stored representation of the localorg storage encoding,
// with the errors Salesforce reports, and formats stored values the way
// Salesforce writes them.
//
// Stored values are nil (null), string, int64 or float64:
//
//	id, reference                       string, the 18-character Id
//	string, textarea, email, phone,     string (multipicklist: values joined
//	url, picklist, combobox, …          by ";")
//	boolean                             int64 0 or 1, never nil
//	int, long                           int64
//	double, currency, percent           float64, rounded to the field's scale
//	date                                string YYYY-MM-DD
//	datetime                            string YYYY-MM-DDTHH:MM:SS.sssZ (UTC)
//	time                                string HH:MM:SS.sssZ
//	base64, anyType, json               string, as given
//	address, location                   not stored (compound fields)

// ValueError is a value Salesforce refuses for a field. Error returns it as
// Bulk API reports a record's failure: "CODE:message:Field --", or
// "CODE:message:--" when no field is named.
type ValueError struct {
	Code    string // Salesforce status code: "STRING_TOO_LONG", "INVALID_FIELD", …
	Message string // the message, without the field list
	Field   string // the field's API name, "" when Salesforce names none
	// Unreadable marks a value that is not of the field's type at all
	// ("abc" for a date). Message is then "'abc' is not a valid value for
	// the type xsd:date"; Bulk API puts the CSV column in front of it (see
	// AtColumn), the REST API fails the whole request with JSON_PARSER_ERROR.
	Unreadable bool
}

func (e *ValueError) Error() string {
	if e.Field == "" {
		return e.Code + ":" + e.Message + ":--"
	}
	return e.Code + ":" + e.Message + ":" + e.Field + " --"
}

// AtColumn returns an unreadable-value error as Bulk API reports it for
// the value in column col (0-based) of a CSV row:
//
//	INVALID_FIELD:Failed to deserialize field at col 3. Due to, '2003-04-98' is not a valid value for the type xsd:date:CloseDate --
//
// Other errors are returned unchanged.
func (e *ValueError) AtColumn(col int) *ValueError {
	if !e.Unreadable {
		return e
	}
	c := *e
	c.Message = fmt.Sprintf("Failed to deserialize field at col %d. Due to, %s", col, e.Message)
	return &c
}

func (f *Field) unreadable(s string) *ValueError {
	return &ValueError{
		Code:       "INVALID_FIELD",
		Message:    fmt.Sprintf("'%s' is not a valid value for the type %s", s, f.SOAPType),
		Field:      f.Name,
		Unreadable: true,
	}
}

func (f *Field) refuse(code, format string, args ...any) *ValueError {
	return &ValueError{Code: code, Message: f.Label + ": " + fmt.Sprintf(format, args...), Field: f.Name}
}

// ParseText reads a value given as text — a Bulk CSV cell, the content of
// an XML element — into its stored form. The empty string is null
// (Salesforce stores no empty strings) and, for a boolean, false; deciding
// what an empty CSV cell or "#N/A" means is the caller's business. Errors
// are *ValueError.
//
// Booleans, numbers, dates, datetimes and times are read by Salesforce's
// rules as package sfvalue has them: booleans true/false in any case, or
// 1/0; numbers plain decimals or scientific notation ("1.5E3"), rounded
// half up to the field's scale and refused with NUMBER_OUTSIDE_VALID_RANGE
// when they then have more digits than its precision allows; dates
// yyyy-MM-dd, also with the "Z" of Bulk API 1.0's samples (1940-06-07Z);
// datetimes yyyy-MM-ddTHH:mm:ss with optional fraction and a required zone
// (Z, +01:00, +0100); times HH:mm:ss with optional fraction and Z. Ids are
// 15 or 18 characters, stored as 18; whether an Id names a record of the
// object a reference points to (its key prefix) is the engine's to check.
func (f *Field) ParseText(s string) (any, error) {
	if s == "" {
		if f.Type == TypeBoolean {
			return int64(0), nil
		}
		return nil, nil
	}
	if !utf8.ValidString(s) {
		// Salesforce reads bodies as UTF-8, replacing what is not.
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	switch f.Type {
	case TypeID:
		if !sfid.Valid(s) {
			// REST reports a malformed record Id with no field.
			return nil, &ValueError{Code: "MALFORMED_ID", Message: "malformed id " + s}
		}
		return sfid.To18(s), nil
	case TypeReference:
		if !sfid.Valid(s) {
			return nil, f.refuse("MALFORMED_ID", "id value of incorrect type: %s", s)
		}
		return sfid.To18(s), nil
	case TypeBoolean:
		b, err := sfvalue.ParseBool(s)
		if err != nil {
			return nil, f.unreadable(s)
		}
		if b {
			return int64(1), nil
		}
		return int64(0), nil
	case TypeInt, TypeLong:
		bits := 64
		if f.Type == TypeInt {
			bits = 32
		}
		n, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return nil, f.unreadable(s)
		}
		if f.Digits > 0 && len(strconv.FormatUint(absInt(n), 10)) > f.Digits {
			return nil, f.outOfRange(s)
		}
		return n, nil
	case TypeDouble, TypeCurrency, TypePercent:
		return f.parseNumber(s)
	case TypeDate:
		return f.parseDate(s)
	case TypeDateTime:
		return f.parseDateTime(s)
	case TypeTime:
		return f.parseTime(s)
	case TypeBase64:
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			return nil, f.unreadable(s)
		}
		return s, nil
	case TypeAddress, TypeLocation:
		return nil, f.unreadable(s)
	case TypeEmail:
		if !validEmail(s) {
			return nil, f.refuse("INVALID_EMAIL_ADDRESS", "invalid email address: %s", s)
		}
	case TypePicklist:
		if f.RestrictedPicklist {
			v, ok := f.picklistValue(s)
			if !ok {
				return nil, f.refuse("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "bad value for restricted picklist field: %s", s)
			}
			s = v
		}
	case TypeMultiPicklist:
		v, err := f.parseMultiPicklist(s)
		if err != nil || v == "" {
			return nil, err
		}
		s = v
	}
	if f.Length > 0 && utf16Len(s) > f.Length {
		// UNCERTAIN: the message is from memory of real ones; Salesforce
		// counts UTF-16 code units, as Java does.
		return nil, f.refuse("STRING_TOO_LONG", "data value too large: %s (max length=%d)", s, f.Length)
	}
	return s, nil
}

// picklistValue finds s among the active values of a picklist: exactly, or
// else ignoring case (UNCERTAIN: we believe Salesforce matches restricted
// picklist values case-insensitively and stores the defined spelling).
func (f *Field) picklistValue(s string) (string, bool) {
	for _, v := range f.PicklistValues {
		if v.Active && v.Value == s {
			return v.Value, true
		}
	}
	for _, v := range f.PicklistValues {
		if v.Active && strings.EqualFold(v.Value, s) {
			return v.Value, true
		}
	}
	return "", false
}

// parseMultiPicklist splits s on ";", drops empty and repeated values and,
// for a restricted field, refuses unknown ones. Known values come first, in
// the order the field defines them, then the others as given (UNCERTAIN:
// Salesforce orders stored values by their definition; where it puts
// values of an unrestricted field that are not defined is not known).
func (f *Field) parseMultiPicklist(s string) (string, error) {
	var known, other []string
	rank := map[string]int{}
	for i, v := range f.PicklistValues {
		rank[v.Value] = i
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ";") {
		if part == "" {
			continue
		}
		v, ok := f.picklistValue(part)
		if !ok {
			if f.RestrictedPicklist {
				return "", f.refuse("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "bad value for restricted picklist field: %s", part)
			}
			v = part
		}
		if seen[v] {
			continue
		}
		seen[v] = true
		if ok {
			known = append(known, v)
		} else {
			other = append(other, v)
		}
	}
	slices.SortFunc(known, func(a, b string) int { return rank[a] - rank[b] })
	return strings.Join(append(known, other...), ";"), nil
}

// parseNumber reads a double, currency or percent value, rounds it half up
// to the field's scale (sfvalue.Decimal.Round; UNCERTAIN: Salesforce may
// round currency half even) and checks it against the precision. The
// rounding works on the decimal digits as written, so 123.455 rounds to
// 123.46 although the nearest double is below it.
func (f *Field) parseNumber(s string) (any, error) {
	d, err := sfvalue.ParseDecimal(s)
	if err != nil {
		return nil, f.unreadable(s)
	}
	d = d.Round(f.Scale)
	limit := f.Precision - f.Scale
	if f.Precision == 0 {
		limit = 309 // beyond float64
	}
	if d.IntDigits() > limit {
		return nil, f.outOfRange(s)
	}
	x := d.Float64()
	if math.IsInf(x, 0) {
		return nil, f.outOfRange(s)
	}
	return x, nil
}

func (f *Field) outOfRange(s string) *ValueError {
	return f.refuse("NUMBER_OUTSIDE_VALID_RANGE", "value outside of valid range on numeric field: %s", s)
}

func (f *Field) parseDate(s string) (any, error) {
	d, err := sfvalue.ParseDate(s)
	if err != nil {
		return nil, f.unreadable(s)
	}
	return sfvalue.FormatDate(d), nil
}

func (f *Field) parseDateTime(s string) (any, error) {
	t, err := sfvalue.ParseDateTime(s)
	if err != nil {
		return nil, f.unreadable(s)
	}
	return sfvalue.FormatDateTime(t), nil
}

func (f *Field) parseTime(s string) (any, error) {
	t, err := sfvalue.ParseTime(s)
	if err != nil {
		return nil, f.unreadable(s)
	}
	return sfvalue.FormatTime(t), nil
}

var emailRE = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$`)

// validEmail approximates Salesforce's email check: a local part, "@" and
// a domain with at least one dot (UNCERTAIN: Salesforce's exact rules are
// not published; "badone" is refused, as recorded).
func validEmail(s string) bool {
	return emailRE.MatchString(s)
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func absInt(n int64) uint64 {
	if n < 0 {
		return uint64(-(n + 1)) + 1
	}
	return uint64(n)
}

// ParseJSON reads a value from a JSON request or batch (REST, Bulk JSON)
// into its stored form. null is null (false for a boolean); strings are
// read as ParseText reads text; numbers and booleans are accepted for
// fields of their own type, and for text fields as their literal text, as
// Salesforce's JSON reader coerces them. Errors are *ValueError.
func (f *Field) ParseJSON(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil || d.More() {
		return nil, f.unreadable(strings.TrimSpace(string(raw)))
	}
	switch v := v.(type) {
	case nil:
		if f.Type == TypeBoolean {
			return int64(0), nil
		}
		return nil, nil
	case string:
		return f.ParseText(v)
	case json.Number:
		switch {
		case f.Type.Storage() == RealColumn || f.Type == TypeInt || f.Type == TypeLong || f.Type.isText():
			return f.ParseText(v.String())
		case f.Type == TypeBoolean && (v == "0" || v == "1"):
			return f.ParseText(v.String())
		}
		return nil, f.unreadable(v.String())
	case bool:
		if f.Type == TypeBoolean || f.Type.isText() {
			return f.ParseText(strconv.FormatBool(v))
		}
		return nil, f.unreadable(strconv.FormatBool(v))
	}
	return nil, f.unreadable(strings.TrimSpace(string(raw)))
}

// FormatText returns a stored value as Salesforce writes it in Bulk API CSV
// results and XML bodies (reference §6.4): double, currency and percent as
// Java's Double.toString (9.12260031E8, 1500.0), booleans true/false, dates
// yyyy-MM-dd, datetimes yyyy-MM-ddTHH:mm:ss.SSSZ, null as "". Quoting and
// XML escaping are the caller's.
func (f *Field) FormatText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []byte:
		return string(v)
	}
	switch f.Type.Storage() {
	case RealColumn:
		if x, ok := asFloat(v); ok {
			return sfvalue.FormatDouble(x)
		}
	case IntegerColumn:
		if n, ok := asInt(v); ok {
			if f.Type == TypeBoolean {
				return strconv.FormatBool(n != 0)
			}
			return strconv.FormatInt(n, 10)
		}
	}
	return fmt.Sprint(v)
}

// AppendJSON appends a stored value as the REST API writes it: numbers as
// JSON numbers (double, currency and percent as Java's Double.toString,
// 1500.0), booleans, datetimes as 2021-12-03T17:59:20.000+0000, dates as
// 2021-12-03, null.
func (f *Field) AppendJSON(dst []byte, v any) []byte {
	return f.appendJSON(dst, v, false)
}

// AppendBulkJSON appends a stored value as Bulk API 1.0 writes it in JSON
// query results: as AppendJSON, except that datetimes are epoch
// milliseconds (recorded) and so are dates, at midnight UTC (UNCERTAIN).
func (f *Field) AppendBulkJSON(dst []byte, v any) []byte {
	return f.appendJSON(dst, v, true)
}

func (f *Field) appendJSON(dst []byte, v any, bulk bool) []byte {
	if v == nil {
		return append(dst, "null"...)
	}
	switch f.Type.Storage() {
	case RealColumn:
		if x, ok := asFloat(v); ok && !math.IsNaN(x) && !math.IsInf(x, 0) {
			return sfvalue.AppendDouble(dst, x)
		}
	case IntegerColumn:
		if n, ok := asInt(v); ok {
			if f.Type == TypeBoolean {
				return strconv.AppendBool(dst, n != 0)
			}
			return strconv.AppendInt(dst, n, 10)
		}
	}
	s := f.FormatText(v)
	switch f.Type {
	case TypeDateTime:
		if t, err := time.Parse(sfvalue.DateTimeLayout, s); err == nil {
			if bulk {
				return strconv.AppendInt(dst, t.UnixMilli(), 10)
			}
			return jsonw.AppendString(dst, t.Format(sfvalue.RESTDateTimeLayout))
		}
	case TypeDate:
		if t, err := time.Parse(sfvalue.DateLayout, s); bulk && err == nil {
			return strconv.AppendInt(dst, t.UnixMilli(), 10)
		}
	}
	return jsonw.AppendString(dst, s)
}

func asFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case int64:
		return float64(v), true
	case int:
		return float64(v), true
	}
	return 0, false
}

func asInt(v any) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<63 {
			return int64(v), true
		}
	}
	return 0, false
}

// Default returns the stored value an insert gives the field when it is not
// set: the describe's defaultValue read as the field's type, false for a
// boolean without one, else nil. Server-filled fields (Id, CreatedDate,
// OwnerId, auto numbers) are the engine's to fill.
func (f *Field) Default() any {
	var v any
	switch d := f.DefaultValue.(type) {
	case bool:
		v, _ = f.ParseText(strconv.FormatBool(d))
	case string:
		v, _ = f.ParseText(d)
	case json.Number:
		v, _ = f.ParseText(d.String())
	}
	if v == nil && f.Type == TypeBoolean {
		return int64(0)
	}
	return v
}
