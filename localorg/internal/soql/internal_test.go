package soql

import (
	"testing"
	"time"
)

func TestResolveDateLiteral(t *testing.T) {
	// Wednesday 14 February 2024, 23:30 in UTC-8: already the 15th in UTC.
	pst := time.FixedZone("PST", -8*3600)
	now := time.Date(2024, 2, 15, 7, 30, 0, 0, time.UTC)
	tests := []struct {
		name   string
		n      int
		lo, hi string
	}{
		{"YESTERDAY", 0, "2024-02-13", "2024-02-14"},
		{"TODAY", 0, "2024-02-14", "2024-02-15"},
		{"TOMORROW", 0, "2024-02-15", "2024-02-16"},
		{"LAST_WEEK", 0, "2024-02-04", "2024-02-11"},
		{"THIS_WEEK", 0, "2024-02-11", "2024-02-18"},
		{"NEXT_WEEK", 0, "2024-02-18", "2024-02-25"},
		{"LAST_MONTH", 0, "2024-01-01", "2024-02-01"},
		{"THIS_MONTH", 0, "2024-02-01", "2024-03-01"},
		{"NEXT_MONTH", 0, "2024-03-01", "2024-04-01"},
		{"LAST_90_DAYS", 0, "2023-11-16", "2024-02-15"},
		{"NEXT_90_DAYS", 0, "2024-02-15", "2024-05-15"},
		{"LAST_QUARTER", 0, "2023-10-01", "2024-01-01"},
		{"THIS_QUARTER", 0, "2024-01-01", "2024-04-01"},
		{"NEXT_QUARTER", 0, "2024-04-01", "2024-07-01"},
		{"LAST_YEAR", 0, "2023-01-01", "2024-01-01"},
		{"THIS_YEAR", 0, "2024-01-01", "2025-01-01"},
		{"NEXT_YEAR", 0, "2025-01-01", "2026-01-01"},
		{"LAST_N_DAYS", 1, "2024-02-13", "2024-02-15"},
		{"NEXT_N_DAYS", 2, "2024-02-15", "2024-02-17"},
		{"N_DAYS_AGO", 14, "2024-01-31", "2024-02-01"},
		{"LAST_N_WEEKS", 2, "2024-01-28", "2024-02-11"},
		{"NEXT_N_WEEKS", 1, "2024-02-18", "2024-02-25"},
		{"N_WEEKS_AGO", 1, "2024-02-04", "2024-02-11"},
		{"LAST_N_MONTHS", 2, "2023-12-01", "2024-02-01"},
		{"NEXT_N_MONTHS", 11, "2024-03-01", "2025-02-01"},
		{"N_MONTHS_AGO", 2, "2023-12-01", "2024-01-01"},
		{"LAST_N_QUARTERS", 2, "2023-07-01", "2024-01-01"},
		{"NEXT_N_QUARTERS", 1, "2024-04-01", "2024-07-01"},
		{"N_QUARTERS_AGO", 4, "2023-01-01", "2023-04-01"},
		{"LAST_N_YEARS", 2, "2022-01-01", "2024-01-01"},
		{"NEXT_N_YEARS", 1, "2025-01-01", "2026-01-01"},
		{"N_YEARS_AGO", 1, "2023-01-01", "2024-01-01"},
	}
	if len(tests) != len(dateLiterals) {
		t.Errorf("%d cases for %d date literals", len(tests), len(dateLiterals))
	}
	for _, tt := range tests {
		lo, hi := resolveDateLiteral(&DateLiteral{Name: tt.name, N: tt.n}, now, pst).dates()
		if lo != tt.lo || hi != tt.hi {
			t.Errorf("%s:%d = [%s, %s), want [%s, %s)", tt.name, tt.n, lo, hi, tt.lo, tt.hi)
		}
	}
	lo, hi := resolveDateLiteral(&DateLiteral{Name: "TODAY"}, now, pst).datetimes()
	if lo != "2024-02-14T08:00:00.000Z" || hi != "2024-02-15T08:00:00.000Z" {
		t.Errorf("TODAY in PST as datetimes = [%s, %s)", lo, hi)
	}
}

func TestCompareFold(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"abc", "ABC", 0},
		{"K", "\u212a", 0}, // KELVIN SIGN folds to k
		{"k", "\u212a", 0},
		{"ſ", "S", 0}, // LATIN SMALL LETTER LONG S folds to s
		{"Ångström", "åNGSTRÖM", 0},
		{"Σίσυφος", "ΣΊΣΥΦΟΣ", 0},
		{"a", "B", -1},
		{"B", "a", 1},
		{"ab", "abc", -1},
		{"", "", 0},
		{"", "a", -1},
		{"z", "Å", -1},
	}
	for _, tt := range tests {
		if got := CompareFold(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareFold(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestLikePattern(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"abc", "ABC", true},
		{"abc", "abcd", false},
		{"a%", "A", true},
		{"%b%", "abc", true},
		{"%b%c", "abbbc", true},
		{"%b%c", "abbbcd", false},
		{"a_c", "aXc", true},
		{"a_c", "ac", false},
		{"%%", "", true},
		{"%", "", true},
		{"_", "", false},
		{`100\%`, "100%", true},
		{`100\%`, "1000", false},
		{`a\_b`, "a_b", true},
		{`a\_b`, "axb", false},
		{`c:\\%`, `C:\temp`, true},
		{"ö%", "ÖL", true},
		{"%ße", "STRAßE", true},
		{"%ß", "STRAßE", false},
		{"_bc", "ébc", true},
	}
	for _, tt := range tests {
		if got := matchPattern(compilePattern(tt.pattern), tt.s); got != tt.want {
			t.Errorf("match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}
