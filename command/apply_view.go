package command

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

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
// otherwise (a CI log, a file).
func newApplyProgress(env *Env) applyProgress {
	if env.StderrTTY {
		return newProgressBars(env.Stderr)
	}
	return newProgressLines(env.Stderr, 10*time.Second)
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

// barLabel is the short label of a job's bar: "Account insert L0".
func barLabel(s planner.JobStatus) string {
	what := s.Operation.String()
	switch {
	case s.Deferred:
		what = "update(cycle)"
	case s.Replace:
		what = "delete(replace)"
	}
	return fmt.Sprintf("%s %s L%d", s.Object, what, s.Level)
}

// toSend is the number of the job's records that are sent.
func toSend(s planner.JobStatus) int { return s.Records - s.Skipped }

// progressLines prints a line when a job starts and ends, and one per job
// at most every interval while it runs.
type progressLines struct {
	w     io.Writer
	every time.Duration
	mu    sync.Mutex
	last  map[int]time.Time
}

func newProgressLines(w io.Writer, every time.Duration) *progressLines {
	return &progressLines{w: w, every: every, last: map[int]time.Time{}}
}

func (p *progressLines) JobStarted(s planner.JobStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last[s.Seq] = time.Now()
	line := fmt.Sprintf("%s: %s to write", jobLabel(s), countNoun(toSend(s), "record"))
	if s.Skipped > 0 {
		line += fmt.Sprintf(", %d skipped", s.Skipped)
	}
	fmt.Fprintln(p.w, line+"...")
}

func (p *progressLines) JobProgress(s planner.JobStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last[s.Seq]) < p.every {
		return
	}
	p.last[s.Seq] = time.Now()
	fmt.Fprintf(p.w, "%s: %d of %d processed, %d failed\n", jobLabel(s), s.Processed, toSend(s), s.Failed)
}

func (p *progressLines) JobFinished(s planner.JobStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.last, s.Seq)
	line := fmt.Sprintf("%s: done, %d processed, %d failed", jobLabel(s), s.Processed, s.Failed)
	if s.Interrupted > 0 {
		line += fmt.Sprintf(", %d not sent (interrupted)", s.Interrupted)
	}
	if len(s.IDs) > 0 {
		line += " (job " + strings.Join(s.IDs, ", ") + ")"
	}
	fmt.Fprintln(p.w, line)
}

func (p *progressLines) Close() {}

// progressBars draws one bar per job (records processed of the job's
// records, and how many failed) with mpb.
type progressBars struct {
	p    *mpb.Progress
	mu   sync.Mutex
	bars map[int]*jobBar
}

type jobBar struct {
	bar    *mpb.Bar
	failed atomic.Int64 // read by the bar's decorator, on mpb's goroutine
}

func newProgressBars(w io.Writer) *progressBars {
	return &progressBars{p: mpb.New(mpb.WithOutput(w), mpb.WithAutoRefresh(), mpb.WithWidth(100), mpb.WithRefreshRate(150*time.Millisecond)), bars: map[int]*jobBar{}}
}

func (p *progressBars) JobStarted(s planner.JobStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	jb := &jobBar{}
	jb.bar = p.p.AddBar(int64(toSend(s)), mpb.BarWidth(24),
		mpb.PrependDecorators(decor.Name(barLabel(s), decor.WCSyncSpaceR)),
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
	p.mu.Unlock()
	if jb != nil {
		jb.failed.Store(int64(s.Failed))
		jb.bar.SetCurrent(int64(s.Processed))
	}
}

func (p *progressBars) JobFinished(s planner.JobStatus) {
	p.mu.Lock()
	jb := p.bars[s.Seq]
	delete(p.bars, s.Seq)
	p.mu.Unlock()
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
// read-back's warnings on stderr; the closing line on stdout.
func writeApplyResult(env *Env, res *planner.ApplyResult) {
	if res == nil {
		return
	}
	w := env.Stderr
	if n := len(res.Failures); n > 0 {
		fmt.Fprintf(w, "\nError: %s failed:\n", countNoun(n, "record"))
		object := ""
		for _, f := range res.Failures {
			if f.Object != object {
				object = f.Object
				fmt.Fprintf(w, "\n  %s\n", object)
			}
			fmt.Fprintf(w, "    %s: %s: %s\n", f.Address, failedWhat(f), recordErrors(f.Errors))
		}
	}
	if n := len(res.Skipped); n > 0 {
		fmt.Fprintf(w, "\n%s not attempted:\n", countNoun(n, "change"))
		for _, s := range res.Skipped {
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
	case res.Interrupted:
		fmt.Fprintf(out, "Apply interrupted: %s; %s not applied. The state records everything that was written.\n",
			counts, countNoun(res.NotApplied, "change"))
	case res.Partial():
		fmt.Fprintf(out, "Apply finished with failures: %s; %d failed, %d not attempted.\n", counts, len(res.Failures), len(res.Skipped))
	default:
		fmt.Fprintf(out, "Apply complete: %s.\n", counts)
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
