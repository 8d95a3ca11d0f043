package localorg_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sfsync/sfsync/internal/conformance"
	"github.com/sfsync/sfsync/localorg"
	"github.com/sfsync/sfsync/localorg/localorgtest"
)

const v = "/services/data/v60.0"

// createJob creates a Bulk 2.0 ingest job and returns its Id.
func createJob(t *testing.T, org *localorgtest.Org, spec string) string {
	t.Helper()
	r := send(t, org, "POST", v+"/jobs/ingest", spec)
	wantStatus(t, r, 200)
	var j struct{ ID string }
	if err := json.Unmarshal(r.Body, &j); err != nil {
		t.Fatal(err)
	}
	return j.ID
}

// ingest runs a whole Bulk 2.0 ingest job and waits for it.
func ingest(t *testing.T, org *localorgtest.Org, spec, csv string) *localorg.Job {
	t.Helper()
	id := createJob(t, org, spec)
	wantStatus(t, send(t, org, "PUT", v+"/jobs/ingest/"+id+"/batches", csv, "Content-Type: text/csv"), 201)
	wantStatus(t, send(t, org, "PATCH", v+"/jobs/ingest/"+id, `{"state":"UploadComplete"}`), 200)
	return wait(t, org, id)
}

func wait(t *testing.T, org *localorgtest.Org, id string) *localorg.Job {
	t.Helper()
	ctx, cancel := contextWithTimeout(t, 20*time.Second)
	defer cancel()
	j, err := org.Org.WaitJob(ctx, id)
	if err != nil {
		t.Fatalf("waiting for job %s: %v", id, err)
	}
	return j
}

// query runs a Bulk 2.0 query job and returns its whole CSV result.
func query(t *testing.T, org *localorgtest.Org, soql string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"operation": "query", "query": soql})
	return queryOp(t, org, string(b))
}

func queryOp(t *testing.T, org *localorgtest.Org, body string) string {
	t.Helper()
	r := send(t, org, "POST", v+"/jobs/query", body)
	wantStatus(t, r, 200)
	var j struct{ ID string }
	json.Unmarshal(r.Body, &j)
	if job := wait(t, org, j.ID); job.State != "JobComplete" {
		t.Fatalf("query job %s: %s %s", j.ID, job.State, job.ErrorMessage)
	}
	r = send(t, org, "GET", v+"/jobs/query/"+j.ID+"/results", nil)
	wantStatus(t, r, 200)
	if r.Header.Get("Sforce-Locator") != "null" {
		t.Errorf("single page: Sforce-Locator %q, want null", r.Header.Get("Sforce-Locator"))
	}
	return r.String()
}

