package command

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/planner"
	"github.com/sfsync/sfsync/state"
)

// applyProgress shows an apply's jobs as they run, on stderr.
type applyProgress interface {
	planner.Observer
	// Close stops the display once every job has finished.
	Close()
}

// newApplyProgress picks the display: bars on a terminal, plain lines
// otherwise (a CI log, a file) — and on a terminal that does not say how
// wide it is (a pseudo-terminal without a window size reports 0 columns),
// where bars would have no room at all.
func newApplyProgress(env *Env) applyProgress {
	if useBars(env.StderrTTY, terminalWidth(env.Stderr)) {
		return newProgressBars(env.Stderr)
	}
	return newProgressLines(env.Stderr, 10*time.Second)
}

// minBarColumns is the narrowest terminal bars are drawn on: a bar's label,
// bar and counts need about this much.
const minBarColumns = 40

// useBars decides between bars and plain lines.
func useBars(tty bool, columns int) bool { return tty && columns >= minBarColumns }

// terminalWidth is the number of columns of the terminal w writes to; 0
// when w is no terminal or its size is unknown.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return cols
}

// jobLabel names a job in progress output: "Account insert (level 0, Bulk
// API 2.0)".
func jobLabel(s planner.JobStatus) string {
	what := s.Operation.String()
	switch {
	case s.Deferred:
		what = "update (cycle)"
	case s.Replace:
		what = "delete (replace)"
	}
	return fmt.Sprintf("%s %s (level %d, %s)", s.Object, what, s.Level, s.API.Label())
}

// barLabel is the short label of a job's bar, "Account insert L0", in at
// most width columns (no limit when width <= 0): a long object name loses
// its middle ("Very_Lon…bject__c insert L0"), and when even that does not
// fit, the whole label does.
func barLabel(s planner.JobStatus, width int) string {
	what := s.Operation.String()
	switch {
	case s.Deferred:
		what = "update(cycle)"
	case s.Replace:
		what = "delete(replace)"
	}
	rest := fmt.Sprintf(" %s L%d", what, s.Level)
	label := s.Object + rest
	if width <= 0 || utf8.RuneCountInString(label) <= width {
		return label
	}
	// Keep at least a few characters of each end of the object's name.
	if room := width - utf8.RuneCountInString(rest); room >= 7 {
		return middleEllipsis(s.Object, room) + rest
	}
	return middleEllipsis(label, max(width, 3))
}

// middleEllipsis shortens s to n runes (n >= 3) by replacing its middle
// with "…".
func middleEllipsis(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	head := n / 2
	tail := n - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// Widths of the parts of a bar's line other than its label and counts: the
// bar at its narrowest, the spaces after the label, around the bar, before
// the counts and before the (usually empty) failed count, and a column
// left free so that a full line does not wrap.
const (
	minBarWidth   = 12
	barSpacing    = 1 + 2 + 1 + 1
	barLineMargin = 1
)

// barLabelWidth is the room for a bar's label on a line of columns
// columns, after the bar at its narrowest and the "n / total" counts
// (of up to total records); 0 (no limit) when columns is unknown. A
// "n failed" count, when there is one, takes its room from the bar.
func barLabelWidth(columns, total int) int {
	if columns <= 0 {
		return 0
	}
	counts := 2*len(strconv.Itoa(total)) + len(" / ")
	return max(columns-barLineMargin-barSpacing-minBarWidth-counts, 3)
}

// toSend is the number of the job's records that are sent.
func toSend(s planner.JobStatus) int { return s.Records - s.Skipped }

// progressLines prints a line when a job starts, when it starts a Bulk job
// and when it ends, and one per job at most every interval while it runs.
type progressLines struct {
	w     io.Writer
	every time.Duration
	now   func() time.Time
	mu    sync.Mutex
	last  map[int]time.Time
	ids   jobIDs
}

func newProgressLines(w io.Writer, every time.Duration) *progressLines {
	return &progressLines{w: w, every: every, now: time.Now, last: map[int]time.Time{}, ids: jobIDs{}}
}

func (p *progressLines) JobStarted(s planner.JobStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last[s.Seq] = p.now()
	line := fmt.Sprintf("%s: %s to write", jobLabel(s), countNoun(toSend(s), "record"))
	if s.Skipped > 0 {
		line += fmt.Sprintf(", %d skipped", s.Skipped)
	}
	fmt.Fprintln(p.w, line+"...")
}

func (p *progressLines) JobProgress(s planner.JobStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range p.ids.fresh(s) {
		fmt.Fprintf(p.w, "%s: Bulk job %s started\n", jobLabel(s), id)
	}
	if p.now().Sub(p.last[s.Seq]) < p.every {
		return
	}
	p.last[s.Seq] = p.now()
	fmt.Fprintf(p.w, "%s: %d of %d processed, %d failed\n", jobLabel(s), s.Processed, toSend(s), s.Failed)
}

func (p *progressLines) JobFinished(s planner.JobStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.last, s.Seq)
	p.ids.done(s)
	fmt.Fprintln(p.w, jobLabel(s)+": "+jobOutcome(s))
}

