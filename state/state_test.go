package state

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfsync/sfsync/internal/sfid"
)

const (
	orgA      = "00D5g000004AbcdEAC"
	acmeID    = "0015g00000AcmE1AAJ"
	globexID  = "001Ak00000bCdEfIAK"
	janeID    = "003Ak00000JaNe1IAF"
	johnID    = "003Ak00000JoHn2IAF"
	pricebook = "01sAk00000PbStdIAF"
)

// testID returns a valid 18-character Id of the object with key prefix
// prefix, numbered n.
func testID(prefix string, n int) string {
	return sfid.To18(fmt.Sprintf("%s%012d", prefix, n))
}

func TestBindAndLookUp(t *testing.T) {
	s := New()
	key := map[string]string{"External_Id__c": "ACME-001"}
	if err := s.Bind(Record{Address: "Account.acme", Object: "Account", ID: acmeID[:15], Key: key}); err != nil {
		t.Fatal(err)
	}
	key["External_Id__c"] = "changed by the caller"
	must(t, s.Bind(Record{Address: "Account.globex", Object: "Account", ID: globexID, Key: map[string]string{"External_Id__c": "GLOBEX"}}))
	must(t, s.Bind(Record{Address: `Contact.csv["jane@acme.example"]`, Object: "Contact", ID: janeID, Key: map[string]string{"Email": "jane@acme.example"}}))

	want := Record{Address: "Account.acme", Object: "Account", ID: acmeID, Key: map[string]string{"External_Id__c": "ACME-001"}}
	if r, ok := s.Record("Account.acme"); !ok || !cmp.Equal(r, want) {
		t.Errorf("Record(Account.acme) = %+v, %v; want %+v (18-character Id, key copied)", r, ok, want)
	}
	if r, ok := s.RecordByID(strings.ToLower(acmeID[:15])); ok {
		t.Errorf("RecordByID(lower case) found %s; 15-character Ids are case-sensitive", r.Address)
	}
	for _, id := range []string{acmeID, acmeID[:15], acmeID[:15] + "aaj"} {
		r, ok := s.RecordByID(id)
		if !ok || r.Address != "Account.acme" {
			t.Errorf("RecordByID(%s) = %+v, %v", id, r, ok)
		}
	}
	if _, ok := s.RecordByID("not an id"); ok {
		t.Error("RecordByID(not an id) found a record")
	}
	var addrs []string
	for _, r := range s.Records("Account") {
		addrs = append(addrs, r.Address)
	}
	if diff := cmp.Diff([]string{"Account.acme", "Account.globex"}, addrs); diff != "" {
		t.Errorf("Records(Account) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Account", "Contact"}, s.Objects()); diff != "" {
		t.Errorf("Objects (-want +got):\n%s", diff)
	}
	if s.Len() != 3 {
		t.Errorf("Len = %d, want 3", s.Len())
	}
}

func TestBindRefusesAnIdBoundElsewhere(t *testing.T) {
	s := New()
	must(t, s.Bind(Record{Address: "Account.acme", Object: "Account", ID: acmeID}))
	err := s.Bind(Record{Address: "Account.acme2", Object: "Account", ID: acmeID[:15]})
	if err == nil || !strings.Contains(err.Error(), "already bound to Account.acme") {
		t.Fatalf("Bind of a bound Id: err = %v", err)
	}
	// Binding the same address to a new Id replaces the old binding.
	must(t, s.Bind(Record{Address: "Account.acme", Object: "Account", ID: globexID}))
	if _, ok := s.RecordByID(acmeID); ok {
		t.Error("the replaced Id is still indexed")
	}
	if r, _ := s.RecordByID(globexID); r.Address != "Account.acme" {
		t.Errorf("RecordByID(new Id) = %+v", r)
	}
}

func TestBindRejectsMalformedRecords(t *testing.T) {
	for _, r := range []Record{
		{Object: "Account", ID: acmeID},
		{Address: "Account.a", ID: acmeID},
		{Address: "Account.a", Object: "Account", ID: "001"},
		{Address: "Account.a", Object: "Account", ID: acmeID[:17] + "Z"},
		{Address: "Account.a", Object: "Account", ID: acmeID, Hash: "md5:abc"},
	} {
		if err := New().Bind(r); err == nil {
			t.Errorf("Bind(%+v) succeeded", r)
		}
	}
}

