package command

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/localorg"
	"github.com/sfsync/sfsync/planner"
	"github.com/sfsync/sfsync/state"
)

// TestApplyFailuresGrouped lists 300 records that failed alike (a job
// Salesforce failed as a whole) as one entry with a count and the first
// addresses, and a record that failed otherwise on its own line.
func TestApplyFailuresGrouped(t *testing.T) {
	var failures []planner.RecordFailure
	for i := range 300 {
		failures = append(failures, planner.RecordFailure{Address: fmt.Sprintf("Account.a%03d", i), Object: "Account",
			Action: planner.Insert, Operation: state.OpInsert, Unprocessed: true,
			Errors: []bulk.RecordError{{StatusCode: "InternalServerError", Message: "job failed"}}})
	}
	failures = append(failures,
		planner.RecordFailure{Address: "Contact.c1", Object: "Contact", Action: planner.Update, Operation: state.OpUpdate,
			Errors: []bulk.RecordError{{StatusCode: "FIELD_CUSTOM_VALIDATION_EXCEPTION", Message: "Email required", Fields: []string{"Email"}}}},
		planner.RecordFailure{Address: "Contact.c2", Object: "Contact", Action: planner.Update, Operation: state.OpUpdate,
			Errors: []bulk.RecordError{{StatusCode: "FIELD_CUSTOM_VALIDATION_EXCEPTION", Message: "Email required", Fields: []string{"Email"}}}},
		planner.RecordFailure{Address: "Contact.c3", Object: "Contact", Action: planner.Update, Operation: state.OpUpdate,
			Errors: []bulk.RecordError{{StatusCode: "FIELD_CUSTOM_VALIDATION_EXCEPTION", Message: "Email required", Fields: []string{"Phone"}}}},
	)
	var stdout, stderr bytes.Buffer
	writeApplyResult(&Env{Stdout: &stdout, Stderr: &stderr}, &planner.ApplyResult{Failures: failures}, false)
	want := `
Error: 303 records failed:

  Account
    300 records: insert not processed: InternalServerError: job failed
      Account.a000, Account.a001, Account.a002, Account.a003, Account.a004 and 295 more

  Contact
    2 records: update failed: FIELD_CUSTOM_VALIDATION_EXCEPTION: Email required (field Email)
      Contact.c1, Contact.c2
    Contact.c3: update failed: FIELD_CUSTOM_VALIDATION_EXCEPTION: Email required (field Phone)

  Every record not applied appears in the next 'sfsync plan'.
`
	if diff := cmp.Diff(want, stderr.String()); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
}

// TestApplySkippedCapped lists at most maxSkippedLines changes not
// attempted, and how many more there are.
func TestApplySkippedCapped(t *testing.T) {
	var skipped []planner.SkippedChange
	for i := range 120 {
		skipped = append(skipped, planner.SkippedChange{Address: fmt.Sprintf("Contact.c%03d", i), Object: "Contact", Action: planner.Insert,
			Reason: fmt.Sprintf("Account.a%03d, which it refers to through AccountId, failed", i)})
	}
	var stdout, stderr bytes.Buffer
	writeApplyResult(&Env{Stdout: &stdout, Stderr: &stderr}, &planner.ApplyResult{Skipped: skipped}, false)
	out := stderr.String()
	if n := strings.Count(out, " insert skipped: "); n != maxSkippedLines {
		t.Errorf("%d skipped lines, want %d:\n%s", n, maxSkippedLines, out)
	}
	if !strings.HasPrefix(out, "\n120 changes not attempted:\n") || !strings.HasSuffix(out, "    and 70 more (the next plan shows them)\n") {
		t.Errorf("stderr:\n%s", out)
	}
}

