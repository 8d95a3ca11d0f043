package localorg

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// benchOrg opens an org in a temporary directory and serves it.
func benchOrg(b *testing.B) (*Org, *httptest.Server, string) {
	b.Helper()
	o, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(o.Handler())
	b.Cleanup(func() { srv.Close(); o.Close() })
	tok, _, err := o.newSession(context.Background(), o.adminID())
	if err != nil {
		b.Fatal(err)
	}
	return o, srv, tok
}

func benchDo(b *testing.B, srv *httptest.Server, tok, method, path, ctype string, body []byte) *http.Response {
	b.Helper()
	req, _ := http.NewRequest(method, srv.URL+"/services/data/v60.0"+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(resp.Body)
		b.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, msg)
	}
	return resp
}

func benchJobID(b *testing.B, resp *http.Response) string {
	defer resp.Body.Close()
	var j struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
		b.Fatal(err)
	}
	return j.ID
}

// BenchmarkBulk2Ingest100k inserts 100,000 Accounts through a Bulk API
// 2.0 job over HTTP: create, upload, UploadComplete, wait for JobComplete.
// Goal: ≤ 10 s per operation on a 2-core machine.
func BenchmarkBulk2Ingest100k(b *testing.B) {
	const n = 100000
	var csv bytes.Buffer
	csv.WriteString("Name,External_Id__c,NumberOfEmployees,AnnualRevenue,Phone,BillingCity\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&csv, "Account %d,EXT-%d,%d,%d.5,555-%04d,City %d\n", i, i, i%5000, i*10, i%10000, i%100)
	}
	for b.Loop() {
		b.StopTimer()
		o, srv, tok := benchOrg(b)
		b.StartTimer()
		id := benchJobID(b, benchDo(b, srv, tok, "POST", "/jobs/ingest", "application/json", []byte(`{"object":"Account","operation":"insert"}`)))
		benchDo(b, srv, tok, "PUT", "/jobs/ingest/"+id+"/batches", "text/csv", csv.Bytes()).Body.Close()
		benchDo(b, srv, tok, "PATCH", "/jobs/ingest/"+id, "application/json", []byte(`{"state":"UploadComplete"}`)).Body.Close()
		for {
			resp := benchDo(b, srv, tok, "GET", "/jobs/ingest/"+id, "", nil)
			var j struct {
				State                  string
				NumberRecordsProcessed int
				NumberRecordsFailed    int
			}
			json.NewDecoder(resp.Body).Decode(&j)
			resp.Body.Close()
			if j.State == StateJobComplete {
				if j.NumberRecordsProcessed != n || j.NumberRecordsFailed != 0 {
					b.Fatalf("processed %d, failed %d", j.NumberRecordsProcessed, j.NumberRecordsFailed)
				}
				break
			}
			if j.State == StateFailed || j.State == StateAborted {
				b.Fatalf("job %s", j.State)
			}
			time.Sleep(20 * time.Millisecond)
		}
		_ = o
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkBulk2Query1M queries 1,000,000 Accounts through a Bulk API 2.0
// query job over HTTP: create, wait for JobComplete, read every page.
// Goal: ≤ 10 s per operation on a 2-core machine.
func BenchmarkBulk2Query1M(b *testing.B) {
	const n = 1000000
	o, srv, tok := benchOrg(b)
	// Setup writes the rows directly; the ingest path has its own benchmark.
	ctx := context.Background()
	err := o.write(ctx, func(tx *sql.Tx) error {
		first, err := nextIDs(ctx, tx, "001", n)
		if err != nil {
			return err
		}
		stmt, err := tx.Prepare(`INSERT INTO Account(Id, Name, External_Id__c, AnnualRevenue, NumberOfEmployees, IsDeleted, OwnerId,
			CreatedById, LastModifiedById, CreatedDate, LastModifiedDate, SystemModstamp) VALUES(?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		user, now := o.adminID(), formatStamp(time.Now())
		for i := 0; i < n; i++ {
			if _, err := stmt.Exec(makeID("001", first+int64(i)), fmt.Sprintf("Account %d", i), fmt.Sprintf("EXT-%d", i),
				float64(i)*10.5, i%5000, user, user, user, now, now, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		id := benchJobID(b, benchDo(b, srv, tok, "POST", "/jobs/query", "application/json",
			[]byte(`{"operation":"query","query":"SELECT Id, Name, External_Id__c, AnnualRevenue, NumberOfEmployees, CreatedDate FROM Account"}`)))
		for {
			resp := benchDo(b, srv, tok, "GET", "/jobs/query/"+id, "", nil)
			var j struct{ State string }
			json.NewDecoder(resp.Body).Decode(&j)
			resp.Body.Close()
			if j.State == StateJobComplete {
				break
			}
			if j.State == StateFailed || j.State == StateAborted {
				b.Fatalf("job %s", j.State)
			}
			time.Sleep(20 * time.Millisecond)
		}
		rows, locator := 0, ""
		for {
			p := "/jobs/query/" + id + "/results"
			if locator != "" {
				p += "?locator=" + locator
			}
			resp := benchDo(b, srv, tok, "GET", p, "", nil)
			data, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				b.Fatal(err)
			}
			rows += strings.Count(string(data), "\n") - 1
			locator = resp.Header.Get("Sforce-Locator")
			if locator == "null" {
				break
			}
		}
		if rows != n {
			b.Fatalf("read %d rows, want %d", rows, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
