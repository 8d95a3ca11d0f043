package sfvalue

import (
	"math"
	"strconv"
	"strings"
)

// AppendDouble appends x as Java's Double.toString writes it, which is how
// Salesforce (Jackson, in JSON) renders double, currency and percent values
// in Bulk CSV results, Bulk API 2.0 result echoes and REST JSON (reference
// §6.4):
//
//   - 10⁻³ ≤ |x| < 10⁷: plain decimal with at least one digit after the
//     point: 1500.0, 0.5, 1234567.5;
//   - otherwise computerized scientific notation with the shortest digits
//     that read back as x: 9.12260031E8, 9.0E7, 1.0E-4;
//   - 0.0, -0.0, NaN, Infinity, -Infinity.
//
// Java before JDK 19 sometimes printed a digit more than the shortest form;
// we follow the JDK 19 specification (shortest, at least two digits), as
// every recorded value does. ParseDecimal reads every rendering but NaN and
// the infinities back.
func AppendDouble(dst []byte, x float64) []byte {
	switch {
	case math.IsNaN(x):
		return append(dst, "NaN"...)
	case math.IsInf(x, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(x, -1):
		return append(dst, "-Infinity"...)
	case x == 0:
		if math.Signbit(x) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	if a := math.Abs(x); a >= 1e-3 && a < 1e7 {
		start := len(dst)
		dst = strconv.AppendFloat(dst, x, 'f', -1, 64)
		if !strings.ContainsRune(string(dst[start:]), '.') {
			dst = append(dst, '.', '0')
		}
		return dst
	}
	// strconv writes 9.12260031E+08; Java writes 9.12260031E8.
	s := strconv.FormatFloat(x, 'E', -1, 64)
	if len(s) > 1 && s[1] == 'E' || len(s) > 2 && s[0] == '-' && s[2] == 'E' {
		// When one digit would do, Java picks the two-digit decimal
		// closest to x (Double.MIN_VALUE is 4.9E-324, not 5.0E-324); for
		// all but subnormal values that is the digit and a zero.
		s = strconv.FormatFloat(x, 'E', 1, 64)
	}
	mant, exp, _ := strings.Cut(s, "E")
	dst = append(dst, mant...)
	if !strings.ContainsRune(mant, '.') {
		dst = append(dst, '.', '0')
	}
	dst = append(dst, 'E')
	if exp[0] == '-' {
		dst = append(dst, '-')
	}
	exp = strings.TrimLeft(exp[1:], "0")
	return append(dst, exp...)
}

// FormatDouble returns x as Java's Double.toString writes it (9.12260031E8,
// 1500.0), the rendering Salesforce gives double, currency and percent
// values.
func FormatDouble(x float64) string {
	return string(AppendDouble(nil, x))
}
