package state

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/sfsync/sfsync/internal/proctest"
)

// The state benchmarks read and write a state of a million records, as
// apply leaves it: each record with an address of a records_csv row, its
// Id, one key value and a value hash (a file of about 220 MB). Besides
// the time of one operation they report the peak resident memory of a
// process of its own that does only that (peak-rss-MB, its VmHWM), and the
// heap the loaded state keeps (live-MB).
//
//	go test ./state -run '^$' -bench 'Load1M|Persist1M' -benchtime=3x

func init() {
	helpers["bench-load"] = benchLoadProcess
	helpers["bench-persist"] = benchPersistProcess
}

const benchRecords = 1_000_000

func BenchmarkLoad1M(b *testing.B) {
	path := writeBenchState(b, benchRecords)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		s, err := NewLocalBackend(path).Read(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if s.Len() != benchRecords {
			b.Fatalf("%d records, want %d", s.Len(), benchRecords)
		}
	}
	b.StopTimer()
	b.ReportMetric(benchProcess(b, "bench-load", path), "peak-rss-MB")
	b.ReportMetric(liveMB(func() any {
		s, err := NewLocalBackend(path).Read(ctx)
		if err != nil {
			b.Fatal(err)
		}
		return s
	}), "live-MB")
}

// BenchmarkPersist1M is one write of apply: 1% of the records rebound with
// new hashes, then Persist.
func BenchmarkPersist1M(b *testing.B) {
	path := writeBenchState(b, benchRecords)
	ctx := context.Background()
	st, err := Open(ctx, NewLocalBackend(path), Options{Operation: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	round := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		round++
		if err := touchBenchRecords(st.State(), round); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := st.Persist(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if err := st.Close(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(benchProcess(b, "bench-persist", path), "peak-rss-MB")
}

// touchBenchRecords rebinds every hundredth record with a new hash, as
// apply records the results of a 1% update.
func touchBenchRecords(s *State, round int) error {
	for i := 0; i < benchRecords; i += 100 {
		key := fmt.Sprintf("EXT-%07d", i)
		err := s.Bind(Record{Address: benchAddress(key), Object: "Account", ID: testID("001", i),
			Key: map[string]string{"External_Id__c": key}, Hash: HashValues(map[string]string{"Name": fmt.Sprintf("round %d", round)})})
		if err != nil {
			return err
		}
	}
	return nil
}

func benchAddress(key string) string { return "Account.csv[" + strconv.Quote(key) + "]" }

// writeBenchState writes a state file of n records, sorted as sfsync
// writes them, without going through the code being measured.
func writeBenchState(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "sfsync.state.json")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(w, "{\n  \"format_version\": 2,\n  \"lineage\": \"5b0a6f7e-2c1d-4e8f-9a3b-7c6d5e4f3a2b\",\n  \"serial\": 3,\n"+
		"  \"org_id\": %q,\n  \"instance_url\": \"https://acme.my.salesforce.com\",\n  \"sfsync_version\": \"0.1.0\",\n  \"records\": [", orgA)
	for i := range n {
		if i > 0 {
			w.WriteByte(',')
		}
		key := fmt.Sprintf("EXT-%07d", i)
		sum := sha256.Sum256([]byte(key))
		fmt.Fprintf(w, "\n    {\"address\": %s, \"object\": \"Account\", \"id\": %q, \"key\": {\"External_Id__c\": %q}, \"hash\": \"sha256:%s\"}",
			strconv.Quote(benchAddress(key)), testID("001", i), key, hex.EncodeToString(sum[:]))
	}
	fmt.Fprint(w, "\n  ],\n  \"jobs\": []\n}\n")
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// benchProcess runs helper in a process of its own on the state at path
// and returns its peak resident memory in MB: the process's own VmHWM,
// which it prints. (getrusage's figure would not do: on Linux a child
// started with vfork, as Go starts them, inherits the high-water mark of
// this process, which has loaded the state several times.)
func benchProcess(b *testing.B, helper, path string) float64 {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+helper, "STATE_PATH="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("%s: %v\n%s", helper, err, out)
	}
	var kb float64
	if _, err := fmt.Sscanf(string(out), "peak %f kB", &kb); err != nil {
		b.Fatalf("%s printed %q, not its peak memory", helper, out)
	}
	return kb / 1024
}

// printPeak prints the process's peak resident memory for benchProcess
// (0 where there is no /proc).
func printPeak() {
	fmt.Printf("peak %d kB\n", proctest.HWM("self")/1024)
}

// liveMB is the heap that what build returns keeps alive.
func liveMB(build func() any) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / (1 << 20)
}

func benchLoadProcess() int {
	s, err := NewLocalBackend(os.Getenv("STATE_PATH")).Read(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if s.Len() != benchRecords {
		fmt.Fprintf(os.Stderr, "%d records\n", s.Len())
		return 1
	}
	printPeak()
	return 0
}

func benchPersistProcess() int {
	ctx := context.Background()
	st, err := Open(ctx, NewLocalBackend(os.Getenv("STATE_PATH")), Options{Operation: "bench"})
	if err == nil {
		err = touchBenchRecords(st.State(), -1)
	}
	if err == nil {
		err = st.Persist(ctx)
	}
	if err == nil {
		err = st.Close(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	printPeak()
	return 0
}