// TestJobOutcome words how jobs ended, in records.
func TestJobOutcome(t *testing.T) {
	job := planner.Job{Object: "Account", Operation: state.OpInsert, API: planner.APIBulk2, Records: 300}
	for _, tt := range []struct {
		s    planner.JobStatus
		want string
	}{
		{planner.JobStatus{Job: job, Processed: 300, Failed: 19, IDs: []string{"750A", "750B"}},
			"done, 300 processed, 19 failed (jobs 750A, 750B)"},
		{planner.JobStatus{Job: job, Unprocessed: 300, IDs: []string{"750A"}, JobErrors: []string{"job 750A failed: InternalServerError : down"}},
			"job 750A failed: InternalServerError : down; 0 processed, 0 failed, 300 not processed"},
		{planner.JobStatus{Job: job, Processed: 300, Unknown: 300, Journaled: true, IDs: []string{"750A"}},
			"stopped, 300 processed, 0 failed, results of 300 not read (job 750A, kept in the state)"},
		{planner.JobStatus{Job: job, Processed: 200, Failed: 1, Unknown: 100, NotSent: 50},
			"stopped, 200 processed, 1 failed, 100 sent without an answer (outcome unknown), 50 not sent"},
	} {
		if got := jobOutcome(tt.s); got != tt.want {
			t.Errorf("jobOutcome(%+v)\n got %q\nwant %q", tt.s, got, tt.want)
		}
	}
}

// TestUseBars draws bars only on a terminal wide enough for them.
func TestUseBars(t *testing.T) {
	for _, tt := range []struct {
		tty     bool
		columns int
		want    bool
	}{
		{false, 0, false},
		{false, 120, false}, // a file or pipe
		{true, 0, false},    // a terminal without a window size
		{true, minBarColumns - 1, false},
		{true, minBarColumns, true},
		{true, 200, true},
	} {
		if got := useBars(tt.tty, tt.columns); got != tt.want {
			t.Errorf("useBars(%v, %d) = %v, want %v", tt.tty, tt.columns, got, tt.want)
		}
	}
	// Not a terminal: no width.
	if w := terminalWidth(&bytes.Buffer{}); w != 0 {
		t.Errorf("terminalWidth(buffer) = %d", w)
	}
	p := newApplyProgress(&Env{Stderr: &bytes.Buffer{}, StderrTTY: true})
	if _, ok := p.(*progressLines); !ok {
		t.Errorf("a terminal of unknown width got %T, want plain lines", p)
	}
}

