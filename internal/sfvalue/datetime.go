package sfvalue

import (
	"fmt"
	"time"
)

// Layouts (for time.Time.Format) of the renderings Salesforce writes.
const (
	// DateLayout is a date: 2015-05-15.
	DateLayout = "2006-01-02"
	// DateTimeLayout is a datetime in Bulk CSV and XML, and what sfsync
	// uploads: 2021-12-03T17:59:20.000Z. Format a time in UTC with it
	// (FormatDateTime does).
	DateTimeLayout = "2006-01-02T15:04:05.000Z"
	// RESTDateTimeLayout is a datetime in REST and Bulk API 1.0 JSON:
	// 2021-12-03T17:59:20.000+0000 for a time in UTC.
	RESTDateTimeLayout = "2006-01-02T15:04:05.000-0700"
	// TimeLayout is a time of day: 17:59:20.000Z.
	TimeLayout = "15:04:05.000Z"
)

// ParseDate reads a date, yyyy-MM-dd, also with the Z that Bulk API 1.0's
// samples show (1940-06-07Z), as midnight UTC of that day. A date with an
// offset is refused, as Bulk API 2.0 refuses it (reference §2.9), and so is
// a datetime.
func ParseDate(s string) (time.Time, error) {
	t := s
	if len(t) == 11 && t[10] == 'Z' {
		t = t[:10]
	}
	if len(t) != 10 || !digits(t, 0, 4) || t[4] != '-' || !digits(t, 5, 2) || t[7] != '-' || !digits(t, 8, 2) {
		return time.Time{}, fmt.Errorf("%q is not a date (want yyyy-MM-dd)", s)
	}
	y, m, d := num(t, 0, 4), num(t, 5, 2), num(t, 8, 2)
	if !validDate(y, m, d) {
		return time.Time{}, fmt.Errorf("%q is not a valid date", s)
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
}

// FormatDate renders t's year, month and day: 2015-05-15.
func FormatDate(t time.Time) string { return t.Format(DateLayout) }

// ParseDateTime reads a datetime as Salesforce accepts and renders it
// (reference §2.9, §6.1, §6.4): yyyy-MM-ddTHH:mm:ss, an optional fraction
// of a second, and a zone: Z, +HH:mm or +HHmm (REST's +0000). The result is
// in UTC, truncated to milliseconds, which is what Salesforce keeps, and
// within the years 0001 to 9999.
//
// A datetime without a zone is refused. Salesforce documents only the zoned
// forms; what it makes of a zone-less value (UTC, or some user's time zone)
// is not documented, and a value whose instant is not known cannot be
// planned or compared. Seconds are required, as in every documented form.
//
// UNCERTAIN: how Salesforce treats digits beyond milliseconds is not
// documented; truncation is what Java's SimpleDateFormat-based parsing of
// the first three digits amounts to.
func ParseDateTime(s string) (time.Time, error) {
	// yyyy-MM-ddTHH:mm:ss is 19 bytes.
	if len(s) < 20 || !digits(s, 0, 4) || s[4] != '-' || !digits(s, 5, 2) || s[7] != '-' || !digits(s, 8, 2) ||
		s[10] != 'T' || !digits(s, 11, 2) || s[13] != ':' || !digits(s, 14, 2) || s[16] != ':' || !digits(s, 17, 2) {
		return time.Time{}, errNotDateTime(s)
	}
	y, mo, d := num(s, 0, 4), num(s, 5, 2), num(s, 8, 2)
	h, mi, sec := num(s, 11, 2), num(s, 14, 2), num(s, 17, 2)
	i := 19
	ms, i, ok := fraction(s, i)
	if !ok {
		return time.Time{}, errNotDateTime(s)
	}
	offset, ok, valid := zone(s[i:])
	if !ok {
		return time.Time{}, errNotDateTime(s)
	}
	if !validDate(y, mo, d) || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, fmt.Errorf("%q is not a valid datetime", s)
	}
	if !valid {
		return time.Time{}, fmt.Errorf("%q has an invalid time zone offset", s)
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ms*int(time.Millisecond), time.UTC)
	t = t.Add(-time.Duration(offset) * time.Second)
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, fmt.Errorf("%q is out of range (years 0001 to 9999)", s)
	}
	return t, nil
}