func TestBulk2IngestLifecycleShapes(t *testing.T) {
	org := localorgtest.New(t)
	r := send(t, org, "POST", v+"/jobs/ingest", `{"object":"Account","operation":"insert","contentType":"CSV","lineEnding":"LF","someNewOption":1}`)
	wantStatus(t, r, 200)
	recorded := keysOf(t, conformance.Read("bulk2/ingest-job-create-delete-open-v59.json"))
	if got := keysOf(t, r.Body); !cmp.Equal(got, recorded) {
		t.Errorf("create keys %v, want recorded %v", got, recorded)
	}
	assertJackson(t, r.Body)
	if !strings.Contains(r.String(), `"apiVersion" : 60.0,`) || !strings.Contains(r.String(), `"contentUrl" : "services/data/v60.0/jobs/ingest/750`) {
		t.Errorf("create answer: %s", r.Body)
	}
	var job struct{ ID string }
	json.Unmarshal(r.Body, &job)
	id := job.ID

	r = send(t, org, "GET", v+"/jobs/ingest/"+id, nil)
	want := keysOf(t, conformance.Read("bulk2/ingest-job-info-open-before-upload-v52.reconstructed.json"))
	if got := keysOf(t, r.Body); !cmp.Equal(got, want) {
		t.Errorf("info before upload %v, want %v", got, want)
	}
	csv := "Name,NumberOfEmployees,AnnualRevenue\nAcme,2676,912260031\n,5,\nGlobex,#N/A,1500.5\n"
	r = send(t, org, "PUT", v+"/jobs/ingest/"+id+"/batches", csv, "Content-Type: text/csv")
	if r.Status != 201 || len(r.Body) != 0 {
		t.Fatalf("upload: %d %q", r.Status, r.Body)
	}
	r = send(t, org, "GET", v+"/jobs/ingest/"+id, nil)
	want = keysOf(t, conformance.Read("bulk2/ingest-job-info-open-after-upload-v52.reconstructed.json"))
	if got := keysOf(t, r.Body); !cmp.Equal(got, want) {
		t.Errorf("info after upload %v, want %v", got, want)
	}
	wantStatus(t, send(t, org, "PUT", v+"/jobs/ingest/"+id+"/batches", csv, "Content-Type: text/csv"), 400)

	r = send(t, org, "PATCH", v+"/jobs/ingest/"+id, `{"state":"UploadComplete"}`)
	wantStatus(t, r, 200)
	want = keysOf(t, conformance.Read("bulk2/ingest-job-close-delete-uploadcomplete-v59.json"))
	if got := keysOf(t, r.Body); !cmp.Equal(got, want) {
		t.Errorf("close answer %v, want %v", got, want)
	}
	j := wait(t, org, id)
	if j.State != "JobComplete" || j.RecordsProcessed != 3 || j.RecordsFailed != 1 {
		t.Fatalf("job %+v", j)
	}
	r = send(t, org, "GET", v+"/jobs/ingest/"+id, nil)
	want = keysOf(t, conformance.Read("bulk2/ingest-job-info-jobcomplete-v59.json"))
	want = without(want, "externalIdFieldName")
	if got := keysOf(t, r.Body); !cmp.Equal(got, want) {
		t.Errorf("info when complete %v, want %v", got, want)
	}
	if !strings.Contains(r.String(), `"numberRecordsProcessed" : 3,`) || !strings.Contains(r.String(), `"numberRecordsFailed" : 1,`) {
		t.Errorf("counters: %s", r.Body)
	}

	r = send(t, org, "GET", v+"/jobs/ingest/"+id+"/successfulResults", nil)
	wantStatus(t, r, 200)
	if ct := r.Header.Get("Content-Type"); ct != "text/csv" {
		t.Errorf("content type %q", ct)
	}
	lines := strings.Split(r.String(), "\n")
	if lines[0] != `"sf__Id","sf__Created",Name,NumberOfEmployees,AnnualRevenue` {
		t.Errorf("successful header %q", lines[0])
	}
	if len(lines) != 4 || !strings.HasPrefix(lines[1], `"001EM`) || !strings.HasSuffix(lines[1], `","true","Acme","2676","9.12260031E8"`) ||
		!strings.HasSuffix(lines[2], `","true","Globex","","1501.0"`) {
		t.Errorf("successful results:\n%s", r.Body)
	}
	r = send(t, org, "GET", v+"/jobs/ingest/"+id+"/failedResults", nil)
	want1 := "\"sf__Id\",\"sf__Error\",Name,NumberOfEmployees,AnnualRevenue\n" +
		"\"\",\"REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --\",\"\",\"5\",\"\"\n"
	if r.String() != want1 {
		t.Errorf("failed results:\n%s\nwant\n%s", r.Body, want1)
	}
	r = send(t, org, "GET", v+"/jobs/ingest/"+id+"/unprocessedrecords", nil)
	if r.String() != "Name,NumberOfEmployees,AnnualRevenue\n" {
		t.Errorf("unprocessed: %q", r.Body)
	}
	// The job's upload and results are kept for Go-level inspection.
	uploads, err := org.Org.JobUploads(t.Context(), id)
	if err != nil || len(uploads) != 1 || string(uploads[0]) != csv {
		t.Errorf("uploads %q %v", uploads, err)
	}
	res, err := org.Org.JobResults(t.Context(), id)
	if err != nil || len(res) != 3 || res[1].Success || res[1].Error == "" || !res[0].Created || res[0].Values[2] != "9.12260031E8" {
		t.Errorf("results %+v %v", res, err)
	}

	r = send(t, org, "PATCH", v+"/jobs/ingest/"+id, `{"state":"Aborted"}`)
	wantStatus(t, r, 400)
	var gotErr, wantErr any
	json.Unmarshal(r.Body, &gotErr)
	json.Unmarshal(conformance.Read("bulk2/error-abort-completed-job-invalidjobstate-v49.json"), &wantErr)
	if !cmp.Equal(gotErr, wantErr) {
		t.Errorf("abort completed job: %s, want the recorded %v", r.Body, wantErr)
	}
	wantStatus(t, send(t, org, "DELETE", v+"/jobs/ingest/"+id, nil), 204)
	r = send(t, org, "GET", v+"/jobs/ingest/"+id, nil)
	if r.Status != 404 || !strings.Contains(r.String(), `"errorCode" : "NOT_FOUND"`) {
		t.Errorf("deleted job: %d %s", r.Status, r.Body)
	}
}

