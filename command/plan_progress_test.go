package command

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/planner"
)

func TestPlanProgress(t *testing.T) {
	events := []planner.ProgressEvent{
		{Step: "describe"},
		{Step: "describe", Rows: 2, Done: true},
		{Step: "query", Object: "Account", Rows: 10_000},
		{Step: "query", Object: "Account", Rows: 12_345, Done: true},
		{Step: "match", Object: "Account"},
		{Step: "plan", Object: "Account", Rows: 1, Done: true},
	}
	var plain bytes.Buffer
	p := newPlanProgress(&Env{Stderr: &plain})
	p.line("Connecting to the org")
	for _, ev := range events {
		p.event(ev)
	}
	p.finish()
	want := "Described 2 objects\nRead 12,345 records of Account\nCompared 1 record of Account\n"
	if plain.String() != want {
		t.Errorf("not a terminal: got %q, want %q", plain.String(), want)
	}

	var tty bytes.Buffer
	p = newPlanProgress(&Env{Stderr: &tty, StderrTTY: true})
	p.line("Connecting to the org")
	for _, ev := range events {
		p.event(ev)
	}
	p.finish()
	out := tty.String()
	if strings.Contains(out, "\n") || strings.Contains(out, "\x1b") {
		t.Errorf("a terminal gets one line rewritten with carriage returns, no newlines or escape codes: %q", out)
	}
	for _, s := range []string{"\rConnecting to the org...", "\rReading Account: 10,000 records...", "\rMatching Account records...", "\rCompared 1 record of Account"} {
		if !strings.Contains(out, s) {
			t.Errorf("terminal output lacks %q: %q", s, out)
		}
	}
	// The line is cleared at the end: spaces over the last text, then \r.
	if !strings.HasSuffix(out, strings.Repeat(" ", len("Compared 1 record of Account"))+"\r") {
		t.Errorf("the last line is not cleared: %q", out)
	}
}

func TestProgressTextCounts(t *testing.T) {
	for _, tc := range []struct {
		ev   planner.ProgressEvent
		want string
	}{
		{planner.ProgressEvent{Step: "describe", Rows: 1, Done: true}, "Described 1 object"},
		{planner.ProgressEvent{Step: "describe", Rows: 3, Done: true}, "Described 3 objects"},
		{planner.ProgressEvent{Step: "query", Object: "Account", Rows: 1, Done: true}, "Read 1 record of Account"},
	} {
		if got := progressText(tc.ev); got != tc.want {
			t.Errorf("progressText(%+v) = %q, want %q", tc.ev, got, tc.want)
		}
	}
}
