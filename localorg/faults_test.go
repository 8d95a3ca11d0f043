package localorg_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/localorg"
	"github.com/sfsync/sfsync/localorg/localorgtest"
)

func TestFaultUnavailable(t *testing.T) {
	org := localorgtest.New(t)
	org.FailNextCalls(2)
	r := send(t, org, "GET", v+"/sobjects", nil)
	if r.Status != 503 || !strings.Contains(r.String(), `"errorCode":"SERVER_UNAVAILABLE"`) {
		t.Errorf("first call: %d %s", r.Status, r.Body)
	}
	r = asend(t, org, "GET", "/job/750EM0000000001AAA", "", nil)
	if r.Status != 503 || xmlField(t, r.Body, "exceptionCode") != "ServerUnavailable" {
		t.Errorf("second call (Bulk 1.0): %d %s", r.Status, r.Body)
	}
	wantStatus(t, send(t, org, "GET", v+"/sobjects", nil), 200)

	// Through the admin API, for one resource only.
	status, body := org.Admin(t, "POST", "faults", `{"unavailable": 1, "unavailablePath": "/jobs/"}`)
	if status != 200 || !strings.Contains(string(body), `"unavailable":1`) {
		t.Fatalf("admin faults: %d %s", status, body)
	}
	wantStatus(t, send(t, org, "GET", v+"/limits", nil), 200)
	r = send(t, org, "GET", v+"/jobs/ingest", nil)
	if r.Status != 503 || !strings.Contains(r.String(), `"errorCode" : "SERVER_UNAVAILABLE"`) {
		t.Errorf("Bulk 2.0 call: %d %s", r.Status, r.Body)
	}
	wantStatus(t, send(t, org, "GET", v+"/jobs/ingest", nil), 200)
}

// TestFaultExpireSessions ends every session: REST answers 401, Bulk 1.0
// 400 InvalidSessionId; the refresh token still gives a new session.
func TestFaultExpireSessions(t *testing.T) {
	org := localorgtest.New(t)
	if status, _ := org.Admin(t, "POST", "sessions/expire", ""); status != 204 {
		t.Fatalf("expire: %d", status)
	}
	r := send(t, org, "GET", v+"/sobjects", nil)
	if r.Status != 401 || !strings.Contains(r.String(), "INVALID_SESSION_ID") {
		t.Errorf("REST: %d %s", r.Status, r.Body)
	}
	r = asend(t, org, "GET", "/job/750EM0000000001AAA", "", nil)
	if r.Status != 400 || xmlField(t, r.Body, "exceptionCode") != "InvalidSessionId" {
		t.Errorf("Bulk 1.0: %d %s", r.Status, r.Body)
	}
	r = form(t, org, url.Values{"grant_type": {"refresh_token"}, "client_id": {org.ClientID}, "refresh_token": {org.RefreshToken}})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(r.Body, &tok)
	org.AccessToken = tok.AccessToken
	wantStatus(t, send(t, org, "GET", v+"/sobjects", nil), 200)
	org.ExpireSessions(t)
	wantStatus(t, send(t, org, "GET", v+"/sobjects", nil), 401)
}

// lockedRows ingests n records with a lock fault and returns the failed
// rows' numbers.
func lockedRows(t *testing.T, org *localorgtest.Org, n int) []int {
	t.Helper()
	var csv strings.Builder
	csv.WriteString("Name\n")
	for i := range n {
		fmt.Fprintf(&csv, "R%03d\n", i)
	}
	j := ingest(t, org, `{"object":"Account","operation":"insert"}`, csv.String())
	res, err := org.Org.JobResults(t.Context(), j.ID)
	if err != nil {
		t.Fatal(err)
	}
	var failed []int
	for _, r := range res {
		if !r.Success {
			if r.Error != "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--" {
				t.Errorf("row %d: %s", r.Row, r.Error)
			}
			failed = append(failed, r.Row)
		}
	}
	return failed
}

