package localorg_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/localorg"
	"github.com/sfsync/sfsync/localorg/localorgtest"
)

// remaining reads one entry of /limits.
func remaining(t *testing.T, org *localorgtest.Org, name string) (max, rem int64) {
	t.Helper()
	r := send(t, org, "GET", v+"/limits", nil)
	wantStatus(t, r, 200)
	var l map[string]struct{ Max, Remaining int64 }
	if err := json.Unmarshal(r.Body, &l); err != nil {
		t.Fatal(err)
	}
	return l[name].Max, l[name].Remaining
}

func TestLimitBatchSize(t *testing.T) {
	org := localorgtest.New(t)
	org.SetLimits(t, localorg.Limits{BatchBytes: 100, BatchChars: 60})
	job := createAsyncJob(t, org, jobXML("insert", "Account", "CSV"))
	r := asend(t, org, "POST", "/job/"+job+"/batch", "text/csv", "Name\n"+strings.Repeat("x", 120)+"\n")
	if r.Status != 400 || xmlField(t, r.Body, "exceptionCode") != "ClientInputError" ||
		xmlField(t, r.Body, "exceptionMessage") != "Failed to read request. Exceeded max size limit of 100" {
		t.Errorf("over 100 bytes: %d %s", r.Status, r.Body)
	}
	// 70 characters in 90 bytes: under the byte limit, over the characters.
	r = asend(t, org, "POST", "/job/"+job+"/batch", "text/csv", "Name\n"+strings.Repeat("é", 20)+strings.Repeat("x", 45)+"\n")
	if r.Status != 400 || xmlField(t, r.Body, "exceptionMessage") != "Failed to read request. Exceeded max size limit of 60" {
		t.Errorf("over 60 characters: %d %s", r.Status, r.Body)
	}
	addBatch(t, org, job, "text/csv", "Name\nsmall\n")
}

func TestLimitBatchRecords(t *testing.T) {
	org := localorgtest.New(t)
	org.SetLimits(t, localorg.Limits{BatchRecords: 3})
	job := createAsyncJob(t, org, jobXML("insert", "Account", "CSV"))
	big := addBatch(t, org, job, "text/csv", "Name\na\nb\nc\nd\n")
	ok := addBatch(t, org, job, "text/csv", "Name\na\nb\nc\n")
	waitBatches(t, org, job)
	r := asend(t, org, "GET", "/job/"+job+"/batch/"+big, "", nil)
	if xmlField(t, r.Body, "state") != "Failed" || xmlField(t, r.Body, "stateMessage") !=
		"InvalidBatch : Exceeded number of records : 4. Number of records should be less than or equal to 3" {
		t.Errorf("4 records: %s", r.Body)
	}
	r = asend(t, org, "GET", "/job/"+job+"/batch/"+ok, "", nil)
	if xmlField(t, r.Body, "state") != "Completed" {
		t.Errorf("3 records: %s", r.Body)
	}
}

func TestLimitFieldAndRecordCharacters(t *testing.T) {
	org := localorgtest.New(t)
	org.SetLimits(t, localorg.Limits{FieldChars: 10, RecordChars: 15})
	job := createAsyncJob(t, org, jobXML("insert", "Account", "CSV"))
	field := addBatch(t, org, job, "text/csv", "Name\nok\n"+strings.Repeat("y", 11)+"\n")
	record := addBatch(t, org, job, "text/csv", "Name,Description\n"+strings.Repeat("a", 8)+","+strings.Repeat("b", 8)+"\n")
	waitBatches(t, org, job)
	for id, want := range map[string]string{
		field:  "InvalidBatch : Field value in record 2 exceeds the maximum of 10 characters",
		record: "InvalidBatch : Record 1 exceeds the maximum of 15 characters",
	} {
		r := asend(t, org, "GET", "/job/"+job+"/batch/"+id, "", nil)
		if xmlField(t, r.Body, "stateMessage") != want {
			t.Errorf("batch %s: %s, want %s", id, r.Body, want)
		}
	}
	// Bulk 2.0 uploads are held to the same per-value limit.
	j := ingest(t, org, `{"object":"Account","operation":"insert"}`, "Name\n"+strings.Repeat("z", 11)+"\n")
	if j.State != "Failed" || !strings.Contains(j.ErrorMessage, "exceeds the maximum of 10 characters") {
		t.Errorf("2.0 job: %+v", j)
	}
}

func TestLimitUploadBytes(t *testing.T) {
	org := localorgtest.New(t)
	org.SetLimits(t, localorg.Limits{UploadBytes: 50})
	id := createJob(t, org, `{"object":"Account","operation":"insert"}`)
	r := send(t, org, "PUT", v+"/jobs/ingest/"+id+"/batches", "Name\n"+strings.Repeat("x", 60)+"\n", "Content-Type: text/csv")
	if r.Status != 400 || !strings.Contains(r.String(), `"errorCode" : "CLIENTINPUTERROR"`) || !strings.Contains(r.String(), "Exceeded max size limit of 50") {
		t.Errorf("over the upload limit: %d %s", r.Status, r.Body)
	}
	wantStatus(t, send(t, org, "PUT", v+"/jobs/ingest/"+id+"/batches", "Name\nsmall\n", "Content-Type: text/csv"), 201)
}

