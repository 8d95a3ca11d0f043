package render

import (
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/sfsync/sfsync/planner"
)

// DefaultMarkdownLimit is the size the Markdown form stays under by default:
// GitHub refuses comments of 65,536 characters or more. It is counted in
// bytes, which are never fewer than characters.
const DefaultMarkdownLimit = 65536

// noteReserve is the room kept for the note that says what was cut.
const noteReserve = 4096

// Markdown is the -markdown form, for pull-request comments: the closing
// lines, a summary table, warnings, then per object a collapsible section
// with the changes as a diff, the jobs and the limits. When the changes do not
// fit under MaxBytes, the sections are cut and a note says exactly what is
// not shown; the counts are always complete.
type Markdown struct {
	// MaxBytes is the size the output stays under; 0 is
	// DefaultMarkdownLimit.
	MaxBytes int
}

// Plan writes p.
func (m Markdown) Plan(w io.Writer, p *planner.Plan) error {
	limit := m.MaxBytes
	if limit <= 0 {
		limit = DefaultMarkdownLimit
	}
	b := blocker{st: newStyler(false)}
	counts := p.Counts()

	var head strings.Builder
	head.WriteString("### sfsync plan\n\n")
	if p.OrgID != "" {
		fmt.Fprintf(&head, "Org `%s` at %s, state serial %d.\n\n", clean(p.OrgID), mdEscape(p.InstanceURL), p.Serial)
	}
	if counts.Empty() {
		writeMDWarnings(&head, p.Warnings)
		head.WriteString("**No changes.** " + matches(counts) + "\n")
		_, err := io.WriteString(w, head.String())
		return err
	}
	closing := closingLines(counts)
	for i, l := range closing {
		if i == 0 {
			l = "**" + l + "**"
		}
		if i < len(closing)-1 {
			l += "<br>"
		}
		head.WriteString(l + "\n")
	}
	head.WriteString("\n")
	writeMDTable(&head, objectTable(p))
	if len(p.Objects) > 1 {
		head.WriteString("| **Total** |")
		for _, c := range usedColumns(counts) {
			head.WriteString(" **" + group(int64(c.get(counts))) + "** |")
		}
		head.WriteString("\n")
	}
	head.WriteString("\n")
	if counts.Delete > 0 {
		fmt.Fprintf(&head, "> [!CAUTION]\n> This plan deletes %s.\n\n", plural(counts.Delete, "record", "records"))
	}
	writeMDWarnings(&head, p.Warnings)

	var tail strings.Builder
	if len(p.Jobs) > 0 {
		fmt.Fprintf(&tail, "<details><summary>%s</summary>\n\n", html.EscapeString(jobsSummary(p.Jobs)))
		t := table{rows: [][]string{{"Object", "Operation", "Level", "Records", "Cost", "API"}}, right: []bool{false, false, true, true, true, false}}
		for _, j := range p.Jobs {
			t.rows = append(t.rows, []string{j.Object, jobOperation(j), fmt.Sprint(j.Level), group(int64(j.Records)), jobCost(j), j.API.Label()})
		}
		writeMDTable(&tail, t)
		tail.WriteString("\n</details>\n\n")
	}
	if len(p.Limits) > 0 {
		tail.WriteString("**Org daily limits remaining**\n\n")
		t := table{rows: [][]string{{"Limit", "Remaining", "Max", "This plan uses"}}, right: []bool{false, true, true, true}}
		for _, l := range p.Limits {
			use := ""
			if n := limitUse(p, l.Name); n > 0 {
				use = group(int64(n))
			}
			t.rows = append(t.rows, []string{l.Name, group(l.Remaining), group(l.Max), use})
		}
		writeMDTable(&tail, t)
		for _, warn := range limitWarnings(p) {
			fmt.Fprintf(&tail, "\n> [!WARNING]\n> %s\n", mdEscape(warn))
		}
	}

	budget := limit - 1 - head.Len() - tail.Len() - noteReserve
	var body strings.Builder
	type cut struct {
		object        string
		hidden, total int
		deletes       int
	}
	var cuts []cut
	shownChanges, totalChanges := 0, 0
	full := false
	for _, o := range p.Objects {
		if len(o.Changes) == 0 {
			continue
		}
		totalChanges += len(o.Changes)
		// Blocks are rendered only while they fit, so a huge plan costs
		// no more than the comment it makes.
		var blocks []string
		size, longestTicks := 0, 0
		if !full {
			for i := range o.Changes {
				var sb strings.Builder
				for _, l := range b.change(&o.Changes[i]) {
					sb.WriteString(strings.TrimRight(fmt.Sprintf("%-3s %s%s", l.mark, strings.Repeat("    ", l.depth), l.text), " "))
					sb.WriteByte('\n')
				}
				block := sb.String()
				ticks := max(longestTicks, backtickRun(block))
				add := len(block)
				if i > 0 {
					add++ // the blank line between changes
				}
				frame := len(sectionOpen(o, fence(ticks))) + len(sectionClose(fence(ticks)))
				if body.Len()+size+add+frame > budget {
					full = true
					break
				}
				blocks = append(blocks, block)
				size += add
				longestTicks = ticks
			}
		}
		n := len(blocks)
		if n > 0 {
			f := fence(longestTicks)
			body.WriteString(sectionOpen(o, f))
			for i, block := range blocks {
				if i > 0 {
					body.WriteByte('\n')
				}
				body.WriteString(block)
			}
			body.WriteString(sectionClose(f))
		}
		shownChanges += n
		if n < len(o.Changes) {
			c := cut{object: o.Object, hidden: len(o.Changes) - n, total: len(o.Changes)}
			for _, ch := range o.Changes[n:] {
				if ch.Action == planner.Delete || ch.Action == planner.Replace {
					c.deletes++
				}
			}
			cuts = append(cuts, c)
		}
	}

	var note strings.Builder
	if len(cuts) > 0 {
		fmt.Fprintf(&note, "> [!NOTE]\n> **Output cut** to fit a pull-request comment (%s characters): showing %s of %s changes. Not shown: ",
			group(int64(limit)), group(int64(shownChanges)), group(int64(totalChanges)))
		const maxListed = 20
		var parts []string
		for i, c := range cuts {
			if i == maxListed {
				rest := 0
				for _, c := range cuts[i:] {
					rest += c.hidden
				}
				parts = append(parts, fmt.Sprintf("%s more in %s", group(int64(rest)), plural(len(cuts)-i, "other object", "other objects")))
				break
			}
			part := fmt.Sprintf("%s %s of %s", mdEscape(c.object), group(int64(c.hidden)), plural(c.total, "change", "changes"))
			if c.deletes > 0 {
				part += fmt.Sprintf(" (%s among them)", plural(c.deletes, "delete", "deletes"))
			}
			parts = append(parts, part)
		}
		note.WriteString(strings.Join(parts, "; "))
		note.WriteString(".\n> The counts above are complete. Run `sfsync plan` or `sfsync show PLANFILE` for every change.\n\n")
	}

	for _, s := range []string{head.String(), note.String(), body.String(), tail.String()} {
		if _, err := io.WriteString(w, s); err != nil {
			return err
		}
	}
	return nil
}