func TestFaultRowLock(t *testing.T) {
	org := localorgtest.New(t)
	org.LockRows(0.25, 42)
	failed := lockedRows(t, org, 400)
	if len(failed) < 60 || len(failed) > 140 {
		t.Errorf("%d of 400 rows locked at 25%%", len(failed))
	}
	if n := strings.Count(query(t, org, "SELECT Id FROM Account"), "\n") - 1; n != 400-len(failed) {
		t.Errorf("%d records written, want %d", n, 400-len(failed))
	}
	// The same seed fails the same rows in another org.
	other := localorgtest.New(t)
	other.SetFaults(t, localorg.Faults{RowLockFraction: 0.25, RowLockSeed: 42})
	if again := lockedRows(t, other, 400); !slices.Equal(again, failed) {
		t.Errorf("seed 42 locked %v, then %v", failed, again)
	}
	// Bulk 1.0 reports them in row order too.
	org.LockRows(1, 1)
	job := createAsyncJob(t, org, jobXML("insert", "Account", "CSV"))
	b := addBatch(t, org, job, "text/csv", "Name\nx\ny\n")
	waitBatches(t, org, job)
	r := asend(t, org, "GET", "/job/"+job+"/batch/"+b+"/result", "", nil)
	if strings.Count(r.String(), `"","false","false","UNABLE_TO_LOCK_ROW:`) != 2 {
		t.Errorf("all rows locked:\n%s", r.Body)
	}
	org.LockRows(0, 0)
	if got := lockedRows(t, org, 10); len(got) != 0 {
		t.Errorf("lock fault off, yet %v failed", got)
	}
}

func TestFaultFailNextBatchAndJob(t *testing.T) {
	org := localorgtest.New(t)
	org.FailNextBatch("InternalServerError : injected")
	job := createAsyncJob(t, org, jobXML("insert", "Account", "CSV"))
	b1 := addBatch(t, org, job, "text/csv", "Name\na\n")
	waitBatches(t, org, job)
	b2 := addBatch(t, org, job, "text/csv", "Name\nb\n")
	bs := waitBatches(t, org, job)
	if bs[0].ID != b1 || bs[0].State != "Failed" || bs[0].StateMessage != "InternalServerError : injected" || bs[1].ID != b2 || bs[1].State != "Completed" {
		t.Errorf("batches %+v %+v", bs[0], bs[1])
	}
	r := asend(t, org, "GET", "/job/"+job, "", nil)
	if xmlField(t, r.Body, "numberBatchesFailed") != "1" || xmlField(t, r.Body, "numberBatchesCompleted") != "1" {
		t.Errorf("job: %s", r.Body)
	}

	org.FailNextJob("")
	j := ingest(t, org, `{"object":"Account","operation":"insert"}`, "Name\nc\n")
	if j.State != "Failed" || j.ErrorMessage == "" || j.RecordsProcessed != 0 {
		t.Errorf("ingest job %+v", j)
	}
	r = send(t, org, "GET", v+"/jobs/ingest/"+j.ID, nil)
	if !strings.Contains(r.String(), `"state" : "Failed"`) || !strings.Contains(r.String(), `"errorMessage" : "InternalServerError : localorg injected job failure"`) {
		t.Errorf("job info: %s", r.Body)
	}
	// Query jobs too, through the admin API.
	if status, body := org.Admin(t, "PUT", "faults", `{"failJobs": 1, "failJobMessage": "QUERY_TIMEOUT : injected"}`); status != 200 {
		t.Fatalf("admin: %d %s", status, body)
	}
	r = send(t, org, "POST", v+"/jobs/query", `{"operation":"query","query":"SELECT Id FROM Account"}`)
	var q struct{ ID string }
	json.Unmarshal(r.Body, &q)
	if qj := wait(t, org, q.ID); qj.State != "Failed" || qj.ErrorMessage != "QUERY_TIMEOUT : injected" {
		t.Errorf("query job %+v", qj)
	}
	if n := strings.Count(query(t, org, "SELECT Id FROM Account"), "\n"); n != 2 {
		t.Errorf("after the faults: %d lines", n)
	}
}