func (p *progressLines) Close() {}

// jobIDs remembers the Bulk job ids a display has shown, by job.
type jobIDs map[int]int

// fresh returns the ids of s not shown yet.
func (m jobIDs) fresh(s planner.JobStatus) []string {
	n := m[s.Seq]
	if n >= len(s.IDs) {
		return nil
	}
	m[s.Seq] = len(s.IDs)
	return s.IDs[n:]
}

func (m jobIDs) done(s planner.JobStatus) { delete(m, s.Seq) }

// jobOutcome says how a job ended, in counts of records: "done, 250
// processed, 1 failed (job 750…)"; a job Salesforce failed as a whole says
// so with its state message, and a job stopped by an error or interrupt
// tells the records never sent from those whose outcome is unknown.
func jobOutcome(s planner.JobStatus) string {
	head := "done, "
	switch {
	case len(s.JobErrors) > 0:
		head = strings.Join(s.JobErrors, "; ") + "; "
	case s.Unknown > 0 || s.NotSent > 0:
		head = "stopped, "
	}
	line := head + fmt.Sprintf("%d processed, %d failed", s.Processed, s.Failed)
	if s.Unprocessed > 0 {
		line += fmt.Sprintf(", %d not processed", s.Unprocessed)
	}
	if s.Unknown > 0 {
		if s.Journaled {
			line += fmt.Sprintf(", results of %d not read", s.Unknown)
		} else {
			line += fmt.Sprintf(", %d sent without an answer (outcome unknown)", s.Unknown)
		}
	}
	if s.NotSent > 0 {
		line += fmt.Sprintf(", %d not sent", s.NotSent)
	}
	var ids []string
	for _, id := range s.IDs {
		named := false
		for _, e := range s.JobErrors {
			named = named || strings.Contains(e, id)
		}
		if !named {
			ids = append(ids, id)
		}
	}
	switch {
	case len(ids) > 0 && s.Journaled:
		line += fmt.Sprintf(" (%s %s, kept in the state)", plural(len(ids), "job", "jobs"), strings.Join(ids, ", "))
	case len(ids) > 0:
		line += fmt.Sprintf(" (%s %s)", plural(len(ids), "job", "jobs"), strings.Join(ids, ", "))
	}
	return line
}

// progressBars draws one bar per job (records processed of the job's
// records, and how many failed) with mpb, and prints above the bars a line
// when a job starts a Bulk job and when a Bulk job's job (or any job that
// did not simply finish) ends, so that the Bulk job ids stay on screen.
// Labels are shortened to leave the bar and its counts room on the
// terminal's line (mpb cuts a line that is too long from its end, bar and
// counts first).
type progressBars struct {
	p     *mpb.Progress
	width func() int // the terminal's columns now; 0 when unknown
	mu    sync.Mutex
	bars  map[int]*jobBar
	ids   jobIDs
}

type jobBar struct {
	bar    *mpb.Bar
	failed atomic.Int64 // read by the bar's decorator, on mpb's goroutine
}

func newProgressBars(w io.Writer) *progressBars {
	return newProgressBarsWidth(w, func() int { return terminalWidth(w) })
}

// newProgressBarsWidth draws bars on lines of width() columns (read as each
// job starts, so that a resized terminal is followed); on a writer that is
// no terminal, mpb draws lines of the width at the start (100 when
// unknown).
func newProgressBarsWidth(w io.Writer, width func() int) *progressBars {
	cols := width()
	if cols <= 0 {
		cols = 100
	}
	return &progressBars{p: mpb.New(mpb.WithOutput(w), mpb.WithAutoRefresh(), mpb.WithWidth(cols), mpb.WithRefreshRate(150*time.Millisecond)), width: width, bars: map[int]*jobBar{}, ids: jobIDs{}}
}

