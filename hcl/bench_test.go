package hcl

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
)

// peakHeap samples the live heap while f runs and returns the largest
// value seen, in bytes: the benchmarks report it as peak-heap-MB.
func peakHeap(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	var mu sync.Mutex
	read := func() {
		metrics.Read(sample)
		mu.Lock()
		peak = max(peak, sample[0].Value.Uint64())
		mu.Unlock()
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				read()
			}
		}
	}()
	f()
	read()
	close(done)
	wg.Wait()
	return peak
}

func writeLines(b *testing.B, path string, header string, n int, line func(i int) string) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, header)
	for i := range n {
		fmt.Fprintln(w, line(i))
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
}

// BenchmarkForEach100k loads a configuration whose for_each makes 100,000
// records, each with a reference to another record (a deferred value), an
// interpolation and a static field, then evaluates every deferred value as
// the planner would.
func BenchmarkForEach100k(b *testing.B) {
	const n = 100_000
	dir := b.TempDir()
	writeLines(b, filepath.Join(dir, "accounts.csv"), "code,name", n, func(i int) string {
		return fmt.Sprintf("K%06d,Account %d", i, i)
	})
	os.WriteFile(filepath.Join(dir, "main.sfsync.hcl"), []byte(`
locals {
  accounts = { for a in csvdecode(file("accounts.csv")) : a.code => a }
}

object "Account" {
  key = ["AccountNumber"]

  record "root" {
    AccountNumber = "ROOT"
    Name          = "Root"
  }

  record "bulk" {
    for_each      = local.accounts
    AccountNumber = each.key
    Name          = each.value.name
    Description   = "Generated for a benchmark"
    ParentId      = Account.root.Id
  }
}
`), 0o644)
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		peak = max(peak, peakHeap(func() {
			cfg, diags := Load(dir, LoadOptions{})
			if diags.HasErrors() {
				b.Fatal(diags.Error())
			}
			recs := cfg.Object("Account").Records
			if len(recs) != n+1 {
				b.Fatalf("%d records", len(recs))
			}
			res := cfg.NewResolver(func(Ref) cty.Value { return cty.StringVal("001000000000001AAA") })
			for _, r := range recs[1:] {
				if _, diags := res.Eval(r.Field("ParentId").Deferred); diags.HasErrors() {
					b.Fatal(diags.Error())
				}
			}
			runtime.KeepAlive(cfg)
		}))
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(n), "records/op")
}

// BenchmarkRecordsCSV1M loads a configuration with a 1,000,000-row
// records_csv — the load reads every row to check keys — and then streams
// the rows once more, as the planner does. The peak heap shows that rows
// are streamed: one 8-byte hash per row is kept, not the rows.
func BenchmarkRecordsCSV1M(b *testing.B) {
	const n = 1_000_000
	dir := b.TempDir()
	writeLines(b, filepath.Join(dir, "products.csv"), "ProductCode,Name,Family,IsActive,Description", n, func(i int) string {
		return fmt.Sprintf("P-%07d,Product %d,Hardware,true,\"A product, number %d\"", i, i, i)
	})
	os.WriteFile(filepath.Join(dir, "main.sfsync.hcl"), []byte(`
object "Product2" {
  key         = ["ProductCode"]
  records_csv = "products.csv"
}
`), 0o644)
	fi, _ := os.Stat(filepath.Join(dir, "products.csv"))
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		peak = max(peak, peakHeap(func() {
			cfg, diags := Load(dir, LoadOptions{})
			if diags.HasErrors() {
				b.Fatal(diags.Error())
			}
			src := cfg.Object("Product2").CSV[0]
			if src.RowCount != n {
				b.Fatalf("%d rows", src.RowCount)
			}
			rows := 0
			for _, diags := range src.Rows() {
				if diags != nil {
					b.Fatal(diags.Error())
				}
				rows++
			}
			if rows != n {
				b.Fatalf("streamed %d rows", rows)
			}
		}))
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(n), "rows/op")
}
