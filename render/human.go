package render

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/sfsync/sfsync/planner"
)

// Human is the terminal form: changes grouped by object and sorted by
// address, with only the fields that change, then the closing lines, the
// counts per object, the jobs apply will run and the org's remaining daily
// limits.
type Human struct {
	// Color turns on color (fatih/color); without it no escape code is
	// written.
	Color bool
}

// Plan writes p.
func (h Human) Plan(w io.Writer, p *planner.Plan) error {
	bw := bufio.NewWriter(w)
	st := newStyler(h.Color)
	b := blocker{st: st}
	counts := p.Counts()

	if counts.Empty() {
		writeWarnings(bw, st, p.Warnings)
		fmt.Fprintln(bw, st.paint(st.bold, "No changes.")+" "+matches(counts))
		return bw.Flush()
	}

	fmt.Fprintln(bw, "sfsync will perform the following actions:")
	writeLegend(bw, st, p)
	for _, o := range p.Objects {
		if len(o.Changes) == 0 {
			continue
		}
		fmt.Fprintln(bw)
		fmt.Fprintln(bw, st.paint(st.bold, clean(o.Object)))
		for i := range o.Changes {
			fmt.Fprintln(bw)
			for _, l := range b.change(&o.Changes[i]) {
				writeHumanLine(bw, st, l)
			}
		}
	}
	fmt.Fprintln(bw)
	writeWarnings(bw, st, p.Warnings)
	for _, l := range closingLines(counts) {
		if strings.HasPrefix(l, "Plan:") {
			l = st.paint(st.bold, l)
		}
		fmt.Fprintln(bw, l)
	}
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "Per object:")
	for _, row := range alignTable(objectTable(p)) {
		fmt.Fprintln(bw, "  "+row)
	}
	if len(p.Jobs) > 0 {
		fmt.Fprintln(bw)
		fmt.Fprintln(bw, jobsSummary(p.Jobs)+":")
		for _, row := range alignTable(jobTable(p.Jobs)) {
			fmt.Fprintln(bw, "  "+row)
		}
	}
	if len(p.Limits) > 0 {
		fmt.Fprintln(bw)
		fmt.Fprintln(bw, "Org daily limits remaining:")
		for _, row := range alignTable(limitTable(p)) {
			fmt.Fprintln(bw, "  "+row)
		}
		for _, warn := range limitWarnings(p) {
			fmt.Fprintln(bw, st.paint(st.yellow, "Warning: ")+warn)
		}
	}
	return bw.Flush()
}

// matches says that the org matches the configuration, and for how many
// records.
func matches(c planner.Counts) string {
	if c.Unchanged == 0 {
		return "The org matches the configuration."
	}
	return fmt.Sprintf("The org matches the configuration (%s).", plural(c.Unchanged, "record", "records"))
}

func writeHumanLine(w io.Writer, st styler, l line) {
	if l.mark == "" {
		fmt.Fprintln(w, strings.TrimRight(strings.Repeat(" ", 2+4*l.depth)+l.text, " "))
		return
	}
	// Marks are right-aligned in a column of three, so that -/+ lines up
	// with the others, and the text after them starts at 4 + 4 × depth.
	indent := strings.Repeat(" ", 4*l.depth+3-utf8.RuneCountInString(l.mark))
	fmt.Fprintln(w, strings.TrimRight(indent+st.mark(l.mark)+" "+l.text, " "))
}

func writeWarnings(w io.Writer, st styler, ws []planner.Warning) {
	for _, wn := range ws {
		msg := clean(wn.Message)
		if wn.Address != "" {
			msg = clean(wn.Address) + ": " + msg
		}
		fmt.Fprintln(w, st.paint(st.yellow, "Warning: ")+msg)
	}
	if len(ws) > 0 {
		fmt.Fprintln(w)
	}
}

// writeLegend explains the symbols the plan uses.
func writeLegend(w io.Writer, st styler, p *planner.Plan) {
	used := map[string]bool{}
	for _, o := range p.Objects {
		for i := range o.Changes {
			used[marker(&o.Changes[i])] = true
		}
	}
	legend := []struct{ mark, text string }{
		{"+", "insert"},
		{"~", "update"},
		{"-", "delete"},
		{"-/+", "replace (delete, then insert)"},
		{"<=", "adopt or rebind (state only, no org write)"},
	}
	for _, l := range legend {
		if used[l.mark] {
			fmt.Fprintf(w, "  %s%s %s\n", strings.Repeat(" ", 3-len(l.mark)), st.mark(l.mark), l.text)
		}
	}
}

// closingLines are the plan's closing line and the lines for adoptions,
// rebinds and deferred updates, which are no insert, update or delete.
func closingLines(c planner.Counts) []string {
	lines := []string{fmt.Sprintf("Plan: %d to insert, %d to update, %d to delete.", c.Insert, c.Update, c.Delete)}
	if c.Adopt > 0 {
		lines = append(lines, fmt.Sprintf("%d to adopt (existing records found by key; %s).", c.Adopt, alsoUpdated(c.Adopt, c.AdoptUpdate)))
	}
	if c.Rebind > 0 {
		lines = append(lines, fmt.Sprintf("%d to rebind (renamed addresses; %s).", c.Rebind, alsoUpdated(c.Rebind, c.RebindUpdate)))
	}
	if c.Deferred > 0 {
		lines = append(lines, fmt.Sprintf("%s (after the inserts, to break reference cycles).", plural(c.Deferred, "deferred update", "deferred updates")))
	}
	return lines
}