func TestRebindAndRemove(t *testing.T) {
	s := New()
	must(t, s.Bind(Record{Address: "Account.acme", Object: "Account", ID: acmeID, Key: map[string]string{"External_Id__c": "A"}}))
	must(t, s.Bind(Record{Address: "Account.globex", Object: "Account", ID: globexID}))
	if err := s.Rebind("Account.acme", "Account.globex"); err == nil {
		t.Error("Rebind onto a bound address succeeded")
	}
	if err := s.Rebind("Account.nope", "Account.x"); err == nil {
		t.Error("Rebind of a missing address succeeded")
	}
	must(t, s.Rebind("Account.acme", "Account.acme_corp"))
	if _, ok := s.Record("Account.acme"); ok {
		t.Error("old address still bound after Rebind")
	}
	if r, _ := s.RecordByID(acmeID); r.Address != "Account.acme_corp" || r.Key["External_Id__c"] != "A" {
		t.Errorf("after Rebind, RecordByID = %+v", r)
	}
	r, ok := s.Remove("Account.acme_corp")
	if !ok || r.ID != acmeID {
		t.Errorf("Remove = %+v, %v", r, ok)
	}
	if _, ok := s.Remove("Account.acme_corp"); ok {
		t.Error("second Remove found the record")
	}
	if _, ok := s.RecordByID(acmeID); ok {
		t.Error("removed record still indexed by Id")
	}
	must(t, s.Bind(Record{Address: "Account.other", Object: "Account", ID: acmeID}))
	s.Remove("Account.globex")
	s.Remove("Account.other")
	if got := s.Objects(); len(got) != 0 {
		t.Errorf("Objects after removing everything = %q", got)
	}
}

func TestOrgGuard(t *testing.T) {
	s := New()
	if err := s.BindOrg("00D", ""); err == nil {
		t.Error("BindOrg accepted a malformed org Id")
	}
	must(t, s.BindOrg(orgA[:15], "https://acme.my.salesforce.com"))
	if s.OrgID() != orgA {
		t.Errorf("OrgID = %s, want the 18-character %s", s.OrgID(), orgA)
	}
	must(t, s.BindOrg(orgA, ""))
	if s.InstanceURL() != "https://acme.my.salesforce.com" {
		t.Errorf("an empty instance URL replaced the known one: %q", s.InstanceURL())
	}
	foreign := testID("00D", 42)
	err := s.BindOrg(foreign, "https://other.my.salesforce.com")
	var me *OrgMismatchError
	if !errors.As(err, &me) {
		t.Fatalf("BindOrg(foreign org) = %v, want *OrgMismatchError", err)
	}
	for _, want := range []string{orgA, "https://acme.my.salesforce.com", foreign, "https://other.my.salesforce.com"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("org guard message %q does not name %s", err, want)
		}
	}
	if s.OrgID() != orgA {
		t.Errorf("a refused BindOrg changed the org to %s", s.OrgID())
	}
}

func testJob(id string, created time.Time) Job {
	return Job{ID: id, API: Bulk2, APIVersion: "62.0", Object: "Account", Operation: OpInsert, Level: 0,
		Addresses: []string{"Account.a", "Account.b"}, Created: created}
}

