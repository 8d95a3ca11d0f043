package bulk_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/localorg"
	"github.com/sfsync/sfsync/localorg/localorgtest"
)

// The client's flows against an in-process localorg: logins, versions,
// headers, every operation on both Bulk APIs and sObject Collections, the
// results mapped back to their records, and the faults Salesforce throws
// (expired sessions, 503s and 500s, dropped connections, answers cut
// mid-body, row locks, failed batches), switched on in the org itself.

func fast() (bulk.RetryPolicy, bulk.PollPolicy) {
	return bulk.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
		bulk.PollPolicy{Initial: time.Millisecond, Max: 5 * time.Millisecond, Timeout: 30 * time.Second}
}

// connect opens a client with fast retries and polls.
func connect(t testing.TB, auth bulk.Authenticator, version string) *bulk.Client {
	t.Helper()
	r, p := fast()
	c, err := bulk.New(context.Background(), bulk.Config{Auth: auth, APIVersion: version, Retry: r, Poll: p, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func soap(org *localorgtest.Org) bulk.SOAPLogin {
	return bulk.SOAPLogin{LoginURL: org.URL, Username: org.Username, Password: org.Password, SecurityToken: org.SecurityToken}
}

func bearer(org *localorgtest.Org) bulk.AccessToken {
	return bulk.AccessToken{InstanceURL: org.URL, Token: org.AccessToken}
}

// tooLong is a Name Salesforce refuses (STRING_TOO_LONG: 255 at most): the
// per-record failure the tests provoke.
var tooLong = strings.Repeat("L", 256)

// addFields gives Account the custom fields some tests need: Key__c, a
// number external Id (Salesforce echoes 912260031 as 9.12260031E8), and
// Group__c, a text field that is no key.
func addFields(t testing.TB, org *localorgtest.Org) {
	t.Helper()
	_, err := org.Org.AddSchema(context.Background(), []byte(`{"name": "Account", "fields": [
		{"name": "Key__c", "type": "double", "label": "Key", "precision": 18, "scale": 0, "custom": true, "externalId": true, "idLookup": true, "unique": true},
		{"name": "Group__c", "type": "string", "label": "Group", "length": 20, "custom": true}]}`))
	if err != nil {
		t.Fatal(err)
	}
}

// stored reads records straight from the org (through its own client, not
// the one under test), keyed by Id.
func stored(t testing.TB, org *localorgtest.Org, soql string) map[string]map[string]string {
	t.Helper()
	var buf bytes.Buffer
	if err := org.Instance.Client().Query(context.Background(), soql, false, &buf); err != nil {
		t.Fatalf("query %s: %v", soql, err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, row := range rows[1:] {
		rec := map[string]string{}
		for i, h := range rows[0] {
			rec[h] = row[i]
		}
		out[rec["Id"]] = rec
	}
	return out
}

// load writes records straight into the org (CSV, through its own client).
func load(t testing.TB, org *localorgtest.Org, object, csv string) {
	t.Helper()
	res, err := org.Instance.Client().Load(context.Background(), object, "insert", "", []byte(csv))
	if err != nil || res.Failed != 0 {
		t.Fatalf("load %s: %v %+v", object, err, res)
	}
}

// since returns the requests the org received after the first n.
func since(org *localorgtest.Org, n int) []localorgtest.Request { return org.Requests()[n:] }

func count(reqs []localorgtest.Request, method, suffix string) int {
	n := 0
	for _, r := range reqs {
		if (method == "" || r.Method == method) && strings.HasSuffix(r.URL.Path, suffix) {
			n++
		}
	}
	return n
}

// logins counts the org's successful SOAP and OAuth logins.
func logins(org *localorgtest.Org) int {
	n := 0
	for _, r := range org.Requests() {
		if (strings.HasPrefix(r.URL.Path, "/services/Soap/") || r.URL.Path == "/services/oauth2/token") && r.Status == 200 {
			n++
		}
	}
	return n
}

func seq(recs []bulk.Record) iter.Seq[bulk.Record] { return slices.Values(recs) }

func accounts(n int, f func(i int) bulk.Record) []bulk.Record {
	out := make([]bulk.Record, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

type collected struct {
	results map[int]bulk.Result
	order   []int // record indexes in the order their results came
	jobs    []bulk.JobRef
}

func collect(t *testing.T, req *bulk.IngestRequest) *collected {
	c := &collected{results: map[int]bulk.Result{}}
	req.OnResult = func(r bulk.Result) error {
		if _, dup := c.results[r.Index]; dup {
			t.Errorf("two results for record %d", r.Index)
		}
		c.results[r.Index] = r
		c.order = append(c.order, r.Index)
		return nil
	}
	req.OnJob = func(ctx context.Context, j bulk.JobRef) error {
		c.jobs = append(c.jobs, j)
		return nil
	}
	return c
}

func TestLoginFailuresCarrySalesforceCodes(t *testing.T) {
	org := localorgtest.New(t)
	tests := []struct {
		auth bulk.Authenticator
		code string
	}{
		{bulk.SOAPLogin{LoginURL: org.URL, Username: org.Username, Password: "wrong"}, "INVALID_LOGIN"},
		{bulk.PasswordFlow{LoginURL: org.URL, ClientID: org.ClientID, ClientSecret: org.ClientSecret, Username: org.Username, Password: "wrong"}, "invalid_grant"},
		{&bulk.RefreshTokenFlow{LoginURL: org.URL, ClientID: org.ClientID, RefreshToken: "revoked"}, "invalid_grant"},
		{bulk.ClientCredentials{LoginURL: org.URL, ClientID: org.ClientID, ClientSecret: "nope"}, "invalid_client"},
	}
	for _, tt := range tests {
		_, err := bulk.New(context.Background(), bulk.Config{Auth: tt.auth, APIVersion: "60.0"})
		if bulk.ErrorCode(err) != tt.code {
			t.Errorf("%s: %v, want code %s", tt.auth, err, tt.code)
		}
	}
}

func TestSOAPLoginRefusedFrom65(t *testing.T) {
	org := localorgtest.New(t)
	_, err := bulk.New(context.Background(), bulk.Config{Auth: soap(org), APIVersion: "65.0"})
	if err == nil || !strings.Contains(err.Error(), "SOAP login is not available in API 65.0") || !strings.Contains(err.Error(), "OAuth") {
		t.Errorf("got %v", err)
	}
	// Without an explicit version, SOAP logs in at 64.0 and the session then
	// speaks the negotiated version.
	c := connect(t, soap(org), "")
	if c.Version() != "66.0" {
		t.Errorf("version %s", c.Version())
	}
}

func TestVersionNegotiation(t *testing.T) {
	org := localorgtest.Start(t, localorg.Options{MaxAPIVersion: 55})
	c := connect(t, bearer(org), "")
	if c.Version() != "55.0" {
		t.Errorf("got %s, want the org's 55.0", c.Version())
	}
	c = connect(t, bearer(org), "50.0")
	if c.Version() != "50.0" {
		t.Errorf("got %s, want our 50.0", c.Version())
	}
	c = connect(t, bearer(org), "45.0")
	if err := c.QueryEach(context.Background(), "SELECT Id FROM Account", bulk.QueryOptions{}, func(bulk.Row) error { return nil }); err == nil || !strings.Contains(err.Error(), "47.0") {
		t.Errorf("Bulk 2.0 query at 45.0: %v", err)
	}
}

// Bulk 1.0 carries the session in X-SFDC-Session, REST and Bulk 2.0 in
// "Authorization: Bearer"; every call names the client and asks for gzip.
// (localorg refuses a Bulk 1.0 call that carries only a Bearer token, as
// Salesforce does, so the 1.0 calls succeeding is itself a check.)
func TestHeadersPerAPI(t *testing.T) {
	org := localorgtest.New(t)
	c := connect(t, soap(org), "60.0")
	ctx := context.Background()
	j, err := c.CreateJob1(ctx, bulk.JobSpec1{Object: "Account", Operation: bulk.Insert})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Limits(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Describe(ctx, "Account"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateIngestJob2(ctx, bulk.IngestJobSpec2{Object: "Account", Operation: bulk.Insert}); err != nil {
		t.Fatal(err)
	}
	tok := c.Session().AccessToken
	seen := map[string]bool{}
	for _, r := range org.Requests() {
		p := r.URL.Path
		if strings.HasPrefix(p, "/services/Soap/") {
			continue // the login itself carries no session
		}
		if r.Header.Get("Sforce-Call-Options") != "client=sfsync" || r.Header.Get("Accept-Encoding") != "gzip" {
			t.Errorf("%s %s: headers %v", r.Method, p, r.Header)
		}
		var kind string
		switch {
		case strings.HasPrefix(p, "/services/async/"):
			kind = "1.0"
			if r.Header.Get("X-SFDC-Session") != tok || r.Header.Get("Authorization") != "" {
				t.Errorf("Bulk 1.0 %s: wrong auth header", p)
			}
		case strings.Contains(p, "/jobs/"):
			kind = "2.0"
		case strings.HasSuffix(p, "/limits/") || strings.HasSuffix(p, "/describe"):
			kind = "REST"
		default:
			continue
		}
		if kind != "1.0" && (r.Header.Get("Authorization") != "Bearer "+tok || r.Header.Get("X-SFDC-Session") != "") {
			t.Errorf("%s %s: wrong auth header", kind, p)
		}
		if r.Status >= 300 {
			t.Errorf("%s %s answered %d", r.Method, p, r.Status)
		}
		seen[kind] = true
	}
	if !seen["1.0"] || !seen["2.0"] || !seen["REST"] || j.Info.ID == "" {
		t.Errorf("requests seen: %v", seen)
	}
}

func TestExpiredCheck(t *testing.T) {
	org := localorgtest.New(t)
	c := connect(t, bearer(org), "60.0")
	if c.Expired() {
		t.Fatal("fresh session expired")
	}
	org.ExpireSessions(t)
	_, err := c.Limits(context.Background())
	if bulk.ErrorCode(err) != "INVALID_SESSION_ID" {
		t.Errorf("limits with a dead token: %v", err)
	}
	if !c.Expired() {
		t.Error("a session the server rejected is not reported expired")
	}
	// A refreshable login renews itself instead.
	c = connect(t, soap(org), "60.0")
	org.ExpireSessions(t)
	before := logins(org)
	if _, err := c.Limits(context.Background()); err != nil || logins(org) != before+1 || c.Expired() {
		t.Errorf("renewal: %v, logins %d→%d", err, before, logins(org))
	}
}

func TestBulk2UpsertShuffledAndReformattedResultsMapBack(t *testing.T) {
	org := localorgtest.Start(t, localorg.Options{JobDelay: 20 * time.Millisecond})
	addFields(t, org)
	org.ShuffleResults(true, 11)
	c := connect(t, soap(org), "60.0")
	// The key is a number Salesforce echoes as 9.12260031E8 and so on;
	// every third record is refused (a Name too long).
	recs := accounts(300, func(i int) bulk.Record {
		name := fmt.Sprintf("Acct %d", i)
		if i%3 == 0 {
			name = tooLong
		}
		key, _ := bulk.Number(strconv.Itoa(912260031 + i*1000))
		return bulk.Record{"Key__c": key, "Name": bulk.Text(name), "AnnualRevenue": bulk.Float(float64(i) * 1e7)}
	})
	req := bulk.IngestRequest{Object: "Account", Operation: bulk.Upsert, ExternalIDField: "Key__c", Records: seq(recs)}
	got := collect(t, &req)
	var progress int
	req.OnProgress = func(p bulk.Progress) {
		progress++
		if p.Total != 300 || p.Processed > p.Total {
			t.Errorf("progress %+v", p)
		}
	}
	sum, err := c.Ingest(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.results) != 300 || sum.Succeeded != 200 || sum.Failed != 100 || progress == 0 {
		t.Fatalf("%d results, summary %+v, %d progress reports", len(got.results), sum, progress)
	}
	if slices.IsSorted(got.order) {
		t.Error("results came in upload order: the shuffle did not happen")
	}
	names := stored(t, org, "SELECT Id, Name FROM Account")
	for i, r := range got.results {
		if i%3 == 0 {
			if r.Success || r.Errors[0].StatusCode != "STRING_TOO_LONG" || r.Row == nil {
				t.Errorf("record %d: %+v", i, r)
			}
			continue
		}
		if !r.Success || !r.Created || names[r.ID]["Name"] != fmt.Sprintf("Acct %d", i) {
			t.Errorf("record %d mapped to %s (%q)", i, r.ID, names[r.ID]["Name"])
		}
		echo, _ := r.Row.Get("Key__c")
		if !strings.Contains(echo, "E8") {
			t.Errorf("record %d: key echoed as %q; the test expects re-formatting", i, echo)
		}
	}
}

func TestBulk2InsertWithoutKeyMatchesWholeRows(t *testing.T) {
	org := localorgtest.New(t)
	org.ShuffleResults(true, 5)
	c := connect(t, soap(org), "60.0")
	recs := accounts(50, func(i int) bulk.Record {
		r := bulk.Record{"Name": bulk.Text(fmt.Sprintf("N%d", i)), "AnnualRevenue": bulk.Int(int64(i) * 100000000)}
		if i%2 == 0 {
			r["Description"] = bulk.Text("even, \"quoted\"\nline") // only half the records carry it: header is the union
		}
		return r
	})
	req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs)}
	got := collect(t, &req)
	if _, err := c.Ingest(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	byID := stored(t, org, "SELECT Id, Name, Description FROM Account")
	for i := 0; i < 50; i++ {
		r := got.results[i]
		rec := byID[r.ID]
		if !r.Success || rec["Name"] != fmt.Sprintf("N%d", i) || (i%2 == 0) != (rec["Description"] == "even, \"quoted\"\nline") {
			t.Errorf("record %d: %+v stored %v", i, r, rec)
		}
	}
}

func TestBulk2LargeWriteSplitsIntoJobsOnlyWhenNeeded(t *testing.T) {
	org := localorgtest.New(t)
	c := connect(t, soap(org), "60.0")
	recs := accounts(100, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprintf("Account number %03d", i))} })
	req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs), KeyFields: []string{"Name"}, UploadBytes: 1000}
	got := collect(t, &req)
	sum, err := c.Ingest(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	// "Name\n" + 100 rows of 19 bytes: 52 rows fill an upload of ≤ 1000
	// bytes (993), so 2 jobs.
	if len(got.jobs) != 2 || len(sum.Jobs) != 2 || sum.Succeeded != 100 {
		t.Errorf("%d jobs, summary %+v", len(got.jobs), sum)
	}
	one := accounts(10, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprint(i))} })
	req = bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(one)}
	got = collect(t, &req)
	if _, err := c.Ingest(context.Background(), req); err != nil || len(got.jobs) != 1 {
		t.Errorf("small write: %v, %d jobs", err, len(got.jobs))
	}
}

