package soql

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sfsync/sfsync/internal/sfvalue"
)

type tokenKind int

const (
	_ tokenKind = iota
	tokEOF
	tokIdent
	tokString
	tokNumber
	tokDate
	tokDateTime
	tokPunct // ( ) , . : = != <> < <= > >=
	tokOther // any other character; always a syntax error where it appears
)

type token struct {
	kind tokenKind
	text string // as written (identifier, number, punctuation)
	pos  Pos
	// strings
	value, pattern string
	// dates and datetimes
	time time.Time
}

// display is how an unexpected-token message names the token.
func (t token) display() string {
	switch t.kind {
	case tokEOF:
		return "<EOF>"
	case tokString:
		return t.text
	}
	return t.text
}

// lex splits src into tokens. Its errors are MALFORMED_QUERY.
func lex(src string) ([]token, *Error) {
	var toks []token
	i := 0
	for {
		for i < len(src) && isSpace(src[i]) {
			i++
		}
		if i >= len(src) {
			toks = append(toks, token{kind: tokEOF, pos: Pos(i)})
			return toks, nil
		}
		start := i
		c := src[i]
		switch {
		case isLetter(c):
			for i < len(src) && isIdentByte(src[i]) {
				i++
			}
			toks = append(toks, token{kind: tokIdent, text: src[start:i], pos: Pos(start)})
		case isDigit(c) || (c == '-' || c == '+') && i+1 < len(src) && isDigit(src[i+1]):
			tok, n, err := lexNumberOrDate(src, start)
			if err != nil {
				return nil, err
			}
			toks = append(toks, tok)
			i = n
		case c == '\'':
			tok, n, err := lexString(src, start)
			if err != nil {
				return nil, err
			}
			toks = append(toks, tok)
			i = n
		case c == '!' && i+1 < len(src) && src[i+1] == '=',
			c == '<' && i+1 < len(src) && (src[i+1] == '=' || src[i+1] == '>'),
			c == '>' && i+1 < len(src) && src[i+1] == '=':
			i += 2
			toks = append(toks, token{kind: tokPunct, text: src[start:i], pos: Pos(start)})
		case strings.IndexByte("(),.:=<>", c) >= 0:
			i++
			toks = append(toks, token{kind: tokPunct, text: src[start:i], pos: Pos(start)})
		default:
			_, size := utf8.DecodeRuneInString(src[i:])
			i += size
			toks = append(toks, token{kind: tokOther, text: src[start:i], pos: Pos(start)})
		}
	}
}

func isSpace(c byte) bool  { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isIdentByte(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '_'
}

func digitsAt(src string, i, n int) bool {
	if i+n > len(src) {
		return false
	}
	for k := i; k < i+n; k++ {
		if !isDigit(src[k]) {
			return false
		}
	}
	return true
}

// lexNumberOrDate reads a number (-1.5, 1e3), a date (2024-01-31) or a
// datetime (2024-01-31T10:00:00Z, …+05:00, …00.000Z).
func lexNumberOrDate(src string, start int) (token, int, *Error) {
	if digitsAt(src, start, 4) && start+10 <= len(src) && src[start+4] == '-' &&
		digitsAt(src, start+5, 2) && src[start+7] == '-' && digitsAt(src, start+8, 2) {
		return lexDate(src, start)
	}
	i := start
	if src[i] == '-' || src[i] == '+' {
		i++
	}
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	if i+1 < len(src) && src[i] == '.' && isDigit(src[i+1]) {
		i++
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			i = j
		}
	}
	if i < len(src) && isIdentByte(src[i]) {
		// 12abc: Salesforce's lexer fails on the character after the number.
		end := i
		for end < len(src) && isIdentByte(src[end]) {
			end++
		}
		return token{}, 0, errUnexpected(src, Pos(start), src[start:end])
	}
	return token{kind: tokNumber, text: src[start:i], pos: Pos(start)}, i, nil
}

