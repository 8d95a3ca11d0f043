package render

import (
	"strings"
	"unicode"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// op is one run of a token diff.
type op struct {
	kind   diffmatchpatch.Operation
	tokens []string
}

// diffTokens diffs two token sequences (lines or words) with go-diff, each
// token standing for one rune. DiffTimeout is 0, so the result never depends
// on how loaded the machine is.
func diffTokens(a, b []string) []op {
	index := map[string]rune{}
	var tokens []string
	encode := func(ts []string) []rune {
		rs := make([]rune, len(ts))
		for i, t := range ts {
			r, ok := index[t]
			if !ok {
				r = tokenRune(len(tokens))
				index[t] = r
				tokens = append(tokens, t)
			}
			rs[i] = r
		}
		return rs
	}
	ra, rb := encode(a), encode(b)
	if len(tokens) > maxTokens {
		// Too many distinct tokens to map onto runes: show a replacement.
		return []op{{diffmatchpatch.DiffDelete, a}, {diffmatchpatch.DiffInsert, b}}
	}
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0
	diffs := dmp.DiffMainRunes(ra, rb, false)
	ops := make([]op, 0, len(diffs))
	for _, d := range diffs {
		var ts []string
		for _, r := range d.Text {
			ts = append(ts, tokens[runeToken(r)])
		}
		if len(ts) > 0 {
			ops = append(ops, op{d.Type, ts})
		}
	}
	return ops
}

// Tokens map onto runes from 1 up, skipping the surrogate range, which a Go
// string cannot hold.
const (
	surrogateStart = 0xD800
	surrogateEnd   = 0xE000
	maxTokens      = unicode.MaxRune - (surrogateEnd - surrogateStart) - 1
)

func tokenRune(i int) rune {
	r := rune(i + 1)
	if r >= surrogateStart {
		r += surrogateEnd - surrogateStart
	}
	return r
}

func runeToken(r rune) int {
	if r >= surrogateEnd {
		r -= surrogateEnd - surrogateStart
	}
	return int(r) - 1
}

// splitLines splits text into lines without their line ends; "\r\n" counts as
// one line end.
func splitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Split(s, "\n")
}

// splitWords splits text into alternating runs of spaces and non-spaces, so
// that joining the tokens gives the text back.
func splitWords(s string) []string {
	var out []string
	start := 0
	inSpace := false
	for i, r := range s {
		sp := unicode.IsSpace(r)
		if i > start && sp != inSpace {
			out = append(out, s[start:i])
			start = i
		}
		inSpace = sp
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
