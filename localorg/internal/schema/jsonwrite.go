package schema

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Salesforce writes JSON with Jackson: no HTML escaping (Go's encoding/json
// would turn "D&B" into "D\u0026B"), compact unless pretty-printing was
// asked for. appendJSON writes the values this package renders that way.

// jsonObject is a JSON object whose keys are written in the given order.
type jsonObject []kv

type kv struct {
	k string
	v any
}

// appendJSON appends the JSON encoding of v: nil, bool, int, int64,
// float64 (Java Double.toString), string, json.Number, json.RawMessage
// (compacted), []string, []any, jsonObject or map[string]any (keys sorted).
func appendJSON(dst []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...)
	case bool:
		return strconv.AppendBool(dst, v)
	case int:
		return strconv.AppendInt(dst, int64(v), 10)
	case int64:
		return strconv.AppendInt(dst, v, 10)
	case float64:
		return appendJavaDouble(dst, v)
	case string:
		return appendJSONString(dst, v)
	case json.Number:
		return append(dst, v...)
	case json.RawMessage:
		var b bytes.Buffer
		if err := json.Compact(&b, v); err != nil {
			return append(dst, "null"...)
		}
		return append(dst, b.Bytes()...)
	case []string:
		dst = append(dst, '[')
		for i, s := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, s)
		}
		return append(dst, ']')
	case []any:
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSON(dst, e)
		}
		return append(dst, ']')
	case jsonObject:
		dst = append(dst, '{')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, e.k)
			dst = append(dst, ':')
			dst = appendJSON(dst, e.v)
		}
		return append(dst, '}')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := make(jsonObject, len(keys))
		for i, k := range keys {
			o[i] = kv{k, v[k]}
		}
		return appendJSON(dst, o)
	}
	b, err := json.Marshal(v) // not reached: every type this package renders is handled above
	if err != nil {
		return append(dst, "null"...)
	}
	return append(dst, b...)
}

const hexDigits = "0123456789ABCDEF"

// appendJSONString quotes s as Jackson does: `"` and `\` escaped, control
// characters as \n, \t, … or \u00XX, everything else (including non-ASCII
// and "<>&") as is. Invalid UTF-8 becomes U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c >= 0x20:
				dst = append(dst, c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c == '\b':
				dst = append(dst, '\\', 'b')
			case c == '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}