func TestJobJournal(t *testing.T) {
	s := New()
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	must(t, s.AddJob(testJob("750B", t0.Add(time.Second))))
	must(t, s.AddJob(testJob("750A", t0.Add(time.Second))))
	must(t, s.AddJob(testJob("750C", t0)))
	if err := s.AddJob(testJob("750A", t0)); err == nil {
		t.Error("AddJob of a journaled job succeeded")
	}
	var ids []string
	for _, j := range s.Jobs() {
		ids = append(ids, j.ID)
		if j.Created.Location() != time.UTC {
			t.Errorf("job %s created in %v, want UTC", j.ID, j.Created.Location())
		}
	}
	if diff := cmp.Diff([]string{"750C", "750A", "750B"}, ids); diff != "" {
		t.Errorf("Jobs order (-want +got):\n%s", diff)
	}
	must(t, s.AddJobBatch("750A", Batch{ID: "751X", Rows: 1}))
	must(t, s.AddJobBatch("750A", Batch{ID: "751Y", Rows: 1}))
	if err := s.AddJobBatch("750A", Batch{ID: "751Z", Rows: 1}); err == nil {
		t.Error("AddJobBatch beyond the job's rows succeeded")
	}
	if err := s.AddJobBatch("750Q", Batch{ID: "751Z", Rows: 1}); err == nil {
		t.Error("AddJobBatch on an unknown job succeeded")
	}
	if j, _ := s.Job("750A"); len(j.Batches) != 2 {
		t.Errorf("job 750A batches = %+v", j.Batches)
	}
	if !s.RemoveJob("750A") || s.RemoveJob("750A") {
		t.Error("RemoveJob should report the job once")
	}
	if _, ok := s.Job("750A"); ok {
		t.Error("removed job still journaled")
	}
	for _, bad := range []Job{
		{API: Bulk2, Object: "A", Operation: OpInsert, Addresses: []string{"x"}, Created: t0},
		{ID: "1", Object: "A", Operation: OpInsert, Addresses: []string{"x"}, Created: t0},
		{ID: "1", API: Bulk1, Object: "A", Addresses: []string{"x"}, Created: t0},
		{ID: "1", API: Bulk1, Operation: OpDelete, Addresses: []string{"x"}, Created: t0},
		{ID: "1", API: Bulk1, Object: "A", Operation: OpDelete, Created: t0},
		{ID: "1", API: Bulk1, Object: "A", Operation: OpDelete, Addresses: []string{"x"}},
		{ID: "1", API: Bulk1, Object: "A", Operation: OpDelete, Addresses: []string{"x"}, Created: t0, Level: -1},
		{ID: "1", API: Bulk1, Object: "A", Operation: OpInsert, Addresses: []string{"x", "y"}, Created: t0,
			KeyFields: []string{"K"}, Keys: [][]string{{"1"}}},
		{ID: "1", API: Bulk1, Object: "A", Operation: OpInsert, Addresses: []string{"x"}, Created: t0,
			KeyFields: []string{"K"}, Keys: [][]string{{"1", "2"}}},
	} {
		if err := s.AddJob(bad); err == nil {
			t.Errorf("AddJob(%+v) succeeded", bad)
		}
	}
}

func TestEnumsRoundTripAsText(t *testing.T) {
	for op := OpInsert; op < operationEnd; op++ {
		b, err := op.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Operation
		if err := back.UnmarshalText(b); err != nil || back != op || op.String() != string(b) {
			t.Errorf("operation %d: %q → %v, %v", int(op), b, back, err)
		}
	}
	for a := Bulk1; a < apiEnd; a++ {
		b, _ := a.MarshalText()
		var back API
		if err := back.UnmarshalText(b); err != nil || back != a {
			t.Errorf("API %d: %q → %v, %v", int(a), b, back, err)
		}
	}
	if _, err := Operation(0).MarshalText(); err == nil {
		t.Error("the zero Operation marshalled")
	}
	if _, err := API(0).MarshalText(); err == nil {
		t.Error("the zero API marshalled")
	}
	if Operation(0).String() != "Operation(0)" || API(9).String() != "API(9)" {
		t.Error("invalid enum values should say so in String")
	}
}

func TestHashValues(t *testing.T) {
	a := HashValues(map[string]string{"Name": "Acme", "Type": "Partner"})
	if !validHash(a) {
		t.Fatalf("HashValues = %q, not sha256:<hex>", a)
	}
	if b := HashValues(map[string]string{"Type": "Partner", "Name": "Acme"}); a != b {
		t.Error("hash depends on map order")
	}
	distinct := []map[string]string{
		{"Name": "Acme", "Type": "Partner"},
		{"Name": "Acme", "Type": "Partne"},
		{"ab": "c"},
		{"a": "bc"},
		{"a": ""},
		{},
	}
	seen := map[string]int{}
	for i, v := range distinct {
		h := HashValues(v)
		if j, dup := seen[h]; dup {
			t.Errorf("values %v and %v hash alike", distinct[j], v)
		}
		seen[h] = i
	}
}

// TestConcurrentUse binds, reads and encodes from many goroutines (run with
// -race to check the locking).
func TestConcurrentUse(t *testing.T) {
	s := New()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				n := g*1000 + i
				addr := fmt.Sprintf("Account.r%d", n)
				if err := s.Bind(Record{Address: addr, Object: "Account", ID: testID("001", n)}); err != nil {
					t.Error(err)
					return
				}
				s.Record(addr)
				s.Records("Account")
				if i%10 == 0 {
					if _, err := s.Encode(); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if s.Len() != 400 {
		t.Errorf("Len = %d, want 400", s.Len())
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
