package sfvalue

import (
	"fmt"
	"strconv"
	"strings"
)

// Decimal is an exact decimal number: (-1)^neg × digits × 10^exp, with
// digits free of leading and trailing zeros ("" for zero, which is never
// negative). Salesforce stores numbers as decimals with a precision and a
// scale, so reading them as floats would both invent and hide differences.
// The zero Decimal is 0.
type Decimal struct {
	neg    bool
	digits string
	exp    int
}

// MaxDigits bounds the numbers with a plain rendering (InRange): enough for
// any double (1.7976931348623157E308, 4.9E-324) and any Salesforce number
// (18 digits), and few enough that a value such as 1e999999999 cannot make
// a rendering of a billion digits.
const MaxDigits = 400

// maxExp is where ParseDecimal stops reading an exponent's digits: far
// outside anything InRange accepts, and small enough never to overflow.
const maxExp = 1_000_000

// ParseDecimal reads a number in plain or scientific notation: an optional
// sign, digits with an optional point (digits on at least one side), and an
// optional exponent (e or E, an optional sign, digits) — what people write
// and what Java's Double.toString renders ("9.12260031E8", "1.0E-4").
// NaN, infinities, hexadecimal, separators and spaces are refused. The
// result is exact; an exponent beyond a million is read as a million (see
// InRange).
func ParseDecimal(s string) (Decimal, error) {
	var d Decimal
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		d.neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart := s[start:i]
	var frac string
	if i < len(s) && s[i] == '.' {
		i++
		start = i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		frac = s[start:i]
	}
	if intPart == "" && frac == "" {
		return Decimal{}, errNotNumber(s)
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		start = i
		for i < len(s) && isDigit(s[i]) {
			if exp < maxExp {
				exp = exp*10 + int(s[i]-'0')
			}
			i++
		}
		if i == start {
			return Decimal{}, errNotNumber(s)
		}
		exp = min(exp, maxExp)
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return Decimal{}, errNotNumber(s)
	}
	// digits = intPart + frac without leading and trailing zeros, avoiding
	// the concatenation when one side contributes nothing.
	intPart = strings.TrimLeft(intPart, "0")
	exp -= len(frac)
	trimmed := strings.TrimRight(frac, "0")
	if trimmed == "" {
		exp += len(frac)
		d.digits = intPart
	} else {
		exp += len(frac) - len(trimmed)
		if intPart == "" {
			d.digits = strings.TrimLeft(trimmed, "0")
		} else {
			d.digits = intPart + trimmed
		}
	}
	t := strings.TrimRight(d.digits, "0")
	exp += len(d.digits) - len(t)
	d.digits = t
	if d.digits == "" {
		return Decimal{}, nil
	}
	d.exp = exp
	return d, nil
}

// ParseNumber is ParseDecimal for a number that must have a plain
// rendering: one with more than MaxDigits digits on either side of the
// point (1e999999) is refused as out of range, as no field holds it.
func ParseNumber(s string) (Decimal, error) {
	d, err := ParseDecimal(s)
	if err != nil {
		return d, err
	}
	if !d.InRange() {
		return Decimal{}, fmt.Errorf("%q: number out of range", s)
	}
	return d, nil
}

func errNotNumber(s string) error { return fmt.Errorf("%q is not a number", s) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// IsZero reports whether d is 0.
func (d Decimal) IsZero() bool { return d.digits == "" }

// IntDigits is the number of digits before the decimal point (0 for 0.5).
func (d Decimal) IntDigits() int { return max(0, len(d.digits)+d.exp) }

// FracDigits is the number of digits after the decimal point.
func (d Decimal) FracDigits() int { return max(0, -d.exp) }

// InRange reports whether d has at most MaxDigits digits on either side of
// the point, and so a plain rendering of reasonable size.
func (d Decimal) InRange() bool {
	return d.IntDigits() <= MaxDigits && d.FracDigits() <= MaxDigits
}

// String renders d in plain notation without exponent, trailing zeros or a
// trailing point: "912260031", "1500.5", "-0.001", "0". It is what
// Salesforce accepts on upload. Check InRange first for a number read from
// untrusted text: 1e999999 renders as a million digits.
func (d Decimal) String() string {
	if d.IsZero() {
		return "0"
	}
	var b strings.Builder
	b.Grow(len(d.digits) + 3 + max(d.exp, -d.exp))
	if d.neg {
		b.WriteByte('-')
	}
	switch point := len(d.digits) + d.exp; {
	case d.exp >= 0:
		b.WriteString(d.digits)
		for range d.exp {
			b.WriteByte('0')
		}
	case point <= 0:
		b.WriteString("0.")
		for range -point {
			b.WriteByte('0')
		}
		b.WriteString(d.digits)
	default:
		b.WriteString(d.digits[:point])
		b.WriteByte('.')
		b.WriteString(d.digits[point:])
	}
	return b.String()
}

// Round rounds d to scale digits after the point, half away from zero
// (Java's HALF_UP), as Salesforce rounds a value with more decimal places
// than its field's scale on save. The rounding works on the decimal digits,
// so 123.455 rounds to 123.46 although the nearest double is below it.
// UNCERTAIN: Salesforce documents that it rounds, not which rule it uses;
// half-up is what its formula ROUND and Apex's default for currency use.
func (d Decimal) Round(scale int) Decimal {
	drop := -d.exp - scale // digits to drop from the end
	if d.IsZero() || drop <= 0 {
		return d
	}
	keep := len(d.digits) - drop
	if keep < 0 {
		return Decimal{}
	}
	up := d.digits[keep] >= '5'
	kept := []byte(d.digits[:keep])
	exp := -scale
	if up {
		i := len(kept) - 1
		for ; i >= 0 && kept[i] == '9'; i-- {
			kept[i] = '0'
		}
		if i >= 0 {
			kept[i]++
		} else {
			kept = append([]byte{'1'}, kept...)
		}
	}
	digits := strings.TrimLeft(string(kept), "0")
	trimmed := strings.TrimRight(digits, "0")
	exp += len(digits) - len(trimmed)
	if trimmed == "" {
		return Decimal{}
	}
	return Decimal{neg: d.neg, digits: trimmed, exp: exp}
}

// Float64 is the double nearest to d; ±Inf beyond the doubles' range, 0
// below it.
func (d Decimal) Float64() float64 {
	if d.IsZero() {
		return 0
	}
	b := make([]byte, 0, len(d.digits)+10)
	if d.neg {
		b = append(b, '-')
	}
	b = append(b, d.digits...)
	b = append(b, 'e')
	b = strconv.AppendInt(b, int64(d.exp), 10)
	f, _ := strconv.ParseFloat(string(b), 64) // out of range: ±Inf or 0, as documented
	return f
}

// SameDouble reports whether a and b have the same nearest double: whether
// Salesforce, which renders double, currency and percent values as Java
// doubles (at most 17 significant digits of the up to 18 it stores), can
// show them differently at all. Two numbers compared with one of them read
// from the org are equal when SameDouble says so; anything stricter would
// see a difference no write can remove.
func SameDouble(a, b Decimal) bool { return a.Float64() == b.Float64() }

// DoubleKey is a text two numbers share exactly when SameDouble says they
// are the same: the Java rendering of the nearest double (9.12260031E8 for
// 912260031 and for 912260031.0000000001).
func DoubleKey(d Decimal) string { return FormatDouble(d.Float64()) }
