package planner

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/localorg"
	"github.com/sfsync/sfsync/localorg/localorgtest"
	"github.com/sfsync/sfsync/state"
)

// applyEnv is a local org, a client of it and a state file: what an apply
// runs against in these tests.
type applyEnv struct {
	org       *localorgtest.Org
	c         *bulk.Client
	statePath string
}

func newApplyEnv(t testing.TB) *applyEnv {
	t.Helper()
	return newApplyEnvWith(t, localorg.Options{})
}

func newApplyEnvWith(t testing.TB, opts localorg.Options) *applyEnv {
	t.Helper()
	org := localorgtest.Start(t, opts)
	c, err := bulk.New(context.Background(), bulk.Config{
		Auth:    &bulk.RefreshTokenFlow{LoginURL: org.URL, ClientID: org.ClientID, ClientSecret: org.ClientSecret, RefreshToken: org.RefreshToken},
		Retry:   bulk.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
		Poll:    bulk.PollPolicy{Initial: 2 * time.Millisecond, Max: 20 * time.Millisecond, Timeout: time.Minute},
		TempDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &applyEnv{org: org, c: c, statePath: filepath.Join(t.TempDir(), "sfsync.state.json")}
}

// open takes the state for one run; it is closed when the test ends.
func (e *applyEnv) open(t testing.TB) *state.Store {
	t.Helper()
	st, err := state.Open(context.Background(), state.NewLocalBackend(e.statePath), state.Options{Operation: "apply", OrgID: e.c.OrgID()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	return st
}

// apply applies p in a run of its own and returns the result and the state
// as stored afterwards.
func (e *applyEnv) apply(t testing.TB, p *Plan, opts ApplyOptions) (*ApplyResult, *state.State) {
	t.Helper()
	st := e.open(t)
	res, err := Apply(context.Background(), e.c, st, p, opts)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	st.Close(context.Background())
	return res, e.stored(t)
}

// stored reads the state file.
func (e *applyEnv) stored(t testing.TB) *state.State {
	t.Helper()
	s, err := state.NewLocalBackend(e.statePath).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s == nil {
		t.Fatal("no state stored")
	}
	return s
}

// query returns the rows of a SOQL query as maps.
func (e *applyEnv) query(t testing.TB, soql string) []map[string]string {
	t.Helper()
	var out []map[string]string
	err := e.c.QueryEach(context.Background(), soql, bulk.QueryOptions{API: bulk.REST}, func(r bulk.Row) error {
		out = append(out, r.Map())
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", soql, err)
	}
	return out
}

// insertJobs returns the org's ingest jobs, oldest first.
func (e *applyEnv) jobs(t testing.TB) []*localorg.Job {
	t.Helper()
	js, err := e.org.Org.Jobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []*localorg.Job
	for _, j := range js {
		if j.Kind == localorg.KindIngest {
			out = append(out, j)
		}
	}
	return out
}

// uploadHeader is the header line of a job's (first) upload.
func (e *applyEnv) uploadHeader(t testing.TB, jobID string) string {
	t.Helper()
	ups, err := e.org.Org.JobUploads(context.Background(), jobID)
	if err != nil || len(ups) == 0 {
		t.Fatalf("uploads of job %s: %v (%d)", jobID, err, len(ups))
	}
	head, _, _ := strings.Cut(string(ups[0]), "\n")
	return head
}

// Plan builders.

func txt(s string) Value  { return Value{typ: TypeText, s: s} }
func num(s string) Value  { return Value{typ: TypeNumber, s: s} }
func idv(id string) Value { return Value{typ: TypeID, s: id} }

// set is a field an insert sets.
func set(field string, v Value) FieldChange {
	return FieldChange{Field: field, Old: Null(v.typ), New: v}
}

// ref is a field that refers to a record the plan inserts.
func ref(field, address string) FieldChange {
	return FieldChange{Field: field, Old: Null(TypeID), New: Null(TypeID), Ref: address}
}

// chg is an update of a field.
func chg(field string, old, new Value) FieldChange {
	return FieldChange{Field: field, Old: old, New: new}
}

func objectOf(address string) string { o, _, _ := strings.Cut(address, "."); return o }

// insert is the insert of address at level, keyed by keyField (whose value
// is among fields).
func insert(address string, level int, keyField string, fields ...FieldChange) Change {
	ch := Change{Action: Insert, Address: address, Object: objectOf(address), Level: level, Fields: fields}
	for _, f := range fields {
		if f.Field == keyField {
			ch.Key = []KeyValue{{Field: f.Field, Value: f.New}}
		}
	}
	return ch
}

// plan gathers changes into a sorted plan.
func plan(changes ...Change) *Plan {
	p := &Plan{}
	for _, ch := range changes {
		o := p.Object(ch.Object)
		if o == nil {
			o = &ObjectPlan{Object: ch.Object}
			p.Objects = append(p.Objects, o)
		}
		o.Changes = append(o.Changes, ch)
	}
	p.Sort()
	return p
}

// recorder is an Observer that keeps what it was told.
type recorder struct {
	mu       sync.Mutex
	started  []JobStatus
	finished []JobStatus
	progress int
	// maxProcessed and maxFailed are the highest counts a progress
	// report gave.
	maxProcessed, maxFailed int
	onFinish                func(JobStatus)
}

func (r *recorder) JobStarted(s JobStatus) {
	r.mu.Lock()
	r.started = append(r.started, s)
	r.mu.Unlock()
}
func (r *recorder) JobProgress(s JobStatus) {
	r.mu.Lock()
	r.progress++
	r.maxProcessed, r.maxFailed = max(r.maxProcessed, s.Processed), max(r.maxFailed, s.Failed)
	r.mu.Unlock()
}
func (r *recorder) JobFinished(s JobStatus) {
	r.mu.Lock()
	r.finished = append(r.finished, s)
	f := r.onFinish
	r.mu.Unlock()
	if f != nil {
		f(s)
	}
}

// describeJobs renders job statuses as "insert Account 0 bulk2 3".
func describeJobs(js []JobStatus) []string {
	var out []string
	for _, j := range js {
		s := fmt.Sprintf("%s %s %d %s %d", j.Operation, j.Object, j.Level, j.API, j.Records)
		if j.Deferred {
			s += " deferred"
		}
		if j.Replace {
			s += " replace"
		}
		out = append(out, s)
	}
	return out
}
