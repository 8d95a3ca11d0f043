package localorg_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/localorg/localorgtest"
)

// TestMalformedRequestsNeverFail500 sends malformed bodies, paths and
// methods to every resource: each gets an answer in Salesforce's shape
// with a 4xx status, never a 500 (which would mean a panic or an
// unhandled error).
func TestMalformedRequestsNeverFail500(t *testing.T) {
	org := localorgtest.New(t)
	job := createJob(t, org, `{"object":"Account","operation":"insert"}`)
	bodies := []string{"", "{", "[]", `{"records":"x"}`, `{"records":[1,2]}`, `{"state":5}`, "\x00\xff", strings.Repeat("[", 1000), `{"object":{},"operation":[]}`, `"str"`}
	paths := []string{
		"/services/data/v60.0/sobjects", "/services/data/v60.0/sobjects/Account", "/services/data/v60.0/sobjects/Account/describe",
		"/services/data/v60.0/sobjects/Account/001EM0000000001", "/services/data/v60.0/sobjects/Account/garbage",
		"/services/data/v60.0/sobjects/Account/External_Id__c/x", "/services/data/v60.0/sobjects/Account/Name/x",
		"/services/data/v60.0/query", "/services/data/v60.0/query?q=SELECT", "/services/data/v60.0/query?q=%27", "/services/data/v60.0/query/01gX-1",
		"/services/data/v60.0/queryAll?q=SELECT+Id+FROM+Account+WHERE+Name+%3D", "/services/data/v60.0/query?columns=true&q=SELECT+x",
		"/services/data/v60.0/composite/sobjects", "/services/data/v60.0/composite/sobjects/Account/External_Id__c",
		"/services/data/v60.0/composite/sobjects/Account?ids=1,2&fields=Name", "/services/data/v60.0/composite/sobjects?ids=xyz",
		"/services/data/v60.0/jobs/ingest", "/services/data/v60.0/jobs/ingest/" + job, "/services/data/v60.0/jobs/ingest/" + job + "/batches",
		"/services/data/v60.0/jobs/ingest/" + job + "/failedResults", "/services/data/v60.0/jobs/ingest/nope/successfulResults",
		"/services/data/v60.0/jobs/query", "/services/data/v60.0/jobs/query/" + job + "/results?locator=!!&maxRecords=-1",
		"/services/data/v60.0/jobs/ingest?queryLocator=bad", "/services/oauth2/token", "/services/oauth2/revoke", "/services/Soap/u/60.0",
		"/services/Soap/u/abc", "/id/x/y", "/__localorg/reset", "/services/data/v60.0/limits/x",
	}
	for _, p := range paths {
		for _, m := range []string{"GET", "POST", "PATCH", "PUT", "DELETE"} {
			for _, b := range bodies {
				r := send(t, org, m, p, b, "Content-Type: application/json")
				if strings.HasPrefix(p, "/services/Soap/") {
					// SOAP answers every fault with 500, as Salesforce does.
					if r.Status >= 400 && r.Status != 405 && !strings.Contains(r.String(), "<soapenv:Fault>") {
						t.Errorf("%s %s %q: %d %s", m, p, b, r.Status, r.Body)
					}
					continue
				}
				if r.Status >= 500 {
					t.Errorf("%s %s %q: %d %s", m, p, b, r.Status, r.Body)
				}
				if r.Status >= 400 && len(r.Body) > 0 && !json.Valid(r.Body) && !bytes.HasPrefix(r.Body, []byte("<?xml")) {
					t.Errorf("%s %s %q: error body is neither JSON nor SOAP: %s", m, p, b, r.Body)
				}
			}
		}
	}
}

func TestGzipRequestBody(t *testing.T) {
	org := localorgtest.New(t)
	id := createJob(t, org, `{"object":"Account","operation":"insert"}`)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	io.WriteString(zw, "Name\nZipped\n")
	zw.Close()
	req, _ := http.NewRequest("PUT", org.URL+v+"/jobs/ingest/"+id+"/batches", &buf)
	req.Header.Set("Authorization", "Bearer "+org.AccessToken)
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("gzip upload: %d", resp.StatusCode)
	}
	wantStatus(t, send(t, org, "PATCH", v+"/jobs/ingest/"+id, `{"state":"UploadComplete"}`), 200)
	wait(t, org, id)
	if got := query(t, org, "SELECT Name FROM Account"); got != "\"Name\"\n\"Zipped\"\n" {
		t.Errorf("after gzip upload: %q", got)
	}
	up, _ := org.Org.JobUploads(t.Context(), id)
	if string(up[0]) != "Name\nZipped\n" {
		t.Errorf("stored upload %q", up[0])
	}
}

func TestPrettyPrintHeader(t *testing.T) {
	org := localorgtest.New(t)
	r := send(t, org, "GET", v+"/limits", nil, "X-PrettyPrint: 1")
	if !strings.HasPrefix(r.String(), "{\n  \"") || !strings.Contains(r.String(), `" : {`) {
		t.Errorf("X-PrettyPrint: %s", r.Body[:min(len(r.Body), 80)])
	}
}
