package soql

import (
	"time"

	"github.com/sfsync/sfsync/internal/sfvalue"
)

// Storage layouts of the BRIEF's encoding, which are Salesforce's own
// renderings.
const (
	dateLayout     = sfvalue.DateLayout
	datetimeLayout = sfvalue.DateTimeLayout
)

// dayRange is a half-open range of days [lo, hi), each at midnight in the
// user's time zone.
type dayRange struct{ lo, hi time.Time }

// resolveDateLiteral turns a relative date into the days it covers, counted
// from today (midnight of now in loc). Weeks start on Sunday and quarters
// are calendar quarters, as in an en_US org whose fiscal year is the
// calendar year. Ranges that "include today" (LAST_N_DAYS:n, LAST_90_DAYS)
// run from n days ago through the end of today; NEXT_… ranges start
// tomorrow (or next week, month, …), as Salesforce documents.
func resolveDateLiteral(lit *DateLiteral, now time.Time, loc *time.Location) dayRange {
	now = now.In(loc)
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	day := func(n int) time.Time { return today.AddDate(0, 0, n) }
	week := today.AddDate(0, 0, -int(today.Weekday()))
	weeks := func(n int) time.Time { return week.AddDate(0, 0, 7*n) }
	month := time.Date(y, m, 1, 0, 0, 0, 0, loc)
	months := func(n int) time.Time { return month.AddDate(0, n, 0) }
	quarter := time.Date(y, m-(m-1)%3, 1, 0, 0, 0, 0, loc)
	quarters := func(n int) time.Time { return quarter.AddDate(0, 3*n, 0) }
	year := time.Date(y, 1, 1, 0, 0, 0, 0, loc)
	years := func(n int) time.Time { return year.AddDate(n, 0, 0) }
	n := lit.N

	switch lit.Name {
	case "YESTERDAY":
		return dayRange{day(-1), day(0)}
	case "TODAY":
		return dayRange{day(0), day(1)}
	case "TOMORROW":
		return dayRange{day(1), day(2)}
	case "LAST_WEEK":
		return dayRange{weeks(-1), weeks(0)}
	case "THIS_WEEK":
		return dayRange{weeks(0), weeks(1)}
	case "NEXT_WEEK":
		return dayRange{weeks(1), weeks(2)}
	case "LAST_MONTH":
		return dayRange{months(-1), months(0)}
	case "THIS_MONTH":
		return dayRange{months(0), months(1)}
	case "NEXT_MONTH":
		return dayRange{months(1), months(2)}
	case "LAST_90_DAYS":
		return dayRange{day(-90), day(1)}
	case "NEXT_90_DAYS":
		return dayRange{day(1), day(91)}
	case "LAST_QUARTER":
		return dayRange{quarters(-1), quarters(0)}
	case "THIS_QUARTER":
		return dayRange{quarters(0), quarters(1)}
	case "NEXT_QUARTER":
		return dayRange{quarters(1), quarters(2)}
	case "LAST_YEAR":
		return dayRange{years(-1), years(0)}
	case "THIS_YEAR":
		return dayRange{years(0), years(1)}
	case "NEXT_YEAR":
		return dayRange{years(1), years(2)}
	case "LAST_N_DAYS":
		return dayRange{day(-n), day(1)}
	case "NEXT_N_DAYS":
		return dayRange{day(1), day(1 + n)}
	case "N_DAYS_AGO":
		return dayRange{day(-n), day(-n + 1)}
	case "LAST_N_WEEKS":
		return dayRange{weeks(-n), weeks(0)}
	case "NEXT_N_WEEKS":
		return dayRange{weeks(1), weeks(1 + n)}
	case "N_WEEKS_AGO":
		return dayRange{weeks(-n), weeks(-n + 1)}
	case "LAST_N_MONTHS":
		return dayRange{months(-n), months(0)}
	case "NEXT_N_MONTHS":
		return dayRange{months(1), months(1 + n)}
	case "N_MONTHS_AGO":
		return dayRange{months(-n), months(-n + 1)}
	case "LAST_N_QUARTERS":
		return dayRange{quarters(-n), quarters(0)}
	case "NEXT_N_QUARTERS":
		return dayRange{quarters(1), quarters(1 + n)}
	case "N_QUARTERS_AGO":
		return dayRange{quarters(-n), quarters(-n + 1)}
	case "LAST_N_YEARS":
		return dayRange{years(-n), years(0)}
	case "NEXT_N_YEARS":
		return dayRange{years(1), years(1 + n)}
	case "N_YEARS_AGO":
		return dayRange{years(-n), years(-n + 1)}
	}
	// The parser only admits the names above.
	return dayRange{day(0), day(1)}
}

// dates formats the range for a date column.
func (r dayRange) dates() (lo, hi string) {
	return r.lo.Format(dateLayout), r.hi.Format(dateLayout)
}

// datetimes formats the range for a datetime column: the instants, in UTC,
// at which the first day starts and the day after the last one starts.
func (r dayRange) datetimes() (lo, hi string) {
	return r.lo.UTC().Format(datetimeLayout), r.hi.UTC().Format(datetimeLayout)
}
