package render

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sergi/go-diff/diffmatchpatch"
	"github.com/sfsync/sfsync/planner"
)

// line is one line of a change as the human and Markdown forms show it: a
// marker (+, ~, -, -/+, <=, !, " " for a diff's context or none), a nesting
// depth and the text. The
// human form indents and then marks; the Markdown form marks in the first
// column, so that GitHub's diff highlighting colors it.
type line struct {
	mark  string
	depth int
	text  string
}

// Text values longer than this (in characters), or with a line break, are
// shown as a word or line diff rather than as old -> new.
const longText = 80

// Lines of context kept around the changes of a line diff, and words (with
// the spaces between them) around the changes of a word diff.
const (
	contextLines = 2
	contextWords = 6
)

const (
	sensitiveText = "(sensitive value)"
	knownAfter    = "(known after apply)"
)

// marker is the symbol a change is shown with. An adoption or rebind that
// also updates fields is an update of the record (~); without field changes
// it only binds state (<=).
func marker(ch *planner.Change) string {
	switch ch.Action {
	case planner.Insert:
		return "+"
	case planner.Update, planner.DeferredUpdate:
		return "~"
	case planner.Delete:
		return "-"
	case planner.Replace:
		return "-/+"
	case planner.Adopt, planner.Rebind:
		if ch.ChangedFields() > 0 {
			return "~"
		}
		return "<="
	}
	return "?"
}

// blocker builds the lines of changes.
type blocker struct {
	st styler
}

// change returns the lines that show ch.
func (b blocker) change(ch *planner.Change) []line {
	head := b.st.paint(b.st.bold, clean(ch.Address))
	if ch.Action == planner.Delete {
		// A delete stands out: the whole line in red, with the record's
		// Id and key, so that a reviewer sees what goes.
		head = clean(ch.Address)
	}
	if ch.ID != "" && !strings.Contains(ch.Address, ch.ID) {
		head += "  " + clean(ch.ID)
	}
	if ch.Action == planner.Delete {
		var kv []string
		for _, k := range ch.Key {
			kv = append(kv, clean(k.Field)+" = "+clean(k.Value.Display()))
		}
		if len(kv) > 0 {
			head += "  " + strings.Join(kv, ", ")
		}
		head = b.st.paint(b.st.redBold, head)
	}
	lines := []line{{mark: marker(ch), text: head}}
	note := func(s string) { lines = append(lines, line{depth: 1, text: "# " + s}) }

	switch ch.Action {
	case planner.Adopt:
		if ch.ChangedFields() > 0 {
			note("adopt: found in the org by key; bound to this address and updated")
		} else {
			note("adopt: found in the org by key; bound to this address without an org write")
		}
	case planner.Rebind:
		if ch.ChangedFields() > 0 {
			note("rebind: moved from " + clean(ch.From) + " (label renamed, same key) and updated")
		} else {
			note("rebind: moved from " + clean(ch.From) + " (label renamed, same key); no org write")
		}
	case planner.Replace:
		note("replace: a create-only field changes, so the record is deleted and inserted again")
	case planner.DeferredUpdate:
		note("deferred update: set after the inserts, to break a reference cycle")
	}
	if len(ch.Reasons) > 0 {
		var rs []string
		for _, r := range ch.Reasons {
			rs = append(rs, r.String())
		}
		note(strings.Join(rs, "; "))
	}
	for _, c := range ch.Cascade {
		lines = append(lines, line{mark: "!", depth: 1, text: b.st.paint(b.st.yellow, cascadeText(c))})
	}
	return append(lines, b.fields(ch)...)
}