// TestLimitDailyBulkApiBatches counts Bulk 1.0 batches and Bulk 2.0 ingest
// jobs (one per 10,000 records) against one allocation.
func TestLimitDailyBulkApiBatches(t *testing.T) {
	org := localorgtest.New(t)
	org.SetLimits(t, localorg.Limits{DailyBulkApiBatches: 3})
	ingest(t, org, `{"object":"Account","operation":"insert"}`, "Name\na\n")
	job := createAsyncJob(t, org, jobXML("insert", "Account", "CSV"))
	addBatch(t, org, job, "text/csv", "Name\nb\n")
	if max, rem := remaining(t, org, "DailyBulkApiBatches"); max != 3 || rem != 1 {
		t.Errorf("DailyBulkApiBatches %d/%d, want 1 of 3 left", rem, max)
	}
	addBatch(t, org, job, "text/csv", "Name\nc\n")
	r := asend(t, org, "POST", "/job/"+job+"/batch", "text/csv", "Name\nd\n")
	if r.Status != 400 || xmlField(t, r.Body, "exceptionCode") != "ExceededQuota" {
		t.Errorf("batch over the allocation: %d %s", r.Status, r.Body)
	}
	r = send(t, org, "POST", v+"/jobs/ingest", `{"object":"Account","operation":"insert"}`)
	if r.Status != 400 || !strings.Contains(r.String(), `"errorCode" : "EXCEEDEDQUOTA"`) {
		t.Errorf("2.0 job over the allocation: %d %s", r.Status, r.Body)
	}
	if _, rem := remaining(t, org, "DailyBulkApiBatches"); rem != 0 {
		t.Errorf("remaining %d", rem)
	}
	// A new day (ResetUsage, or the admin API's limits/reset).
	if status, body := org.Admin(t, "POST", "limits/reset", ""); status != 200 || !strings.Contains(string(body), `"bulkApiBatches":0`) {
		t.Errorf("limits/reset: %d %s", status, body)
	}
	addBatch(t, org, job, "text/csv", "Name\nd\n")
}

func TestLimitDailyBulkV2QueryJobs(t *testing.T) {
	org := localorgtest.New(t)
	org.SetLimits(t, localorg.Limits{DailyBulkV2QueryJobs: 1})
	query(t, org, "SELECT Id FROM Account")
	if max, rem := remaining(t, org, "DailyBulkV2QueryJobs"); max != 1 || rem != 0 {
		t.Errorf("DailyBulkV2QueryJobs %d/%d", rem, max)
	}
	r := send(t, org, "POST", v+"/jobs/query", `{"operation":"query","query":"SELECT Id FROM Account"}`)
	if r.Status != 400 || !strings.Contains(r.String(), `"errorCode" : "EXCEEDEDQUOTA"`) {
		t.Errorf("query job over the allocation: %d %s", r.Status, r.Body)
	}
}

// TestLimitDailyApiRequests: once used up, REST answers 403
// REQUEST_LIMIT_EXCEEDED and Bulk 1.0 ExceededQuota; /limits still
// answers, showing nothing left.
func TestLimitDailyApiRequests(t *testing.T) {
	org := localorgtest.New(t)
	org.SetLimits(t, localorg.Limits{DailyApiRequests: 3})
	for range 3 {
		wantStatus(t, send(t, org, "GET", v+"/sobjects", nil), 200)
	}
	r := send(t, org, "GET", v+"/sobjects", nil)
	if r.Status != 403 || r.String() != `[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]` {
		t.Errorf("over the allocation: %d %s", r.Status, r.Body)
	}
	r = asend(t, org, "GET", "/job/750EM0000000001AAA", "", nil)
	if r.Status != 400 || xmlField(t, r.Body, "exceptionCode") != "ExceededQuota" {
		t.Errorf("Bulk 1.0 over the allocation: %d %s", r.Status, r.Body)
	}
	if max, rem := remaining(t, org, "DailyApiRequests"); max != 3 || rem != 0 {
		t.Errorf("DailyApiRequests %d/%d", rem, max)
	}
	if got := r.Header.Get("Sforce-Limit-Info"); got != "" {
		t.Errorf("Bulk 1.0 answers carry no Sforce-Limit-Info, got %q", got)
	}
}

// TestLimitsThroughOptionsAndAdmin sets limits when the org starts and at
// run time through the admin API.
func TestLimitsThroughOptionsAndAdmin(t *testing.T) {
	org := localorgtest.Start(t, localorg.Options{Limits: localorg.Limits{DailyApiRequests: 1234}})
	if max, _ := remaining(t, org, "DailyApiRequests"); max != 1234 {
		t.Errorf("DailyApiRequests max %d", max)
	}
	r := send(t, org, "GET", v+"/limits", nil)
	if got := r.Header.Get("Sforce-Limit-Info"); !strings.HasSuffix(got, "/1234") {
		t.Errorf("Sforce-Limit-Info %q", got)
	}
	status, body := org.Admin(t, "POST", "limits", `{"dailyBulkV2QueryJobs": 7}`)
	if status != 200 || !strings.Contains(string(body), `"dailyBulkV2QueryJobs":7`) || !strings.Contains(string(body), `"dailyApiRequests":1234`) {
		t.Errorf("admin limits: %d %s", status, body)
	}
	if max, _ := remaining(t, org, "DailyBulkV2QueryJobs"); max != 7 {
		t.Errorf("DailyBulkV2QueryJobs max %d", max)
	}
	if status, body := org.Admin(t, "POST", "limits", `{"dailyBulkV2Jobs": 7}`); status != 400 || !strings.Contains(string(body), "INVALID_LIMITS") {
		t.Errorf("unknown limit: %d %s", status, body)
	}
	r = send(t, org, "GET", "/__localorg/limits", nil, "-")
	if r.Status != 401 {
		t.Errorf("admin API without its secret: %d", r.Status)
	}
}
