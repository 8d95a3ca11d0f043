package bulk_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/localorg"
	"github.com/sfsync/sfsync/localorg/localorgtest"
)

// The acceptance's fault tests with localorg's own switchable faults.

func TestLocalOrgNativeFaults(t *testing.T) {
	for _, api := range []bulk.API{bulk.Bulk2, bulk.Bulk1} {
		t.Run(api.String(), func(t *testing.T) {
			org := localorgtest.Start(t, localorg.Options{ChunkDelay: 5 * time.Millisecond})
			c := connect(t, &bulk.RefreshTokenFlow{LoginURL: org.URL, ClientID: org.ClientID, RefreshToken: org.RefreshToken}, "")
			ctx := context.Background()
			if err := org.Org.SetFaults(localorg.Faults{
				ShuffleResults: true, ShuffleSeed: 7,
				RowLockFraction: 0.2, RowLockSeed: 3,
				CutResponses: 1, CutAfterBytes: 200, CutPath: "esult",
			}); err != nil {
				t.Fatal(err)
			}
			recs := accounts(600, func(i int) bulk.Record {
				rev, _ := bulk.Number(fmt.Sprint(912260031 + i))
				return bulk.Record{"Name": bulk.Text(fmt.Sprint("N", i)), "External_Id__c": bulk.Text(fmt.Sprint("x-", i)), "AnnualRevenue": rev}
			})
			req := bulk.IngestRequest{Object: "Account", Operation: bulk.Upsert, ExternalIDField: "External_Id__c", Records: seq(recs), API: api, LockRetries: 10}
			got := collect(t, &req)
			polls := 0
			req.OnProgress = func(bulk.Progress) {
				if polls++; polls == 1 {
					// The session expires mid-job and a 503 burst follows.
					org.Org.ExpireSessions(ctx)
					f := org.Org.Faults()
					f.Unavailable = 3
					org.Org.SetFaults(f)
				}
			}
			sum, err := c.Ingest(ctx, req)
			if err != nil || sum.Succeeded != 600 || len(got.results) != 600 || sum.LockRetried == 0 {
				t.Fatalf("%v %+v", err, sum)
			}
			if f := org.Org.Faults(); f.CutResponses != 0 || f.Unavailable != 0 {
				t.Errorf("faults not all fired: %+v", f)
			}
			org.Org.ClearFaults()
			byID := map[string]string{}
			c.QueryEach(ctx, "SELECT Id, Name FROM Account", bulk.QueryOptions{}, func(r bulk.Row) error {
				id, _ := r.Get("Id")
				byID[id], _ = r.Get("Name")
				return nil
			})
			for i := range recs {
				if r := got.results[i]; byID[r.ID] != fmt.Sprint("N", i) {
					t.Errorf("record %d mapped to %s (%q)", i, r.ID, byID[r.ID])
				}
			}
			// A batch or job failed as a whole is not retried and surfaces
			// Salesforce's message.
			f := localorg.Faults{FailBatches: 1, FailBatchMessage: "InvalidBatch : Field name not found : Bogus", FailJobs: 1, FailJobMessage: "InvalidBatch : Field name not found : Bogus"}
			org.Org.SetFaults(f)
			req = bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs[:5]), API: api}
			collect(t, &req)
			sum, err = c.Ingest(ctx, req)
			var je *bulk.JobError
			if !errors.As(err, &je) || je.Code != "InvalidBatch" || !strings.Contains(je.Message, "Bogus") || len(sum.Jobs) != 1 {
				t.Errorf("InvalidBatch: %v %+v", err, sum)
			}
		})
	}
}