func TestBulk2JobFailsOnUnknownColumn(t *testing.T) {
	org := localorgtest.New(t)
	j := ingest(t, org, `{"object":"Opportunity","operation":"upsert","externalIdFieldName":"Id"}`, "Name,StageName_invalid_field_on_purpose\nx,y\n")
	if j.State != "Failed" || j.ErrorMessage != "InvalidBatch : Field name not found : StageName_invalid_field_on_purpose" {
		t.Fatalf("job %s %q", j.State, j.ErrorMessage)
	}
	r := send(t, org, "GET", v+"/jobs/ingest/"+j.ID, nil)
	want := keysOf(t, conformance.Read("bulk2/ingest-job-info-failed-invalidbatch-v59.json"))
	if got := keysOf(t, r.Body); !cmp.Equal(got, want) {
		t.Errorf("failed job keys %v, want %v", got, want)
	}
	r = send(t, org, "GET", v+"/jobs/ingest/"+j.ID+"/unprocessedrecords", nil)
	if r.String() != "Name,StageName_invalid_field_on_purpose\nx,y\n" {
		t.Errorf("unprocessed %q", r.Body)
	}
}

func TestBulk2RecordSemantics(t *testing.T) {
	org := localorgtest.New(t)
	j := ingest(t, org, `{"object":"Account","operation":"insert"}`,
		"Name,External_Id__c,Phone,CleanStatus,AnnualRevenue\nA1,ext-1,111,Pending,10\nA2,EXT-2,222,,20\nA3,ext-1,333,,\nA4,ext-4,,Lukewarm,\n")
	if j.RecordsFailed != 2 {
		t.Fatalf("insert: %d failed, want 2 (duplicate external id, bad picklist)", j.RecordsFailed)
	}
	res, _ := org.Org.JobResults(t.Context(), j.ID)
	if !strings.HasPrefix(res[2].Error, "DUPLICATE_VALUE:duplicate value found: External_Id__c duplicates value on record with id: "+res[0].ID) {
		t.Errorf("duplicate: %q", res[2].Error)
	}
	if res[3].Error != "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Clean Status: bad value for restricted picklist field: Lukewarm:CleanStatus --" {
		t.Errorf("picklist: %q", res[3].Error)
	}
	a1, a2 := res[0].ID, res[1].ID
	before := query(t, org, "SELECT Id, SystemModstamp FROM Account WHERE Id = '"+a1+"'")

	// Update: empty cell unchanged, #N/A clears.
	j = ingest(t, org, `{"object":"Account","operation":"update"}`, "Id,Phone,AnnualRevenue\n"+a1+",,#N/A\n"+a2+",999,\n001EM0000000zzz,1,\nbad,1,\n")
	res, _ = org.Org.JobResults(t.Context(), j.ID)
	if !res[0].Success || !res[1].Success || res[2].Error != "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--" || !strings.HasPrefix(res[3].Error, "MALFORMED_ID:") {
		t.Errorf("update results %+v", res)
	}
	got := query(t, org, "SELECT Name, Phone, AnnualRevenue FROM Account WHERE Id IN ('"+a1+"','"+a2+"') ORDER BY Name")
	if want := "\"Name\",\"Phone\",\"AnnualRevenue\"\n\"A1\",\"111\",\"\"\n\"A2\",\"999\",\"20.0\"\n"; got != want {
		t.Errorf("after update:\n%s\nwant\n%s", got, want)
	}
	after := query(t, org, "SELECT Id, SystemModstamp FROM Account WHERE Id = '"+a1+"'")
	if after == before {
		t.Errorf("SystemModstamp did not move: %s", after)
	}

	// Upsert by external id: case-insensitive match updates, new value inserts.
	j = ingest(t, org, `{"object":"Account","operation":"upsert","externalIdFieldName":"External_Id__c"}`,
		"External_Id__c,Name\nEXT-1,A1 renamed\next-9,A9\n,nokey\n")
	res, _ = org.Org.JobResults(t.Context(), j.ID)
	if !res[0].Success || res[0].Created || res[0].ID != a1 || !res[1].Success || !res[1].Created || res[2].Success {
		t.Errorf("upsert results %+v", res)
	}
	r := send(t, org, "GET", v+"/jobs/ingest/"+j.ID+"/successfulResults", nil)
	if !strings.Contains(r.String(), `"`+a1+`","false","EXT-1","A1 renamed"`) {
		t.Errorf("upsert successful results:\n%s", r.Body)
	}

	// Contacts through a relationship column; delete cascades from Account.
	j = ingest(t, org, `{"object":"Contact","operation":"insert"}`, "LastName,FirstName,Account.External_Id__c\nDoe,Jane,ext-1\nRoe,,nope\n")
	res, _ = org.Org.JobResults(t.Context(), j.ID)
	if !res[0].Success || res[1].Error != "INVALID_FIELD:Foreign key external ID: nope not found for field External_Id__c in entity Account:--" {
		t.Errorf("relationship column results %+v", res)
	}
	if got := query(t, org, "SELECT Name, Account.Name FROM Contact"); got != "\"Name\",\"Account.Name\"\n\"Jane Doe\",\"A1 renamed\"\n" {
		t.Errorf("contact: %s", got)
	}
	j = ingest(t, org, `{"object":"Account","operation":"delete"}`, "Id\n"+a1+"\n"+a1+"\n")
	res, _ = org.Org.JobResults(t.Context(), j.ID)
	if !res[0].Success || res[1].Error != "ENTITY_IS_DELETED:entity is deleted:--" {
		t.Errorf("delete results %+v", res)
	}
	if got := query(t, org, "SELECT Id FROM Contact"); got != "\"Id\"\n" {
		t.Errorf("contact survived its account: %s", got)
	}
	all := queryOp(t, org, `{"operation":"queryAll","query":"SELECT Name, IsDeleted FROM Contact"}`)
	if all != "\"Name\",\"IsDeleted\"\n\"Jane Doe\",\"true\"\n" {
		t.Errorf("queryAll: %s", all)
	}
	j = ingest(t, org, `{"object":"Account","operation":"hardDelete"}`, "Id\n"+a1+"\n")
	if j.RecordsFailed != 0 {
		t.Errorf("hardDelete failed")
	}
	if all := queryOp(t, org, `{"operation":"queryAll","query":"SELECT Id FROM Account WHERE Id = '`+a1+`'"}`); all != "\"Id\"\n" {
		t.Errorf("hard-deleted record still visible: %s", all)
	}
}

