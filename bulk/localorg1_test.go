package bulk_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/bulk/faultproxy"
	"github.com/sfsync/sfsync/localorg"
)

// Bulk API 1.0 end to end on localorg: queries (with PK chunking), faults
// through the proxy, resume. The seed workflow and every operation in CSV,
// XML and JSON run through bulk1Orgs.

func TestLocalOrgBulk1Query(t *testing.T) {
	org, _ := local(t, localorg.Options{})
	c := localClient(t, org.URL, bulk.AccessToken{InstanceURL: org.URL, Token: org.AccessToken}, "")
	ctx := context.Background()
	recs := accounts(250, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprintf("Q%03d", i))} })
	req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs), API: bulk.Bulk1, BatchRecords: 100}
	got := collect(t, &req)
	if sum, err := c.Ingest(ctx, req); err != nil || sum.Succeeded != 250 || len(got.jobs) != 1 {
		t.Fatalf("%v %+v", err, sum)
	}
	for _, opt := range []bulk.QueryOptions{{API: bulk.Bulk1}, {API: bulk.Bulk1, PKChunking: "chunkSize=100"}, {API: bulk.Bulk1, All: true}} {
		var names []string
		err := c.QueryEach(ctx, "SELECT Id, Name FROM Account WHERE Name LIKE 'Q%'", opt, func(r bulk.Row) error {
			n, _ := r.Get("Name")
			names = append(names, n)
			return nil
		})
		slices.Sort(names)
		if err != nil || len(names) != 250 || names[0] != "Q000" || names[249] != "Q249" {
			t.Errorf("%+v: %v, %d rows", opt, err, len(names))
		}
	}
}

func TestLocalOrgBulk1Faults(t *testing.T) {
	org, px := local(t, localorg.Options{ChunkDelay: 10 * time.Millisecond})
	c := localClient(t, px.URL(), bulk.SOAPLogin{LoginURL: px.URL(), Username: org.Username, Password: org.Password, SecurityToken: org.SecurityToken}, "64.0")
	ctx := context.Background()
	recs := accounts(600, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprint("F", i))} })
	px.Set(func(f *faultproxy.Faults) {
		f.BreakBodies = 1
		f.Filter = func(r *http.Request) bool { return r.Method == http.MethodGet }
	})
	req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs), API: bulk.Bulk1, BatchRecords: 200}
	got := collect(t, &req)
	polls := 0
	req.OnProgress = func(bulk.Progress) {
		if polls++; polls == 1 {
			org.Org.ExpireSessions(ctx) // 400 InvalidSessionId on the next 1.0 call
			px.Set(func(f *faultproxy.Faults) { f.Fail503 = 2 })
		}
	}
	sum, err := c.Ingest(ctx, req)
	if err != nil || sum.Succeeded != 600 || len(got.results) != 600 {
		t.Fatalf("%v %+v", err, sum)
	}
	for i := range recs {
		if !got.results[i].Success || len(got.results[i].ID) != 18 {
			t.Errorf("record %d: %+v", i, got.results[i])
		}
	}
	if px.Fired("503") != 2 {
		t.Errorf("503 fired %d times", px.Fired("503"))
	}
	// InvalidBatch: not retried, Salesforce's message surfaces.
	bad := accounts(3, func(i int) bulk.Record {
		return bulk.Record{"Name": bulk.Text("x"), "No_Such_Field__c": bulk.Text("y")}
	})
	req = bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(bad), API: bulk.Bulk1}
	collect(t, &req)
	sum, err = c.Ingest(ctx, req)
	var je *bulk.JobError
	if !errors.As(err, &je) || je.Code != "InvalidBatch" || !strings.Contains(je.Message, "No_Such_Field__c") || sum.Unprocessed != 3 {
		t.Errorf("InvalidBatch: %v %+v", err, sum)
	}
}

func TestLocalOrgBulk1Resume(t *testing.T) {
	org, _ := local(t, localorg.Options{})
	c := localClient(t, org.URL, bulk.AccessToken{InstanceURL: org.URL, Token: org.AccessToken}, "")
	ctx := context.Background()
	job, err := c.CreateJob1(ctx, bulk.JobSpec1{Object: "Account", Operation: bulk.Insert})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := job.AddBatch(ctx, []byte("Name\nP\nQ\n")); err != nil {
		t.Fatal(err)
	}
	var rows []string
	_, err = c.Resume(ctx, bulk.ResumeRequest{API: bulk.Bulk1, JobID: job.Info.ID, Version: job.Info.Version(), OnResult: func(r bulk.Result) error {
		n, _ := r.Row.Get("Name")
		rows = append(rows, fmt.Sprintf("%s %v %d", n, r.Success, len(r.ID)))
		return nil
	}})
	if err != nil || !slices.Equal(rows, []string{"P true 18", "Q true 18"}) {
		t.Errorf("resume 1.0: %v %v", err, rows)
	}
}
