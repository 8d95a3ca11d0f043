package state

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner reads JSON from a stream through a buffer of its own, so that a
// state file is decoded as it is read, without a copy of the whole file.
// It knows where it is (offset, line, column) for error messages, and can
// keep what it has read since a mark, to go back to it or hand it out raw.
type scanner struct {
	r    io.Reader
	buf  []byte
	pos  int   // the next byte to read, in buf
	mark int   // buf[mark:] is kept when the buffer is refilled; -1: none
	base int64 // offset of buf[0] in the input
	// lines is the number of newlines before buf[0]; lastNL the offset of
	// the last of them (-1: none).
	lines  int
	lastNL int64
	eof    bool
	rerr   error // a read error other than io.EOF
}

const scanBuffer = 256 << 10

func newScanner(r io.Reader) *scanner {
	return &scanner{r: r, buf: make([]byte, 0, scanBuffer), mark: -1, lastNL: -1}
}

// fill reads more input; false at the end of it (or on a read error,
// which err reports).
func (d *scanner) fill() bool {
	if d.eof {
		return false
	}
	keep := d.pos
	if d.mark >= 0 {
		keep = d.mark
	}
	if keep > 0 {
		gone := d.buf[:keep]
		if n := bytes.Count(gone, []byte{'\n'}); n > 0 {
			d.lines += n
			d.lastNL = d.base + int64(bytes.LastIndexByte(gone, '\n'))
		}
		n := copy(d.buf, d.buf[keep:])
		d.buf = d.buf[:n]
		d.base += int64(keep)
		d.pos -= keep
		if d.mark >= 0 {
			d.mark -= keep
		}
	}
	if len(d.buf) == cap(d.buf) {
		d.buf = append(d.buf, make([]byte, cap(d.buf))...)[:len(d.buf)]
	}
	for range 100 {
		n, err := d.r.Read(d.buf[len(d.buf):cap(d.buf)])
		d.buf = d.buf[:len(d.buf)+n]
		if err == io.EOF {
			d.eof = true
			return n > 0
		}
		if err != nil {
			d.eof, d.rerr = true, err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	d.eof, d.rerr = true, io.ErrNoProgress
	return false
}

// offset is the input offset of the next byte.
func (d *scanner) offset() int64 { return d.base + int64(d.pos) }

// position returns the line and column of offset off, which must not be
// before the buffer.
func (d *scanner) position(off int64) (line, col int) {
	rel := min(max(int(off-d.base), 0), len(d.buf))
	before := d.buf[:rel]
	line = d.lines + bytes.Count(before, []byte{'\n'}) + 1
	lastNL := d.lastNL
	if i := bytes.LastIndexByte(before, '\n'); i >= 0 {
		lastNL = d.base + int64(i)
	}
	return line, int(d.base + int64(rel) - lastNL)
}

// syntaxError is a JSON syntax error at the byte at offset off.
func (d *scanner) syntaxError(off int64, msg string) error {
	line, col := d.position(off)
	return fmt.Errorf("invalid JSON at line %d, column %d: %s", line, col, msg)
}

// errEarlyEnd is the JSON ending before the value does.
var errEarlyEnd = errors.New("the JSON ends early (truncated?): unexpected end of JSON input")

// endError is the error for input that ended: a read error, or a
// truncated file.
func (d *scanner) endError() error {
	if d.rerr != nil {
		return fmt.Errorf("read: %w", d.rerr)
	}
	return errEarlyEnd
}

// peek skips white space and returns the next byte without reading it;
// false at the end of the input.
func (d *scanner) peek() (byte, bool) {
	for {
		for d.pos < len(d.buf) {
			switch c := d.buf[d.pos]; c {
			case ' ', '\t', '\n', '\r':
				d.pos++
			default:
				return c, true
			}
		}
		if !d.fill() {
			return 0, false
		}
	}
}

// expect reads byte c after white space; context names what c follows in
// the error message, as encoding/json does.
func (d *scanner) expect(c byte, context string) error {
	got, ok := d.peek()
	if !ok {
		return d.endError()
	}
	if got != c {
		return d.syntaxError(d.offset(), "invalid character "+quoteChar(got)+" "+context)
	}
	d.pos++
	return nil
}

// next reads the byte after a member or element: a comma or the closing
// delimiter. more reports a comma.
func (d *scanner) next(closing byte, context string) (more bool, err error) {
	c, ok := d.peek()
	if !ok {
		return false, d.endError()
	}
	d.pos++
	switch c {
	case ',':
		return true, nil
	case closing:
		return false, nil
	}
	return false, d.syntaxError(d.offset()-1, "invalid character "+quoteChar(c)+" "+context)
}

// str reads a JSON string (after white space) and appends its value to
// dst, as encoding/json decodes it: invalid UTF-8 and unpaired surrogates
// become U+FFFD.
func (d *scanner) str(dst []byte) ([]byte, error) {
	if err := d.expect('"', "looking for beginning of value"); err != nil {
		return dst, err
	}
	for {
		// The plain run up to a quote, a backslash, a control character
		// or a non-ASCII byte.
		i := d.pos
		for i < len(d.buf) && plain[d.buf[i]] {
			i++
		}
		dst = append(dst, d.buf[d.pos:i]...)
		d.pos = i
		if d.pos >= len(d.buf) {
			if !d.fill() {
				return dst, d.endError()
			}
			continue
		}
		switch c := d.buf[d.pos]; {
		case c == '"':
			d.pos++
			return dst, nil
		case c < 0x20:
			return dst, d.syntaxError(d.offset(), "invalid character "+quoteChar(c)+" in string literal")
		case c == '\\':
			var err error
			if dst, err = d.escape(dst); err != nil {
				return dst, err
			}
		default:
			if !d.ensure(utf8.UTFMax) && !utf8.FullRune(d.buf[d.pos:]) {
				// The input ends inside the rune: it is invalid, and the
				// string is unterminated.
				return dst, d.endError()
			}
			r, size := utf8.DecodeRune(d.buf[d.pos:])
			dst = utf8.AppendRune(dst, r) // RuneError for invalid bytes
			d.pos += size
		}
	}
}

// plain marks the bytes that stand for themselves in a JSON string.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// ensure tries to have n bytes buffered after pos.
func (d *scanner) ensure(n int) bool {
	for len(d.buf)-d.pos < n {
		if !d.fill() {
			return false
		}
	}
	return true
}

// escape reads the escape sequence at pos.
func (d *scanner) escape(dst []byte) ([]byte, error) {
	if !d.ensure(2) {
		return dst, d.endError()
	}
	c := d.buf[d.pos+1]
	switch c {
	case '"', '\\', '/':
		dst = append(dst, c)
	case 'b':
		dst = append(dst, '\b')
	case 'f':
		dst = append(dst, '\f')
	case 'n':
		dst = append(dst, '\n')
	case 'r':
		dst = append(dst, '\r')
	case 't':
		dst = append(dst, '\t')
	case 'u':
		r, err := d.hex4(2)
		if err != nil {
			return dst, err
		}
		d.pos += 6
		if utf16.IsSurrogate(r) {
			// A pair is two escapes; anything else is U+FFFD, and what
			// follows is read on its own.
			if d.ensure(6) && d.buf[d.pos] == '\\' && d.buf[d.pos+1] == 'u' {
				if r2, err := d.hex4(2); err == nil {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						d.pos += 6
						return utf8.AppendRune(dst, dec), nil
					}
				}
			}
			r = utf8.RuneError
		}
		return utf8.AppendRune(dst, r), nil
	default:
		return dst, d.syntaxError(d.offset()+1, "invalid character "+quoteChar(c)+" in string escape code")
	}
	d.pos += 2
	return dst, nil
}

// hex4 reads the four hexadecimal digits of a \u escape at buf[pos+rel:].
func (d *scanner) hex4(rel int) (rune, error) {
	var r rune
	for i := range 4 {
		if !d.ensure(rel + i + 1) {
			return 0, d.endError()
		}
		c := d.buf[d.pos+rel+i]
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, d.syntaxError(d.offset()+int64(rel+i), "invalid character "+quoteChar(c)+" in \\u hexadecimal character escape")
		}
		r = r<<4 | rune(v)
	}
	return r, nil
}