func TestBulk2UnparsableAndTooLong(t *testing.T) {
	org := localorgtest.New(t)
	j := ingest(t, org, `{"object":"Opportunity","operation":"insert"}`,
		"Name,StageName,Description,CloseDate\nNoemi Miller,Prospecting,external-id-3,2003-04-987654321987654321\n"+strings.Repeat("x", 121)+",Prospecting,,2024-01-01\n")
	res, _ := org.Org.JobResults(t.Context(), j.ID)
	if len(res) != 2 {
		t.Fatalf("results %+v (job %s %s)", res, j.State, j.ErrorMessage)
	}
	if want := "INVALID_FIELD:Failed to deserialize field at col 3. Due to, '2003-04-987654321987654321' is not a valid value for the type xsd:date:CloseDate --"; res[0].Error != want {
		t.Errorf("unparsable date: %q\nwant %q", res[0].Error, want)
	}
	if !strings.HasPrefix(res[1].Error, "STRING_TOO_LONG:") || !strings.HasSuffix(res[1].Error, ":Name --") {
		t.Errorf("too long: %q", res[1].Error)
	}
}

func TestBulk2PricebookRules(t *testing.T) {
	org := localorgtest.New(t)
	std := query(t, org, "SELECT Id, Name, IsStandard FROM Pricebook2")
	lines := strings.Split(strings.TrimSpace(std), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[1], `,"Standard Price Book","true"`) {
		t.Fatalf("standard price book: %s", std)
	}
	stdID := strings.Trim(strings.Split(lines[1], ",")[0], `"`)
	j := ingest(t, org, `{"object":"Pricebook2","operation":"insert"}`, "Name,IsActive\nWholesale,true\n")
	res, _ := org.Org.JobResults(t.Context(), j.ID)
	custom := res[0].ID
	j = ingest(t, org, `{"object":"Product2","operation":"insert"}`, "Name\nWidget\n")
	res, _ = org.Org.JobResults(t.Context(), j.ID)
	prod := res[0].ID
	csv := "Pricebook2Id,Product2Id,UnitPrice,IsActive\n%s,%s,10,true\n"
	j = ingest(t, org, `{"object":"PricebookEntry","operation":"insert"}`, fmt.Sprintf(csv, custom, prod))
	res, _ = org.Org.JobResults(t.Context(), j.ID)
	if res[0].Error != "STANDARD_PRICE_NOT_DEFINED:No standard price defined for this product:--" {
		t.Errorf("custom entry before standard: %q", res[0].Error)
	}
	j = ingest(t, org, `{"object":"PricebookEntry","operation":"insert"}`, fmt.Sprintf(csv, stdID, prod)+fmt.Sprintf(csv, custom, prod)[len("Pricebook2Id,Product2Id,UnitPrice,IsActive\n"):])
	if j.RecordsFailed != 0 {
		res, _ = org.Org.JobResults(t.Context(), j.ID)
		t.Errorf("standard then custom entry: %+v", res)
	}
}