// alsoUpdated says how many of n adopted or rebound records are also
// updated (counted in the closing line's updates): "no org write" when
// none is.
func alsoUpdated(n, updated int) string {
	switch {
	case updated == 0:
		return "no org write"
	case updated == n && n == 1:
		return "also updated"
	case updated == n && n == 2:
		return "both also updated"
	case updated == n:
		return "all of them also updated"
	}
	return fmt.Sprintf("%d of them also updated", updated)
}

// table is rows of cells; numeric columns are right-aligned.
type table struct {
	rows  [][]string
	right []bool
}

// alignTable pads the cells of each column to one width.
func alignTable(t table) []string {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	out := make([]string, 0, len(t.rows))
	for _, r := range t.rows {
		var b strings.Builder
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i < len(t.right) && t.right[i] {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
		}
		out = append(out, strings.TrimRight(b.String(), " "))
	}
	return out
}

// countColumn is one column of the per-object counts.
type countColumn struct {
	name   string
	get    func(planner.Counts) int
	always bool
}

var countColumns = []countColumn{
	{"Insert", func(c planner.Counts) int { return c.Insert }, true},
	{"Update", func(c planner.Counts) int { return c.Update }, true},
	{"Delete", func(c planner.Counts) int { return c.Delete }, true},
	{"Replace", func(c planner.Counts) int { return c.Replace }, false},
	{"Adopt", func(c planner.Counts) int { return c.Adopt }, false},
	{"Rebind", func(c planner.Counts) int { return c.Rebind }, false},
	{"Deferred", func(c planner.Counts) int { return c.Deferred }, false},
	{"Unchanged", func(c planner.Counts) int { return c.Unchanged }, true},
}

// usedColumns are the count columns a plan shows: the closing line's three,
// Unchanged, and the others when any object has some.
func usedColumns(total planner.Counts) []countColumn {
	var cols []countColumn
	for _, c := range countColumns {
		if c.always || c.get(total) > 0 {
			cols = append(cols, c)
		}
	}
	return cols
}

func objectTable(p *planner.Plan) table {
	cols := usedColumns(p.Counts())
	t := table{right: []bool{false}}
	head := []string{"Object"}
	for _, c := range cols {
		head = append(head, c.name)
		t.right = append(t.right, true)
	}
	t.rows = append(t.rows, head)
	for _, o := range p.Objects {
		oc := o.Counts()
		row := []string{clean(o.Object)}
		for _, c := range cols {
			row = append(row, group(int64(c.get(oc))))
		}
		t.rows = append(t.rows, row)
	}
	return t
}

func jobOperation(j planner.Job) string {
	op := j.Operation.String()
	if j.Deferred {
		op += " (deferred)"
	}
	if j.Replace {
		op += " (replaced)"
	}
	return op
}

func jobCost(j planner.Job) string {
	if j.API == planner.APIREST {
		return plural(j.Batches, "request", "requests")
	}
	return plural(j.Batches, "batch", "batches")
}

func jobTable(jobs []planner.Job) table {
	t := table{right: []bool{false, false, false, true, true}}
	for _, j := range jobs {
		t.rows = append(t.rows, []string{
			clean(j.Object), jobOperation(j), fmt.Sprintf("level %d", j.Level),
			plural(j.Records, "record", "records"), jobCost(j), j.API.Label(),
		})
	}
	return t
}

// bulkBatches is what the jobs cost against DailyBulkApiBatches, and
// restRequests what the sObject Collections calls cost against
// DailyApiRequests.
func bulkBatches(jobs []planner.Job) (batches, requests int) {
	for _, j := range jobs {
		if j.API == planner.APIREST {
			requests += j.Batches
		} else {
			batches += j.Batches
		}
	}
	return batches, requests
}

// jobsSummary is the heading of the job list: "3 jobs: 2 Bulk API batches, 1
// sObject Collections request".
func jobsSummary(jobs []planner.Job) string {
	batches, requests := bulkBatches(jobs)
	s := plural(len(jobs), "job", "jobs")
	var cost []string
	if batches > 0 {
		cost = append(cost, plural(batches, "Bulk API batch", "Bulk API batches"))
	}
	if requests > 0 {
		cost = append(cost, plural(requests, "sObject Collections request", "sObject Collections requests"))
	}
	if len(cost) > 0 {
		s += ", " + strings.Join(cost, ", ")
	}
	return s
}

// limitUse is what the plan's jobs take from a limit, or -1 when unknown.
func limitUse(p *planner.Plan, name string) int {
	batches, requests := bulkBatches(p.Jobs)
	switch name {
	case "DailyBulkApiBatches":
		return batches
	case "DailyApiRequests":
		return requests
	}
	return -1
}

func limitTable(p *planner.Plan) table {
	t := table{right: []bool{false, true, false}}
	for _, l := range p.Limits {
		row := []string{clean(l.Name), group(l.Remaining) + " of " + group(l.Max)}
		if use := limitUse(p, l.Name); use > 0 {
			row = append(row, fmt.Sprintf("(this plan uses %s)", group(int64(use))))
		}
		t.rows = append(t.rows, row)
	}
	return t
}

// limitWarnings says which limits the plan would exceed.
func limitWarnings(p *planner.Plan) []string {
	var out []string
	for _, l := range p.Limits {
		if use := limitUse(p, l.Name); use > 0 && int64(use) > l.Remaining {
			out = append(out, fmt.Sprintf("this plan needs %s of %s, but only %s remain today", group(int64(use)), clean(l.Name), group(l.Remaining)))
		}
	}
	return out
}
