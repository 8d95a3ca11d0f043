package command

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/sfsync/sfsync/planner"
)

// planProgress shows on stderr what a plan is doing: one line rewritten in
// place on a terminal, plain lines for finished steps otherwise (CI logs).
// It writes carriage returns and spaces, never escape codes.
type planProgress struct {
	env   *Env
	tty   bool
	mu    sync.Mutex
	shown int // characters of the line on screen (terminal)
}

func newPlanProgress(env *Env) *planProgress {
	return &planProgress{env: env, tty: env.StderrTTY}
}

// line shows a step that has no figures.
func (p *planProgress) line(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		p.draw(msg + "...")
	}
}

// event shows a planner progress event.
func (p *planProgress) event(ev planner.ProgressEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	msg := progressText(ev)
	if msg == "" {
		return
	}
	if p.tty {
		p.draw(msg)
		return
	}
	if ev.Done {
		fmt.Fprintln(p.env.Stderr, msg)
	}
}

// finish clears the terminal line.
func (p *planProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.shown > 0 {
		fmt.Fprint(p.env.Stderr, "\r"+strings.Repeat(" ", p.shown)+"\r")
		p.shown = 0
	}
}

func (p *planProgress) draw(msg string) {
	n := utf8.RuneCountInString(msg)
	pad := ""
	if p.shown > n {
		pad = strings.Repeat(" ", p.shown-n)
	}
	fmt.Fprint(p.env.Stderr, "\r"+msg+pad)
	p.shown = n
}

// progressText words an event: "Reading Account: 12,000 records" while a
// step runs, "Read 120,000 Account records" when it is done.
func progressText(ev planner.ProgressEvent) string {
	records := func(n int64) string {
		if n == 1 {
			return "1 record"
		}
		return groupDigits(n) + " records"
	}
	switch ev.Step {
	case "describe":
		if ev.Done {
			return "Described " + countNoun(int(ev.Rows), "object")
		}
		return "Describing objects..."
	case "query":
		if ev.Done {
			return fmt.Sprintf("Read %s of %s", records(ev.Rows), ev.Object)
		}
		return fmt.Sprintf("Reading %s: %s...", ev.Object, records(ev.Rows))
	case "lookup":
		if ev.Done {
			return fmt.Sprintf("Looked up %s of %s", records(ev.Rows), ev.Object)
		}
		return fmt.Sprintf("Looking up %s: %s...", ev.Object, records(ev.Rows))
	case "match":
		if ev.Done {
			return ""
		}
		return fmt.Sprintf("Matching %s records...", ev.Object)
	case "plan":
		if ev.Done {
			return fmt.Sprintf("Compared %s of %s", records(ev.Rows), ev.Object)
		}
		return fmt.Sprintf("Comparing %s: %s...", ev.Object, records(ev.Rows))
	}
	return ""
}

// groupDigits writes n with thousands separators: 14,990.
func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
