package planner

import (
	"errors"
	"strconv"
	"strings"
)

// decimal is an exact decimal number: (-1)^neg × digits × 10^exp, with digits
// free of leading and trailing zeros ("" for zero, which is never negative).
// Salesforce stores numbers as decimals with a precision and a scale, so
// comparing them as floats would both invent and hide differences.
type decimal struct {
	neg    bool
	digits string
	exp    int
}

// maxExponent bounds the numbers sfsync accepts, so that a value such as
// 1e999999999 cannot make a plain rendering of a billion digits. Salesforce's
// numbers have at most 18 digits, and a Java double's range ends near 1e308.
const maxExponent = 400

var errNotNumber = errors.New("not a number")

// parseDecimal reads a decimal in plain or scientific notation: an optional
// sign, digits with an optional point, and an optional exponent — what people
// write and what Java's Double.toString renders ("9.12260031E8", "1.0E-4").
// NaN, infinities, hexadecimal, separators and spaces are refused.
func parseDecimal(s string) (decimal, error) {
	var d decimal
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		d.neg = s[i] == '-'
		i++
	}
	var mant strings.Builder
	intDigits, fracDigits := 0, 0
	for i < len(s) && isDigit(s[i]) {
		mant.WriteByte(s[i])
		intDigits++
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			mant.WriteByte(s[i])
			fracDigits++
			i++
		}
	}
	if intDigits+fracDigits == 0 {
		return decimal{}, errNotNumber
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		start := i
		for i < len(s) && isDigit(s[i]) {
			if exp < 1e6 { // anything larger is out of range anyway
				exp = exp*10 + int(s[i]-'0')
			}
			i++
		}
		if i == start {
			return decimal{}, errNotNumber
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return decimal{}, errNotNumber
	}
	digits := strings.TrimLeft(mant.String(), "0")
	exp -= fracDigits
	trimmed := strings.TrimRight(digits, "0")
	exp += len(digits) - len(trimmed)
	d.digits = trimmed
	if d.digits == "" {
		return decimal{}, nil
	}
	d.exp = exp
	if top := len(d.digits) + d.exp; top > maxExponent || d.exp < -maxExponent {
		return decimal{}, errors.New("number out of range")
	}
	return d, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (d decimal) isZero() bool { return d.digits == "" }

// String renders d in plain notation without exponent, trailing zeros or a
// trailing point: "912260031", "1500.5", "-0.001", "0".
func (d decimal) String() string {
	if d.isZero() {
		return "0"
	}
	var b strings.Builder
	if d.neg {
		b.WriteByte('-')
	}
	switch point := len(d.digits) + d.exp; {
	case d.exp >= 0:
		b.WriteString(d.digits)
		b.WriteString(strings.Repeat("0", d.exp))
	case point <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -point))
		b.WriteString(d.digits)
	default:
		b.WriteString(d.digits[:point])
		b.WriteByte('.')
		b.WriteString(d.digits[point:])
	}
	return b.String()
}

// intDigits is the number of digits before the decimal point (0 for 0.5).
func (d decimal) intDigits() int {
	return max(0, len(d.digits)+d.exp)
}

// fracDigits is the number of digits after the decimal point.
func (d decimal) fracDigits() int {
	return max(0, -d.exp)
}

// round rounds d to scale digits after the point, half away from zero (Java's
// HALF_UP). UNCERTAIN: Salesforce documents that it rounds values with more
// decimal places than a field's scale, not which rule it uses; half-up is what
// its formula ROUND and Apex's default for currency use.
func (d decimal) round(scale int) decimal {
	drop := -d.exp - scale // digits to drop from the end
	if d.isZero() || drop <= 0 {
		return d
	}
	keep := len(d.digits) - drop
	if keep < 0 {
		return decimal{}
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
		return decimal{}
	}
	return decimal{neg: d.neg, digits: trimmed, exp: exp}
}

// float64 is the double nearest to d.
func (d decimal) float64() float64 {
	if d.isZero() {
		return 0
	}
	s := d.digits + "e" + strconv.Itoa(d.exp)
	if d.neg {
		s = "-" + s
	}
	f, _ := strconv.ParseFloat(s, 64) // out of range gives ±Inf, which compares fine
	return f
}