func TestBulk2QueryPaging(t *testing.T) {
	org := localorgtest.New(t)
	var b strings.Builder
	b.WriteString("Name\n")
	for i := 0; i < 250; i++ {
		fmt.Fprintf(&b, "Acct %03d\n", i)
	}
	ingest(t, org, `{"object":"Account","operation":"insert"}`, b.String())
	r := send(t, org, "POST", v+"/jobs/query", `{"operation":"query","query":"SELECT Name FROM Account ORDER BY Name"}`)
	wantStatus(t, r, 200)
	want := keysOf(t, conformance.Read("bulk2/query-job-create-uploadcomplete-v59.json"))
	if got := keysOf(t, r.Body); !cmp.Equal(got, want) {
		t.Errorf("query create keys %v, want %v", got, want)
	}
	var job struct{ ID string }
	json.Unmarshal(r.Body, &job)
	wait(t, org, job.ID)
	r = send(t, org, "GET", v+"/jobs/query/"+job.ID, nil)
	want = keysOf(t, conformance.Read("bulk2/query-job-info-jobcomplete-v52.reconstructed.json"))
	if got := keysOf(t, r.Body); !cmp.Equal(got, want) {
		t.Errorf("query info keys %v, want %v", got, want)
	}
	var rows []string
	loc := ""
	pages := 0
	for {
		p := v + "/jobs/query/" + job.ID + "/results?maxRecords=100"
		if loc != "" {
			p += "&locator=" + loc
		}
		r := send(t, org, "GET", p, nil, "Accept: text/csv")
		wantStatus(t, r, 200)
		pages++
		lines := strings.Split(strings.TrimSuffix(r.String(), "\n"), "\n")
		if lines[0] != `"Name"` {
			t.Fatalf("page %d header %q", pages, lines[0])
		}
		if n := r.Header.Get("Sforce-NumberOfRecords"); n != fmt.Sprint(len(lines)-1) {
			t.Errorf("page %d: Sforce-NumberOfRecords %s for %d rows", pages, n, len(lines)-1)
		}
		rows = append(rows, lines[1:]...)
		loc = r.Header.Get("Sforce-Locator")
		if loc == "" {
			t.Fatal("no Sforce-Locator header")
		}
		if loc == "null" {
			break
		}
	}
	if pages != 3 || len(rows) != 250 || rows[0] != `"Acct 000"` || rows[249] != `"Acct 249"` {
		t.Errorf("%d pages, %d rows: %v ... %v", pages, len(rows), rows[:1], rows[len(rows)-1:])
	}
	r = send(t, org, "POST", v+"/jobs/query", `{"operation":"query","query":"SELECT Nme FROM Account"}`)
	if r.Status != 400 || !strings.Contains(r.String(), `"errorCode" : "INVALID_FIELD"`) {
		t.Errorf("bad query: %d %s", r.Status, r.Body)
	}
}