// countsPhrase sums up an object's changes: "2 to insert, 1 to delete".
func countsPhrase(c planner.Counts) string {
	var parts []string
	add := func(n int, s string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", group(int64(n)), s))
		}
	}
	add(c.Insert, "to insert")
	add(c.Update, "to update")
	add(c.Delete, "to delete")
	add(c.Adopt, "to adopt")
	add(c.Rebind, "to rebind")
	if c.Deferred > 0 {
		parts = append(parts, plural(c.Deferred, "deferred update", "deferred updates"))
	}
	return strings.Join(parts, ", ")
}

// sectionOpen starts an object's collapsible section and its diff block.
func sectionOpen(o *planner.ObjectPlan, fence string) string {
	return fmt.Sprintf("<details><summary><b>%s</b>: %s</summary>\n\n%sdiff\n",
		html.EscapeString(o.Object), html.EscapeString(countsPhrase(o.Counts())), fence)
}

// sectionClose ends them.
func sectionClose(fence string) string {
	return fence + "\n\n</details>\n\n"
}

// fence is a code fence longer than the longest run of backticks it holds.
func fence(longestRun int) string {
	return strings.Repeat("`", max(3, longestRun+1))
}

// backtickRun is the longest run of backticks in s.
func backtickRun(s string) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// writeMDTable writes t as a Markdown table; its first row is the header.
func writeMDTable(b *strings.Builder, t table) {
	if len(t.rows) == 0 {
		return
	}
	cells := func(r []string) {
		b.WriteString("|")
		for _, c := range r {
			b.WriteString(" " + mdEscape(c) + " |")
		}
		b.WriteString("\n")
	}
	cells(t.rows[0])
	b.WriteString("|")
	for i := range t.rows[0] {
		if i < len(t.right) && t.right[i] {
			b.WriteString(" --: |")
		} else {
			b.WriteString(" :-- |")
		}
	}
	b.WriteString("\n")
	for _, r := range t.rows[1:] {
		cells(r)
	}
}

// writeMDWarnings writes the plan's warnings as a GitHub alert, at most 20
// of them.
func writeMDWarnings(b *strings.Builder, ws []planner.Warning) {
	if len(ws) == 0 {
		return
	}
	b.WriteString("> [!WARNING]\n")
	const maxShown = 20
	for i, wn := range ws {
		if i == maxShown {
			fmt.Fprintf(b, "> - and %s\n", plural(len(ws)-i, "more warning", "more warnings"))
			break
		}
		msg := mdEscape(wn.Message)
		if wn.Address != "" {
			msg = "`" + strings.ReplaceAll(clean(wn.Address), "`", "'") + "`: " + msg
		}
		b.WriteString("> - " + msg + "\n")
	}
	b.WriteString("\n")
}

// mdEscape makes text from the configuration or the org inert in Markdown:
// Markdown's punctuation is backslash-escaped and HTML's special characters
// become entities.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range clean(s) {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case strings.ContainsRune("\\`*_[]|#~!", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