func TestHookRunsBeforeUpload(t *testing.T) {
	org := localorgtest.New(t)
	c := connect(t, soap(org), "60.0")
	recs := accounts(3, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprint(i))} })
	req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs)}
	req.OnJob = func(ctx context.Context, j bulk.JobRef) error {
		if n := count(org.Requests(), "", "/batches"); n != 0 {
			t.Error("data uploaded before the hook ran")
		}
		if j.ID == "" || j.Version != "60.0" || j.API != bulk.Bulk2 {
			t.Errorf("job ref %+v", j)
		}
		return errors.New("journal full")
	}
	_, err := c.Ingest(context.Background(), req)
	if n := len(stored(t, org, "SELECT Id FROM Account")); err == nil || !strings.Contains(err.Error(), "journal full") || n != 0 {
		t.Errorf("hook error: %v, %d records", err, n)
	}
}

func TestSessionExpiringMidJobIsRenewed(t *testing.T) {
	for _, api := range []bulk.API{bulk.Bulk2, bulk.Bulk1} {
		t.Run(api.String(), func(t *testing.T) {
			org := localorgtest.Start(t, localorg.Options{JobDelay: 50 * time.Millisecond})
			c := connect(t, soap(org), "60.0")
			recs := accounts(20, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprint(i))} })
			req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs), API: api}
			got := collect(t, &req)
			polls := 0
			req.OnProgress = func(bulk.Progress) {
				if polls++; polls == 2 {
					org.ExpireSessions(t)
				}
			}
			sum, err := c.Ingest(context.Background(), req)
			if err != nil || sum.Succeeded != 20 || len(got.results) != 20 || polls < 2 || logins(org) < 2 {
				t.Errorf("err %v, summary %+v, %d polls, logins %d", err, sum, polls, logins(org))
			}
		})
	}
}

