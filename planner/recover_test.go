package planner

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/state"
)

// startJob2 creates a Bulk API 2.0 job and uploads csv; with complete it
// also marks the upload complete, as apply does before it waits.
func startJob2(t *testing.T, c *bulk.Client, object string, op bulk.Operation, csv string, complete bool) string {
	t.Helper()
	ctx := context.Background()
	info, err := c.CreateIngestJob2(ctx, bulk.IngestJobSpec2{Object: object, Operation: op})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UploadJobData2(ctx, info.ID, func() (io.Reader, error) { return strings.NewReader(csv), nil }); err != nil {
		t.Fatal(err)
	}
	if complete {
		if _, err := c.SetJobState2(ctx, false, info.ID, "UploadComplete"); err != nil {
			t.Fatal(err)
		}
	}
	return info.ID
}

// TestRecover journals jobs as a killed apply leaves them — uploaded and
// never waited for, created and never completed, unknown to the org — and
// checks that Recover records their results in state and empties the
// journal.
func TestRecover(t *testing.T) {
	e := newApplyEnv(t)
	ctx := context.Background()
	// Records sfsync manages already: one to update, one to delete.
	res, _ := e.apply(t, plan(
		insert("Account.upd", 0, "AccountNumber", set("AccountNumber", txt("U")), set("Name", txt("Upd"))),
		insert("Account.del", 0, "AccountNumber", set("AccountNumber", txt("D")), set("Name", txt("Del"))),
	), ApplyOptions{})
	if res.Partial() {
		t.Fatal(res.Failures)
	}
	st := e.open(t)
	s := st.State()
	upd, _ := s.Record("Account.upd")
	del, _ := s.Record("Account.del")

	// An insert of three records with case-insensitive text keys (the
	// journal holds them as the planner normalized them; Salesforce echoes
	// what was uploaded), one of which fails.
	ins := startJob2(t, e.c, "Account", bulk.Insert, "AccountNumber,Name\nk-1,One\nK-2,Two\nK-3,#N/A\n", true)
	upJob := startJob2(t, e.c, "Account", bulk.Update, "Id,Name\n"+upd.ID+",Updated\n", true)
	delJob := startJob2(t, e.c, "Account", bulk.Delete, "Id\n"+del.ID+"\n", true)
	open := startJob2(t, e.c, "Account", bulk.Insert, "AccountNumber,Name\nK-9,Nine\n", false)
	now := time.Now()
	for i, j := range []state.Job{
		{ID: ins, Object: "Account", Operation: state.OpInsert, Addresses: []string{"Account.one", "Account.two", "Account.three"},
			KeyFields: []string{"AccountNumber"}, Keys: [][]string{{"K-1"}, {"k-2"}, {"K-3"}}},
		{ID: upJob, Object: "Account", Operation: state.OpUpdate, Addresses: []string{"Account.upd"}},
		{ID: delJob, Object: "Account", Operation: state.OpDelete, Addresses: []string{"Account.del"}},
		{ID: open, Object: "Account", Operation: state.OpInsert, Addresses: []string{"Account.nine"},
			KeyFields: []string{"AccountNumber"}, Keys: [][]string{{"K-9"}}},
		{ID: "750000000000000AAA", Object: "Account", Operation: state.OpInsert, Addresses: []string{"Account.lost"}},
	} {
		j.API, j.APIVersion, j.Created = state.Bulk2, e.c.Version(), now.Add(time.Duration(i)*time.Second)
		if err := s.AddJob(j); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Persist(ctx); err != nil {
		t.Fatal(err)
	}

	got, err := Recover(ctx, e.c, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []RecoveredJob{
		{ID: ins, Object: "Account", Operation: state.OpInsert, Recorded: 2, Failed: 1},
		{ID: upJob, Object: "Account", Operation: state.OpUpdate, Recorded: 1},
		{ID: delJob, Object: "Account", Operation: state.OpDelete, Recorded: 1},
		{ID: open, Object: "Account", Operation: state.OpInsert},
		{ID: "750000000000000AAA", Object: "Account", Operation: state.OpInsert, Gone: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recovered (-want +got):\n%s", diff)
	}
	st.Close(ctx)
	s = e.stored(t)
	if n := len(s.Jobs()); n != 0 {
		t.Errorf("%d jobs left in the journal", n)
	}
	orgIDs := map[string]string{}
	for _, r := range e.query(t, "SELECT Id, AccountNumber FROM Account") {
		orgIDs[r["AccountNumber"]] = sfid.To18(r["Id"])
	}
	for addr, number := range map[string]string{"Account.one": "k-1", "Account.two": "K-2"} {
		r, ok := s.Record(addr)
		if !ok || r.ID != orgIDs[number] {
			t.Errorf("%s: %+v, org Id %s", addr, r, orgIDs[number])
		}
	}
	if r, _ := s.Record("Account.one"); r.Key["AccountNumber"] != "K-1" {
		t.Errorf("Account.one key %v", r.Key)
	}
	for _, addr := range []string{"Account.three", "Account.nine", "Account.del", "Account.lost"} {
		if r, ok := s.Record(addr); ok {
			t.Errorf("%s in state: %+v", addr, r)
		}
	}
	if r, _ := s.Record("Account.upd"); r.ID != upd.ID || r.Hash != "" {
		t.Errorf("updated record: %+v (hash should be unknown)", r)
	}
	if _, ok := orgIDs["K-9"]; ok {
		t.Error("the job whose upload never completed inserted its record")
	}
	jobs := e.jobs(t)
	for _, j := range jobs {
		if j.ID == open && j.State != "Aborted" {
			t.Errorf("open job state %s, want Aborted", j.State)
		}
	}
}

// TestApplyJournalsBeforeUpload checks that each Bulk job is in the stored
// state before its data reaches the org: the journal is what lets the next
// run finish a job whose apply was killed.
func TestApplyJournalsBeforeUpload(t *testing.T) {
	e := newApplyEnv(t)
	var changes []Change
	for i := range 5 {
		n := fmt.Sprint(i)
		changes = append(changes, insert("Account.a"+n, 0, "AccountNumber", set("AccountNumber", txt("A-"+n)), set("Name", txt("A"+n))))
	}
	st := e.open(t)
	seen := map[string]bool{}
	// The job's id reaches the observer only after OnJob journaled and
	// persisted it; at that point the stored state must hold it.
	obs := &journalChecker{t: t, e: e, seen: seen}
	res, err := Apply(context.Background(), e.c, st, plan(changes...), ApplyOptions{Jobs: JobOptions{API: APIBulkOnly}, Observer: obs})
	if err != nil || res.Partial() {
		t.Fatalf("apply: %v %+v", err, res)
	}
	if len(seen) != 1 {
		t.Errorf("jobs seen in the stored journal while running: %v", seen)
	}
	st.Close(context.Background())
	if n := len(e.stored(t).Jobs()); n != 0 {
		t.Errorf("%d jobs left in the journal after apply", n)
	}
}

type journalChecker struct {
	t    *testing.T
	e    *applyEnv
	seen map[string]bool
}

func (c *journalChecker) JobStarted(JobStatus) {}
func (c *journalChecker) JobProgress(s JobStatus) {
	for _, id := range s.IDs {
		if c.seen[id] {
			continue
		}
		stored, err := state.NewLocalBackend(c.e.statePath).Read(context.Background())
		if err != nil {
			c.t.Error(err)
			return
		}
		j, ok := stored.Job(id)
		if !ok {
			c.t.Errorf("job %s is running but not in the stored journal", id)
			continue
		}
		c.seen[id] = true
		if len(j.Addresses) != 5 || len(j.Keys) != 5 || j.KeyFields[0] != "AccountNumber" {
			c.t.Errorf("journaled job: %+v", j)
		}
	}
}
func (c *journalChecker) JobFinished(JobStatus) {}
