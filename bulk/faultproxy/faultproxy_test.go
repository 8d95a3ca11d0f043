package faultproxy_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/bulk/fakeorg"
	"github.com/sfsync/sfsync/bulk/faultproxy"
)

// The proxy's faults, in front of the fake org, with the bulk client.
func TestFaultsThroughProxy(t *testing.T) {
	org := fakeorg.New(t)
	px := faultproxy.New(t, org.URL())
	c, err := bulk.New(context.Background(), bulk.Config{
		Auth:  bulk.AccessToken{InstanceURL: px.URL(), Token: org.Token()},
		Retry: bulk.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond},
		Poll:  bulk.PollPolicy{Initial: time.Millisecond, Max: 2 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	px.Set(func(f *faultproxy.Faults) {
		f.Shuffle, f.Fail503, f.ResetConnections, f.BreakBodies = true, 2, 1, 1
		// A dropped POST must not be retried (it may have created a job),
		// so the faults hit reads only.
		f.Filter = func(r *http.Request) bool { return r.Method == http.MethodGet }
	})
	var recs []bulk.Record
	for i := 0; i < 40; i++ {
		recs = append(recs, bulk.Record{"Name": bulk.Text(fmt.Sprint("P", i))})
	}
	results := map[int]bulk.Result{}
	_, err = c.Ingest(context.Background(), bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: slices.Values(recs), KeyFields: []string{"Name"},
		OnResult: func(r bulk.Result) error { results[r.Index] = r; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, r := range org.Records("Account") {
		names[r["Id"]] = r["Name"]
	}
	for i := range recs {
		if r := results[i]; !r.Success || names[r.ID] != fmt.Sprint("P", i) {
			t.Errorf("record %d: %+v", i, r)
		}
	}
	for _, kind := range []string{"503", "reset", "break", "shuffle"} {
		if px.Fired(kind) == 0 {
			t.Errorf("fault %s never fired", kind)
		}
	}
}
