package localorg_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sfsync/sfsync/localorg/localorgtest"
)

// TestConcurrentClients runs REST writes, Bulk ingest jobs and queries at
// the same time: every write lands exactly once and readers never fail.
func TestConcurrentClients(t *testing.T) {
	org := localorgtest.New(t)
	const writers, perWriter = 4, 50
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for w := 0; w < writers; w++ {
		wg.Add(2)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				r := send(t, org, "POST", v+"/sobjects/Account", fmt.Sprintf(`{"Name":"rest %d-%d","External_Id__c":"r-%d-%d"}`, w, i, w, i))
				if r.Status != 201 {
					errs <- fmt.Sprintf("REST insert: %d %s", r.Status, r.Body)
					return
				}
			}
		}(w)
		go func(w int) {
			defer wg.Done()
			var b strings.Builder
			b.WriteString("Name,External_Id__c\n")
			for i := 0; i < perWriter; i++ {
				fmt.Fprintf(&b, "bulk %d-%d,b-%d-%d\n", w, i, w, i)
			}
			if j := ingest(t, org, `{"object":"Account","operation":"insert"}`, b.String()); j.RecordsProcessed != perWriter || j.RecordsFailed != 0 {
				errs <- fmt.Sprintf("bulk job %s: %d processed, %d failed", j.State, j.RecordsProcessed, j.RecordsFailed)
			}
		}(w)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 20; i++ {
			if r := send(t, org, "GET", v+"/query?q=SELECT+Id+FROM+Account", nil); r.Status != 200 {
				errs <- fmt.Sprintf("query: %d %s", r.Status, r.Body)
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	got := query(t, org, "SELECT External_Id__c FROM Account")
	if n := strings.Count(got, "\n") - 1; n != 2*writers*perWriter {
		t.Errorf("%d accounts, want %d", n, 2*writers*perWriter)
	}
}
