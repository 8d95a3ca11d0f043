package command

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/localorg"
	"github.com/sfsync/sfsync/localorg/localorgtest"
	"github.com/sfsync/sfsync/planner"
	"github.com/sfsync/sfsync/state"
)

func TestParseApply(t *testing.T) {
	tests := []struct {
		args    []string
		want    applyOptions
		wantErr string
	}{
		{args: []string{"plan.out"}, want: applyOptions{planFile: "plan.out", maxDeletes: -1, state: stateFlags{lock: true}}},
		{
			args: []string{"-api=bulk", "-max-deletes", "5", "-state=s.json", "-lock=false", "-lock-timeout=30s", "-var", "a=1", "-var-file=x.vars.hcl", "p"},
			want: applyOptions{planFile: "p", api: planner.APIBulkOnly, maxDeletes: 5,
				state: stateFlags{path: "s.json", lock: false, lockTimeout: 30 * time.Second},
				vars:  []hcl.VarInput{{Arg: "a=1"}, {File: true, Arg: "x.vars.hcl"}}},
		},
		{args: []string{"p", "-api", "rest"}, want: applyOptions{planFile: "p", api: planner.APIRESTOnly, maxDeletes: -1, state: stateFlags{lock: true}}},
		{args: nil, want: applyOptions{maxDeletes: -1, state: stateFlags{lock: true}}},
		{
			args: []string{"-auto-approve", "-no-color", "-target", "Account.acme", "-target=Contact", "-instance-url", "https://x.example"},
			want: applyOptions{autoApprove: true, noColor: true, targets: []string{"Account.acme", "Contact"}, maxDeletes: -1,
				state: stateFlags{lock: true}, org: orgOptions{instanceURL: "https://x.example"}},
		},
		{args: []string{"a", "b"}, wantErr: "apply takes at most one plan file, not 2 arguments: a b"},
		{args: []string{"-target=Account.acme", "p"}, wantErr: "-target cannot be used with a plan file"},
		{args: []string{"-max-deletes=-2"}, wantErr: "-max-deletes=-2: want a number of records, 0 or more"},
		{args: []string{"-api=soap", "p"}, wantErr: `-api "soap": want auto, bulk or rest`},
		{args: []string{"-var", "novalue", "p"}, wantErr: "novalue"},
		{args: []string{"-nope", "p"}, wantErr: "flag provided but not defined: -nope"},
	}
	for _, tt := range tests {
		got, err := parseApply(tt.args)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseApply(%q) error %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseApply(%q): %v", tt.args, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(applyOptions{}, stateFlags{}, orgOptions{})); diff != "" {
			t.Errorf("parseApply(%q) (-want +got):\n%s", tt.args, diff)
		}
	}
}

// applyDir is a configuration directory whose org block names a local org
// that this test runs.
type applyDir struct {
	dir string
	org *localorgtest.Org
}

func newApplyDir(t *testing.T, config string) *applyDir {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.sfsync.hcl"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	org := localorgtest.StartIn(t, filepath.Join(dir, ".sfsync", "localorg"), localorg.Options{})
	return &applyDir{dir: dir, org: org}
}

func (d *applyDir) run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Dir: d.dir, Getenv: func(string) string { return "" }}
	code = Run(context.Background(), env, args)
	return code, out.String(), errb.String()
}