// maxDepth bounds the nesting of skipped values, as encoding/json does.
const maxDepth = 10000

// skip reads one JSON value (after white space), checking its syntax.
func (d *scanner) skip() error { return d.skipDepth(0) }

func (d *scanner) skipDepth(depth int) error {
	c, ok := d.peek()
	if !ok {
		return d.endError()
	}
	switch {
	case c == '"':
		_, err := d.str(nil)
		return err
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return d.syntaxError(d.offset(), "exceeded max depth")
		}
		d.pos++
		closing, context := byte('}'), "after object key:value pair"
		if c == '[' {
			closing, context = ']', "after array element"
		}
		if e, ok := d.peek(); ok && e == closing {
			d.pos++
			return nil
		}
		for {
			if c == '{' {
				if e, ok := d.peek(); ok && e != '"' {
					return d.syntaxError(d.offset(), "invalid character "+quoteChar(e)+" looking for beginning of object key string")
				}
				if _, err := d.str(nil); err != nil {
					return err
				}
				if err := d.expect(':', "after object key"); err != nil {
					return err
				}
			}
			if err := d.skipDepth(depth + 1); err != nil {
				return err
			}
			more, err := d.next(closing, context)
			if err != nil || !more {
				return err
			}
		}
	case c == '-' || '0' <= c && c <= '9':
		return d.number()
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	}
	return d.syntaxError(d.offset(), "invalid character "+quoteChar(c)+" looking for beginning of value")
}

