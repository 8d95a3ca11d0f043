package command

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/localorg"
)

// accountsConfig is a configuration of n accounts.
func accountsConfig(n int) string {
	var b strings.Builder
	b.WriteString("org {\n  local = \".sfsync/localorg\"\n}\n\nobject \"Account\" {\n  key = [\"AccountNumber\"]\n")
	for i := range n {
		fmt.Fprintf(&b, "  record \"a%d\" {\n    AccountNumber = \"A-%d\"\n    Name          = \"Account %d\"\n  }\n", i, i, i)
	}
	b.WriteString("}\n")
	return b.String()
}

// TestApplyStoppedByError stops applies with errors after the org took
// their records: the answer to an sObject Collections call lost, a Bulk
// job's results unreadable. Apply says it stopped (never "Apply
// complete"), counts the records as of unknown outcome (never "not sent"),
// says what the next run does, and exits 4 — it was cut short after
// writing, which exit code 1 (nothing written) would hide. The next plan
// finds everything and has nothing left to do.
func TestApplyStoppedByError(t *testing.T) {
	for _, tt := range []struct {
		name       string
		records    int
		faults     localorg.Faults
		wantStdout []string
		wantStderr []string
		wantNext   string // in the next plan's output
	}{{
		name:    "answer lost",
		records: 10,
		faults:  localorg.Faults{DropConnections: 1, DropPath: "composite/sobjects"},
		wantStdout: []string{
			"\nApply stopped by an error: 0 inserted, 0 updated, 0 deleted; 0 changes not applied, 10 records of unknown outcome.\n",
			"\n10 records sent to the org got no answer, so whether they were written is unknown. The next plan reads the org: records that were inserted are found by their key and adopted",
			"\nThe state records everything known to be written; run apply again to finish.\n",
		},
		wantStderr: []string{
			"Account insert (level 0, sObject Collections): stopped, 0 processed, 0 failed, 10 sent without an answer (outcome unknown)\n",
			"Error: insert Account: POST ",
		},
		wantNext: "10 to adopt",
	}, {
		name:    "results unread",
		records: 300,
		faults:  localorg.Faults{ServerErrors: 30, ServerErrorPath: "successfulResults"},
		wantStdout: []string{
			"\nApply stopped by an error: 0 inserted, 0 updated, 0 deleted; 0 changes not applied, 300 records of unknown outcome.\n",
			"\nThe results of 300 records in Bulk job 750",
			"were not read. The job is kept in the state: the next plan or apply waits for it to finish and records what it wrote.\n",
		},
		wantStderr: []string{
			"Account insert (level 0, Bulk API 2.0): Bulk job 750",
			"Account insert (level 0, Bulk API 2.0): stopped, 300 processed, 0 failed, results of 300 not read (job 750",
			", kept in the state)\n",
			"Error: insert Account: successfulResults of job 750",
		},
		wantNext: "records recorded in the state, 0 failed",
	}} {
		t.Run(tt.name, func(t *testing.T) {
			d := newApplyDir(t, accountsConfig(tt.records))
			d.org.SetFaults(t, tt.faults)
			code, stdout, stderr := d.run(t, "apply", "-auto-approve")
			if code != ExitInterrupted {
				t.Errorf("exit %d, want %d", code, ExitInterrupted)
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			for _, bad := range []string{"Apply complete", "not sent", "insert Account: insert Account"} {
				if strings.Contains(stdout+stderr, bad) {
					t.Errorf("output says %q:\n%s\n%s", bad, stdout, stderr)
				}
			}

			d.org.SetFaults(t, localorg.Faults{})
			code, stdout, stderr = d.run(t, "plan", "-detailed-exitcode")
			if code == ExitError || !strings.Contains(stdout+stderr, tt.wantNext) {
				t.Fatalf("next plan: exit %d, stderr lacks %q\n%s\n%s", code, tt.wantNext, stdout, stderr)
			}
			if code, stdout, stderr = d.run(t, "apply", "-auto-approve"); code != ExitOK {
				t.Fatalf("next apply: exit %d\n%s\n%s", code, stdout, stderr)
			}
			if code, stdout, stderr = d.run(t, "plan", "-detailed-exitcode"); code != ExitOK {
				t.Errorf("plan after the next apply: exit %d\n%s\n%s", code, stdout, stderr)
			}
			c, err := bulk.New(context.Background(), bulk.Config{Auth: bulk.AccessToken{InstanceURL: d.org.URL, Token: d.org.AccessToken}})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			if err := c.QueryEach(context.Background(), "SELECT Id FROM Account", bulk.QueryOptions{API: bulk.REST}, func(bulk.Row) error { n++; return nil }); err != nil {
				t.Fatal(err)
			}
			if n != tt.records {
				t.Errorf("%d accounts in the org, want %d", n, tt.records)
			}
		})
	}
}