// savePlan writes p as plan -out would for the directory's configuration
// and state as they are now.
func (d *applyDir) savePlan(t *testing.T, p *planner.Plan) string {
	t.Helper()
	cfg, diags := hcl.Load(d.dir, hcl.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	inputs, err := planner.Inputs(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := state.NewLocalBackend(filepath.Join(d.dir, state.DefaultPath)).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s == nil {
		s = state.New()
	}
	p.OrgID, p.Lineage, p.Serial, p.Inputs = d.org.OrgID, s.Lineage(), s.Serial(), inputs
	path := filepath.Join(d.dir, "plan.out")
	if err := planner.WriteSavedFile(path, p); err != nil {
		t.Fatal(err)
	}
	return path
}

const applyConfig = `org {
  local = ".sfsync/localorg"
}

object "Account" {
  key = ["AccountNumber"]
  record "acme" {
    AccountNumber = "ACME-1"
    Name          = "Acme"
  }
}
`

func text(t *testing.T, s string) planner.Value {
	t.Helper()
	v, err := planner.ParseCell(planner.FieldSpec{Type: planner.TypeText}, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestApplySavedPlan(t *testing.T) {
	d := newApplyDir(t, applyConfig)
	p := &planner.Plan{Objects: []*planner.ObjectPlan{{Object: "Account", Changes: []planner.Change{{
		Action: planner.Insert, Address: "Account.acme", Object: "Account",
		Key: []planner.KeyValue{{Field: "AccountNumber", Value: text(t, "ACME-1")}},
		Fields: []planner.FieldChange{
			{Field: "AccountNumber", Old: planner.Null(planner.TypeText), New: text(t, "ACME-1")},
			{Field: "Name", Old: planner.Null(planner.TypeText), New: text(t, "Acme")},
		},
	}}}}}
	path := d.savePlan(t, p)
	code, stdout, stderr := d.run(t, "apply", "plan.out")
	if code != ExitOK {
		t.Fatalf("apply: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if want := "\nApply complete: 1 inserted, 0 updated, 0 deleted.\n"; stdout != want {
		t.Errorf("stdout %q, want %q", stdout, want)
	}
	if want := "Account insert (level 0, sObject Collections): 1 record to write...\n" +
		"Account insert (level 0, sObject Collections): done, 1 processed, 0 failed\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	s, err := state.NewLocalBackend(filepath.Join(d.dir, state.DefaultPath)).Read(context.Background())
	if err != nil || s == nil {
		t.Fatalf("state: %v", err)
	}
	if r, ok := s.Record("Account.acme"); !ok || s.OrgID() != d.org.OrgID {
		t.Errorf("state: %+v, org %s", r, s.OrgID())
	}

	// The same plan again: the state moved (and the record exists now).
	code, stdout, stderr = d.run(t, "apply", path)
	if code != ExitError {
		t.Fatalf("second apply: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"Error: the saved plan no longer matches what it was made from, so it was not applied:\n",
		"  - the state was written since the plan was made (it had no state; now serial 1)",
		"  - Account.acme, which the plan inserts, now exists in the org (",
		"Make a new plan (sfsync plan -out=FILE) and apply that.\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	c, err := bulk.New(context.Background(), bulk.Config{Auth: bulk.AccessToken{InstanceURL: d.org.URL, Token: d.org.AccessToken}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	c.QueryEach(context.Background(), "SELECT Id FROM Account WHERE AccountNumber = 'ACME-1'", bulk.QueryOptions{API: bulk.REST}, func(bulk.Row) error { n++; return nil })
	if n != 1 {
		t.Errorf("%d accounts ACME-1 in the org, want 1", n)
	}
}

func TestApplyResultView(t *testing.T) {
	var stdout, stderr bytes.Buffer
	env := &Env{Stdout: &stdout, Stderr: &stderr}
	writeApplyResult(env, &planner.ApplyResult{
		Inserted: 249, Adopted: 1,
		Failures: []planner.RecordFailure{
			{Address: "Account.parent", Object: "Account", Action: planner.Insert, Operation: state.OpInsert,
				Errors: []bulk.RecordError{{StatusCode: "REQUIRED_FIELD_MISSING", Message: "Required fields are missing: [Name]", Fields: []string{"Name"}}}},
			{Address: `Contact.csv["x@example.com"]`, Object: "Contact", Action: planner.Insert, Operation: state.OpInsert,
				Errors: []bulk.RecordError{{StatusCode: "STRING_TOO_LONG", Message: "too long", Fields: []string{"LastName", "FirstName"}}, {StatusCode: "X", Message: "y"}}},
			{Address: "PricebookEntry.p", Object: "PricebookEntry", Action: planner.Replace, Operation: state.OpDelete, Unprocessed: true,
				Errors: []bulk.RecordError{{StatusCode: "InvalidBatch", Message: "job failed"}}},
		},
		Skipped:  []planner.SkippedChange{{Address: "Contact.child", Object: "Contact", Action: planner.Insert, Reason: "Account.parent, which it refers to through AccountId, failed"}},
		Warnings: []planner.Warning{{Address: "Account.a", Message: "the org stored AnnualRevenue = 1235 where apply wrote 1234.5"}},
	}, false)
	wantErr := `
Error: 3 records failed:

  Account
    Account.parent: insert failed: REQUIRED_FIELD_MISSING: Required fields are missing: [Name] (field Name)

  Contact
    Contact.csv["x@example.com"]: insert failed: STRING_TOO_LONG: too long (fields LastName, FirstName); X: y

  PricebookEntry
    PricebookEntry.p: delete (to replace it) not processed: InvalidBatch: job failed

1 change not attempted:
    Contact.child: insert skipped: Account.parent, which it refers to through AccountId, failed

Warning: Account.a: the org stored AnnualRevenue = 1235 where apply wrote 1234.5
`
	if diff := cmp.Diff(wantErr, stderr.String()); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
	if want := "\nApply finished with failures: 249 inserted, 0 updated, 0 deleted, 1 adopted; 3 failed, 1 not attempted.\n"; stdout.String() != want {
		t.Errorf("stdout %q, want %q", stdout.String(), want)
	}
	stdout.Reset()
	writeApplyResult(env, &planner.ApplyResult{Inserted: 1, Interrupted: true, NotApplied: 2}, false)
	if want := "\nApply interrupted: 1 inserted, 0 updated, 0 deleted; 2 changes not applied. The state records everything that was written.\n"; stdout.String() != want {
		t.Errorf("stdout %q, want %q", stdout.String(), want)
	}
}

func TestProgressBarsFinish(t *testing.T) {
	var buf bytes.Buffer
	p := newProgressBars(&buf)
	s := planner.JobStatus{Seq: 1, Job: planner.Job{Object: "Account", Operation: state.OpInsert, API: planner.APIBulk2, Records: 10}}
	p.JobStarted(s)
	s.Processed, s.Failed = 4, 1
	p.JobProgress(s)
	time.Sleep(400 * time.Millisecond) // a refresh
	s.Processed = 10
	p.JobFinished(s)
	// A job whose every record was skipped, and one left unfinished.
	p.JobStarted(planner.JobStatus{Seq: 2, Job: planner.Job{Object: "Contact", Operation: state.OpInsert, API: planner.APIREST, Records: 1}, Skipped: 1})
	p.JobFinished(planner.JobStatus{Seq: 2, Job: planner.Job{Object: "Contact", Operation: state.OpInsert, API: planner.APIREST, Records: 1}, Skipped: 1})
	p.JobStarted(planner.JobStatus{Seq: 3, Job: planner.Job{Object: "Lead", Operation: state.OpUpdate, API: planner.APIBulk1, Records: 5}})
	done := make(chan struct{})
	go func() { p.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	out := buf.String()
	for _, want := range []string{"Account insert L0", "10 / 10", "1 failed", "Lead update L0", "0 / 5"} {
		if !strings.Contains(out, want) {
			t.Errorf("bars lack %q:\n%s", want, out)
		}
	}
}

// cancelOn is a writer that cancels when what is written contains a text:
// a Ctrl-C at a chosen moment of a run.
type cancelOn struct {
	buf    bytes.Buffer
	text   string
	cancel context.CancelFunc
}

func (w *cancelOn) Write(p []byte) (int, error) {
	n, err := w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.text) {
		w.cancel()
	}
	return n, err
}

// A Ctrl-C while the last job runs stops nothing, yet the run was
// interrupted: apply says so and exits 4, as README's table has it.
func TestApplyInterruptedDuringLastJob(t *testing.T) {
	d := newApplyDir(t, applyConfig)
	submit, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout bytes.Buffer
	stderr := &cancelOn{text: "done, 1 processed", cancel: cancel}
	env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: stderr, Dir: d.dir, Getenv: func(string) string { return "" }, Submit: submit}
	if code := Run(context.Background(), env, []string{"apply", "-auto-approve"}); code != ExitInterrupted {
		t.Fatalf("apply: exit %d, want %d\n%s\n%s", code, ExitInterrupted, stdout.String(), stderr.buf.String())
	}
	if want := "\nApply interrupted: 1 inserted, 0 updated, 0 deleted; 0 changes not applied. The state records everything that was written.\n"; !strings.HasSuffix(stdout.String(), want) {
		t.Errorf("stdout ends %q, want %q", stdout.String(), want)
	}
	if code, out, _ := d.run(t, "plan", "-detailed-exitcode"); code != ExitOK {
		t.Errorf("the next plan: exit %d\n%s", code, out)
	}
}
