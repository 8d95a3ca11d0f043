package planner

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/localorg"
	"github.com/sfsync/sfsync/state"
)

// accountsAndContacts plans nAccounts accounts and nContacts contacts
// spread over them, the contacts listed in an order that interleaves their
// parents.
func accountsAndContacts(nAccounts, nContacts int) *Plan {
	var changes []Change
	for i := range nAccounts {
		n := fmt.Sprint(i)
		changes = append(changes, insert("Account.a"+n, 0, "AccountNumber", set("AccountNumber", txt("A-"+n)), set("Name", txt("A"+n))))
	}
	for i := range nContacts {
		n := fmt.Sprintf("%04d", i)
		changes = append(changes, insert("Contact.c"+n, 1, "Email",
			set("Email", txt("c"+n+"@example.com")), set("LastName", txt("C"+n)), ref("AccountId", fmt.Sprintf("Account.a%d", i%nAccounts))))
	}
	return plan(changes...)
}

// checkContacts checks that every planned contact is in the org once, under
// the account it refers to, and bound in state to its org Id.
func checkContacts(t *testing.T, e *applyEnv, s *state.State, nAccounts, nContacts int) {
	t.Helper()
	org := e.query(t, "SELECT Id, Email, AccountId FROM Contact")
	if len(org) != nContacts {
		t.Fatalf("%d contacts in the org, want %d", len(org), nContacts)
	}
	for _, r := range org {
		n := strings.TrimSuffix(strings.TrimPrefix(r["Email"], "c"), "@example.com")
		rec, ok := s.Record("Contact.c" + n)
		if !ok || !sfid.Equal(rec.ID, r["Id"]) {
			t.Fatalf("Contact.c%s: state %+v, org Id %s", n, rec, r["Id"])
		}
		i, _ := strconv.Atoi(n)
		parent, _ := s.Record(fmt.Sprintf("Account.a%d", i%nAccounts))
		if !sfid.Equal(parent.ID, r["AccountId"]) {
			t.Fatalf("Contact.c%s has AccountId %s, want %s", n, r["AccountId"], parent.ID)
		}
	}
}

// TestApplyRowLocks makes a fraction of the org's writes fail with
// UNABLE_TO_LOCK_ROW: the failed records are resubmitted and all arrive,
// and each job's rows are sorted by parent.
func TestApplyRowLocks(t *testing.T) {
	for _, api := range []JobAPI{APIBulk2, APIBulk1} {
		t.Run(api.String(), func(t *testing.T) {
			e := newApplyEnv(t)
			e.org.Org.LockRows(0.2, 7)
			res, s := e.apply(t, accountsAndContacts(5, 600), ApplyOptions{Jobs: JobOptions{API: APIBulkOnly, Bulk: api}, LockRetries: 10})
			if res.Partial() || res.Inserted != 605 {
				t.Fatalf("result: %d inserted, failures %v", res.Inserted, res.Failures[:min(3, len(res.Failures))])
			}
			checkContacts(t, e, s, 5, 600)
			var contactJob JobStatus
			for _, j := range res.Jobs {
				if j.Object == "Contact" {
					contactJob = j
				}
			}
			if len(contactJob.IDs) < 2 {
				t.Errorf("contact job ids %v: the locked rows should have been resubmitted in new jobs", contactJob.IDs)
			}
			// The first upload's AccountId column is sorted, so that each
			// account's contacts are written together.
			ups, err := e.org.Org.JobUploads(context.Background(), contactJob.IDs[0])
			if err != nil {
				t.Fatal(err)
			}
			var parents []string
			for _, up := range ups {
				lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(string(up), "\r", "")), "\n")
				col := slices.Index(strings.Split(lines[0], ","), "AccountId")
				for _, l := range lines[1:] {
					parents = append(parents, strings.Split(l, ",")[col])
				}
			}
			if len(parents) != 600 || !slices.IsSorted(parents) {
				t.Errorf("the contact rows are not sorted by AccountId (%d rows)", len(parents))
			}
		})
	}
}

// TestApplyShuffledResults has the org return Bulk API 2.0 results in any
// order, as Salesforce may: results are matched to records by key, never
// by position.
func TestApplyShuffledResults(t *testing.T) {
	e := newApplyEnv(t)
	e.org.Org.ShuffleResults(true, 3)
	res, s := e.apply(t, accountsAndContacts(3, 400), ApplyOptions{Jobs: JobOptions{API: APIBulkOnly}})
	if res.Partial() {
		t.Fatal(res.Failures)
	}
	checkContacts(t, e, s, 3, 400)
}