// TestFaultSlowProcessing holds jobs back: right after the upload
// completes, the job has not started.
func TestFaultSlowProcessing(t *testing.T) {
	org := localorgtest.New(t)
	if status, body := org.Admin(t, "POST", "faults", `{"jobDelay": "400ms", "chunkDelay": "5ms"}`); status != 200 || !strings.Contains(string(body), `"jobDelay":"400ms"`) {
		t.Fatalf("admin: %d %s", status, body)
	}
	id := createJob(t, org, `{"object":"Account","operation":"insert"}`)
	wantStatus(t, send(t, org, "PUT", v+"/jobs/ingest/"+id+"/batches", "Name\na\n", "Content-Type: text/csv"), 201)
	wantStatus(t, send(t, org, "PATCH", v+"/jobs/ingest/"+id, `{"state":"UploadComplete"}`), 200)
	if j, _ := org.Org.Job(t.Context(), id); j.State != "UploadComplete" {
		t.Errorf("slowed job is already %s", j.State)
	}
	if j := wait(t, org, id); j.State != "JobComplete" {
		t.Errorf("slowed job ended %s", j.State)
	}
	org.Admin(t, "DELETE", "faults", "")
	if f := org.Org.Faults(); f.JobDelay != 0 || f.ChunkDelay != 0 {
		t.Errorf("faults after DELETE: %+v", f)
	}
}

// TestFaultCutResponse cuts an answer mid-body: the client gets the status
// and the first bytes, then the connection ends.
func TestFaultCutResponse(t *testing.T) {
	org := localorgtest.New(t)
	org.CutNextResponses(1, 10, "/limits")
	wantStatus(t, send(t, org, "GET", v+"/sobjects/Account/describe", nil), 200)
	req, _ := http.NewRequest("GET", org.URL+v+"/limits", nil)
	req.Header.Set("Authorization", "Bearer "+org.AccessToken)
	// Uncompressed, so that the bytes before the cut are readable text.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || err == nil || string(b) != `{"Concurre` {
		t.Errorf("cut answer: %d, %d bytes %q, err %v", resp.StatusCode, len(b), b, err)
	}
	r := send(t, org, "GET", v+"/limits", nil)
	if r.Status != 200 || !json.Valid(r.Body) {
		t.Errorf("next answer: %d %s", r.Status, r.Body)
	}
}

// TestFaultShuffleResults returns Bulk 2.0 results out of upload order,
// the same order for the same seed.
func TestFaultShuffleResults(t *testing.T) {
	org := localorgtest.New(t)
	var csv strings.Builder
	csv.WriteString("Name\n")
	for i := range 30 {
		fmt.Fprintf(&csv, "N%02d\n", i)
	}
	j := ingest(t, org, `{"object":"Account","operation":"insert"}`, csv.String())
	names := func() []string {
		r := send(t, org, "GET", v+"/jobs/ingest/"+j.ID+"/successfulResults", nil)
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(r.String()), "\n")[1:] {
			f := strings.Split(l, ",")
			out = append(out, f[len(f)-1])
		}
		return out
	}
	inOrder := names()
	if !slices.IsSorted(inOrder) || len(inOrder) != 30 {
		t.Fatalf("unshuffled results %v", inOrder)
	}
	org.ShuffleResults(true, 3)
	shuffled := names()
	if slices.Equal(shuffled, inOrder) {
		t.Errorf("results not shuffled")
	}
	sorted := slices.Clone(shuffled)
	slices.Sort(sorted)
	if !slices.Equal(sorted, inOrder) {
		t.Errorf("shuffled results lost rows: %v", shuffled)
	}
	if again := names(); !slices.Equal(again, shuffled) {
		t.Errorf("seed 3 gave %v, then %v", shuffled, again)
	}
}

