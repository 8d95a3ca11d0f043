package planner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/localorg"
)

func TestApplyParentsAndChildren(t *testing.T) {
	e := newApplyEnv(t)
	p := plan(
		insert("Account.acme", 0, "AccountNumber", set("AccountNumber", txt("ACME-1")), set("Name", txt("Acme"))),
		insert("Contact.jane", 1, "Email", set("Email", txt("jane@acme.example")), set("LastName", txt("Doe")), ref("AccountId", "Account.acme")),
		insert("Contact.joe", 1, "Email", set("Email", txt("joe@acme.example")), set("LastName", txt("Roe")), ref("AccountId", "Account.acme")),
	)
	obs := &recorder{}
	res, s := e.apply(t, p, ApplyOptions{Observer: obs, Parallel: 1})
	if res.Partial() || res.Inserted != 3 || res.Interrupted {
		t.Fatalf("result: %+v", res)
	}
	if diff := cmp.Diff([]string{"insert Account 0 rest 1", "insert Contact 1 rest 2"}, describeJobs(res.Jobs)); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
	acme, ok := s.Record("Account.acme")
	if !ok || !sfid.Valid(acme.ID) {
		t.Fatalf("Account.acme in state: %+v", acme)
	}
	if diff := cmp.Diff(map[string]string{"AccountNumber": "ACME-1"}, acme.Key); diff != "" {
		t.Errorf("key (-want +got):\n%s", diff)
	}
	if want := ValuesHash([]KeyValue{{"AccountNumber", txt("ACME-1")}, {"Name", txt("Acme")}}); acme.Hash != want {
		t.Errorf("hash %s, want %s", acme.Hash, want)
	}
	rows := e.query(t, "SELECT Id, Email, AccountId FROM Contact ORDER BY Email")
	if len(rows) != 2 {
		t.Fatalf("contacts: %v", rows)
	}
	for _, r := range rows {
		if !sfid.Equal(r["AccountId"], acme.ID) {
			t.Errorf("contact %s has AccountId %s, want %s", r["Email"], r["AccountId"], acme.ID)
		}
		addr := "Contact.jane"
		if r["Email"] == "joe@acme.example" {
			addr = "Contact.joe"
		}
		rec, ok := s.Record(addr)
		if !ok || !sfid.Equal(rec.ID, r["Id"]) {
			t.Errorf("%s in state: %+v, org Id %s", addr, rec, r["Id"])
		}
		// The hash covers the reference as the Id it became.
		want := ValuesHash([]KeyValue{{"AccountId", idv(acme.ID)}, {"Email", txt(r["Email"])}, {"LastName", txt(map[string]string{"Contact.jane": "Doe", "Contact.joe": "Roe"}[addr])}})
		if rec.Hash != want {
			t.Errorf("%s hash %s, want %s", addr, rec.Hash, want)
		}
	}
	if len(obs.started) != 2 || len(obs.finished) != 2 || obs.progress == 0 {
		t.Errorf("observer: %d started, %d finished, %d progress", len(obs.started), len(obs.finished), obs.progress)
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %v", res.Warnings)
	}
	if len(s.Jobs()) != 0 {
		t.Errorf("jobs left in the journal: %v", s.Jobs())
	}
}

func TestApplyBulkUpdateSendsIdAndChangedFieldsOnly(t *testing.T) {
	for _, api := range []JobAPI{APIBulk2, APIBulk1} {
		t.Run(api.String(), func(t *testing.T) { testBulkUpdate(t, api) })
	}
}

