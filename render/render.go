// Package render prints plans for people and programs: the human form for a
// terminal, JSON (-json) for tools, and Markdown (-markdown) for pull-request
// comments. All three render the same planner.Plan behind one View interface,
// so the command layer picks a form once and never formats a plan itself.
//
// It exists because the plan is what reviewers decide from: its output must
// be deterministic (sorted, no timing-dependent diffs), complete (every field
// that changes; what is folded or cut is said), and safe (sensitive values
// never shown, no escape codes unless the command layer decided on color, and
// no control characters from the data reaching a terminal).
//
// The JSON form's schema is documented in docs/plan-json.md.
package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fatih/color"
	"github.com/sfsync/sfsync/planner"
)

// View renders a plan in one form.
type View interface {
	// Plan writes p to w. p must be sorted (planner.Plan.Sort).
	Plan(w io.Writer, p *planner.Plan) error
}

var (
	_ View = Human{}
	_ View = JSON{}
	_ View = Markdown{}
)

// Format names a view. The zero value is invalid.
type Format int

const (
	_ Format = iota
	// FormatHuman is the terminal form.
	FormatHuman
	// FormatJSON is -json.
	FormatJSON
	// FormatMarkdown is -markdown.
	FormatMarkdown
)

func (f Format) String() string {
	switch f {
	case FormatHuman:
		return "human"
	case FormatJSON:
		return "json"
	case FormatMarkdown:
		return "markdown"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// New returns the view for f. color applies to the human form only; the
// command layer decides it (-no-color, NO_COLOR, not a terminal).
func New(f Format, color bool) (View, error) {
	switch f {
	case FormatHuman:
		return Human{Color: color}, nil
	case FormatJSON:
		return JSON{}, nil
	case FormatMarkdown:
		return Markdown{}, nil
	}
	return nil, fmt.Errorf("no view for %v", f)
}

// styler paints text when color is on and returns it unchanged otherwise. It
// never consults the process's terminal or environment: the command layer
// decided.
type styler struct {
	on                                      bool
	green, yellow, red, cyan, bold, redBold *color.Color
}

func newStyler(on bool) styler {
	s := styler{on: on}
	mk := func(a ...color.Attribute) *color.Color {
		c := color.New(a...)
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	s.green = mk(color.FgGreen)
	s.yellow = mk(color.FgYellow)
	s.red = mk(color.FgRed)
	s.cyan = mk(color.FgCyan)
	s.bold = mk(color.Bold)
	s.redBold = mk(color.FgRed, color.Bold)
	return s
}

func (s styler) paint(c *color.Color, text string) string {
	if !s.on || text == "" {
		return text
	}
	return c.Sprint(text)
}

// mark paints an action or diff marker in its color.
func (s styler) mark(m string) string {
	switch m {
	case "+":
		return s.paint(s.green, m)
	case "~", "!":
		return s.paint(s.yellow, m)
	case "-":
		return s.paint(s.red, m)
	case "-/+":
		return s.paint(s.red, "-/") + s.paint(s.green, "+")
	case "<=":
		return s.paint(s.cyan, m)
	}
	return m
}

// clean makes text from the configuration or the org safe to print: control
// characters (other than tab) become Go escapes, so data can neither move the
// cursor nor inject escape codes.
func clean(s string) string {
	ok := true
	for _, r := range s {
		if r != '\t' && (unicode.IsControl(r) || r == utf8.RuneError) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, n := utf8.DecodeRuneInString(s[i:])
		w = n
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r != '\t' && unicode.IsControl(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// group writes n with thousands separators: 14,990.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// plural writes "1 record", "2 records".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return group(int64(n)) + " " + many
}