func (p *progressBars) JobStarted(s planner.JobStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	jb := &jobBar{}
	jb.bar = p.p.AddBar(int64(toSend(s)), mpb.BarWidth(24),
		mpb.PrependDecorators(decor.Name(barLabel(s, barLabelWidth(p.width(), toSend(s))), decor.WCSyncSpaceR)),
		mpb.AppendDecorators(
			decor.CountersNoUnit("%d / %d", decor.WCSyncSpace),
			decor.Any(func(decor.Statistics) string {
				if n := jb.failed.Load(); n > 0 {
					return fmt.Sprintf("%d failed", n)
				}
				return ""
			}, decor.WCSyncSpace),
		),
	)
	p.bars[s.Seq] = jb
}

func (p *progressBars) JobProgress(s planner.JobStatus) {
	p.mu.Lock()
	jb := p.bars[s.Seq]
	fresh := p.ids.fresh(s)
	p.mu.Unlock()
	for _, id := range fresh {
		fmt.Fprintf(p.p, "%s: Bulk job %s started\n", jobLabel(s), id)
	}
	if jb != nil {
		jb.failed.Store(int64(s.Failed))
		jb.bar.SetCurrent(int64(s.Processed))
	}
}

func (p *progressBars) JobFinished(s planner.JobStatus) {
	p.mu.Lock()
	jb := p.bars[s.Seq]
	delete(p.bars, s.Seq)
	p.ids.done(s)
	p.mu.Unlock()
	if len(s.IDs) > 0 || len(s.JobErrors) > 0 || s.Unknown > 0 || s.NotSent > 0 {
		fmt.Fprintln(p.p, jobLabel(s)+": "+jobOutcome(s))
	}
	if jb == nil {
		return
	}
	jb.failed.Store(int64(s.Failed))
	jb.bar.SetCurrent(int64(s.Processed))
	if s.Processed < toSend(s) {
		jb.bar.Abort(false) // interrupted: keep the bar where it stopped
		return
	}
	jb.bar.SetTotal(-1, true)
}

func (p *progressBars) Close() {
	p.mu.Lock()
	for seq, jb := range p.bars {
		jb.bar.Abort(false)
		delete(p.bars, seq)
	}
	p.mu.Unlock()
	p.p.Wait()
}

// writeApplyResult reports an apply: the records that failed (grouped by
// object, with Salesforce's code, message and fields) and those skipped, the
// read-back's warnings on stderr; the closing lines on stdout. stopped says
// an error stopped the apply (the caller prints it).
func writeApplyResult(env *Env, res *planner.ApplyResult, stopped bool) {
	if res == nil {
		return
	}
	w := env.Stderr
	writeFailures(w, res.Failures)
	if n := len(res.Skipped); n > 0 {
		fmt.Fprintf(w, "\n%s not attempted:\n", countNoun(n, "change"))
		for i, s := range res.Skipped {
			if i == maxSkippedLines && n > maxSkippedLines+1 {
				fmt.Fprintf(w, "    and %d more (the next plan shows them)\n", n-i)
				break
			}
			fmt.Fprintf(w, "    %s: %s skipped: %s\n", s.Address, s.Action, s.Reason)
		}
	}
	for _, warn := range res.Warnings {
		if warn.Address != "" {
			fmt.Fprintf(w, "\nWarning: %s: %s\n", warn.Address, warn.Message)
		} else {
			fmt.Fprintf(w, "\nWarning: %s\n", warn.Message)
		}
	}
	counts := fmt.Sprintf("%d inserted, %d updated, %d deleted", res.Inserted, res.Updated, res.Deleted)
	if res.Adopted > 0 {
		counts += fmt.Sprintf(", %d adopted", res.Adopted)
	}
	if res.Rebound > 0 {
		counts += fmt.Sprintf(", %d rebound", res.Rebound)
	}
	if res.Forgotten > 0 {
		counts += fmt.Sprintf(", %d forgotten", res.Forgotten)
	}
	out := env.Stdout
	fmt.Fprintln(out)
	switch {
	case res.Interrupted || stopped:
		how := "interrupted"
		if !res.Interrupted {
			how = "stopped by an error"
		}
		failed := ""
		if n := len(res.Failures); n > 0 {
			failed = fmt.Sprintf("%d failed, ", n)
		}
		unknown := ""
		if res.Unknown > 0 {
			unknown = fmt.Sprintf(", %s of unknown outcome", countNoun(res.Unknown, "record"))
		}
		fmt.Fprintf(out, "Apply %s: %s; %s%s not applied%s.", how, counts, failed, countNoun(res.NotApplied, "change"), unknown)
		if res.Unknown == 0 {
			fmt.Fprintln(out, " The state records everything that was written.")
			return
		}
		fmt.Fprintln(out)
		writeUnknown(out, res.Jobs)
		fmt.Fprintln(out, "The state records everything known to be written; run apply again to finish.")
	case res.Partial():
		fmt.Fprintf(out, "Apply finished with failures: %s; %d failed, %d not attempted.\n", counts, len(res.Failures), len(res.Skipped))
	default:
		fmt.Fprintf(out, "Apply complete: %s.\n", counts)
	}
}