func testBulkUpdate(t *testing.T, api JobAPI) {
	e := newApplyEnv(t)
	opts := ApplyOptions{Jobs: JobOptions{API: APIBulkOnly, Bulk: api}}
	res, s := e.apply(t, plan(
		insert("Account.a", 0, "AccountNumber", set("AccountNumber", txt("A")), set("Name", txt("Alpha")), set("Description", txt("first"))),
	), opts)
	if res.Partial() || res.Inserted != 1 {
		t.Fatalf("insert: %+v", res)
	}
	a, _ := s.Record("Account.a")
	up := Change{Action: Update, Address: "Account.a", Object: "Account", ID: a.ID,
		Key:             []KeyValue{{"AccountNumber", txt("A")}},
		Fields:          []FieldChange{chg("Name", txt("Alpha"), txt("Alpha Corp"))},
		Unchanged:       2,
		UnchangedValues: []KeyValue{{"AccountNumber", txt("A")}, {"Description", txt("first")}},
	}
	res, s = e.apply(t, plan(up), opts)
	if res.Partial() || res.Updated != 1 {
		t.Fatalf("update: %+v", res)
	}
	jobs := e.jobs(t)
	last := jobs[len(jobs)-1]
	if last.Operation != "update" || last.Object != "Account" || last.API != map[JobAPI]int{APIBulk1: 1, APIBulk2: 2}[api] {
		t.Fatalf("last job: %+v", last)
	}
	if h := e.uploadHeader(t, last.ID); h != "Id,Name" {
		t.Errorf("update upload header %q, want Id,Name", h)
	}
	ups, _ := e.org.Org.JobUploads(context.Background(), last.ID)
	if want := "Id,Name\n" + a.ID + ",Alpha Corp\n"; len(ups) != 1 || string(ups[0]) != want {
		t.Errorf("upload %q, want %q", ups[0], want)
	}
	got := e.query(t, "SELECT Name, Description FROM Account")
	if len(got) != 1 || got[0]["Name"] != "Alpha Corp" || got[0]["Description"] != "first" {
		t.Errorf("org: %v", got)
	}
	rec, _ := s.Record("Account.a")
	want := ValuesHash([]KeyValue{{"AccountNumber", txt("A")}, {"Description", txt("first")}, {"Name", txt("Alpha Corp")}})
	if rec.Hash != want || rec.ID != a.ID {
		t.Errorf("state after update: %+v, want hash %s", rec, want)
	}
}

func TestApplyParentChainAndCycle(t *testing.T) {
	e := newApplyEnv(t)
	p := plan(
		// A chain three deep: a ← b ← c.
		insert("Account.a", 0, "AccountNumber", set("AccountNumber", txt("A")), set("Name", txt("A"))),
		insert("Account.b", 1, "AccountNumber", set("AccountNumber", txt("B")), set("Name", txt("B")), ref("ParentId", "Account.a")),
		insert("Account.c", 2, "AccountNumber", set("AccountNumber", txt("C")), set("Name", txt("C")), ref("ParentId", "Account.b")),
		// A true cycle: x.ParentId = y, y.ParentId = x. x is inserted
		// without its ParentId, y refers to x, and a deferred update sets
		// x's ParentId once y exists.
		func() Change {
			ch := insert("Account.x", 0, "AccountNumber", set("AccountNumber", txt("X")), set("Name", txt("X")), ref("ParentId", "Account.y"))
			ch.Fields[2].Deferred = true
			return ch
		}(),
		insert("Account.y", 1, "AccountNumber", set("AccountNumber", txt("Y")), set("Name", txt("Y")), ref("ParentId", "Account.x")),
		Change{Action: DeferredUpdate, Address: "Account.x", Object: "Account", Level: 2, Fields: []FieldChange{ref("ParentId", "Account.y")}},
	)
	res, s := e.apply(t, p, ApplyOptions{Parallel: 1, Jobs: JobOptions{API: APIBulkOnly}})
	if res.Partial() || res.Inserted != 5 {
		t.Fatalf("result: %+v", res)
	}
	want := []string{
		"insert Account 0 bulk2 2", "insert Account 1 bulk2 2", "insert Account 2 bulk2 1",
		"update Account 2 bulk2 1 deferred",
	}
	if diff := cmp.Diff(want, describeJobs(res.Jobs)); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
	ids := map[string]string{}
	for _, r := range e.query(t, "SELECT Id, AccountNumber FROM Account") {
		ids[r["AccountNumber"]] = sfid.To18(r["Id"])
	}
	parents := map[string]string{}
	for _, r := range e.query(t, "SELECT AccountNumber, ParentId FROM Account") {
		parents[r["AccountNumber"]] = r["ParentId"]
	}
	wantParents := map[string]string{"A": "", "B": ids["A"], "C": ids["B"], "X": ids["Y"], "Y": ids["X"]}
	if diff := cmp.Diff(wantParents, parents); diff != "" {
		t.Errorf("ParentId by AccountNumber (-want +got):\n%s", diff)
	}
	// x's hash covers its ParentId only once the deferred update set it.
	x, _ := s.Record("Account.x")
	wantHash := ValuesHash([]KeyValue{{"AccountNumber", txt("X")}, {"Name", txt("X")}, {"ParentId", idv(ids["Y"])}})
	if x.Hash != wantHash {
		t.Errorf("Account.x hash %s, want %s", x.Hash, wantHash)
	}
}