func Test503BurstIsRetried(t *testing.T) {
	org := localorgtest.New(t)
	c := connect(t, soap(org), "60.0")
	org.FailNextCalls(3)
	recs := accounts(5, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprint(i))} })
	req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs)}
	collect(t, &req)
	sum, err := c.Ingest(context.Background(), req)
	if err != nil || sum.Succeeded != 5 || len(sum.Jobs) != 1 || org.Org.Faults().Unavailable != 0 {
		t.Errorf("err %v summary %+v", err, sum)
	}
	org.FailNextCalls(10)
	_, err = c.Limits(context.Background())
	var ae *bulk.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 503 {
		t.Errorf("a burst longer than the retry budget: %v", err)
	}
}

func TestInvalidBatchIsNotRetried(t *testing.T) {
	for _, api := range []bulk.API{bulk.Bulk2, bulk.Bulk1} {
		t.Run(api.String(), func(t *testing.T) {
			org := localorgtest.New(t)
			c := connect(t, soap(org), "60.0")
			recs := accounts(4, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text("x"), "Bogus Field": bulk.Text("y")} })
			req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs), API: api}
			got := collect(t, &req)
			sum, err := c.Ingest(context.Background(), req)
			var je *bulk.JobError
			if !errors.As(err, &je) || je.Code != "InvalidBatch" || je.Message != "Field name not found : Bogus Field" {
				t.Fatalf("err %v", err)
			}
			if len(sum.Jobs) != 1 || sum.Unprocessed != 4 || len(got.results) != 4 {
				t.Errorf("summary %+v, %d results", sum, len(got.results))
			}
			for _, r := range got.results {
				if !r.Unprocessed || r.Errors[0].StatusCode != "InvalidBatch" {
					t.Errorf("result %+v", r)
				}
			}
		})
	}
}

func TestUnableToLockRowRetriedBounded(t *testing.T) {
	for _, api := range []bulk.API{bulk.Bulk2, bulk.Bulk1, bulk.REST} {
		t.Run(api.String(), func(t *testing.T) {
			org := localorgtest.New(t)
			c := connect(t, soap(org), "60.0")
			org.LockRows(0.3, 4)
			recs := accounts(10, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprint("lock-", i))} })
			req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs), API: api, KeyFields: []string{"Name"}}
			got := collect(t, &req)
			sum, err := c.Ingest(context.Background(), req)
			org.LockRows(0, 0)
			n := len(stored(t, org, "SELECT Id FROM Account"))
			if err != nil || sum.Records != 10 || sum.Succeeded != 10 || sum.LockRetried == 0 || len(got.results) != 10 || n != 10 {
				t.Errorf("err %v summary %+v results %d stored %d", err, sum, len(got.results), n)
			}
			if api != bulk.REST && (len(got.jobs) < 2 || got.jobs[1].Attempt != 1) {
				t.Errorf("jobs %+v", got.jobs)
			}
			// Bounded: a lock that never clears is reported.
			org.LockRows(1, 4)
			req = bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs[:2]), API: api, LockRetries: 2, KeyFields: []string{"Name"}}
			got = collect(t, &req)
			sum, err = c.Ingest(context.Background(), req)
			if err != nil || sum.Failed != 2 || got.results[0].Errors[0].StatusCode != "UNABLE_TO_LOCK_ROW" {
				t.Errorf("err %v summary %+v", err, sum)
			}
			if api != bulk.REST && len(got.jobs) != 3 {
				t.Errorf("%d jobs for 2 retries", len(got.jobs))
			}
		})
	}
}