// writeUnknown says which records of a stopped apply have an unknown
// outcome, and how the next run finds out.
func writeUnknown(w io.Writer, jobs []planner.JobStatus) {
	var journaled, unanswered int
	var ids []string
	for _, j := range jobs {
		switch {
		case j.Unknown == 0:
		case j.Journaled:
			journaled += j.Unknown
			ids = append(ids, j.IDs...)
		default:
			unanswered += j.Unknown
		}
	}
	if journaled > 0 {
		fmt.Fprintf(w, "The results of %s in Bulk %s %s were not read. The %s kept in the state: the next plan or apply waits for %s to finish and records what %s wrote.\n",
			countNoun(journaled, "record"), plural(len(ids), "job", "jobs"), strings.Join(ids, ", "),
			plural(len(ids), "job is", "jobs are"), plural(len(ids), "it", "them"), plural(len(ids), "it", "they"))
	}
	if unanswered > 0 {
		fmt.Fprintf(w, "%s sent to the org got no answer, so whether they were written is unknown. The next plan reads the org: records that were inserted are found by their key and adopted, never inserted twice, and changes still to make are planned again.\n",
			countNoun(unanswered, "record"))
	}
}

// Failure lists group the records that failed alike; a group shows this
// many addresses, and the not-attempted list this many lines.
const (
	maxGroupAddresses = 5
	maxSkippedLines   = 50
)

// writeFailures lists the records that failed by object. Records that
// failed alike — same operation, status code, message and fields — are one
// entry: a job Salesforce failed as a whole, or a validation rule every
// record breaks, is one line with a count and the first few addresses,
// not hundreds of identical lines. The next plan shows every record not
// applied.
func writeFailures(w io.Writer, failures []planner.RecordFailure) {
	if len(failures) == 0 {
		return
	}
	fmt.Fprintf(w, "\nError: %s failed:\n", countNoun(len(failures), "record"))
	type group struct {
		what      string
		addresses []string
	}
	truncated := false
	for start := 0; start < len(failures); {
		object := failures[start].Object
		end := start
		for end < len(failures) && failures[end].Object == object {
			end++
		}
		var groups []*group
		index := map[string]*group{}
		for _, f := range failures[start:end] {
			what := failedWhat(f) + ": " + recordErrors(f.Errors)
			g := index[what]
			if g == nil {
				g = &group{what: what}
				index[what] = g
				groups = append(groups, g)
			}
			g.addresses = append(g.addresses, f.Address)
		}
		fmt.Fprintf(w, "\n  %s\n", object)
		for _, g := range groups {
			if len(g.addresses) == 1 {
				fmt.Fprintf(w, "    %s: %s\n", g.addresses[0], g.what)
				continue
			}
			shown := g.addresses[:min(len(g.addresses), maxGroupAddresses)]
			list := strings.Join(shown, ", ")
			if more := len(g.addresses) - len(shown); more > 0 {
				list += fmt.Sprintf(" and %d more", more)
				truncated = true
			}
			fmt.Fprintf(w, "    %d records: %s\n      %s\n", len(g.addresses), g.what, list)
		}
		start = end
	}
	if truncated {
		fmt.Fprintln(w, "\n  Every record not applied appears in the next 'sfsync plan'.")
	}
}

// failedWhat says what was attempted: "insert failed", "not processed".
func failedWhat(f planner.RecordFailure) string {
	what := f.Operation.String()
	if f.Action == planner.Replace && f.Operation == state.OpDelete {
		what = "delete (to replace it)"
	} else if f.Action == planner.DeferredUpdate {
		what = "update (cycle)"
	}
	if f.Unprocessed {
		return what + " not processed"
	}
	return what + " failed"
}

// recordErrors renders Salesforce's errors of one record: "CODE: message
// (fields A, B)".
func recordErrors(errs []bulk.RecordError) string {
	if len(errs) == 0 {
		return "no error message"
	}
	parts := make([]string, len(errs))
	for i, e := range errs {
		s := e.StatusCode + ": " + e.Message
		switch len(e.Fields) {
		case 0:
		case 1:
			s += " (field " + e.Fields[0] + ")"
		default:
			s += " (fields " + strings.Join(e.Fields, ", ") + ")"
		}
		parts[i] = s
	}
	return strings.Join(parts, "; ")
}
