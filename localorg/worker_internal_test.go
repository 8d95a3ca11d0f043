package localorg

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// A worker may claim a batch that another worker finished after the claim
// read its state; processing it again must change nothing (it once split
// a PK-chunked query batch twice, and the query returned every row twice).
func TestFinishedBatchIsNotProcessedAgain(t *testing.T) {
	o, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(o.Handler())
	t.Cleanup(func() { srv.Close(); o.Close() })
	ctx := context.Background()
	tok, _, err := o.newSession(ctx, o.adminID())
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, ctype, body string, headers ...string) string {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		if strings.HasPrefix(path, "/services/async/") {
			req.Header.Set("X-SFDC-Session", tok)
		} else {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return string(b)
	}
	id := regexp.MustCompile(`"id" ?: ?"(\w+)"|<id>(\w+)</id>`)
	idOf := func(b string) string { m := id.FindStringSubmatch(b); return m[1] + m[2] }

	var csv strings.Builder
	csv.WriteString("Name\n")
	for i := range 25 {
		csv.WriteString("A" + strings.Repeat("x", i) + "\n")
	}
	j2 := idOf(do("POST", "/services/data/v60.0/jobs/ingest", "application/json", `{"object":"Account","operation":"insert"}`))
	do("PUT", "/services/data/v60.0/jobs/ingest/"+j2+"/batches", "text/csv", csv.String())
	do("PATCH", "/services/data/v60.0/jobs/ingest/"+j2, "application/json", `{"state":"UploadComplete"}`)
	if _, err := o.WaitJob(ctx, j2); err != nil {
		t.Fatal(err)
	}

	job := idOf(do("POST", "/services/async/60.0/job", "application/xml", `<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload"><operation>query</operation><object>Account</object><contentType>CSV</contentType></jobInfo>`,
		"Sforce-Enable-PKChunking", "chunkSize=10"))
	first := idOf(do("POST", "/services/async/60.0/job/"+job+"/batch", "text/csv", "SELECT Id, Name FROM Account"))
	do("POST", "/services/async/60.0/job/"+job, "application/xml", `<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload"><state>Closed</state></jobInfo>`)
	before, err := o.WaitBatches(ctx, job)
	if err != nil || len(before) != 4 {
		t.Fatalf("%v: %d batches, want the original and 3 chunks", err, len(before))
	}
	// The stale claims: the original batch, and a chunk.
	for _, b := range []string{first, before[1].ID} {
		if err := o.process(workItem{jobID: job, batchID: b}); err != nil {
			t.Fatal(err)
		}
	}
	after, err := o.Batches(ctx, job)
	if err != nil || len(after) != 4 {
		t.Fatalf("%v: %d batches after processing finished ones again", err, len(after))
	}
	for i := range after {
		if after[i].State != before[i].State || after[i].RecordsProcessed != before[i].RecordsProcessed {
			t.Errorf("batch %d: %+v, then %+v", i, before[i], after[i])
		}
	}
}