// accountNames reads every Account's Name (and Description) through a
// Bulk 2.0 query, to check what 1.0 jobs did without looking inside the org.
func accountNames(t *testing.T, c *bulk.Client) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	err := c.QueryEach(context.Background(), "SELECT Id, Name, Description, External_Id__c FROM Account", bulk.QueryOptions{}, func(r bulk.Row) error {
		id, _ := r.Get("Id")
		out[id] = r.Map()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBulk1EveryOperationAndFormat(t *testing.T) {
	for _, ct := range []string{"CSV", "XML", "JSON"} {
		t.Run(ct, func(t *testing.T) {
			c := connect(t, soap(localorgtest.New(t)), "60.0")
			ctx := context.Background()
			ingest := func(op bulk.Operation, recs []bulk.Record) *collected {
				req := bulk.IngestRequest{Object: "Account", Operation: op, Records: seq(recs), API: bulk.Bulk1, ContentType: ct, BatchRecords: 3, ExternalIDField: "External_Id__c", Serial: op == bulk.Delete}
				got := collect(t, &req)
				sum, err := c.Ingest(ctx, req)
				if err != nil || sum.Failed != 0 || len(got.results) != len(recs) || len(got.jobs) != 1 {
					t.Fatalf("%s: %v %+v", op, err, sum)
				}
				return got
			}
			got := ingest(bulk.Insert, accounts(7, func(i int) bulk.Record {
				return bulk.Record{"Name": bulk.Text(fmt.Sprint("A", i)), "External_Id__c": bulk.Text(fmt.Sprint("k", i)), "Description": bulk.Text("<&>")}
			}))
			ids := make([]string, 7)
			for i := range ids {
				ids[i] = got.results[i].ID
			}
			stored := accountNames(t, c)
			if len(stored) != 7 || stored[ids[6]]["Name"] != "A6" || stored[ids[6]]["Description"] != "<&>" {
				t.Fatalf("after insert: %v", stored)
			}
			ingest(bulk.Update, accounts(7, func(i int) bulk.Record {
				return bulk.Record{"Id": bulk.Text(ids[i]), "Name": bulk.Text(fmt.Sprint("B", i)), "Description": bulk.Null()}
			}))
			for i, id := range ids {
				if r := accountNames(t, c)[id]; r["Name"] != fmt.Sprint("B", i) || r["Description"] != "" {
					t.Errorf("after update: %v", r)
				}
			}
			got = ingest(bulk.Upsert, accounts(4, func(i int) bulk.Record {
				return bulk.Record{"External_Id__c": bulk.Text(fmt.Sprint("k", i*3)), "Name": bulk.Text("C")}
			}))
			if got.results[0].Created || !got.results[3].Created { // k0 exists, k9 does not
				t.Errorf("upsert created flags: %+v", got.results)
			}
			ingest(bulk.Delete, accounts(2, func(i int) bulk.Record { return bulk.Record{"Id": bulk.Text(ids[i])} }))
			ingest(bulk.HardDelete, accounts(2, func(i int) bulk.Record { return bulk.Record{"Id": bulk.Text(ids[i+2])} }))
			if n := len(accountNames(t, c)); n != 4 {
				t.Errorf("%d records left, want 4", n)
			}
		})
	}
}

// The seed's workflow, one call at a time: create, add batches, refresh,
// close, load by id, result lists, results.
func TestBulk1SeedWorkflow(t *testing.T) {
	c := connect(t, soap(localorgtest.New(t)), "60.0")
	ctx := context.Background()
	// The seed article: an XML batch of sObjects, then close.
	ins, err := c.CreateJob1(ctx, bulk.JobSpec1{Object: "Account", Operation: bulk.Insert, ContentType: "XML"})
	if err != nil {
		t.Fatal(err)
	}
	xmlBatch := `<?xml version="1.0" encoding="UTF-8"?><sObjects xmlns="http://www.force.com/2009/06/asyncapi/dataload"><sObject><Name>Ada</Name></sObject><sObject><Name>Grace</Name></sObject><sObject><Name>Linus</Name></sObject></sObjects>`
	if _, err := ins.AddBatch(ctx, []byte(xmlBatch)); err != nil {
		t.Fatal(err)
	}
	if _, err := ins.Close(ctx); err != nil {
		t.Fatal(err)
	}
	bs, err := ins.WaitBatches(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rs []bulk.BatchResult1
	ins.IngestResults(ctx, bs[0].ID, func(r bulk.BatchResult1) error { rs = append(rs, r); return nil })
	if len(rs) != 3 || !rs[0].Success || !rs[0].Created {
		t.Fatalf("XML batch results %+v", rs)
	}
	// A query job: add the SOQL batch, refresh batch states, close.
	job, err := c.CreateJob1(ctx, bulk.JobSpec1{Object: "Account", Operation: bulk.Query})
	if err != nil {
		t.Fatal(err)
	}
	b, err := job.AddBatch(ctx, []byte("select id,name from account"))
	if err != nil || b.State != "Queued" {
		t.Fatalf("%v %+v", err, b)
	}
	list, err := job.Batches(ctx)
	if err != nil || len(list) != 1 || list[0].ID != b.ID || list[0].State == "" {
		t.Fatalf("refresh: %v %+v", err, list)
	}
	if _, err := job.Close(ctx); err != nil || job.Info.State != "Closed" {
		t.Fatalf("close: %v %s", err, job.Info.State)
	}
	// Load the job by id, wait, result lists and results.
	again, err := c.OpenJob1(ctx, job.Info.ID)
	if err != nil || again.Info.Operation != "query" || again.Info.State != "Closed" {
		t.Fatalf("open by id: %v %+v", err, again.Info)
	}
	if _, err := again.WaitBatches(ctx, nil); err != nil {
		t.Fatal(err)
	}
	ids, err := again.ResultList(ctx, b.ID)
	if err != nil || len(ids) == 0 || len(ids[0]) != 15 {
		t.Fatalf("result list %v %v", ids, err)
	}
	var names []string
	for _, id := range ids {
		rc, err := again.Result(ctx, b.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		cr := bulk.NewCSVReader(rc)
		for cr.Next() {
			n, _ := cr.Row().Get("name")
			names = append(names, n)
		}
		cr.Close()
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"Ada", "Grace", "Linus"}) {
		t.Errorf("names %v", names)
	}
	// A closed job refuses batches with Salesforce's message, and
	// can still be aborted.
	if _, err := ins.AddBatch(ctx, []byte(xmlBatch)); bulk.ErrorCode(err) != "InvalidJobState" {
		t.Errorf("batch on a closed job: %v", err)
	}
	if info, err := ins.Abort(ctx); err != nil || info.State != "Aborted" {
		t.Errorf("abort a closed job: %v %s", err, info.State)
	}
	// CSV and JSON batches too.
	for _, tc := range []struct{ ct, body string }{{"CSV", "Name\nCsv One\n\"Csv, Two\"\n"}, {"JSON", `[{"Name":"Json One"},{"Name":"Json Two"}]`}} {
		j, err := c.CreateJob1(ctx, bulk.JobSpec1{Object: "Account", Operation: bulk.Insert, ContentType: tc.ct})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := j.AddBatch(ctx, []byte(tc.body)); err != nil {
			t.Fatalf("%s batch: %v", tc.ct, err)
		}
		j.Close(ctx)
		bs, _ := j.WaitBatches(ctx, nil)
		n := 0
		j.IngestResults(ctx, bs[0].ID, func(r bulk.BatchResult1) error {
			if r.Success {
				n++
			}
			return nil
		})
		if n != 2 {
			t.Errorf("%s batch: %d successes", tc.ct, n)
		}
	}
}

func TestQueryEveryAPI(t *testing.T) {
	org := localorgtest.New(t)
	var data strings.Builder
	data.WriteString("Name,AnnualRevenue\n")
	for i := 0; i < 25; i++ {
		fmt.Fprintf(&data, "A%02d,%d\n", i, i*1000)
	}
	load(t, org, "Account", data.String())
	c := connect(t, soap(org), "60.0")
	mark := len(org.Requests())
	for _, opt := range []bulk.QueryOptions{
		{API: bulk.Bulk2, MaxRecords: 4},
		{API: bulk.Bulk2, All: true},
		{API: bulk.Bulk1},
		{API: bulk.Bulk1, PKChunking: "chunkSize=10"},
		{API: bulk.REST},
	} {
		var names []string
		var jobs []bulk.JobRef
		opt.OnJob = func(j bulk.JobRef) { jobs = append(jobs, j) }
		err := c.QueryEach(context.Background(), "SELECT Id, Name, AnnualRevenue FROM Account", opt, func(r bulk.Row) error {
			n, _ := r.Get("name")
			names = append(names, n)
			if got := r.Header.Names(); !slices.Equal(got, []string{"Id", "Name", "AnnualRevenue"}) {
				return fmt.Errorf("header %v", got)
			}
			return nil
		})
		slices.Sort(names)
		if err != nil || len(names) != 25 || names[0] != "A00" || names[24] != "A24" {
			t.Errorf("%+v: %v, %d rows", opt, err, len(names))
		}
		if opt.API != bulk.REST && len(jobs) != 1 {
			t.Errorf("%+v: jobs %v", opt, jobs)
		}
	}
	// Seven pages of at most 4, the last locator "null".
	var pages int
	for _, r := range since(org, mark) {
		if strings.HasSuffix(r.URL.Path, "/results") && r.URL.Query().Get("maxRecords") == "4" {
			pages++
		}
	}
	if pages != 7 {
		t.Errorf("%d result pages for 25 rows of 4", pages)
	}
}

func TestCollections(t *testing.T) {
	org := localorgtest.New(t)
	c := connect(t, soap(org), "60.0")
	ctx := context.Background()
	recs := accounts(450, func(i int) bulk.Record {
		n := fmt.Sprint("R", i)
		if i == 7 {
			n = tooLong
		}
		return bulk.Record{"Name": bulk.Text(n), "NumberOfEmployees": bulk.Int(int64(i))}
	})
	req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs), API: bulk.REST}
	got := collect(t, &req)
	sum, err := c.Ingest(ctx, req)
	if err != nil || sum.Succeeded != 449 || sum.Failed != 1 || got.results[7].Errors[0].StatusCode != "STRING_TOO_LONG" {
		t.Fatalf("%v %+v %+v", err, sum, got.results[7])
	}
	if calls := count(org.Requests(), "POST", "/composite/sobjects"); calls != 3 {
		t.Errorf("%d calls for 450 records, want 3 of ≤ 200", calls)
	}
	names := stored(t, org, "SELECT Id, Name FROM Account")
	for i, r := range got.results {
		if i != 7 && names[r.ID]["Name"] != fmt.Sprint("R", i) {
			t.Errorf("record %d mapped to %s", i, r.ID)
		}
	}
	var del []bulk.Record
	for i := 0; i < 5; i++ {
		del = append(del, bulk.Record{"Id": bulk.Text(got.results[i].ID)})
	}
	req = bulk.IngestRequest{Object: "Account", Operation: bulk.Delete, Records: seq(del), API: bulk.REST}
	collect(t, &req)
	if sum, err := c.Ingest(ctx, req); err != nil || sum.Succeeded != 5 || len(stored(t, org, "SELECT Id FROM Account")) != 444 {
		t.Errorf("delete: %v %+v", err, sum)
	}
}

func TestResume(t *testing.T) {
	org := localorgtest.New(t)
	c := connect(t, soap(org), "60.0")
	ctx := context.Background()
	// A 2.0 job journaled, uploaded and completed while "sfsync was down".
	j, err := c.CreateIngestJob2(ctx, bulk.IngestJobSpec2{Object: "Account", Operation: bulk.Insert})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UploadJobData2(ctx, j.ID, func() (io.Reader, error) { return strings.NewReader("Name\nX\n" + tooLong + "\n"), nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetJobState2(ctx, false, j.ID, "UploadComplete"); err != nil {
		t.Fatal(err)
	}
	c2 := connect(t, soap(org), "")
	var rows []string
	sum, err := c2.Resume(ctx, bulk.ResumeRequest{API: bulk.Bulk2, JobID: j.ID, Version: j.Version(), OnResult: func(r bulk.Result) error {
		n, _ := r.Row.Get("Name")
		rows = append(rows, fmt.Sprintf("%s %v", n, r.Success))
		return nil
	}})
	slices.Sort(rows)
	if err != nil || !slices.Equal(rows, []string{tooLong + " false", "X true"}) || sum.Succeeded != 1 {
		t.Errorf("resume 2.0: %v %v %+v", err, rows, sum)
	}
	// A job journaled but never uploaded is aborted.
	open, _ := c.CreateIngestJob2(ctx, bulk.IngestJobSpec2{Object: "Account", Operation: bulk.Insert})
	if _, err := c2.Resume(ctx, bulk.ResumeRequest{API: bulk.Bulk2, JobID: open.ID}); err != nil {
		t.Fatal(err)
	}
	if info, _ := c.JobInfo2(ctx, false, open.ID); info.State != "Aborted" {
		t.Errorf("open job left %s", info.State)
	}
	// A 1.0 job left open with one batch: closed, waited for, rows zipped.
	job, _ := c.CreateJob1(ctx, bulk.JobSpec1{Object: "Account", Operation: bulk.Insert})
	job.AddBatch(ctx, []byte("Name\nP\nQ\n"))
	rows = nil
	_, err = c2.Resume(ctx, bulk.ResumeRequest{API: bulk.Bulk1, JobID: job.Info.ID, Version: "60.0", OnResult: func(r bulk.Result) error {
		n, _ := r.Row.Get("Name")
		rows = append(rows, fmt.Sprintf("%s %v %d", n, r.Success, len(r.ID)))
		return nil
	}})
	if err != nil || !slices.Equal(rows, []string{"P true 18", "Q true 18"}) {
		t.Errorf("resume 1.0: %v %v", err, rows)
	}
	if info, _ := c.JobInfo2(ctx, false, job.Info.ID); info.State != "JobComplete" && info.State != "Closed" {
		t.Errorf("resumed 1.0 job left %s", info.State)
	}
}

func TestDescribeCachedAndErrors(t *testing.T) {
	org := localorgtest.New(t)
	c := connect(t, soap(org), "60.0")
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if d, err := c.Describe(ctx, "Account"); err != nil || d.Name != "Account" {
			t.Fatal(err)
		}
	}
	if n := count(org.Requests(), "GET", "/Account/describe"); n != 1 {
		t.Errorf("%d describe calls, want 1 (cached)", n)
	}
	_, err := c.Describe(ctx, "Nope__c")
	if bulk.ErrorCode(err) != "NOT_FOUND" || !strings.Contains(err.Error(), "describe Nope__c") {
		t.Errorf("unknown object: %v", err)
	}
	if g, err := c.DescribeGlobal(ctx); err != nil || len(g.SObjects) == 0 {
		t.Errorf("global: %v", err)
	}
	if _, err := c.ListJobs2(ctx, false); err != nil {
		t.Errorf("list: %v", err)
	}
}

func TestGzipUploads(t *testing.T) {
	org := localorgtest.New(t)
	r, p := fast()
	c, err := bulk.New(context.Background(), bulk.Config{Auth: soap(org), APIVersion: "60.0", Retry: r, Poll: p, CompressUploads: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, api := range []bulk.API{bulk.Bulk2, bulk.Bulk1} {
		recs := accounts(3, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprint(api, i))} })
		req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs), API: api}
		collect(t, &req)
		if sum, err := c.Ingest(context.Background(), req); err != nil || sum.Succeeded != 3 {
			t.Fatalf("%v: %v %+v", api, err, sum)
		}
	}
	gz := 0
	for _, r := range org.Requests() {
		if (strings.HasSuffix(r.URL.Path, "/batches") || strings.HasSuffix(r.URL.Path, "/batch")) && r.Method != "GET" {
			if r.Header.Get("Content-Encoding") != "gzip" {
				t.Errorf("%s %s not gzipped", r.Method, r.URL.Path)
			}
			gz++
		}
	}
	if gz != 2 || len(stored(t, org, "SELECT Id FROM Account")) != 6 {
		t.Errorf("%d gzipped uploads", gz)
	}
}