func TestApplyPricebookEntries(t *testing.T) {
	e := newApplyEnv(t)
	std := e.query(t, "SELECT Id FROM Pricebook2 WHERE IsStandard = true")
	if len(std) != 1 {
		t.Fatalf("standard price book: %v", std)
	}
	stdID := sfid.To18(std[0]["Id"])
	p := plan(
		insert("Product2.widget", 0, "ProductCode", set("ProductCode", txt("W-1")), set("Name", txt("Widget"))),
		insert("Pricebook2.wholesale", 0, "Name", set("Name", txt("Wholesale")), set("IsActive", Value{typ: TypeBoolean, s: "true"})),
		// The standard price first (level 1), the custom price after it
		// (level 2): Salesforce refuses a custom price without a standard one.
		Change{Action: Insert, Address: "PricebookEntry.std", Object: "PricebookEntry", Level: 1,
			Key: []KeyValue{{"Pricebook2Id", idv(stdID)}, {"Product2Id", Null(TypeID)}},
			Fields: []FieldChange{set("Pricebook2Id", idv(stdID)), ref("Product2Id", "Product2.widget"),
				set("UnitPrice", num("10")), set("IsActive", Value{typ: TypeBoolean, s: "true"})}},
		Change{Action: Insert, Address: "PricebookEntry.wholesale", Object: "PricebookEntry", Level: 2,
			Key: []KeyValue{{"Pricebook2Id", Null(TypeID)}, {"Product2Id", Null(TypeID)}},
			Fields: []FieldChange{ref("Pricebook2Id", "Pricebook2.wholesale"), ref("Product2Id", "Product2.widget"),
				set("UnitPrice", num("8.5")), set("IsActive", Value{typ: TypeBoolean, s: "true"})}},
	)
	for _, api := range []APIChoice{APIRESTOnly, APIBulkOnly} {
		t.Run(api.String(), func(t *testing.T) {
			e := e
			if api == APIBulkOnly {
				e = newApplyEnv(t)
			}
			res, s := e.apply(t, p, ApplyOptions{Jobs: JobOptions{API: api}})
			if res.Partial() || res.Inserted != 4 {
				t.Fatalf("result: %+v", res)
			}
			rows := e.query(t, "SELECT Pricebook2Id, UnitPrice FROM PricebookEntry ORDER BY UnitPrice")
			if len(rows) != 2 || rows[0]["UnitPrice"] != "8.5" || rows[1]["UnitPrice"] != "10.0" && rows[1]["UnitPrice"] != "10" {
				t.Errorf("entries: %v", rows)
			}
			entry, _ := s.Record("PricebookEntry.wholesale")
			prod, _ := s.Record("Product2.widget")
			pb, _ := s.Record("Pricebook2.wholesale")
			// Key fields that are references are kept as the Ids they became.
			if diff := cmp.Diff(map[string]string{"Pricebook2Id": pb.ID, "Product2Id": prod.ID}, entry.Key); diff != "" {
				t.Errorf("key of the custom entry (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyInvalidRecordAmongMany(t *testing.T) {
	e := newApplyEnv(t)
	var changes []Change
	for i := range 250 {
		n := string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		fields := []FieldChange{set("Email", txt(n+"@example.com")), set("LastName", txt("L-"+n))}
		if i == 42 {
			fields[1] = set("LastName", Null(TypeText)) // required
		}
		changes = append(changes, insert("Contact.c"+n, 0, "Email", fields...))
	}
	changes = append(changes,
		insert("Account.parent", 0, "AccountNumber", set("AccountNumber", txt("P")), set("Name", Null(TypeText))),
		insert("Contact.child", 1, "Email", set("Email", txt("child@example.com")), set("LastName", txt("Child")), ref("AccountId", "Account.parent")),
	)
	res, s := e.apply(t, plan(changes...), ApplyOptions{})
	if !res.Partial() {
		t.Fatal("no failures reported")
	}
	if res.Inserted != 249 {
		t.Errorf("%d inserted, want 249", res.Inserted)
	}
	var got []string
	for _, f := range res.Failures {
		got = append(got, f.Address+" "+f.Errors[0].StatusCode+" "+strings.Join(f.Errors[0].Fields, ","))
	}
	bad := "Contact.c" + string(rune('a'+42%26)) + strings.Repeat("x", 42/26)
	want := []string{"Account.parent REQUIRED_FIELD_MISSING Name", bad + " REQUIRED_FIELD_MISSING LastName"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	if len(res.Skipped) != 1 || res.Skipped[0].Address != "Contact.child" ||
		res.Skipped[0].Reason != "Account.parent, which it refers to through AccountId, failed" {
		t.Errorf("skipped: %+v", res.Skipped)
	}
	if n := len(s.Records("Contact")); n != 249 {
		t.Errorf("%d contacts in state, want 249", n)
	}
	if _, ok := s.Record(bad); ok {
		t.Errorf("the failed record %s is in state", bad)
	}
	if n := len(e.query(t, "SELECT Id FROM Contact")); n != 249 {
		t.Errorf("%d contacts in the org, want 249", n)
	}
}

func TestApplyAdoptRebindDeleteReplace(t *testing.T) {
	e := newApplyEnv(t)
	res, s := e.apply(t, plan(
		insert("Account.keep", 0, "AccountNumber", set("AccountNumber", txt("K")), set("Name", txt("Keep"))),
		insert("Account.old", 0, "AccountNumber", set("AccountNumber", txt("O")), set("Name", txt("Old"))),
		insert("Account.gone", 0, "AccountNumber", set("AccountNumber", txt("G")), set("Name", txt("Gone"))),
		insert("Contact.c", 1, "Email", set("Email", txt("c@example.com")), set("LastName", txt("C")), ref("AccountId", "Account.gone")),
		insert("Product2.p", 0, "ProductCode", set("ProductCode", txt("P1")), set("Name", txt("P1"))),
		insert("Product2.q", 0, "ProductCode", set("ProductCode", txt("Q1")), set("Name", txt("Q1"))),
	), ApplyOptions{})
	if res.Partial() {
		t.Fatalf("setup: %+v", res)
	}
	ids := map[string]string{}
	for _, r := range s.AllRecords() {
		ids[r.Address] = r.ID
	}
	std := sfid.To18(e.query(t, "SELECT Id FROM Pricebook2 WHERE IsStandard = true")[0]["Id"])
	res, s = e.apply(t, plan(
		Change{Action: Insert, Address: "PricebookEntry.e", Object: "PricebookEntry", Level: 1,
			Key:    []KeyValue{{"Pricebook2Id", idv(std)}, {"Product2Id", idv(ids["Product2.p"])}},
			Fields: []FieldChange{set("Pricebook2Id", idv(std)), set("Product2Id", idv(ids["Product2.p"])), set("UnitPrice", num("5"))}},
	), ApplyOptions{})
	if res.Partial() {
		t.Fatalf("setup entry: %+v", res)
	}
	entry, _ := s.Record("PricebookEntry.e")
	// Forget Account.keep, as if state lost it: the plan adopts it.
	st := e.open(t)
	st.State().Remove("Account.keep")
	if err := st.Persist(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.Close(context.Background())

	p := plan(
		Change{Action: Adopt, Address: "Account.keep", Object: "Account", ID: ids["Account.keep"],
			Key: []KeyValue{{"AccountNumber", txt("K")}}, Unchanged: 2,
			UnchangedValues: []KeyValue{{"AccountNumber", txt("K")}, {"Name", txt("Keep")}}},
		Change{Action: Rebind, Address: "Account.renamed", From: "Account.old", Object: "Account", ID: ids["Account.old"],
			Key: []KeyValue{{"AccountNumber", txt("O")}}, Fields: []FieldChange{chg("Name", txt("Old"), txt("Renamed"))},
			Unchanged: 1, UnchangedValues: []KeyValue{{"AccountNumber", txt("O")}}},
		// Children before parents: the Contact's delete runs before its
		// Account's (which would cascade to it).
		Change{Action: Delete, Address: "Contact.c", Object: "Contact", ID: ids["Contact.c"], Level: 1},
		Change{Action: Delete, Address: "Account.gone", Object: "Account", ID: ids["Account.gone"], Level: 0},
		// Product2Id is create-only: the entry is replaced.
		Change{Action: Replace, Address: "PricebookEntry.e", Object: "PricebookEntry", ID: entry.ID, Level: 1,
			Key: []KeyValue{{"Pricebook2Id", idv(std)}, {"Product2Id", idv(ids["Product2.q"])}},
			Fields: []FieldChange{
				chg("Pricebook2Id", idv(std), idv(std)),
				{Field: "Product2Id", Old: idv(ids["Product2.p"]), New: idv(ids["Product2.q"]), ForcesReplacement: true},
				chg("UnitPrice", num("5"), num("5")),
			}},
	)
	res, s = e.apply(t, p, ApplyOptions{Parallel: 1, Jobs: JobOptions{API: APIBulkOnly}})
	if res.Partial() {
		t.Fatalf("apply: failures %+v skipped %+v", res.Failures, res.Skipped)
	}
	// Inserts and updates run level by level: the update on level 0
	// before the insert on level 1.
	want := []string{
		"delete PricebookEntry 0 bulk2 1 replace",
		"update Account 0 bulk2 1",
		"insert PricebookEntry 1 bulk2 1",
		"delete Contact 1 bulk2 1",
		"delete Account 0 bulk2 1",
	}
	if diff := cmp.Diff(want, describeJobs(res.Jobs)); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
	if res.Adopted != 1 || res.Rebound != 1 || res.Deleted != 3 || res.Inserted != 1 {
		t.Errorf("counts: %+v", res)
	}
	keep, _ := s.Record("Account.keep")
	if keep.ID != ids["Account.keep"] || keep.Hash != ValuesHash([]KeyValue{{"AccountNumber", txt("K")}, {"Name", txt("Keep")}}) {
		t.Errorf("adopted: %+v", keep)
	}
	if _, ok := s.Record("Account.old"); ok {
		t.Error("Account.old still bound")
	}
	if r, _ := s.Record("Account.renamed"); r.ID != ids["Account.old"] {
		t.Errorf("Account.renamed: %+v", r)
	}
	for _, a := range []string{"Contact.c", "Account.gone"} {
		if _, ok := s.Record(a); ok {
			t.Errorf("deleted %s still in state", a)
		}
	}
	newEntry, _ := s.Record("PricebookEntry.e")
	if newEntry.ID == "" || newEntry.ID == entry.ID {
		t.Errorf("replaced entry: %+v (was %s)", newEntry, entry.ID)
	}
	rows := e.query(t, "SELECT Id, Product2Id FROM PricebookEntry")
	if len(rows) != 1 || !sfid.Equal(rows[0]["Id"], newEntry.ID) || !sfid.Equal(rows[0]["Product2Id"], ids["Product2.q"]) {
		t.Errorf("entries: %v", rows)
	}
	if got := e.query(t, "SELECT Name FROM Account WHERE AccountNumber = 'O'"); len(got) != 1 || got[0]["Name"] != "Renamed" {
		t.Errorf("renamed account: %v", got)
	}
	if got := e.query(t, "SELECT Id FROM Account WHERE AccountNumber = 'G'"); len(got) != 0 {
		t.Errorf("deleted account still in the org: %v", got)
	}

}

func TestApplyReadBackWarns(t *testing.T) {
	e := newApplyEnv(t)
	// AnnualRevenue has scale 0: the org rounds 1234.5 to 1235.
	res, _ := e.apply(t, plan(
		insert("Account.a", 0, "AccountNumber", set("AccountNumber", txt("A")), set("Name", txt("A")), set("AnnualRevenue", num("1234.5"))),
		insert("Account.s", 0, "AccountNumber", set("AccountNumber", txt("S")), set("Name", txt("S")),
			FieldChange{Field: "AnnualRevenue", Old: Null(TypeNumber), New: num("0.4"), Sensitive: true}),
	), ApplyOptions{})
	if res.Partial() {
		t.Fatal(res.Failures)
	}
	want := []Warning{
		{Address: "Account.a", Message: "the org stored AnnualRevenue = 1235 where apply wrote 1234.5 (a trigger, workflow or flow, or rounding, changed it)"},
		{Address: "Account.s", Message: "the org stored another value of AnnualRevenue than apply wrote (sensitive: values not shown); a trigger, workflow or flow may have changed it"},
	}
	if diff := cmp.Diff(want, res.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	res, _ = e.apply(t, plan(
		insert("Account.b", 0, "AccountNumber", set("AccountNumber", txt("B")), set("Name", txt("B")), set("AnnualRevenue", num("1234.5"))),
	), ApplyOptions{NoReadBack: true})
	if len(res.Warnings) != 0 {
		t.Errorf("NoReadBack: %v", res.Warnings)
	}
}

// TestApplyInterrupted cancels submitting (the first Ctrl-C) when the first
// job finishes: the job in flight is recorded, nothing after it starts.
func TestApplyInterrupted(t *testing.T) {
	e := newApplyEnv(t)
	submit, cancel := context.WithCancel(context.Background())
	defer cancel()
	obs := &recorder{onFinish: func(JobStatus) { cancel() }}
	res, s := e.apply(t, plan(
		insert("Account.a", 0, "AccountNumber", set("AccountNumber", txt("A")), set("Name", txt("A"))),
		insert("Contact.c", 1, "Email", set("Email", txt("c@example.com")), set("LastName", txt("C")), ref("AccountId", "Account.a")),
		insert("Contact.d", 1, "Email", set("Email", txt("d@example.com")), set("LastName", txt("D")), ref("AccountId", "Account.a")),
	), ApplyOptions{Submit: submit, Observer: obs})
	if !res.Interrupted || res.NotApplied != 2 || res.Inserted != 1 || res.Partial() {
		t.Errorf("result: %+v", res)
	}
	if _, ok := s.Record("Account.a"); !ok || s.Len() != 1 {
		t.Errorf("state: %v", s.AllRecords())
	}
	if n := len(e.query(t, "SELECT Id FROM Contact")); n != 0 {
		t.Errorf("%d contacts written after the interrupt", n)
	}
}

// TestApplyAbortedThenRecovered aborts a Bulk job in flight (the second
// Ctrl-C): apply returns, the job stays journaled, and Recover records what
// the org processed before the abort — no record is lost or duplicated.
func TestApplyAbortedThenRecovered(t *testing.T) {
	// Chunks of 200 records, 30ms each: the abort comes part-way.
	e := newApplyEnvWith(t, localorg.Options{ChunkDelay: 30 * time.Millisecond})
	var changes []Change
	for i := range 1000 {
		n := fmt.Sprintf("%04d", i)
		changes = append(changes, insert("Account.a"+n, 0, "AccountNumber", set("AccountNumber", txt("A-"+n)), set("Name", txt("A"+n))))
	}
	ctx, abort := context.WithCancel(context.Background())
	defer abort()
	var once sync.Once
	obs := &progressHook{fn: func(s JobStatus) {
		if s.Processed > 0 {
			once.Do(abort)
		}
	}}
	st := e.open(t)
	res, err := Apply(ctx, e.c, st, plan(changes...), ApplyOptions{Observer: obs})
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("apply: %v", err)
	}
	st.Close(context.Background())
	s := e.stored(t)
	if len(s.Jobs()) != 1 {
		t.Fatalf("journal after the abort: %v", s.Jobs())
	}
	if !res.Interrupted && res.NotApplied == 0 {
		t.Errorf("result of the aborted apply: %+v", res)
	}
	st = e.open(t)
	rec, err := Recover(context.Background(), e.c, st, nil)
	if err != nil || len(rec) != 1 {
		t.Fatalf("recover: %v %+v", err, rec)
	}
	st.Close(context.Background())
	s = e.stored(t)
	org := e.query(t, "SELECT Id, AccountNumber FROM Account")
	if len(org) == 0 || len(org) == 1000 {
		t.Fatalf("%d accounts in the org: the abort should have stopped the job part-way", len(org))
	}
	if s.Len() != len(org) || len(s.Jobs()) != 0 {
		t.Errorf("state holds %d records and %d jobs; the org %d accounts", s.Len(), len(s.Jobs()), len(org))
	}
	for _, r := range org {
		addr := "Account.a" + strings.TrimPrefix(r["AccountNumber"], "A-")
		if got, ok := s.Record(addr); !ok || !sfid.Equal(got.ID, r["Id"]) {
			t.Errorf("%s: state %+v, org %s", addr, got, r["Id"])
		}
	}
}

type progressHook struct{ fn func(JobStatus) }

func (h *progressHook) JobStarted(JobStatus)    {}
func (h *progressHook) JobProgress(s JobStatus) { h.fn(s) }
func (h *progressHook) JobFinished(JobStatus)   {}
