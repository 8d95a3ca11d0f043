//go:build unix

package command

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/planner"
	"github.com/sfsync/sfsync/state"
)

// The apply benchmarks run `sfsync apply PLANFILE` as a process of its own
// against `sfsync localorg serve` in another, and report what that process
// took: wall time, CPU time (user + system), peak memory (max RSS), the Bulk
// batches it used (from the org's DailyBulkApiBatches limit) and the records
// it wrote. Setting up (seeding the org, writing the state and the plan) is
// not measured.
//
//	go test ./command -run '^$' -bench BenchmarkApply -benchtime 1x

const benchConfig = `org {
  local = "org"
}

object "Account" {
  key = ["AccountNumber"]
}
`

// benchDir is a configuration directory with a served local org.
type benchDir struct {
	dir string
	org *servedOrg
	c   *bulk.Client
}

func newBenchDir(b *testing.B) *benchDir {
	b.Helper()
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.sfsync.hcl"), []byte(benchConfig), 0o600); err != nil {
		b.Fatal(err)
	}
	org := serveOrg(b, filepath.Join(dir, "org"))
	return &benchDir{dir: dir, org: org, c: org.client(b)}
}

// save writes p as the directory's saved plan, made from the stored state.
func (d *benchDir) save(b *testing.B, p *planner.Plan) {
	b.Helper()
	cfg, diags := hcl.Load(d.dir, hcl.LoadOptions{})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	inputs, err := planner.Inputs(cfg)
	if err != nil {
		b.Fatal(err)
	}
	s, err := state.NewLocalBackend(filepath.Join(d.dir, state.DefaultPath)).Read(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if s == nil {
		s = state.New()
	}
	p.OrgID, p.Lineage, p.Serial, p.Inputs = d.c.OrgID(), s.Lineage(), s.Serial(), inputs
	if err := planner.WriteSavedFile(filepath.Join(d.dir, "plan.out"), p); err != nil {
		b.Fatal(err)
	}
}

func (d *benchDir) batchesLeft(b *testing.B) int64 {
	b.Helper()
	l, err := d.c.Limits(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return l["DailyBulkApiBatches"].Remaining
}

var completeLine = regexp.MustCompile(`Apply complete: (\d+) inserted, (\d+) updated, (\d+) deleted`)

// measure applies the saved plan and reports the process's figures.
func (d *benchDir) measure(b *testing.B) int {
	b.Helper()
	before := d.batchesLeft(b)
	b.StartTimer()
	r := runSfsync(b, d.dir, "apply", "plan.out")
	b.StopTimer()
	if r.code != 0 {
		b.Fatalf("apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	m := completeLine.FindStringSubmatch(r.stdout)
	if m == nil {
		b.Fatalf("apply output: %s", r.stdout)
	}
	written := 0
	for _, n := range m[1:] {
		v, _ := strconv.Atoi(n)
		written += v
	}
	b.ReportMetric(r.wall.Seconds(), "wall-s")
	b.ReportMetric(r.cpu.Seconds(), "cpu-s")
	b.ReportMetric(float64(r.maxRSS)/(1<<20), "peak-MB")
	b.ReportMetric(float64(before-d.batchesLeft(b)), "batches")
	b.ReportMetric(float64(written), "records")
	return written
}

func accountInsert(i int) planner.Change {
	num := benchText(fmt.Sprintf("B-%07d", i))
	return planner.Change{
		Action: planner.Insert, Address: fmt.Sprintf("Account.b[%q]", fmt.Sprintf("B-%07d", i)), Object: "Account",
		Key: []planner.KeyValue{{Field: "AccountNumber", Value: num}},
		Fields: []planner.FieldChange{
			{Field: "AccountNumber", Old: planner.Null(planner.TypeText), New: num},
			{Field: "Industry", Old: planner.Null(planner.TypePicklist), New: benchValue(planner.TypePicklist, "Manufacturing")},
			{Field: "Name", Old: planner.Null(planner.TypeText), New: benchText(fmt.Sprintf("Bench account %d", i))},
		},
	}
}

func benchText(s string) planner.Value { return benchValue(planner.TypeText, s) }

func benchValue(t planner.FieldType, s string) planner.Value {
	v, err := planner.ParseCell(planner.FieldSpec{Type: t}, s)
	if err != nil {
		panic(err)
	}
	return v
}

// BenchmarkApplyInsert100k inserts 100,000 Accounts.
func BenchmarkApplyInsert100k(b *testing.B) {
	const n = 100_000
	for range b.N {
		b.StopTimer()
		d := newBenchDir(b)
		o := &planner.ObjectPlan{Object: "Account"}
		for i := range n {
			o.Changes = append(o.Changes, accountInsert(i))
		}
		d.save(b, &planner.Plan{Objects: []*planner.ObjectPlan{o}})
		if written := d.measure(b); written != n {
			b.Fatalf("%d records written, want %d", written, n)
		}
		s, err := state.NewLocalBackend(filepath.Join(d.dir, state.DefaultPath)).Read(context.Background())
		if err != nil || s.Len() != n {
			b.Fatalf("state after apply: %v", err)
		}
	}
}

// BenchmarkApplyUpdate1M updates 1% (10,000) of 1,000,000 managed Accounts:
// the state holds a million records, the plan ten thousand changes.
func BenchmarkApplyUpdate1M(b *testing.B) {
	const n, every = 1_000_000, 100
	for range b.N {
		b.StopTimer()
		d := newBenchDir(b)
		ctx := context.Background()
		changes := make([]planner.Change, n)
		for i := range n {
			changes[i] = accountInsert(i)
		}
		ids := make([]string, n)
		_, err := d.c.Ingest(ctx, bulk.IngestRequest{
			Object: "Account", Operation: bulk.Insert,
			Records: func(yield func(bulk.Record) bool) {
				for _, ch := range changes {
					r := bulk.Record{}
					for _, f := range ch.Fields {
						r[f.Field] = bulk.Text(f.New.Canonical())
					}
					if !yield(r) {
						return
					}
				}
			},
			OnResult: func(r bulk.Result) error {
				if !r.Success {
					return fmt.Errorf("seed record %d: %v", r.Index, r.Err())
				}
				ids[r.Index] = r.ID
				return nil
			},
		})
		if err != nil {
			b.Fatal(err)
		}
		// The state as a first apply of those records left it.
		st, err := state.Open(ctx, state.NewLocalBackend(filepath.Join(d.dir, state.DefaultPath)), state.Options{NoLock: true, OrgID: d.c.OrgID()})
		if err != nil {
			b.Fatal(err)
		}
		for i, ch := range changes {
			if err := st.State().Bind(state.Record{Address: ch.Address, Object: "Account", ID: ids[i],
				Key: map[string]string{"AccountNumber": ch.Key[0].Value.Canonical()}}); err != nil {
				b.Fatal(err)
			}
		}
		if err := st.Persist(ctx); err != nil {
			b.Fatal(err)
		}
		st.Close(ctx)
		stamps := map[string]string{}
		err = d.c.QueryEach(ctx, "SELECT Id, SystemModstamp FROM Account", bulk.QueryOptions{}, func(r bulk.Row) error {
			id, _ := r.Get("Id")
			stamps[id], _ = r.Get("SystemModstamp")
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		o := &planner.ObjectPlan{Object: "Account", Unchanged: n - n/every}
		for i := 0; i < n; i += every {
			ch := changes[i]
			stamp, err := bulk.ParseDateTime(stamps[ids[i]])
			if err != nil {
				b.Fatal(err)
			}
			o.Changes = append(o.Changes, planner.Change{
				Action: planner.Update, Address: ch.Address, Object: "Account", ID: ids[i], Key: ch.Key,
				SystemModstamp: stamp,
				Fields:         []planner.FieldChange{{Field: "Name", Old: ch.Fields[2].New, New: benchText(fmt.Sprintf("Renamed account %d", i))}},
				Unchanged:      2, UnchangedValues: []planner.KeyValue{{Field: "AccountNumber", Value: ch.Fields[0].New}, {Field: "Industry", Value: ch.Fields[1].New}},
			})
		}
		changes = nil
		d.save(b, &planner.Plan{Objects: []*planner.ObjectPlan{o}})
		if written := d.measure(b); written != n/every {
			b.Fatalf("%d records written, want %d", written, n/every)
		}
	}
}