// Answers come gzipped (the client asks for it) and are read as such.
func TestGzipResponses(t *testing.T) {
	org := localorgtest.New(t)
	c := connect(t, soap(org), "60.0")
	recs := accounts(30, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprint("Z", i))} })
	req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs)}
	collect(t, &req)
	if sum, err := c.Ingest(context.Background(), req); err != nil || sum.Succeeded != 30 {
		t.Fatalf("%v %+v", err, sum)
	}
	n := 0
	if err := c.QueryEach(context.Background(), "SELECT Id, Name FROM Account", bulk.QueryOptions{}, func(bulk.Row) error { n++; return nil }); err != nil || n != 30 {
		t.Errorf("query over gzip: %v, %d rows", err, n)
	}
	if d, err := c.Describe(context.Background(), "Account"); err != nil || len(d.Fields) == 0 {
		t.Errorf("describe over gzip: %v", err)
	}
	seen := map[string]bool{}
	for _, r := range org.Requests() {
		for _, suffix := range []string{"/successfulResults/", "/results", "/describe"} {
			if strings.HasSuffix(r.URL.Path, suffix) && r.ResponseHeader.Get("Content-Encoding") == "gzip" {
				seen[suffix] = true
			}
		}
	}
	if len(seen) != 3 {
		t.Errorf("gzipped answers: %v", seen)
	}
}

