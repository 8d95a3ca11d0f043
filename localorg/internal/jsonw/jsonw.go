// Package jsonw writes JSON the way Salesforce's servers (Jackson) do, and is
// the org's one JSON writer: objects keep the key order the caller gives
// (Salesforce clients and our conformance tests compare key order), numbers
// are written exactly as given (apiVersion is 60.0, not 60) and doubles as
// Java's Double.toString writes them (9.12260031E8, 1500.0), strings are
// escaped as Jackson escapes them (no HTML escaping, \u00XX in upper case),
// and the output is either compact (REST) or in the pretty style of
// Jackson's DefaultPrettyPrinter (Bulk API 2.0, and REST when the client
// sends X-PrettyPrint). encoding/json can do none of this, hence this
// package.
package jsonw

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/sfsync/sfsync/internal/sfvalue"
)

// Object is a JSON object whose keys are written in order.
type Object []Member

// Member is one key of an Object.
type Member struct {
	Key   string
	Value any
}

// Add appends a key and returns the object, for chaining.
func (o Object) Add(key string, value any) Object { return append(o, Member{key, value}) }

// Get returns the value of the first member named key.
func (o Object) Get(key string) (any, bool) {
	for _, m := range o {
		if m.Key == key {
			return m.Value, true
		}
	}
	return nil, false
}

// Number is a JSON number written verbatim, for example "60.0".
type Number string

// Raw is pre-encoded JSON inserted verbatim (compact output) or re-indented
// (pretty output).
type Raw []byte

// Values the writers accept: nil, bool, string, int, int64, float64 (as
// Java's Double.toString; NaN and infinities, which JSON cannot hold, as
// null), Number and json.Number (verbatim), Raw and json.RawMessage
// (pre-encoded JSON; a RawMessage is compacted), Object, map[string]any
// (keys sorted, as in describe bodies), []any, []string, []Object.

// Compact returns the compact encoding of v.
func Compact(v any) []byte { return AppendCompact(nil, v) }

// AppendCompact appends the compact encoding of v to dst.
func AppendCompact(dst []byte, v any) []byte {
	w := writer{buf: dst, pretty: false}
	w.value(v)
	return w.buf
}

// Pretty returns v in Jackson's default pretty style: two-space indentation
// of object members, "key" : value, arrays on one line with their elements
// separated by ", " (objects inside still break lines), "[ ]" and "{ }" for
// empty containers.
func Pretty(v any) []byte {
	w := writer{pretty: true}
	w.value(v)
	return w.buf
}

type writer struct {
	buf    []byte
	pretty bool
	depth  int
}

func (w *writer) indent() {
	w.buf = append(w.buf, '\n')
	for i := 0; i < w.depth; i++ {
		w.buf = append(w.buf, ' ', ' ')
	}
}

func (w *writer) value(v any) {
	switch x := v.(type) {
	case nil:
		w.buf = append(w.buf, "null"...)
	case bool:
		w.buf = strconv.AppendBool(w.buf, x)
	case string:
		w.buf = AppendString(w.buf, x)
	case int:
		w.buf = strconv.AppendInt(w.buf, int64(x), 10)
	case int64:
		w.buf = strconv.AppendInt(w.buf, x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			// UNCERTAIN: what Salesforce writes; Java's "NaN" is no JSON.
			w.buf = append(w.buf, "null"...)
		} else {
			w.buf = sfvalue.AppendDouble(w.buf, x)
		}
	case Number:
		w.buf = append(w.buf, x...)
	case json.Number:
		w.buf = append(w.buf, x...)
	case json.RawMessage:
		if w.pretty {
			w.value(Raw(x))
			return
		}
		var b bytes.Buffer
		if err := json.Compact(&b, x); err != nil {
			w.buf = append(w.buf, "null"...)
			return
		}
		w.buf = append(w.buf, b.Bytes()...)
	case Raw:
		if !w.pretty {
			w.buf = append(w.buf, x...)
			return
		}
		decoded, err := Decode(x)
		if err != nil {
			w.buf = append(w.buf, x...)
			return
		}
		w.value(decoded)
	case Object:
		w.object(x)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := make(Object, len(keys))
		for i, k := range keys {
			o[i] = Member{k, x[k]}
		}
		w.object(o)
	case []Object:
		arr := make([]any, len(x))
		for i := range x {
			arr[i] = x[i]
		}
		w.array(arr)
	case []string:
		arr := make([]any, len(x))
		for i := range x {
			arr[i] = x[i]
		}
		w.array(arr)
	case []any:
		w.array(x)
	default:
		panic(fmt.Sprintf("jsonw: unsupported type %T", v))
	}
}

func (w *writer) object(o Object) {
	w.buf = append(w.buf, '{')
	if len(o) == 0 {
		if w.pretty {
			w.buf = append(w.buf, ' ')
		}
		w.buf = append(w.buf, '}')
		return
	}
	w.depth++
	for i, m := range o {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		if w.pretty {
			w.indent()
		}
		w.buf = AppendString(w.buf, m.Key)
		if w.pretty {
			w.buf = append(w.buf, " : "...)
		} else {
			w.buf = append(w.buf, ':')
		}
		w.value(m.Value)
	}
	w.depth--
	if w.pretty {
		w.indent()
	}
	w.buf = append(w.buf, '}')
}

func (w *writer) array(a []any) {
	w.buf = append(w.buf, '[')
	if len(a) == 0 {
		if w.pretty {
			w.buf = append(w.buf, ' ')
		}
		w.buf = append(w.buf, ']')
		return
	}
	// Jackson's array indenter is inline: arrays do not deepen the
	// indentation of the objects inside them.
	for i, v := range a {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		if w.pretty {
			w.buf = append(w.buf, ' ')
		}
		w.value(v)
	}
	if w.pretty {
		w.buf = append(w.buf, ' ')
	}
	w.buf = append(w.buf, ']')
}

// hexDigits are Jackson's (CharTypes): upper case, \u001F.
const hexDigits = "0123456789ABCDEF"

// AppendString appends s as a JSON string. Like Jackson it escapes only
// what JSON requires (quote, backslash, control characters); "/", "<>&" and
// non-ASCII characters are written as they are. Invalid UTF-8 becomes
// U+FFFD.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				b = append(b, '\\', '"')
			case c == '\\':
				b = append(b, '\\', '\\')
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// Decode parses one JSON value keeping the order of object keys: objects
// become Object, arrays []any, numbers Number (verbatim), strings, booleans
// and null as themselves. Trailing data after the value is an error.
func Decode(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	v, err := decodeValue(d)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("jsonw: data after the top-level value")
	}
	return v, nil
}

func decodeValue(d *json.Decoder) (any, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	return decodeToken(d, t)
}

func decodeToken(d *json.Decoder, t json.Token) (any, error) {
	switch x := t.(type) {
	case json.Delim:
		switch x {
		case '{':
			o := Object{}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, errors.New("jsonw: object key is not a string")
				}
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				o = append(o, Member{key, v})
			}
			if _, err := d.Token(); err != nil {
				return nil, err
			}
			return o, nil
		case '[':
			a := []any{}
			for d.More() {
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := d.Token(); err != nil {
				return nil, err
			}
			return a, nil
		}
		return nil, fmt.Errorf("jsonw: unexpected %v", x)
	case json.Number:
		return Number(x), nil
	default:
		return x, nil // string, bool, nil
	}
}