func errNotDateTime(s string) error {
	return fmt.Errorf("%q is not a datetime (want yyyy-MM-ddTHH:mm:ss.SSSZ or an offset such as +02:00)", s)
}

// FormatDateTime renders t in UTC, to the millisecond, as Bulk CSV results
// show datetimes and as sfsync uploads them: 2021-12-03T17:59:20.000Z.
func FormatDateTime(t time.Time) string { return t.UTC().Format(DateTimeLayout) }

// ParseTime reads a time of day: HH:mm:ss, an optional fraction of a second
// and an optional Z (Salesforce renders HH:mm:ss.SSSZ; reference §6.4,
// UNCERTAIN). The result is that time on January 1 of year 0, UTC, as
// time.Parse gives it, truncated to milliseconds. An offset other than Z is
// refused: a time field has no zone.
func ParseTime(s string) (time.Time, error) {
	if len(s) < 8 || !digits(s, 0, 2) || s[2] != ':' || !digits(s, 3, 2) || s[5] != ':' || !digits(s, 6, 2) {
		return time.Time{}, errNotTime(s)
	}
	ms, i, ok := fraction(s, 8)
	if !ok || !(i == len(s) || i == len(s)-1 && s[i] == 'Z') {
		return time.Time{}, errNotTime(s)
	}
	h, m, sec := num(s, 0, 2), num(s, 3, 2), num(s, 6, 2)
	if h > 23 || m > 59 || sec > 59 {
		return time.Time{}, fmt.Errorf("%q is not a valid time", s)
	}
	return time.Date(0, 1, 1, h, m, sec, ms*int(time.Millisecond), time.UTC), nil
}

func errNotTime(s string) error {
	return fmt.Errorf("%q is not a time (want HH:mm:ss.SSSZ)", s)
}

// FormatTime renders t's time of day to the millisecond, with Z:
// 17:59:20.000Z.
func FormatTime(t time.Time) string { return t.Format(TimeLayout) }

// fraction reads an optional fraction of a second at s[i:] (a point and at
// least one digit) and returns it in whole milliseconds, dropping finer
// digits, with the index after it.
func fraction(s string, i int) (ms, next int, ok bool) {
	if i >= len(s) || s[i] != '.' {
		return 0, i, true
	}
	i++
	start := i
	for i < len(s) && isDigit(s[i]) {
		if i-start < 3 {
			ms = ms*10 + int(s[i]-'0')
		}
		i++
	}
	if i == start {
		return 0, i, false
	}
	for n := i - start; n < 3; n++ {
		ms *= 10
	}
	return ms, i, true
}

// zone reads z, the whole rest of a datetime, as a zone designator — Z,
// ±HH:mm or ±HHmm — and returns its offset east of UTC in seconds. ok is
// false when z is none of these; valid is false for an offset with more
// than 23 hours or 59 minutes.
func zone(z string) (offset int, ok, valid bool) {
	var h, m int
	switch {
	case z == "Z":
		return 0, true, true
	case len(z) == 6 && z[3] == ':' && digits(z, 1, 2) && digits(z, 4, 2):
		h, m = num(z, 1, 2), num(z, 4, 2)
	case len(z) == 5 && digits(z, 1, 4):
		h, m = num(z, 1, 2), num(z, 3, 2)
	default:
		return 0, false, false
	}
	if z[0] != '+' && z[0] != '-' {
		return 0, false, false
	}
	offset = h*3600 + m*60
	if z[0] == '-' {
		offset = -offset
	}
	return offset, true, h <= 23 && m <= 59
}

func digits(s string, i, n int) bool {
	if i+n > len(s) {
		return false
	}
	for k := i; k < i+n; k++ {
		if !isDigit(s[k]) {
			return false
		}
	}
	return true
}

// num is the number written by the n digits at s[i:] (checked by digits).
func num(s string, i, n int) int {
	v := 0
	for k := i; k < i+n; k++ {
		v = v*10 + int(s[k]-'0')
	}
	return v
}

// validDate reports whether y-m-d is a day of the proleptic Gregorian
// calendar in the years 0001 to 9999.
func validDate(y, m, d int) bool {
	if y < 1 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= daysIn(y, m)
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