func TestBulk2Errors(t *testing.T) {
	org := localorgtest.New(t)
	for _, tt := range []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"POST", "/jobs/ingest", `{"object":"Account",`, 400, "JSON_PARSER_ERROR"},
		{"POST", "/jobs/ingest", `{"object":"Nope__c","operation":"insert"}`, 400, "INVALIDENTITY"},
		{"POST", "/jobs/ingest", `{"object":"Account","operation":"merge"}`, 400, "INVALIDJOB"},
		{"POST", "/jobs/ingest", `{"object":"Account","operation":"upsert"}`, 400, "INVALIDJOB"},
		{"POST", "/jobs/ingest", `{"object":"Account","operation":"insert","columnDelimiter":"SPACE"}`, 400, "INVALIDJOB"},
		{"GET", "/jobs/ingest/750EM0000000001AAA", "", 404, "NOT_FOUND"},
		{"PATCH", "/jobs/ingest/750EM0000000001AAA", `{"state":"Aborted"}`, 404, "NOT_FOUND"},
		{"PUT", "/jobs/ingest", "", 405, "METHOD_NOT_ALLOWED"},
		{"POST", "/jobs/query", `{"operation":"query","query":"SELEC Id FROM Account"}`, 400, "MALFORMED_QUERY"},
	} {
		var body any
		if tt.body != "" {
			body = tt.body
		}
		r := send(t, org, tt.method, v+tt.path, body)
		var errs []struct{ ErrorCode, Message string }
		if r.Status != tt.status || json.Unmarshal(r.Body, &errs) != nil || len(errs) != 1 || errs[0].ErrorCode != tt.code {
			t.Errorf("%s %s %s: %d %s, want %d %s", tt.method, tt.path, tt.body, r.Status, r.Body, tt.status, tt.code)
		}
	}
	id := createJob(t, org, `{"object":"Account","operation":"insert"}`)
	r := send(t, org, "DELETE", v+"/jobs/ingest/"+id, nil)
	if r.Status != 400 {
		t.Errorf("delete open job: %d %s", r.Status, r.Body)
	}
	wantStatus(t, send(t, org, "PATCH", v+"/jobs/ingest/"+id, `{"state":"Aborted"}`), 200)
	wantStatus(t, send(t, org, "PATCH", v+"/jobs/ingest/"+id, `{"state":"UploadComplete"}`), 400)
	wantStatus(t, send(t, org, "DELETE", v+"/jobs/ingest/"+id, nil), 204)
	r = send(t, org, "GET", v+"/jobs/ingest", nil)
	wantStatus(t, r, 200)
	if !strings.Contains(r.String(), `"done" : true`) || !strings.Contains(r.String(), `"nextRecordsUrl" : null`) {
		t.Errorf("job list: %s", r.Body)
	}
}