// TestApplyJobFailed has the org fail a whole job: its records are reported
// not processed, their dependants skipped, and nothing is in state that the
// org does not hold.
func TestApplyJobFailed(t *testing.T) {
	for _, api := range []JobAPI{APIBulk2, APIBulk1} {
		t.Run(api.String(), func(t *testing.T) {
			e := newApplyEnv(t)
			if api == APIBulk1 {
				e.org.Org.FailNextBatch("")
			} else {
				e.org.Org.FailNextJob("")
			}
			res, s := e.apply(t, accountsAndContacts(2, 3), ApplyOptions{Jobs: JobOptions{API: APIBulkOnly, Bulk: api}})
			if len(res.Failures) != 2 || !res.Failures[0].Unprocessed || res.Failures[0].Errors[0].StatusCode == "" {
				t.Fatalf("failures: %+v", res.Failures)
			}
			var skipped []string
			for _, sk := range res.Skipped {
				skipped = append(skipped, sk.Address)
			}
			if diff := cmp.Diff([]string{"Contact.c0000", "Contact.c0001", "Contact.c0002"}, skipped); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
			if s.Len() != 0 || len(s.Jobs()) != 0 {
				t.Errorf("state: %v, jobs %v", s.AllRecords(), s.Jobs())
			}
		})
	}
}

// TestRecoverBulk1 finishes a Bulk API 1.0 insert journaled by a killed
// apply: its results are matched to addresses by the key values in the
// batches' request rows.
func TestRecoverBulk1(t *testing.T) {
	e := newApplyEnv(t)
	ctx := context.Background()
	st := e.open(t)
	// The job as a killed apply leaves it: created, journaled, a batch
	// uploaded, never closed.
	job, err := e.c.CreateJob1(ctx, bulk.JobSpec1{Object: "Account", Operation: bulk.Insert})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := job.AddBatch(ctx, []byte("AccountNumber,Name\nB-1,One\nb-2,Two\n")); err != nil {
		t.Fatal(err)
	}
	if err := st.State().AddJob(state.Job{ID: job.Info.ID, API: state.Bulk1, APIVersion: e.c.Version(), Object: "Account",
		Operation: state.OpInsert, Addresses: []string{"Account.one", "Account.two"}, Created: time.Now(),
		KeyFields: []string{"AccountNumber"}, Keys: [][]string{{"b-1"}, {"B-2"}}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Persist(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := Recover(ctx, e.c, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Recorded != 2 {
		t.Fatalf("recovered: %+v", got)
	}
	st.Close(ctx)
	s := e.stored(t)
	for _, r := range e.query(t, "SELECT Id, AccountNumber FROM Account") {
		addr := map[string]string{"B-1": "Account.one", "b-2": "Account.two"}[r["AccountNumber"]]
		if rec, ok := s.Record(addr); !ok || !sfid.Equal(rec.ID, r["Id"]) {
			t.Errorf("%s: %+v, org %s", addr, rec, r["Id"])
		}
	}
}

// TestApplyJobNeverCreated has the org refuse to create Bulk jobs: the
// records were never sent, so they are "not applied" (never "outcome
// unknown"), nothing is journaled, and the apply wrote nothing — the
// command's exit code 1, not the 4 of an apply cut short after writing.
func TestApplyJobNeverCreated(t *testing.T) {
	for _, tt := range []struct {
		api  JobAPI
		path string
	}{{APIBulk2, "jobs/ingest"}, {APIBulk1, "async/"}} {
		t.Run(tt.api.String(), func(t *testing.T) {
			e := newApplyEnv(t)
			if err := e.org.Org.SetFaults(localorg.Faults{ServerErrors: 100, ServerErrorPath: tt.path}); err != nil {
				t.Fatal(err)
			}
			st := e.open(t)
			res, err := Apply(context.Background(), e.c, st, accountsAndContacts(300, 0), ApplyOptions{Jobs: JobOptions{API: APIBulkOnly, Bulk: tt.api}, NoReadBack: true})
			if err == nil {
				t.Fatal("no error")
			}
			if res.Wrote() || res.Unknown != 0 || res.NotApplied != 300 || res.Interrupted {
				t.Errorf("result: wrote %v, %d unknown, %d not applied, interrupted %v", res.Wrote(), res.Unknown, res.NotApplied, res.Interrupted)
			}
			if len(res.Jobs) != 1 || res.Jobs[0].NotSent != 300 || res.Jobs[0].Unknown != 0 || res.Jobs[0].Journaled {
				t.Errorf("jobs: %+v", res.Jobs)
			}
			st.Close(context.Background())
			if s := e.stored(t); s.Len() != 0 || len(s.Jobs()) != 0 {
				t.Errorf("state: %v, jobs %v", s.AllRecords(), s.Jobs())
			}
		})
	}
}
