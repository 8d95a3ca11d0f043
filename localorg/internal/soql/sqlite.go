package soql

import (
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"modernc.org/sqlite"
)

// Collation is the SQLite collation compiled queries use for text that
// Salesforce compares case-insensitively: Unicode simple case folding,
// then code point order. The store should create the indexes of such
// columns (case-insensitive external ids, Name) with COLLATE Collation, or
// SQLite cannot use them for these comparisons.
const Collation = "SOQL_NOCASE"

// SQL functions compiled queries call.
const (
	fnLike     = "soql_like"     // soql_like(value, pattern): LIKE, case-insensitive
	fnIncludes = "soql_includes" // soql_includes(multipicklist, value): value is one of the ;-joined values
	fnSetEq    = "soql_mpeq"     // soql_mpeq(multipicklist, 'a;b'): the same set of values
)

var (
	registerOnce sync.Once
	registerErr  error
)

// Register makes the collation and SQL functions compiled queries use known
// to modernc.org/sqlite. They apply to connections opened afterwards, so call
// it before sql.Open. It is safe to call more than once.
func Register() error {
	registerOnce.Do(func() {
		if err := sqlite.RegisterCollationUtf8(Collation, CompareFold); err != nil {
			registerErr = fmt.Errorf("register collation %s: %w", Collation, err)
			return
		}
		funcs := []struct {
			name string
			n    int32
			fn   func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error)
		}{
			{fnLike, 2, sqlLike},
			{fnIncludes, 2, sqlIncludes},
			{fnSetEq, 2, sqlSetEq},
		}
		for _, f := range funcs {
			if err := sqlite.RegisterDeterministicScalarFunction(f.name, f.n, f.fn); err != nil {
				registerErr = fmt.Errorf("register function %s: %w", f.name, err)
				return
			}
		}
	})
	return registerErr
}

// foldRune maps every rune of a case-folding orbit (K, k, KELVIN SIGN) to
// one representative: the lower-case letter for ASCII, the smallest member
// otherwise.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < m {
			m = f
		}
	}
	if 'A' <= m && m <= 'Z' {
		m += 'a' - 'A'
	}
	return m
}

// CompareFold compares a and b ignoring case (Unicode simple folding), in
// code point order of the folded runes: it is the Collation.
func CompareFold(a, b string) int {
	for a != "" && b != "" {
		var ra, rb rune
		if c := a[0]; c < utf8.RuneSelf {
			ra, a = rune(c), a[1:]
		} else {
			var n int
			ra, n = utf8.DecodeRuneInString(a)
			a = a[n:]
		}
		if c := b[0]; c < utf8.RuneSelf {
			rb, b = rune(c), b[1:]
		} else {
			var n int
			rb, n = utf8.DecodeRuneInString(b)
			b = b[n:]
		}
		if ra == rb {
			continue
		}
		fa, fb := foldRune(ra), foldRune(rb)
		if fa < fb {
			return -1
		}
		if fa > fb {
			return 1
		}
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}

func equalFold(a, b string) bool { return CompareFold(a, b) == 0 }

func textArg(v driver.Value) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

// pattern element kinds
const (
	pLit = iota
	pOne
	pAny
)

type patElem struct {
	kind int
	r    rune // folded, for pLit
}

// compilePattern reads a String.Pattern: % and _ are wildcards, \x is a
// literal x.
func compilePattern(p string) []patElem {
	var out []patElem
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRuneInString(p[i:])
		i += n
		switch r {
		case '%':
			if len(out) == 0 || out[len(out)-1].kind != pAny {
				out = append(out, patElem{kind: pAny})
			}
		case '_':
			out = append(out, patElem{kind: pOne})
		case '\\':
			if i < len(p) {
				r, n = utf8.DecodeRuneInString(p[i:])
				i += n
			}
			out = append(out, patElem{kind: pLit, r: foldRune(r)})
		default:
			out = append(out, patElem{kind: pLit, r: foldRune(r)})
		}
	}
	return out
}

// matchPattern matches s against a compiled pattern, case-insensitively,
// with the usual backtracking to the last %.
func matchPattern(pat []patElem, s string) bool {
	runes := []rune(s)
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(runes) {
		if pi < len(pat) {
			switch e := pat[pi]; e.kind {
			case pAny:
				starP, starS = pi, si
				pi++
				continue
			case pOne:
				pi++
				si++
				continue
			case pLit:
				if foldRune(runes[si]) == e.r {
					pi++
					si++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		si = starS
		pi = starP + 1
	}
	for pi < len(pat) && pat[pi].kind == pAny {
		pi++
	}
	return pi == len(pat)
}

// patterns caches compiled LIKE patterns: a query passes the same pattern
// for every row.
var patterns sync.Map

func cachedPattern(p string) []patElem {
	if v, ok := patterns.Load(p); ok {
		return v.([]patElem)
	}
	c := compilePattern(p)
	if len(p) <= 1024 {
		patterns.Store(p, c)
	}
	return c
}

func sqlLike(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	s, ok1 := textArg(args[0])
	p, ok2 := textArg(args[1])
	if !ok1 || !ok2 {
		return int64(0), nil
	}
	if matchPattern(cachedPattern(p), s) {
		return int64(1), nil
	}
	return int64(0), nil
}

func sqlIncludes(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	s, ok1 := textArg(args[0])
	v, ok2 := textArg(args[1])
	if !ok1 || !ok2 {
		return int64(0), nil
	}
	for item := range strings.SplitSeq(s, ";") {
		if equalFold(strings.TrimSpace(item), v) {
			return int64(1), nil
		}
	}
	return int64(0), nil
}

func sqlSetEq(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	s, ok1 := textArg(args[0])
	v, ok2 := textArg(args[1])
	if !ok1 || !ok2 {
		return int64(0), nil
	}
	if sameSet(splitValues(s), splitValues(v)) {
		return int64(1), nil
	}
	return int64(0), nil
}

// splitValues splits a ;-joined multipicklist value, trimming spaces and
// dropping empty entries.
func splitValues(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ";") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	contains := func(set []string, v string) bool {
		for _, x := range set {
			if equalFold(x, v) {
				return true
			}
		}
		return false
	}
	for _, x := range a {
		if !contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !contains(a, x) {
			return false
		}
	}
	return true
}