func (d *scanner) literal(word string) error {
	for i := 0; i < len(word); i++ {
		if !d.ensure(1) {
			return d.endError()
		}
		if c := d.buf[d.pos]; c != word[i] {
			return d.syntaxError(d.offset(), fmt.Sprintf("invalid character %s in literal %s (expecting %s)", quoteChar(c), word, quoteChar(word[i])))
		}
		d.pos++
	}
	return nil
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *scanner) number() error {
	at := func() (byte, bool) {
		if !d.ensure(1) {
			return 0, false
		}
		return d.buf[d.pos], true
	}
	digits := func() error {
		c, ok := at()
		if !ok {
			return d.endError()
		}
		if c < '0' || c > '9' {
			return d.syntaxError(d.offset(), "invalid character "+quoteChar(c)+" in numeric literal")
		}
		for ok && '0' <= c && c <= '9' {
			d.pos++
			c, ok = at()
		}
		return nil
	}
	if c, _ := at(); c == '-' {
		d.pos++
	}
	if c, ok := at(); ok && c == '0' {
		d.pos++
	} else if err := digits(); err != nil {
		return err
	}
	if c, ok := at(); ok && c == '.' {
		d.pos++
		if err := digits(); err != nil {
			return err
		}
	}
	if c, ok := at(); ok && (c == 'e' || c == 'E') {
		d.pos++
		if c, ok := at(); ok && (c == '+' || c == '-') {
			d.pos++
		}
		if err := digits(); err != nil {
			return err
		}
	}
	return nil
}

// raw reads one value and returns its bytes and input offset; they are
// good until the buffer is next refilled.
func (d *scanner) raw() ([]byte, int64, error) {
	if _, ok := d.peek(); !ok {
		return nil, 0, d.endError()
	}
	outer := d.mark
	if outer < 0 {
		d.mark = d.pos
	}
	start := d.pos
	markBefore := d.mark
	err := d.skip()
	// Refills move the buffer: the value starts where the mark moved to.
	start -= markBefore - d.mark
	off := d.base + int64(start)
	data := d.buf[start:d.pos]
	if outer < 0 {
		d.mark = -1
	}
	return data, off, err
}

// quoteChar formats c as encoding/json's syntax errors do.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}