// cascadeText warns about the children a delete takes with it.
func cascadeText(c planner.Cascade) string {
	verb := "refer"
	if c.Count == 1 {
		verb = "refers"
	}
	s := fmt.Sprintf("Warning: deleting it also deletes %s that %s to it by %s",
		plural(c.Count, clean(c.Object)+" record", clean(c.Object)+" records"), verb, clean(c.Field))
	if len(c.Addresses) == 0 {
		return s
	}
	const show = 5
	names := c.Addresses
	if len(names) > show {
		names = names[:show]
	}
	var cl []string
	for _, n := range names {
		cl = append(cl, clean(n))
	}
	s += ": " + strings.Join(cl, ", ")
	if more := c.Count - len(names); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// shown is the fields a change displays: an insert all it sets, anything
// else the fields whose value changes (and on a replace the fields that force
// it).
func shown(ch *planner.Change) []planner.FieldChange {
	if ch.Action == planner.Insert {
		return ch.Fields
	}
	var out []planner.FieldChange
	for _, f := range ch.Fields {
		if f.Changed() || f.ForcesReplacement {
			out = append(out, f)
		}
	}
	return out
}

func (b blocker) fields(ch *planner.Change) []line {
	show := shown(ch)
	width := 0
	for _, f := range show {
		width = max(width, utf8.RuneCountInString(clean(f.Field)))
	}
	var lines []line
	for _, f := range show {
		lines = append(lines, b.field(ch.Action, f, width)...)
	}
	if hidden := ch.Unchanged + len(ch.Fields) - len(show); hidden > 0 {
		lines = append(lines, line{depth: 1, text: "# (" + plural(hidden, "unchanged field", "unchanged fields") + " hidden)"})
	}
	return lines
}

// value shows one side of a field change.
func value(f planner.FieldChange, v planner.Value, ref string) string {
	switch {
	case f.Sensitive:
		return sensitiveText
	case ref != "":
		return clean(ref) + ".Id " + knownAfter
	}
	return clean(v.Display())
}

// isLong reports whether a text value is shown as a diff or heredoc.
func isLong(v planner.Value) bool {
	if v.IsNull() || v.Type() != planner.TypeText {
		return false
	}
	s := v.Canonical()
	return strings.ContainsAny(s, "\n\r") || utf8.RuneCountInString(s) > longText
}

func (b blocker) field(a planner.Action, f planner.FieldChange, width int) []line {
	name := clean(f.Field)
	name += strings.Repeat(" ", width-utf8.RuneCountInString(name))
	if a == planner.Insert {
		if !f.Sensitive && f.Ref == "" && isLong(f.New) && strings.ContainsAny(f.New.Canonical(), "\n\r") {
			return b.heredoc("+", name, f.New.Canonical())
		}
		text := name + " = " + value(f, f.New, f.Ref)
		if f.Deferred {
			text += " # set by the deferred update below"
		}
		return []line{{mark: "+", depth: 1, text: text}}
	}

	mark := "~"
	switch {
	case f.Old.IsNull():
		mark = "+"
	case f.New.IsNull() && f.Ref == "":
		mark = "-"
	}
	var suffix string
	if f.ForcesReplacement {
		suffix = " # forces replacement"
	}
	if !f.Sensitive && f.Ref == "" && (isLong(f.Old) || isLong(f.New)) {
		oldText, newText := f.Old.Canonical(), f.New.Canonical()
		if strings.ContainsAny(oldText+newText, "\n\r") {
			return b.lineDiff(mark, name, oldText, newText, f.New.IsNull(), suffix)
		}
		if !f.Old.IsNull() && !f.New.IsNull() {
			return []line{{mark: mark, depth: 1, text: name + " = " + b.wordDiff(oldText, newText) + suffix}}
		}
	}
	var text string
	switch {
	case f.Sensitive:
		text = name + " = " + sensitiveText
	case mark == "+":
		text = name + " = " + value(f, f.New, f.Ref)
	default:
		text = name + " = " + value(f, f.Old, "") + " -> " + value(f, f.New, f.Ref)
	}
	return []line{{mark: mark, depth: 1, text: text + suffix}}
}

// heredoc shows a multi-line value being set.
func (b blocker) heredoc(mark, name, text string) []line {
	lines := []line{{mark: mark, depth: 1, text: name + " = <<-EOT"}}
	for _, l := range splitLines(text) {
		lines = append(lines, line{mark: " ", depth: 2, text: clean(l)})
	}
	return append(lines, line{mark: " ", depth: 1, text: "EOT"})
}

// lineDiff shows a change of multi-line text line by line, keeping a few
// lines of context around each change and folding the rest.
func (b blocker) lineDiff(mark, name, oldText, newText string, cleared bool, suffix string) []line {
	var oldLines, newLines []string
	if oldText != "" {
		oldLines = splitLines(oldText)
	}
	if newText != "" {
		newLines = splitLines(newText)
	}
	ops := diffTokens(oldLines, newLines)

	type dl struct {
		mark string
		text string
	}
	var all []dl
	for _, o := range ops {
		for _, t := range o.tokens {
			switch o.kind {
			case diffmatchpatch.DiffEqual:
				all = append(all, dl{" ", clean(t)})
			case diffmatchpatch.DiffDelete:
				all = append(all, dl{"-", b.st.paint(b.st.red, clean(t))})
			case diffmatchpatch.DiffInsert:
				all = append(all, dl{"+", b.st.paint(b.st.green, clean(t))})
			}
		}
	}
	// Keep lines within contextLines of a change.
	keep := make([]bool, len(all))
	for i, d := range all {
		if d.mark != " " {
			for j := max(0, i-contextLines); j <= min(len(all)-1, i+contextLines); j++ {
				keep[j] = true
			}
		}
	}
	lines := []line{{mark: mark, depth: 1, text: name + " = <<-EOT" + suffix}}
	for i := 0; i < len(all); {
		if keep[i] {
			lines = append(lines, line{mark: all[i].mark, depth: 2, text: all[i].text})
			i++
			continue
		}
		j := i
		for j < len(all) && !keep[j] {
			j++
		}
		lines = append(lines, line{depth: 2, text: "# (" + plural(j-i, "unchanged line", "unchanged lines") + " hidden)"})
		i = j
	}
	end := "EOT"
	if cleared {
		end += " -> null"
	}
	return append(lines, line{mark: " ", depth: 1, text: end})
}

// wordDiff shows a change of long single-line text word by word: removed
// words as [-…-], added ones as {+…+}, long unchanged stretches elided with
// "…". The markers stay with color on, so the diff reads the same without it.
func (b blocker) wordDiff(oldText, newText string) string {
	ops := diffTokens(splitWords(oldText), splitWords(newText))
	var s strings.Builder
	s.WriteByte('"')
	for i, o := range ops {
		text := strings.Join(o.tokens, "")
		switch o.kind {
		case diffmatchpatch.DiffDelete:
			s.WriteString(b.st.paint(b.st.red, "[-"+quoteInner(text)+"-]"))
		case diffmatchpatch.DiffInsert:
			s.WriteString(b.st.paint(b.st.green, "{+"+quoteInner(text)+"+}"))
		default:
			toks := o.tokens
			first, last := i == 0, i == len(ops)-1
			n := 2 * contextWords // words and the spaces between them
			switch {
			case first && len(toks) > n:
				s.WriteString("…" + quoteInner(strings.Join(toks[len(toks)-n:], "")))
			case last && len(toks) > n:
				s.WriteString(quoteInner(strings.Join(toks[:n], "")) + "…")
			case !first && !last && len(toks) > 2*n:
				s.WriteString(quoteInner(strings.Join(toks[:n], "")) + "…" + quoteInner(strings.Join(toks[len(toks)-n:], "")))
			default:
				s.WriteString(quoteInner(text))
			}
		}
	}
	s.WriteByte('"')
	return s.String()
}

// quoteInner escapes text as inside a quoted string, without the quotes.
func quoteInner(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}