// TestFaultsAdminAPI checks the admin API's validation and merging.
func TestFaultsAdminAPI(t *testing.T) {
	org := localorgtest.New(t)
	for _, bad := range []string{`{"rowLockFraction": 2}`, `{"unavailabel": 1}`, `{"jobDelay": "soon"}`, `{"unavailable": -1}`, `[`} {
		if status, body := org.Admin(t, "POST", "faults", bad); status != 400 || !strings.Contains(string(body), "INVALID_FAULTS") {
			t.Errorf("%s: %d %s", bad, status, body)
		}
	}
	org.Admin(t, "POST", "faults", `{"failBatches": 2}`)
	status, body := org.Admin(t, "POST", "faults", `{"shuffleResults": true}`)
	var f localorg.Faults
	if err := json.Unmarshal(body, &f); err != nil || status != 200 || f.FailBatches != 2 || !f.ShuffleResults {
		t.Errorf("merged faults: %d %s", status, body)
	}
	if status, body := org.Admin(t, "DELETE", "faults", ""); status != 200 || string(body) != "{}" {
		t.Errorf("cleared faults: %d %s", status, body)
	}
}

// TestFaultServerError answers 500 in each API's shape without carrying
// the call out.
func TestFaultServerError(t *testing.T) {
	org := localorgtest.New(t)
	org.ServerErrorNextCalls(2, "")
	r := send(t, org, "POST", v+"/jobs/ingest", `{"object":"Account","operation":"insert"}`)
	if r.Status != 500 || !strings.Contains(r.String(), `"errorCode" : "UNKNOWN_EXCEPTION"`) {
		t.Errorf("Bulk 2.0: %d %s", r.Status, r.Body)
	}
	r = asend(t, org, "POST", "/job", "application/xml", jobXML("insert", "Account", "CSV"))
	if r.Status != 500 || xmlField(t, r.Body, "exceptionCode") != "InternalServerError" {
		t.Errorf("Bulk 1.0: %d %s", r.Status, r.Body)
	}
	if jobs, err := org.Org.Jobs(t.Context()); err != nil || len(jobs) != 0 {
		t.Errorf("calls answered 500 were carried out: %v %d jobs", err, len(jobs))
	}
	// Through the admin API, for one resource only.
	if status, body := org.Admin(t, "POST", "faults", `{"serverErrors": 1, "serverErrorPath": "/limits"}`); status != 200 || !strings.Contains(string(body), `"serverErrors":1`) {
		t.Fatalf("admin: %d %s", status, body)
	}
	wantStatus(t, send(t, org, "GET", v+"/sobjects", nil), 200)
	r = send(t, org, "GET", v+"/limits", nil)
	if r.Status != 500 || !strings.Contains(r.String(), `"errorCode":"UNKNOWN_EXCEPTION"`) {
		t.Errorf("REST: %d %s", r.Status, r.Body)
	}
	wantStatus(t, send(t, org, "GET", v+"/limits", nil), 200)
}

// TestFaultDropConnection carries the call out and loses its answer.
func TestFaultDropConnection(t *testing.T) {
	org := localorgtest.New(t)
	org.DropNextConnections(1, "/jobs/ingest")
	wantStatus(t, send(t, org, "GET", v+"/limits", nil), 200)
	req, _ := http.NewRequest("POST", org.URL+v+"/jobs/ingest", strings.NewReader(`{"object":"Account","operation":"insert"}`))
	req.Header.Set("Authorization", "Bearer "+org.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("dropped call answered %d", resp.StatusCode)
	}
	jobs, err := org.Org.Jobs(t.Context())
	if err != nil || len(jobs) != 1 || jobs[0].State != "Open" {
		t.Errorf("the dropped call did not create its job: %v %+v", err, jobs)
	}
	if rs := org.Requests(); len(rs) != 2 || rs[1].Status != 0 {
		t.Errorf("requests %+v", rs)
	}
	wantStatus(t, send(t, org, "GET", v+"/jobs/ingest/"+jobs[0].ID, nil), 200)
	if status, body := org.Admin(t, "POST", "faults", `{"dropConnections": 1}`); status != 200 || !strings.Contains(string(body), `"dropConnections":1`) {
		t.Fatalf("admin: %d %s", status, body)
	}
}