// Calls that could duplicate work are not repeated after an answer that
// Salesforce may have acted on; calls that cannot, are.
func TestRetryOnlyWhereSafe(t *testing.T) {
	org := localorgtest.New(t)
	c := connect(t, soap(org), "60.0")
	ctx := context.Background()
	mark := len(org.Requests())
	calls := func(method, suffix string) int { return count(since(org, mark), method, suffix) }
	// A GET after a 500 and after a dropped connection: retried.
	org.ServerErrorNextCalls(1, "")
	org.DropNextConnections(1, "")
	if _, err := c.Limits(ctx); err != nil || calls("GET", "/limits/") != 3 {
		t.Errorf("limits: %v after %d calls", err, calls("GET", "/limits/"))
	}
	// Creating an ingest job after a 500 or a dropped connection: not
	// retried (the job may exist).
	org.ServerErrorNextCalls(1, "")
	if _, err := c.CreateIngestJob2(ctx, bulk.IngestJobSpec2{Object: "Account", Operation: bulk.Insert}); bulk.ErrorCode(err) != "UNKNOWN_EXCEPTION" || calls("POST", "/jobs/ingest/") != 1 {
		t.Errorf("create after 500: %v, %d calls", err, calls("POST", "/jobs/ingest/"))
	}
	org.DropNextConnections(1, "")
	if _, err := c.CreateJob1(ctx, bulk.JobSpec1{Object: "Account", Operation: bulk.Insert}); err == nil || calls("POST", "/job") != 1 {
		t.Errorf("1.0 create after a dropped connection: %v, %d calls", err, calls("POST", "/job"))
	}
	// ... but after a 503 (refused before any work) it is.
	org.FailNextCalls(2)
	if _, err := c.CreateIngestJob2(ctx, bulk.IngestJobSpec2{Object: "Account", Operation: bulk.Insert}); err != nil || calls("POST", "/jobs/ingest/") != 4 {
		t.Errorf("create after 503s: %v, %d calls", err, calls("POST", "/jobs/ingest/"))
	}
	// Closing a job whose first close got through but whose answer was
	// lost: the InvalidJobState of the second is checked against the job's
	// state and accepted.
	j, _ := c.CreateJob1(ctx, bulk.JobSpec1{Object: "Account", Operation: bulk.Insert})
	org.DropNextConnections(1, "/job/"+j.Info.ID)
	if info, err := j.Close(ctx); err != nil || info.State != "Closed" {
		t.Errorf("close after a lost answer: %v %s", err, info.State)
	}
	if info, err := j.Close(ctx); err != nil || info.State != "Closed" {
		t.Errorf("second close: %v %s", err, info.State)
	}
}