// TestProgressLinesPeriodic prints a job's "N of M processed" line at most
// once per interval, and a line for each Bulk job the job starts, at once.
func TestProgressLinesPeriodic(t *testing.T) {
	var buf bytes.Buffer
	p := newProgressLines(&buf, 10*time.Second)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	p.now = func() time.Time { return now }
	s := planner.JobStatus{Seq: 1, Job: planner.Job{Object: "Contact", Operation: state.OpInsert, API: planner.APIBulk2, Records: 50000}}
	p.JobStarted(s)
	s.IDs = []string{"750000000000001AAA"}
	p.JobProgress(s) // the job id: printed at once; no counts yet (interval not over)
	now = now.Add(5 * time.Second)
	s.Processed = 10000
	p.JobProgress(s) // 5 s: too soon
	now = now.Add(6 * time.Second)
	s.Processed, s.Failed = 20000, 3
	p.JobProgress(s) // 11 s: printed
	now = now.Add(time.Second)
	s.Processed = 25000
	p.JobProgress(s) // 1 s later: too soon
	now = now.Add(10 * time.Second)
	s.Processed = 40000
	p.JobProgress(s) // printed
	s.Processed, s.Failed = 50000, 4
	p.JobFinished(s)
	want := `Contact insert (level 0, Bulk API 2.0): 50000 records to write...
Contact insert (level 0, Bulk API 2.0): Bulk job 750000000000001AAA started
Contact insert (level 0, Bulk API 2.0): 20000 of 50000 processed, 3 failed
Contact insert (level 0, Bulk API 2.0): 40000 of 50000 processed, 3 failed
Contact insert (level 0, Bulk API 2.0): done, 50000 processed, 4 failed (job 750000000000001AAA)
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

// TestApplyJobNeverCreated: when the org refuses to create the Bulk job,
// the records were never sent. Apply says so ("not sent", never "got no
// answer") and exits 1 — nothing was written — not 4.
func TestApplyJobNeverCreated(t *testing.T) {
	d := newApplyDir(t, accountsConfig(300))
	d.org.SetFaults(t, localorg.Faults{ServerErrors: 100, ServerErrorPath: "jobs/ingest"})
	code, stdout, stderr := d.run(t, "apply", "-auto-approve")
	if code != ExitError {
		t.Errorf("exit %d, want %d", code, ExitError)
	}
	if want := "Account insert (level 0, Bulk API 2.0): stopped, 0 processed, 0 failed, 300 not sent\n"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	if want := "300 changes not applied"; !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
	for _, bad := range []string{"got no answer", "outcome unknown", "kept in the state"} {
		if strings.Contains(stdout+stderr, bad) {
			t.Errorf("output says %q:\n%s\n%s", bad, stdout, stderr)
		}
	}
}

// TestProgressBarsFitLongLabels draws the bar of a job on an object with a
// long name on a 45-column line: the label is shortened in its middle so
// that the bar and its counts stay on the line, which mpb would otherwise
// cut from the end.
func TestProgressBarsFitLongLabels(t *testing.T) {
	const columns = 45
	var buf bytes.Buffer
	p := newProgressBarsWidth(&buf, func() int { return columns })
	s := planner.JobStatus{Seq: 1, Job: planner.Job{Object: "Quarterly_Revenue_Forecast_Adjustment__c", Operation: state.OpInsert, API: planner.APIBulk2, Records: 300}}
	p.JobStarted(s)
	s.Processed = 300
	p.JobFinished(s)
	p.Close()
	var last string
	for _, l := range strings.Split(ansi.ReplaceAllString(buf.String(), ""), "\n") {
		if strings.Contains(l, "insert L0") {
			last = l
		}
	}
	if n := utf8.RuneCountInString(last); n == 0 || n > columns {
		t.Fatalf("bar line of %d columns, want 1 to %d:\n%s", n, columns, buf.String())
	}
	for _, want := range []string{"Quar…__c insert L0 ", "300 / 300", "[=========="} {
		if !strings.Contains(last, want) {
			t.Errorf("bar line %q lacks %q", last, want)
		}
	}
}

// ansi matches the escape sequences mpb draws with.
var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

func TestBarLabel(t *testing.T) {
	s := planner.JobStatus{Job: planner.Job{Object: "Account", Operation: state.OpUpdate, Level: 2}}
	long := planner.JobStatus{Job: planner.Job{Object: "Very_Long_Custom_Object_Name__c", Operation: state.OpDelete, Replace: true}}
	for _, tt := range []struct {
		s     planner.JobStatus
		width int
		want  string
	}{
		{s, 0, "Account update L2"},
		{s, 17, "Account update L2"},
		{long, 0, "Very_Long_Custom_Object_Name__c delete(replace) L0"},
		{long, 30, "Very_…me__c delete(replace) L0"},
		{long, 12, "Very_L…e) L0"},
		{long, 1, "V…0"},
	} {
		got := barLabel(tt.s, tt.width)
		if got != tt.want {
			t.Errorf("barLabel(%s, %d) = %q, want %q", tt.s.Object, tt.width, got, tt.want)
		}
		if tt.width >= 3 && utf8.RuneCountInString(got) > tt.width {
			t.Errorf("barLabel(%s, %d) = %q is too wide", tt.s.Object, tt.width, got)
		}
	}
	if got := barLabelWidth(45, 300); got != 45-1-5-12-9 {
		t.Errorf("barLabelWidth(45, 300) = %d", got)
	}
	if got := barLabelWidth(0, 300); got != 0 {
		t.Errorf("barLabelWidth(0, 300) = %d, want 0 (no limit)", got)
	}
}