func lexDate(src string, start int) (token, int, *Error) {
	i := start + 10
	if i < len(src) && src[i] == 'T' {
		// datetime: THH:MM:SS[.fff](Z|±HH:MM)
		j := i + 1
		if !(digitsAt(src, j, 2) && j+8 <= len(src) && src[j+2] == ':' && digitsAt(src, j+3, 2) &&
			src[j+5] == ':' && digitsAt(src, j+6, 2)) {
			return token{}, 0, errInvalidDateTime(src, start, wordEnd(src, start))
		}
		j += 8
		if j < len(src) && src[j] == '.' {
			j++
			k := j
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			if j == k {
				return token{}, 0, errInvalidDateTime(src, start, wordEnd(src, start))
			}
		}
		switch {
		case j < len(src) && (src[j] == 'Z' || src[j] == 'z'):
			j++
		case j < len(src) && (src[j] == '+' || src[j] == '-') && digitsAt(src, j+1, 2) &&
			j+6 <= len(src) && src[j+3] == ':' && digitsAt(src, j+4, 2):
			j += 6
		case j < len(src) && (src[j] == '+' || src[j] == '-') && digitsAt(src, j+1, 4):
			j += 5
		default:
			return token{}, 0, errInvalidDateTime(src, start, wordEnd(src, start))
		}
		if j < len(src) && isIdentByte(src[j]) {
			return token{}, 0, errInvalidDateTime(src, start, wordEnd(src, start))
		}
		text := src[start:j]
		// SOQL takes a lower-case z too; the value rules are Salesforce's.
		t, err := sfvalue.ParseDateTime(strings.Replace(text, "z", "Z", 1))
		if err != nil {
			return token{}, 0, errInvalidDateTime(src, start, j)
		}
		return token{kind: tokDateTime, text: text, pos: Pos(start), time: t}, j, nil
	}
	if i < len(src) && isIdentByte(src[i]) {
		return token{}, 0, errInvalidDateTime(src, start, wordEnd(src, start))
	}
	text := src[start:i]
	t, err := sfvalue.ParseDate(text)
	if err != nil {
		return token{}, 0, errInvalidDateTime(src, start, i)
	}
	return token{kind: tokDate, text: text, pos: Pos(start), time: t}, i, nil
}

func wordEnd(src string, i int) int {
	for i < len(src) && !isSpace(src[i]) && src[i] != ')' && src[i] != ',' {
		i++
	}
	return i
}

func errInvalidDateTime(src string, start, end int) *Error {
	// UNCERTAIN: Salesforce's wording for a malformed date or datetime.
	return errorAt(src, Pos(start), CodeMalformedQuery, "line 1:%d no viable alternative at character '%s'",
		start, src[start:end])
}

// lexString reads a single-quoted string with SOQL's backslash escapes:
// \n \r \t \b \f \" \' \\ \uXXXX, plus \% and \_ for LIKE. Any other
// backslash sequence is an error.
func lexString(src string, start int) (token, int, *Error) {
	var value, pattern strings.Builder
	i := start + 1
	for {
		if i >= len(src) {
			// UNCERTAIN: the wording of Salesforce's lexer error (its ANTLR
			// form, with a 0-based column, is what clients report).
			return token{}, 0, &Error{Code: CodeMalformedQuery,
				Message: fmt.Sprintf("line 1:%d mismatched character '<EOF>' expecting '''", len(src))}
		}
		c := src[i]
		if c == '\'' {
			i++
			break
		}
		if c != '\\' {
			r, size := utf8.DecodeRuneInString(src[i:])
			value.WriteRune(r)
			pattern.WriteRune(r)
			i += size
			continue
		}
		if i+1 >= len(src) {
			return token{}, 0, &Error{Code: CodeMalformedQuery,
				Message: fmt.Sprintf("line 1:%d mismatched character '<EOF>' expecting '''", len(src))}
		}
		e := src[i+1]
		var r rune
		switch e {
		case 'n':
			r = '\n'
		case 'r':
			r = '\r'
		case 't':
			r = '\t'
		case 'b':
			r = '\b'
		case 'f':
			r = '\f'
		case '"':
			r = '"'
		case '\'':
			r = '\''
		case '\\':
			value.WriteByte('\\')
			pattern.WriteString(`\\`)
			i += 2
			continue
		case '%', '_':
			value.WriteString(src[i : i+2])
			pattern.WriteString(src[i : i+2])
			i += 2
			continue
		case 'u':
			if i+6 <= len(src) {
				if n, err := strconv.ParseUint(src[i+2:i+6], 16, 32); err == nil {
					r = rune(n)
					value.WriteRune(r)
					pattern.WriteRune(r)
					i += 6
					continue
				}
			}
			return token{}, 0, errBadEscape(src, start, i)
		default:
			return token{}, 0, errBadEscape(src, start, i)
		}
		value.WriteRune(r)
		pattern.WriteRune(r)
		i += 2
	}
	return token{kind: tokString, text: src[start:i], pos: Pos(start), value: value.String(), pattern: pattern.String()}, i, nil
}

func errBadEscape(src string, start, at int) *Error {
	end := min(at+2, len(src))
	// UNCERTAIN: Salesforce's wording for an illegal escape.
	return errorAt(src, Pos(start), CodeMalformedQuery,
		"Invalid string literal %s. Illegal character sequence '%s' in string literal.",
		src[start:wordEnd(src, at)], src[at:end])
}