// TestFaultLockBatches fails a Bulk 1.0 ingest batch as a whole on lock
// contention, writing none of its records.
func TestFaultLockBatches(t *testing.T) {
	org := localorgtest.New(t)
	org.LockNextBatches(1)
	job := createAsyncJob(t, org, jobXML("insert", "Account", "CSV"))
	b1 := addBatch(t, org, job, "text/csv", "Name\na\nb\n")
	waitBatches(t, org, job)
	b2 := addBatch(t, org, job, "text/csv", "Name\nc\n")
	bs := waitBatches(t, org, job)
	if bs[0].ID != b1 || bs[0].State != "Failed" || !strings.HasPrefix(bs[0].StateMessage, "TooManyLockFailure : ") || bs[1].ID != b2 || bs[1].State != "Completed" {
		t.Errorf("batches %+v %+v", bs[0], bs[1])
	}
	if n := strings.Count(query(t, org, "SELECT Name FROM Account"), "\n"); n != 2 {
		t.Errorf("%d lines: the locked batch wrote records", n)
	}
	if status, body := org.Admin(t, "POST", "faults", `{"lockBatches": 2}`); status != 200 || !strings.Contains(string(body), `"lockBatches":2`) {
		t.Fatalf("admin: %d %s", status, body)
	}
}

// TestFaultRowLockCollections: sObject Collections records meet the row
// lock fault per record.
func TestFaultRowLockCollections(t *testing.T) {
	org := localorgtest.New(t)
	org.LockRows(1, 5)
	r := send(t, org, "POST", v+"/composite/sobjects", `{"records":[{"attributes":{"type":"Account"},"Name":"A"},{"attributes":{"type":"Account"},"Name":"B"}]}`)
	if r.Status != 200 || strings.Count(r.String(), `"statusCode":"UNABLE_TO_LOCK_ROW"`) != 2 {
		t.Errorf("all locked: %d %s", r.Status, r.Body)
	}
	org.LockRows(0.5, 5)
	var recs []string
	for i := range 40 {
		recs = append(recs, fmt.Sprintf(`{"attributes":{"type":"Account"},"Name":"R%d"}`, i))
	}
	r = send(t, org, "POST", v+"/composite/sobjects", `{"records":[`+strings.Join(recs, ",")+`]}`)
	locked := strings.Count(r.String(), `"UNABLE_TO_LOCK_ROW"`)
	if locked == 0 || locked == 40 {
		t.Errorf("%d of 40 locked at 50%%", locked)
	}
	if n := strings.Count(query(t, org, "SELECT Name FROM Account"), "\n") - 1; n != 40-locked {
		t.Errorf("%d records written, want %d", n, 40-locked)
	}
}

// TestMaxAPIVersion serves an org that a release has not reached.
func TestMaxAPIVersion(t *testing.T) {
	org := localorgtest.Start(t, localorg.Options{MaxAPIVersion: 55})
	r := send(t, org, "GET", "/services/data", nil)
	if !strings.HasSuffix(strings.TrimSpace(r.String()), `"url":"/services/data/v55.0","version":"55.0"}]`) {
		t.Errorf("versions end %s", r.Body[len(r.Body)-80:])
	}
	wantStatus(t, send(t, org, "GET", "/services/data/v55.0/limits", nil), 200)
	wantStatus(t, send(t, org, "GET", "/services/data/v56.0/limits", nil), 404)
	r = send(t, org, "POST", "/services/async/56.0/job", jobXML("insert", "Account", "CSV"), "X-SFDC-Session: "+org.AccessToken, "Content-Type: application/xml")
	if r.Status != 400 || xmlField(t, r.Body, "exceptionCode") != "InvalidVersion" {
		t.Errorf("Bulk 1.0 at 56.0: %d %s", r.Status, r.Body)
	}
	if org.APIVersion != "55.0" {
		t.Errorf("connection version %s", org.APIVersion)
	}
	if _, err := localorg.Open(t.TempDir(), localorg.Options{MaxAPIVersion: 67}); err == nil {
		t.Error("an org newer than the newest version opened")
	}
}
