package planner_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/internal/proctest"
	"github.com/sfsync/sfsync/localorg"
	"github.com/sfsync/sfsync/state"
)

// The plan benchmarks run sfsync plan as its own process against a local
// org served by another process (sfsync localorg serve), as a user would,
// and report the plan process's wall time, CPU time (user + system) and
// peak resident memory. The configuration has n Accounts in a records_csv
// file, the org has the same n records, 1% of them with a drifted Name and
// NumberOfEmployees; the state binds every record (the state after an
// apply).
//
// Seeding n records goes through a Bulk API ingest job (about 80 s for a
// million); the seeded org, configuration and state are kept in
// $TMPDIR/sfsync-bench-plan-N and reused by later runs.
//
//	go test ./planner -run XXX -bench 'Plan' -benchtime=1x -timeout 30m

func BenchmarkPlan100k(b *testing.B) { benchPlan(b, 100_000) }
func BenchmarkPlan1M(b *testing.B)   { benchPlan(b, 1_000_000) }

// benchFormat marks a seeded directory as complete and of this layout.
const benchFormat = "sfsync-bench-plan v1"

func benchPlan(b *testing.B, n int) {
	bin := filepath.Join(b.TempDir(), "sfsync")
	build := exec.Command("go", "build", "-o", bin, "github.com/sfsync/sfsync")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("sfsync-bench-plan-%d", n))
	orgDir := filepath.Join(dir, "org")
	cfgDir := filepath.Join(dir, "config")
	ready := filepath.Join(dir, "ready")
	if data, err := os.ReadFile(ready); err != nil || string(data) != benchFormat {
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
	}
	serve := exec.Command(bin, "localorg", "serve", "-dir", orgDir)
	serve.Stdout, serve.Stderr = nil, nil
	if err := os.MkdirAll(orgDir, 0o755); err != nil {
		b.Fatal(err)
	}
	os.Remove(filepath.Join(orgDir, localorg.ConnectionFile))
	if err := serve.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		serve.Process.Signal(os.Interrupt)
		serve.Wait()
	})
	conn := waitConnection(b, orgDir)
	if _, err := os.Stat(ready); err != nil {
		seedBench(b, bin, conn, dir, n)
		if err := os.WriteFile(ready, []byte(benchFormat), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	statePath := filepath.Join(dir, "state.json")
	var wall, cpu time.Duration
	var rss int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bin, "-chdir", cfgDir, "plan", "-no-color", "-lock=false", "-state", statePath)
		out, err := os.Create(filepath.Join(b.TempDir(), "plan.txt"))
		if err != nil {
			b.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = out, out
		u, err := proctest.Run(cmd)
		wall += u.Wall
		out.Close()
		if err != nil {
			data, _ := os.ReadFile(out.Name())
			b.Fatalf("plan: %v\n%s", err, tail(string(data), 3000))
		}
		cpu += u.CPU
		rss = max(rss, u.PeakRSS)
		data, _ := os.ReadFile(out.Name())
		want := fmt.Sprintf("Plan: 0 to insert, %d to update, 0 to delete.", n/100)
		if !strings.Contains(string(data), want) {
			b.Fatalf("the plan does not say %q:\n%s", want, tail(string(data), 3000))
		}
	}
	b.StopTimer()
	b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/op")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MB")
	b.ReportMetric(float64(n)/(wall.Seconds()/float64(b.N)), "records/s")
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func waitConnection(b *testing.B, orgDir string) localorg.Connection {
	deadline := time.Now().Add(time.Minute)
	for {
		data, err := os.ReadFile(filepath.Join(orgDir, localorg.ConnectionFile))
		var c localorg.Connection
		if err == nil && json.Unmarshal(data, &c) == nil && c.InstanceURL != "" {
			return c
		}
		if time.Now().After(deadline) {
			b.Fatal("localorg serve did not start within a minute")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// seedBench loads n Accounts into the org, writes the configuration (1% of
// the records drifted) and the state binding every record.
func seedBench(b *testing.B, bin string, conn localorg.Connection, dir string, n int) {
	cfgDir := filepath.Join(dir, "config")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		b.Fatal(err)
	}
	orgCSV := filepath.Join(dir, "org.csv")
	writeCSV(b, orgCSV, n, false)
	writeCSV(b, filepath.Join(cfgDir, "accounts.csv"), n, true)
	cfg := `org {
  local = "../org"
}

object "Account" {
  key         = ["External_Id__c"]
  records_csv = "accounts.csv"
}
`
	if err := os.WriteFile(filepath.Join(cfgDir, "main.sfsync.hcl"), []byte(cfg), 0o644); err != nil {
		b.Fatal(err)
	}
	load := exec.Command(bin, "localorg", "load", "-dir", filepath.Join(dir, "org"), "-object", "Account", orgCSV)
	if out, err := load.CombinedOutput(); err != nil || !strings.Contains(string(out), fmt.Sprintf("%d records processed, 0 failed", n)) {
		b.Fatalf("load: %v\n%s", err, out)
	}
	ctx := context.Background()
	c, err := bulk.New(ctx, bulk.Config{Auth: &bulk.RefreshTokenFlow{LoginURL: conn.LoginURL, ClientID: conn.ClientID, ClientSecret: conn.ClientSecret, RefreshToken: conn.RefreshToken}})
	if err != nil {
		b.Fatal(err)
	}
	st := state.New()
	err = c.QueryEach(ctx, "SELECT Id, External_Id__c FROM Account", bulk.QueryOptions{}, func(r bulk.Row) error {
		key := r.Values[1]
		return st.Bind(state.Record{Address: fmt.Sprintf("Account.csv[%q]", key), Object: "Account", ID: r.Values[0], Key: map[string]string{"External_Id__c": key}})
	})
	if err != nil {
		b.Fatal(err)
	}
	if st.Len() != n {
		b.Fatalf("state binds %d records, want %d", st.Len(), n)
	}
	if err := st.BindOrg(c.OrgID(), c.InstanceURL()); err != nil {
		b.Fatal(err)
	}
	data, err := st.Encode()
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "state.json"), data, 0o600); err != nil {
		b.Fatal(err)
	}
}

// writeCSV writes n Accounts; drifted, every hundredth has another Name and
// NumberOfEmployees.
func writeCSV(b *testing.B, path string, n int, drifted bool) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "External_Id__c,Name,Industry,NumberOfEmployees,AnnualRevenue,Description")
	for i := 0; i < n; i++ {
		name, emp := fmt.Sprintf("Account %d", i), i%5000
		if drifted && i%100 == 0 {
			name, emp = name+" (renamed)", emp+1
		}
		fmt.Fprintf(w, "EXT-%07d,%s,Manufacturing,%d,%d,Customer since %d\n", i, name, emp, i*10, 1990+i%30)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}
