package bulk_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/internal/sfvalue"
	"github.com/sfsync/sfsync/localorg/localorgtest"
)

// The benchmarks query 1,000,000 records and upload 1,000,000 rows and
// report the client's peak heap ("peak-heap-MB"): neither may hold all rows
// in memory. The org is, by SFSYNC_BENCH_ORG:
//
//   - "" (default): streamOrg, an in-process server that generates and
//     consumes rows without storing them, so that only the client is measured;
//   - "localorg": an in-process localorg (the query benchmark first loads
//     the rows; the org's own memory counts too);
//   - "url": the org at SFSYNC_BENCH_INSTANCE_URL with SFSYNC_BENCH_ACCESS_TOKEN.
//
// SFSYNC_BENCH_ROWS changes the number of rows.
//
//	go test ./bulk -run '^$' -bench . -benchtime 1x
//	SFSYNC_BENCH_ORG=localorg SFSYNC_BENCH_ROWS=100000 go test ./bulk -run '^$' -bench . -benchtime 1x

func benchRowCount() int {
	if n, err := strconv.Atoi(os.Getenv("SFSYNC_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// benchClient connects to the benchmark org; seeded reports whether the
// org already holds the rows to query.
func benchClient(b *testing.B) (c *bulk.Client, seeded bool) {
	rows := benchRowCount()
	var auth bulk.Authenticator
	switch os.Getenv("SFSYNC_BENCH_ORG") {
	case "":
		srv := httptest.NewServer(newStreamOrg(rows, b.TempDir()))
		b.Cleanup(srv.Close)
		auth, seeded = bulk.AccessToken{InstanceURL: srv.URL, Token: "00D000000000001!BENCH"}, true
	case "localorg":
		org := localorgtest.New(b)
		auth = &bulk.RefreshTokenFlow{LoginURL: org.URL, ClientID: org.ClientID, RefreshToken: org.RefreshToken}
	case "url":
		auth, seeded = bulk.AccessToken{InstanceURL: os.Getenv("SFSYNC_BENCH_INSTANCE_URL"), Token: os.Getenv("SFSYNC_BENCH_ACCESS_TOKEN")}, true
	default:
		b.Fatalf("SFSYNC_BENCH_ORG=%q: want localorg or url", os.Getenv("SFSYNC_BENCH_ORG"))
	}
	c, err := bulk.New(context.Background(), bulk.Config{Auth: auth, APIVersion: "60.0", TempDir: b.TempDir(),
		Poll: bulk.PollPolicy{Initial: 50 * time.Millisecond, Max: time.Second, Timeout: 2 * time.Hour}})
	if err != nil {
		b.Fatal(err)
	}
	return c, seeded
}

func benchRecords(n int) iter.Seq[bulk.Record] {
	return func(yield func(bulk.Record) bool) {
		for i := 0; i < n; i++ {
			if !yield(bulk.Record{"Name": bulk.Text("Bench account " + strconv.Itoa(i)), "External_Id__c": bulk.Int(int64(i)), "AnnualRevenue": bulk.Float(float64(i) * 1000)}) {
				return
			}
		}
	}
}

func benchUpload(b *testing.B, c *bulk.Client, n int) (bulk.IngestSummary, int64, error) {
	var ok atomic.Int64
	sum, err := c.Ingest(context.Background(), bulk.IngestRequest{Object: "Account", Operation: bulk.Upsert, ExternalIDField: "External_Id__c",
		Records: benchRecords(n), OnResult: func(r bulk.Result) error {
			if r.Success {
				ok.Add(1)
			}
			return nil
		}})
	return sum, ok.Load(), err
}

// peakHeap samples the heap until stop is called and returns the peak.
func peakHeap() (stop func() uint64) {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

func BenchmarkQuery1M(b *testing.B) {
	rows := benchRowCount()
	c, seeded := benchClient(b)
	if !seeded {
		if _, n, err := benchUpload(b, c, rows); err != nil || n != int64(rows) {
			b.Fatalf("seeding: %d of %d rows: %v", n, rows, err)
		}
	}
	for b.Loop() {
		stop := peakHeap()
		n := 0
		err := c.QueryEach(context.Background(), "SELECT Id, Name, AnnualRevenue FROM Account WHERE Name LIKE 'Bench account %'", bulk.QueryOptions{MaxRecords: 50000}, func(r bulk.Row) error {
			n++
			return nil
		})
		peak := stop()
		if err != nil || n < rows {
			b.Fatalf("%d rows: %v", n, err)
		}
		b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
		b.ReportMetric(float64(n), "rows")
	}
}

func BenchmarkUpload1M(b *testing.B) {
	rows := benchRowCount()
	c, _ := benchClient(b)
	for b.Loop() {
		stop := peakHeap()
		sum, ok, err := benchUpload(b, c, rows)
		peak := stop()
		if err != nil || ok != int64(rows) {
			b.Fatalf("%d succeeded (%+v): %v", ok, sum, err)
		}
		b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
		b.ReportMetric(float64(len(sum.Jobs)), "jobs")
	}
}

// streamOrg serves Bulk 2.0 query results generated on the fly and keeps
// uploads on disk, answering successfulResults by streaming them back with
// the key re-formatted as Salesforce does — so that the client's memory is
// what the benchmark measures.
type streamOrg struct {
	rows int
	dir  string
	mu   sync.Mutex
	jobs map[string]string // ingest job id → upload file ("" until uploaded)
	n    int
}

func newStreamOrg(rows int, dir string) *streamOrg {
	return &streamOrg{rows: rows, dir: dir, jobs: map[string]string{}}
}

func (s *streamOrg) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/services/data/":
		io.WriteString(w, `[{"version":"60.0","url":"/services/data/v60.0","label":"x"}]`)
	case strings.HasSuffix(p, "/jobs/query/") && r.Method == http.MethodPost:
		io.WriteString(w, `{"id":"750000000000001AAA","object":"Account","state":"UploadComplete","apiVersion":60.0}`)
	case strings.HasSuffix(p, "/jobs/query/750000000000001AAA"):
		io.WriteString(w, `{"id":"750000000000001AAA","object":"Account","state":"JobComplete","apiVersion":60.0}`)
	case strings.HasSuffix(p, "/results"):
		start := 0
		if l := r.URL.Query().Get("locator"); l != "" {
			b, _ := base64.StdEncoding.DecodeString(l)
			start, _ = strconv.Atoi(string(b))
		}
		max, _ := strconv.Atoi(r.URL.Query().Get("maxRecords"))
		end := min(start+max, s.rows)
		next := "null"
		if end < s.rows {
			next = base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(end)))
		}
		w.Header().Set("Sforce-Locator", next)
		bw := bufio.NewWriter(w)
		bw.WriteString("\"Id\",\"Name\",\"AnnualRevenue\"\n")
		for i := start; i < end; i++ {
			fmt.Fprintf(bw, "\"001%015d\",\"Account %d\",\"%s\"\n", i, i, sfvalue.FormatDouble(float64(i)*1000))
		}
		bw.Flush()
	case strings.HasSuffix(p, "/jobs/ingest/") && r.Method == http.MethodPost:
		s.mu.Lock()
		s.n++
		id := fmt.Sprintf("750%015d", s.n)
		s.jobs[id] = ""
		s.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"id": id, "state": "Open", "apiVersion": json.Number("60.0"), "object": "Account"})
	case strings.HasSuffix(p, "/batches") && r.Method == http.MethodPut:
		id := strings.Split(p, "/")[6]
		f, _ := os.CreateTemp(s.dir, "upload-*")
		io.Copy(f, r.Body)
		f.Close()
		s.mu.Lock()
		s.jobs[id] = f.Name()
		s.mu.Unlock()
		w.WriteHeader(201)
	case strings.Contains(p, "/jobs/ingest/"):
		parts := strings.Split(strings.Trim(p, "/"), "/")
		id := parts[5]
		if len(parts) == 6 {
			json.NewEncoder(w).Encode(map[string]any{"id": id, "state": "JobComplete", "apiVersion": json.Number("60.0"), "object": "Account"})
			return
		}
		s.mu.Lock()
		file := s.jobs[id]
		s.mu.Unlock()
		f, err := os.Open(file)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer f.Close()
		// As Salesforce does: the client streams CSV result files and
		// would buffer anything else.
		w.Header().Set("Content-Type", "text/csv")
		cr := csv.NewReader(bufio.NewReader(f))
		head, _ := cr.Read()
		bw := bufio.NewWriter(w)
		defer bw.Flush()
		switch parts[6] {
		case "successfulResults":
			bw.WriteString(`"sf__Id","sf__Created",` + strings.Join(head, ",") + "\n")
			for i := 0; ; i++ {
				row, err := cr.Read()
				if err != nil {
					break
				}
				bw.WriteString(fmt.Sprintf("\"001%015d\",\"true\"", i))
				for k, v := range row {
					if head[k] == "External_Id__c" || head[k] == "AnnualRevenue" {
						f, _ := strconv.ParseFloat(v, 64)
						v = sfvalue.FormatDouble(f)
					}
					bw.WriteString(`,"` + v + `"`)
				}
				bw.WriteString("\n")
			}
		case "failedResults":
			bw.WriteString(`"sf__Id","sf__Error",` + strings.Join(head, ",") + "\n")
		default:
			bw.WriteString(strings.Join(head, ",") + "\n")
		}
	default:
		http.Error(w, "not found "+p, 404)
	}
}
