package bulk_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/localorg"
	"github.com/sfsync/sfsync/localorg/localorgtest"
)

// Bulk API 1.0 end to end on localorg: queries (with PK chunking) and
// faults. The seed workflow, every operation in CSV, XML and JSON, and
// resume are in flow_test.go.

func TestLocalOrgBulk1Query(t *testing.T) {
	org := localorgtest.New(t)
	c := connect(t, bearer(org), "")
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
	org := localorgtest.Start(t, localorg.Options{ChunkDelay: 10 * time.Millisecond})
	c := connect(t, soap(org), "64.0")
	ctx := context.Background()
	recs := accounts(600, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprint("F", i))} })
	org.CutNextResponses(1, 200, "/result")
	req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs), API: bulk.Bulk1, BatchRecords: 200}
	got := collect(t, &req)
	polls := 0
	req.OnProgress = func(bulk.Progress) {
		if polls++; polls == 1 {
			org.Org.ExpireSessions(ctx) // 400 InvalidSessionId on the next 1.0 call
			org.FailNextCalls(2)
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
	if f := org.Org.Faults(); f.Unavailable != 0 || f.CutResponses != 0 {
		t.Errorf("faults left unfired: %+v", f)
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
