package bulk

import "strings"

// QuoteSOQL returns s as a SOQL string literal, with the escapes the SOQL
// reference lists (\n \r \t \b \f \" \' \\), for building WHERE clauses
// such as key lookups: "Name IN (" + QuoteSOQL(a) + ", " + QuoteSOQL(b) + ")".
func QuoteSOQL(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// SOQLLiteral renders a value for a SOQL comparison: numbers, booleans,
// dates and datetimes bare, text quoted, null as null.
func SOQLLiteral(v Value) string {
	switch v.kind {
	case KindNull, kindInvalid:
		return "null"
	case KindNumber, KindInteger, KindBool, KindDate, KindDateTime:
		return v.text
	}
	return QuoteSOQL(v.text)
}