func TestBulk2MultipartCreate(t *testing.T) {
	org := localorgtest.New(t)
	body := "--BOUNDARY\r\nContent-Type: application/json\r\nContent-Disposition: form-data; name=\"job\"\r\n\r\n" +
		`{"object":"Contact","contentType":"CSV","operation":"insert"}` +
		"\r\n--BOUNDARY\r\nContent-Type: text/csv\r\nContent-Disposition: form-data; name=\"content\"; filename=\"content\"\r\n\r\n" +
		"FirstName,LastName\nAstro,Nomical\n\r\n--BOUNDARY--\r\n"
	r := send(t, org, "POST", v+"/jobs/ingest", body, "Content-Type: multipart/form-data; boundary=BOUNDARY")
	wantStatus(t, r, 200)
	if !strings.Contains(r.String(), `"state" : "UploadComplete"`) {
		t.Fatalf("multipart create: %s", r.Body)
	}
	var job struct{ ID string }
	json.Unmarshal(r.Body, &job)
	if j := wait(t, org, job.ID); j.State != "JobComplete" || j.RecordsProcessed != 1 || j.RecordsFailed != 0 {
		t.Errorf("job %+v", j)
	}
}

func TestBulk2ResumesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	org := localorgtest.StartIn(t, dir, localorg.Options{ChunkDelay: 30 * time.Millisecond, Workers: 1})
	var b strings.Builder
	b.WriteString("Name,External_Id__c\n")
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&b, "Acct %d,k%d\n", i, i)
	}
	id := createJob(t, org, `{"object":"Account","operation":"insert"}`)
	wantStatus(t, send(t, org, "PUT", v+"/jobs/ingest/"+id+"/batches", b.String(), "Content-Type: text/csv"), 201)
	wantStatus(t, send(t, org, "PATCH", v+"/jobs/ingest/"+id, `{"state":"UploadComplete"}`), 200)
	// Let some chunks commit, then stop the org mid-job.
	deadline := time.Now().Add(10 * time.Second)
	for {
		j, err := org.Org.Job(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.RecordsProcessed >= 400 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := org.Close(); err != nil {
		t.Fatal(err)
	}
	again := localorgtest.StartIn(t, dir, localorg.Options{})
	j := wait(t, again, id)
	if j.State != "JobComplete" || j.RecordsProcessed != 2000 || j.RecordsFailed != 0 {
		t.Fatalf("resumed job: %s processed %d failed %d", j.State, j.RecordsProcessed, j.RecordsFailed)
	}
	got := query(t, again, "SELECT External_Id__c FROM Account")
	if n := strings.Count(got, "\n") - 1; n != 2000 {
		t.Errorf("%d accounts after resume, want 2000", n)
	}
	res, _ := again.Org.JobResults(t.Context(), id)
	if len(res) != 2000 {
		t.Errorf("%d results, want 2000", len(res))
	}
}

func without(list []string, drop string) []string {
	var out []string
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

// assertJackson checks the Jackson pretty style: "key" : value lines with
// two-space indentation.
func assertJackson(t *testing.T, b []byte) {
	t.Helper()
	s := string(b)
	if !strings.HasPrefix(s, "{\n  \"") || !strings.Contains(s, `" : `) {
		t.Errorf("not Jackson pretty JSON:\n%s", s)
	}
}

var _ = http.StatusOK

// TestUpsertMatchingSeveralRecords: an upsert whose key matches more than
// one record (a non-unique external Id field) fails that record with
// DUPLICATE_EXTERNAL_ID in every API, and changes neither record.
func TestUpsertMatchingSeveralRecords(t *testing.T) {
	org := localorgtest.New(t)
	if _, err := org.Org.AddSchema(t.Context(), []byte(`{"name": "Account", "fields": [
		{"name": "Legacy_Id__c", "type": "string", "label": "Legacy Id", "length": 20, "custom": true, "externalId": true, "idLookup": true}]}`)); err != nil {
		t.Fatal(err)
	}
	j := ingest(t, org, `{"object":"Account","operation":"insert"}`, "Name,Legacy_Id__c\nFirst,L-1\nSecond,l-1\nThird,L-3\n")
	res, _ := org.Org.JobResults(t.Context(), j.ID)
	if j.RecordsFailed != 0 || len(res) != 3 {
		t.Fatalf("insert: %+v", res)
	}
	first, second := res[0].ID, res[1].ID
	// The message names the field's label and the matching records.
	want := "DUPLICATE_EXTERNAL_ID:Legacy Id: more than one record found for external id field: [" + first + ", " + second + "]:Legacy_Id__c --"

	// Bulk 2.0: a failed row; the other row is upserted.
	j = ingest(t, org, `{"object":"Account","operation":"upsert","externalIdFieldName":"Legacy_Id__c"}`, "Legacy_Id__c,Name\nL-1,Renamed\nL-3,Third renamed\n")
	if j.State != "JobComplete" || j.RecordsProcessed != 2 || j.RecordsFailed != 1 {
		t.Fatalf("upsert job %+v", j)
	}
	r := send(t, org, "GET", v+"/jobs/ingest/"+j.ID+"/failedResults", nil)
	if want := "\"sf__Id\",\"sf__Error\",Legacy_Id__c,Name\n\"\",\"" + want + "\",\"L-1\",\"Renamed\"\n"; r.String() != want {
		t.Errorf("failedResults:\n%s\nwant\n%s", r.Body, want)
	}

	// Bulk 1.0: the row's result carries the same error.
	job := createAsyncJob(t, org, jobXML("upsert", "Account", "CSV", "<externalIdFieldName>Legacy_Id__c</externalIdFieldName>"))
	b := addBatch(t, org, job, "text/csv", "Legacy_Id__c,Name\nl-1,Renamed\n")
	waitBatches(t, org, job)
	r = asend(t, org, "GET", "/job/"+job+"/batch/"+b+"/result", "", nil)
	if !strings.Contains(r.String(), `"","false","false","`+want+`"`) {
		t.Errorf("Bulk 1.0 result:\n%s", r.Body)
	}

	// REST upsert by external Id: 300 Multiple Choices.
	r = send(t, org, "PATCH", v+"/sobjects/Account/Legacy_Id__c/L-1", `{"Name":"Renamed"}`)
	if r.Status != 300 || !strings.Contains(r.String(), `"errorCode":"DUPLICATE_EXTERNAL_ID"`) {
		t.Errorf("REST upsert: %d %s", r.Status, r.Body)
	}

	if got := query(t, org, "SELECT Name FROM Account ORDER BY Name"); got != "\"Name\"\n\"First\"\n\"Second\"\n\"Third renamed\"\n" {
		t.Errorf("records after the upserts:\n%s", got)
	}
}

// TestBulk2MalformedCSVFailsJob uploads CSV that cannot be parsed (a quote
// never closed): the upload is taken (201), and the job fails as a whole
// with a ClientInputError naming the line, processing nothing.
func TestBulk2MalformedCSVFailsJob(t *testing.T) {
	org := localorgtest.New(t)
	j := ingest(t, org, `{"object":"Account","operation":"insert"}`, "Name,Phone\nGood,1\n\"Open quote,2\nAfter,3\n")
	if j.State != "Failed" || j.RecordsProcessed != 0 || j.RecordsFailed != 0 {
		t.Fatalf("job %s processed %d failed %d", j.State, j.RecordsProcessed, j.RecordsFailed)
	}
	r := send(t, org, "GET", v+"/jobs/ingest/"+j.ID, nil)
	var info struct {
		State, ErrorMessage string
	}
	if err := json.Unmarshal(r.Body, &info); err != nil {
		t.Fatal(err)
	}
	if info.State != "Failed" || !strings.HasPrefix(info.ErrorMessage, "ClientInputError : Failed to parse CSV. ") || !strings.Contains(info.ErrorMessage, "(line 3)") {
		t.Errorf("job info: %s", r.Body)
	}
	for _, set := range []string{"successfulResults", "failedResults"} {
		r = send(t, org, "GET", v+"/jobs/ingest/"+j.ID+"/"+set, nil)
		if r.Status != 200 || strings.Count(r.String(), "\n") != 1 {
			t.Errorf("%s: %d %q", set, r.Status, r.Body)
		}
	}
	if got := query(t, org, "SELECT Name FROM Account"); got != "\"Name\"\n" {
		t.Errorf("records written: %s", got)
	}
}
