package planner

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// accounts plans n account inserts.
func accounts(n int) *Plan {
	var changes []Change
	for i := range n {
		s := fmt.Sprint(i)
		changes = append(changes, insert("Account.a"+s, 0, "AccountNumber", set("AccountNumber", txt("A-"+s)), set("Name", txt("A"+s))))
	}
	return plan(changes...)
}

// TestApplyLockRetryCounts makes half the org's writes fail with
// UNABLE_TO_LOCK_ROW, resubmitted twice: the job's counts are per record,
// its final outcome — as many failed as the result lists — however many
// Bulk jobs the resubmissions took, and no progress report counts a record
// twice.
func TestApplyLockRetryCounts(t *testing.T) {
	for _, api := range []JobAPI{APIBulk2, APIBulk1} {
		t.Run(api.String(), func(t *testing.T) {
			e := newApplyEnv(t)
			e.org.Org.LockRows(0.5, 11)
			rec := &recorder{}
			res, _ := e.apply(t, accounts(300), ApplyOptions{Jobs: JobOptions{API: APIBulkOnly, Bulk: api}, LockRetries: 2, Observer: rec})
			if len(res.Failures) == 0 || res.Inserted+len(res.Failures) != 300 {
				t.Fatalf("%d inserted, %d failed: want some of the 300 failed after the retries", res.Inserted, len(res.Failures))
			}
			j := res.Jobs[0]
			if len(j.IDs) < 2 {
				t.Fatalf("job ids %v: the locked rows should have been resubmitted", j.IDs)
			}
			if j.Processed != 300 || j.Failed != len(res.Failures) || j.Unprocessed != 0 || j.Unknown != 0 || j.NotSent != 0 {
				t.Errorf("job status %d processed, %d failed, %d unprocessed, %d unknown, %d not sent; want 300 processed, %d failed",
					j.Processed, j.Failed, j.Unprocessed, j.Unknown, j.NotSent, len(res.Failures))
			}
			if len(rec.finished) != 1 || rec.finished[0].Failed != j.Failed {
				t.Errorf("observer told %+v", rec.finished)
			}
			if rec.maxProcessed > 300 || rec.maxFailed > 300 {
				t.Errorf("progress reported up to %d processed, %d failed of 300 records", rec.maxProcessed, rec.maxFailed)
			}
		})
	}
}

// TestApplyJobFailedStatus has the org fail a whole Bulk API 2.0 job: the
// job's status says no record was processed, and why.
func TestApplyJobFailedStatus(t *testing.T) {
	e := newApplyEnv(t)
	e.org.Org.FailNextJob("InternalServerError : the pod is down")
	res, _ := e.apply(t, accounts(300), ApplyOptions{Jobs: JobOptions{API: APIBulkOnly}})
	j := res.Jobs[0]
	if j.Processed != 0 || j.Failed != 0 || j.Unprocessed != 300 || len(res.Failures) != 300 {
		t.Errorf("job status %d processed, %d failed, %d unprocessed; %d failures: want 0, 0, 300; 300",
			j.Processed, j.Failed, j.Unprocessed, len(res.Failures))
	}
	if len(j.JobErrors) != 1 || !strings.Contains(j.JobErrors[0], j.IDs[0]) || !strings.Contains(j.JobErrors[0], "InternalServerError : the pod is down") {
		t.Errorf("job errors %q, want the failed job's id and state message", j.JobErrors)
	}
}

// TestApplyAnswerLost has the org carry out an sObject Collections call
// and drop the connection before answering: apply stops with the error,
// and the records are counted as sent with an unknown outcome (they were
// written), not as never sent.
func TestApplyAnswerLost(t *testing.T) {
	e := newApplyEnv(t)
	e.org.Org.DropNextConnections(1, "composite/sobjects")
	st := e.open(t)
	res, err := Apply(context.Background(), e.c, st, accounts(10), ApplyOptions{Jobs: JobOptions{API: APIRESTOnly}})
	if err == nil {
		t.Fatal("apply succeeded, want the dropped connection's error")
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "insert Account: ") || strings.Contains(msg, "insert Account: insert Account") {
		t.Errorf("error %q: want it to name the write once", msg)
	}
	j := res.Jobs[0]
	if res.Unknown != 10 || j.Unknown != 10 || j.NotSent != 0 || res.NotApplied != 0 || res.Interrupted || !res.Wrote() {
		t.Errorf("result: %d unknown (job %d), %d not sent, %d not applied, interrupted %v, wrote %v; want 10 unknown, 0 not sent",
			res.Unknown, j.Unknown, j.NotSent, res.NotApplied, res.Interrupted, res.Wrote())
	}
	if n := len(e.query(t, "SELECT Id FROM Account")); n != 10 {
		t.Errorf("%d accounts in the org, want the 10 the call wrote", n)
	}
}

// TestApplyResultsUnread has the org fail every read of a Bulk job's
// results: apply stops with the error, the records are counted as sent with
// an unknown outcome, and the job stays journaled for the next run.
func TestApplyResultsUnread(t *testing.T) {
	e := newApplyEnv(t)
	e.org.Org.ServerErrorNextCalls(30, "successfulResults")
	st := e.open(t)
	res, err := Apply(context.Background(), e.c, st, accounts(300), ApplyOptions{Jobs: JobOptions{API: APIBulkOnly}})
	if err == nil {
		t.Fatal("apply succeeded, want the results' error")
	}
	j := res.Jobs[0]
	if res.Unknown != 300 || j.Unknown != 300 || j.NotSent != 0 || !j.Journaled || j.Processed != 300 || j.Failed != 0 {
		t.Errorf("job status: %d unknown, %d not sent, journaled %v, %d processed, %d failed; want 300 unknown, journaled, 300 processed",
			j.Unknown, j.NotSent, j.Journaled, j.Processed, j.Failed)
	}
	if jobs := st.State().Jobs(); len(jobs) != 1 || jobs[0].ID != j.IDs[0] {
		t.Errorf("journal %+v, want job %v", jobs, j.IDs)
	}
}