func TestSubmitStopFinishesWhatWasSent(t *testing.T) {
	org := localorgtest.New(t)
	c := connect(t, soap(org), "60.0")
	submit, stop := context.WithCancel(context.Background())
	defer stop()
	recs := accounts(100, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprintf("Account number %03d", i))} })
	req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs), KeyFields: []string{"Name"}, UploadBytes: 1000, Submit: submit}
	got := collect(t, &req)
	req.OnJob = func(ctx context.Context, j bulk.JobRef) error { stop(); return nil } // the first Ctrl-C, right after the first job
	sum, err := c.Ingest(context.Background(), req)
	if !errors.Is(err, bulk.ErrSubmitStopped) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	// The first job (52 records) was finished and reported; nothing else sent.
	if n := len(stored(t, org, "SELECT Id FROM Account")); len(sum.Jobs) != 1 || sum.Records != 52 || sum.Succeeded != 52 || len(got.results) != 52 || n != 52 {
		t.Errorf("summary %+v, %d results, %d stored", sum, len(got.results), n)
	}
}

func TestCancelAbortsJobsInFlight(t *testing.T) {
	for _, api := range []bulk.API{bulk.Bulk2, bulk.Bulk1} {
		t.Run(api.String(), func(t *testing.T) {
			// Jobs wait a minute before they start: still in flight when
			// the client gives up.
			org := localorgtest.Start(t, localorg.Options{JobDelay: time.Minute})
			c := connect(t, soap(org), "60.0")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			recs := accounts(5, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprint(i))} })
			req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs), API: api}
			got := collect(t, &req)
			req.OnProgress = func(bulk.Progress) { cancel() } // the second Ctrl-C while waiting
			_, err := c.Ingest(ctx, req)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err %v", err)
			}
			// State changes: UploadComplete (2.0) or Closed (1.0), then Aborted.
			id := got.jobs[0].ID
			if changes := count(org.Requests(), "PATCH", "/jobs/ingest/"+id) + count(org.Requests(), "POST", "/job/"+id); changes != 2 {
				t.Errorf("%d state changes: job in flight not aborted", changes)
			}
			if j, err := org.Org.Job(context.Background(), id); err != nil || j.State != "Aborted" {
				t.Errorf("job %v %+v", err, j)
			}
		})
	}
}

func TestRowsAll(t *testing.T) {
	org := localorgtest.New(t)
	load(t, org, "Account", "Name\nA\nB\nC\n")
	c := connect(t, soap(org), "60.0")
	var names []string
	for row, err := range c.Query(context.Background(), "SELECT Name FROM Account", bulk.QueryOptions{}).All() {
		if err != nil {
			t.Fatal(err)
		}
		n, _ := row.Get("Name")
		names = append(names, n)
		if len(names) == 2 {
			break
		}
	}
	if len(names) != 2 {
		t.Errorf("names %v", names)
	}
	for _, err := range c.Query(context.Background(), "SELECT Name FROM", bulk.QueryOptions{}).All() {
		if bulk.ErrorCode(err) != "MALFORMED_QUERY" {
			t.Errorf("bad query: %v", err)
		}
	}
}

// A result body cut mid-way is fetched again and resumed after the rows
// already read: no row lost, none repeated.
func TestBrokenBodiesResume(t *testing.T) {
	org := localorgtest.New(t)
	var data strings.Builder
	data.WriteString("Name\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&data, "A%02d\n", i)
	}
	load(t, org, "Account", data.String())
	c := connect(t, soap(org), "60.0")
	for _, opt := range []bulk.QueryOptions{{API: bulk.Bulk2, MaxRecords: 15}, {API: bulk.Bulk1}} {
		mark := len(org.Requests())
		org.CutNextResponses(2, 100, "/result")
		seen := map[string]int{}
		err := c.QueryEach(context.Background(), "SELECT Id, Name FROM Account", opt, func(r bulk.Row) error {
			n, _ := r.Get("Name")
			seen[n]++
			return nil
		})
		if err != nil || len(seen) != 40 {
			t.Errorf("%v: %v, %d distinct rows", opt.API, err, len(seen))
		}
		for n, k := range seen {
			if k != 1 {
				t.Errorf("%v: %s read %d times", opt.API, n, k)
			}
		}
		if f := org.Org.Faults(); f.CutResponses != 0 {
			t.Errorf("%v: %d cuts left", opt.API, f.CutResponses)
		}
		if opt.API == bulk.Bulk2 {
			if pages := count(since(org, mark), "GET", "/results"); pages != 3+2 { // three pages, two of them fetched twice
				t.Errorf("%d page fetches, want 5", pages)
			}
		}
	}
	// A Bulk 1.0 batch's results (positional): resumed after the rows read.
	org.CutNextResponses(1, 100, "/result")
	recs1 := accounts(20, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprint("R", i))} })
	req1 := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs1), API: bulk.Bulk1}
	got1 := collect(t, &req1)
	if sum, err := c.Ingest(context.Background(), req1); err != nil || sum.Succeeded != 20 || len(got1.results) != 20 || org.Org.Faults().CutResponses != 0 {
		t.Errorf("1.0 results over a broken body: %v %+v", err, sum)
	}
	names := stored(t, org, "SELECT Id, Name FROM Account")
	for i := range recs1 {
		if names[got1.results[i].ID]["Name"] != fmt.Sprint("R", i) {
			t.Errorf("1.0 record %d mapped to %s", i, got1.results[i].ID)
		}
	}
	org.ShuffleResults(true, 9)
	org.CutNextResponses(1, 100, "Results")
	recs := accounts(20, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprint("N", i))} })
	req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs), KeyFields: []string{"Name"}}
	got := collect(t, &req)
	if sum, err := c.Ingest(context.Background(), req); err != nil || sum.Succeeded != 20 || len(got.results) != 20 || org.Org.Faults().CutResponses != 0 {
		t.Errorf("ingest results over a broken body: %v %+v", err, sum)
	}
	names = stored(t, org, "SELECT Id, Name FROM Account")
	for i := range recs {
		if names[got.results[i].ID]["Name"] != fmt.Sprint("N", i) {
			t.Errorf("2.0 record %d mapped to %s", i, got.results[i].ID)
		}
	}
}

// Records that share a key (here: a Group__c that repeats) are told apart
// by their whole rows.
func TestDuplicateKeysMatchedByWholeRow(t *testing.T) {
	org := localorgtest.New(t)
	addFields(t, org)
	org.ShuffleResults(true, 2)
	c := connect(t, soap(org), "60.0")
	recs := accounts(30, func(i int) bulk.Record {
		name := fmt.Sprint("D", i)
		if i%5 == 0 {
			name = tooLong
		}
		return bulk.Record{"Name": bulk.Text(name), "Group__c": bulk.Text(fmt.Sprint(i % 2))} // keys collide
	})
	req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs), KeyFields: []string{"Group__c"}}
	got := collect(t, &req)
	if _, err := c.Ingest(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	names := stored(t, org, "SELECT Id, Name FROM Account")
	for i := 0; i < 30; i++ {
		r := got.results[i]
		if i%5 == 0 {
			if r.Success {
				t.Errorf("record %d (too long) reported a success", i)
			}
			continue
		}
		if !r.Success || names[r.ID]["Name"] != fmt.Sprint("D", i) {
			t.Errorf("record %d mapped to %s (%s)", i, r.ID, names[r.ID]["Name"])
		}
	}
}

func TestOrgIDIs18Characters(t *testing.T) {
	org := localorgtest.New(t)
	if len(org.OrgID) != 18 {
		t.Fatalf("org id %q", org.OrgID)
	}
	for _, auth := range []bulk.Authenticator{soap(org), bearer(org), bulk.ClientCredentials{LoginURL: org.URL, ClientID: org.ClientID, ClientSecret: org.ClientSecret}} {
		c := connect(t, auth, "60.0")
		if c.OrgID() != org.OrgID {
			t.Errorf("%s: org id %q, want %q", auth, c.OrgID(), org.OrgID)
		}
	}
}

// A Bulk 1.0 batch failed on row locks is resubmitted like record lock
// failures; once retries run out, its records and the batch error surface.
func TestTooManyLockFailureBatchRetried(t *testing.T) {
	org := localorgtest.New(t)
	c := connect(t, soap(org), "60.0")
	org.LockNextBatches(1)
	recs := accounts(6, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprint("L", i))} })
	req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs), API: bulk.Bulk1, BatchRecords: 3}
	got := collect(t, &req)
	sum, err := c.Ingest(context.Background(), req)
	if n := len(stored(t, org, "SELECT Id FROM Account")); err != nil || sum.Succeeded != 6 || sum.LockRetried != 3 || len(got.results) != 6 || n != 6 {
		t.Fatalf("%v %+v, %d stored", err, sum, n)
	}
	org.LockNextBatches(100)
	req = bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs[:2]), API: bulk.Bulk1, LockRetries: 1}
	got = collect(t, &req)
	sum, err = c.Ingest(context.Background(), req)
	var je *bulk.JobError
	if !errors.As(err, &je) || je.Code != "TooManyLockFailure" || sum.Unprocessed != 2 || !got.results[1].Unprocessed {
		t.Errorf("%v %+v", err, sum)
	}
}

// A write that fails part-way still reports the records of the jobs it had
// already submitted.
func TestFailureReportsJobsAlreadySubmitted(t *testing.T) {
	for _, api := range []bulk.API{bulk.Bulk2, bulk.Bulk1} {
		t.Run(api.String(), func(t *testing.T) {
			org := localorgtest.New(t)
			c := connect(t, soap(org), "60.0")
			recs := accounts(100, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprintf("Account number %03d", i))} })
			req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs), KeyFields: []string{"Name"}, API: api, UploadBytes: 1000, BatchRecords: 52}
			got := collect(t, &req)
			jobs := 0
			req.OnJob = func(ctx context.Context, j bulk.JobRef) error {
				if jobs++; jobs == 2 {
					return errors.New("journal full")
				}
				return nil
			}
			if api == bulk.Bulk1 {
				// One 1.0 job: make the second batch fail to be added instead.
				req.OnJob = nil
				req.Records = func(yield func(bulk.Record) bool) {
					for i, r := range recs {
						if i == 60 {
							org.ServerErrorNextCalls(1, "/batch")
						}
						if !yield(r) {
							return
						}
					}
				}
			}
			sum, err := c.Ingest(context.Background(), req)
			if err == nil {
				t.Fatal("no error")
			}
			if sum.Succeeded != 52 || len(got.results) != 52 {
				t.Errorf("%v: summary %+v, %d results", err, sum, len(got.results))
			}
			// Records counts what may have reached the org: the second 2.0
			// job was aborted before its upload (nothing sent), while the
			// second 1.0 batch may have been added before the error.
			want := map[bulk.API]int{bulk.Bulk2: 52, bulk.Bulk1: 100}[api]
			if sum.Records != want {
				t.Errorf("%d records counted as sent, want %d", sum.Records, want)
			}
		})
	}
}

// TestJobNeverCreatedSentNothing: a write whose Bulk job could not be
// created sent nothing, and says so (Records 0), so that a caller does not
// take its records for written-or-not; a failed sObject Collections call
// may have been carried out, so its records count as sent.
func TestJobNeverCreatedSentNothing(t *testing.T) {
	for _, tt := range []struct {
		api  bulk.API
		path string
		sent int
	}{
		{bulk.Bulk2, "/jobs/ingest", 0},
		{bulk.Bulk1, "/job", 0},
		{bulk.REST, "/composite/sobjects", 10},
	} {
		t.Run(tt.api.String(), func(t *testing.T) {
			org := localorgtest.New(t)
			c := connect(t, soap(org), "60.0")
			recs := accounts(10, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprint("A", i))} })
			req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs), API: tt.api}
			got := collect(t, &req)
			org.ServerErrorNextCalls(5, tt.path)
			sum, err := c.Ingest(context.Background(), req)
			if err == nil {
				t.Fatal("no error")
			}
			if sum.Records != tt.sent || len(got.results) != 0 || len(sum.Jobs) != 0 {
				t.Errorf("%v: summary %+v, %d results", err, sum, len(got.results))
			}
		})
	}
}
