package planner_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/localorg"
	"github.com/sfsync/sfsync/localorg/localorgtest"
	"github.com/sfsync/sfsync/planner"
	"github.com/sfsync/sfsync/render"
	"github.com/sfsync/sfsync/state"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./planner -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test ./planner -update rewrites it):\n%s", name, diff)
	}
}

// noGolden checks that testdata/name does not exist: a case that no longer
// produces that output must not keep a golden file that says it does. With
// -update it removes the file.
func noGolden(t *testing.T, name string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if _, err := os.Stat(path); err != nil {
		if !os.IsNotExist(err) {
			t.Fatal(err)
		}
		return
	}
	if *update {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is stale: the case no longer produces it (go test ./planner -update removes it)", name)
}

// clock is the local org's time in these tests, so that SystemModstamps
// are the same on every run.
var clock = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fixture is a plan case: a configuration, what the org holds, what the
// state says, read from a txtar archive:
//
//	-- schema/NAME.json --   custom objects and fields (describe-shaped JSON), added first
//	-- org/OBJECT.csv --     records loaded into the org, in archive order
//	-- state --              one record a line: ADDRESS ID [FIELD=VALUE ...] (the key values state recorded)
//	-- options --            target ADDRESS | max-deletes N | api auto|bulk|rest | skip-csv-rows
//	-- *.sfsync.hcl, other files --  the configuration directory
//
// In org CSV files, state lines and options, {Object.Field=Value} stands for the
// Id of the org record whose Field is Value.
type fixture struct {
	t    *testing.T
	org  *localorgtest.Org
	c    *bulk.Client
	dir  string
	st   *state.State
	opts planner.Options
	// seedJobs counts the jobs seeding made, so that a test can tell
	// that planning made none.
	seedJobs int
	// skipRows loads the configuration without reading CSV rows, as plan
	// does: the planner checks them.
	skipRows bool
}

func newFixture(t *testing.T, archive string) *fixture {
	t.Helper()
	ar, err := txtar.ParseFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dir: t.TempDir(), st: state.New()}
	f.org = localorgtest.Start(t, localorg.Options{Clock: func() time.Time { return clock }})
	ctx := context.Background()
	f.c, err = bulk.New(ctx, bulk.Config{Auth: &bulk.RefreshTokenFlow{LoginURL: f.org.URL, ClientID: f.org.ClientID, ClientSecret: f.org.ClientSecret, RefreshToken: f.org.RefreshToken}})
	if err != nil {
		t.Fatal(err)
	}
	cl := f.org.Instance.Client()
	f.opts = planner.Options{MaxDeletes: -1}
	var files []txtar.File
	for _, file := range ar.Files {
		switch {
		case strings.HasPrefix(file.Name, "schema/"):
			if _, err := cl.AddSchema(ctx, file.Data); err != nil {
				t.Fatalf("%s: %v", file.Name, err)
			}
		case strings.HasPrefix(file.Name, "org/"):
			object := strings.TrimSuffix(strings.TrimPrefix(file.Name, "org/"), ".csv")
			res, err := cl.Load(ctx, object, "insert", "", []byte(f.expand(string(file.Data))))
			if err != nil {
				t.Fatalf("%s: %v", file.Name, err)
			}
			if res.Failed > 0 || res.ErrorMessage != "" {
				t.Fatalf("%s: %d failed: %s %s", file.Name, res.Failed, res.FailedCSV, res.ErrorMessage)
			}
		case file.Name == "state":
			for _, line := range strings.Split(strings.TrimSpace(f.expand(string(file.Data))), "\n") {
				if line == "" {
					continue
				}
				fields := strings.Fields(line)
				a, err := hcl.ParseAddress(fields[0])
				if err != nil {
					t.Fatal(err)
				}
				r := state.Record{Address: fields[0], Object: a.Object, ID: fields[1], Key: map[string]string{}}
				for _, kv := range fields[2:] {
					k, v, _ := strings.Cut(kv, "=")
					r.Key[k] = v
				}
				if err := f.st.Bind(r); err != nil {
					t.Fatal(err)
				}
			}
		case file.Name == "options":
			for _, line := range strings.Split(strings.TrimSpace(f.expand(string(file.Data))), "\n") {
				k, v, _ := strings.Cut(line, " ")
				switch k {
				case "target":
					f.opts.Targets = append(f.opts.Targets, v)
				case "max-deletes":
					fmt.Sscan(v, &f.opts.MaxDeletes)
				case "skip-csv-rows":
					f.skipRows = true
				case "api":
					if f.opts.API, err = planner.ParseAPIChoice(v); err != nil {
						t.Fatal(err)
					}
				default:
					t.Fatalf("unknown option %q", line)
				}
			}
		default:
			files = append(files, file)
		}
	}
	// The configuration is written last: it may name Ids of seeded
	// records.
	for _, file := range files {
		p := filepath.Join(f.dir, file.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.expand(string(file.Data))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f.seedJobs = len(f.jobs())
	return f
}

var idRef = regexp.MustCompile(`\{(15:)?(\w+)\.(\w+)=([^}]*)\}`)

// expand replaces {Object.Field=Value} with the Id of that org record
// ({15:Object.Field=Value} with its 15-character form).
func (f *fixture) expand(s string) string {
	return idRef.ReplaceAllStringFunc(s, func(m string) string {
		p := idRef.FindStringSubmatch(m)
		lit := bulk.QuoteSOQL(p[4])
		if _, err := strconv.ParseFloat(p[4], 64); err == nil || p[4] == "true" || p[4] == "false" {
			lit = p[4]
		}
		soql := fmt.Sprintf("SELECT Id FROM %s WHERE %s = %s", p[2], p[3], lit)
		var ids []string
		err := f.c.QueryEach(context.Background(), soql, bulk.QueryOptions{API: bulk.REST}, func(r bulk.Row) error {
			ids = append(ids, r.Values[0])
			return nil
		})
		if err != nil || len(ids) != 1 {
			f.t.Fatalf("%s: %v (%d records)", m, err, len(ids))
		}
		if p[1] != "" {
			return ids[0][:15]
		}
		return ids[0]
	})
}

func (f *fixture) jobs() []*localorg.Job {
	jobs, err := f.org.Org.Jobs(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return jobs
}

// build loads the configuration and plans.
func (f *fixture) build() (*planner.Plan, string) {
	f.t.Helper()
	cfg, diags := hcl.Load(f.dir, hcl.LoadOptions{SkipCSVRows: f.skipRows})
	if diags.HasErrors() {
		var b bytes.Buffer
		hcl.WriteDiagnostics(&b, cfg.Sources(diags), diags, 78, false)
		f.t.Fatalf("configuration: %s", b.String())
	}
	opts := f.opts
	opts.Config, opts.State, opts.Org = cfg, f.st, f.c
	p, diags, err := planner.Build(context.Background(), opts)
	if err != nil {
		f.t.Fatalf("build: %v", err)
	}
	var b bytes.Buffer
	if len(diags) > 0 {
		hcl.WriteDiagnostics(&b, cfg.Sources(diags), diags, 78, false)
	}
	// No plan writes: the org has only the jobs seeding made, and none
	// of those planning made is an ingest job.
	for _, j := range f.jobs()[f.seedJobs:] {
		if j.Kind != localorg.KindQuery {
			f.t.Errorf("planning made a %s job %s (%s %s)", j.Kind, j.ID, j.Operation, j.Object)
		}
	}
	return p, b.String()
}

// stable blanks what differs between runs: the org's Id and address, the
// state's lineage, and the daily limits (which count this run's calls).
func stable(p *planner.Plan) {
	p.OrgID = "00D000000000000AAA"
	p.InstanceURL = "https://example.my.salesforce.com"
	p.Lineage = "00000000-0000-0000-0000-000000000000"
	p.SfsyncVersion = "test"
	p.Limits = nil
}

// TestBuildGolden plans each case in testdata/build against a fresh local
// org and compares the human, JSON and Markdown plans (or the
// diagnostics) with the golden files.
func TestBuildGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/build/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	// Every golden file belongs to a case.
	files, err := filepath.Glob("testdata/build/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		base := strings.TrimSuffix(file, filepath.Ext(file))
		if _, err := os.Stat(base + ".txtar"); os.IsNotExist(err) {
			t.Errorf("%s belongs to no case (%s.txtar is missing)", file, base)
		}
	}
	for _, c := range cases {
		name := strings.TrimSuffix(filepath.Base(c), ".txtar")
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, c)
			p, diags := f.build()
			if p == nil {
				if diags == "" {
					t.Fatal("no plan and no diagnostics")
				}
				golden(t, "build/"+name+".diags", []byte(diags))
				for _, ext := range []string{"human", "json", "md"} {
					noGolden(t, "build/"+name+"."+ext)
				}
				return
			}
			if diags != "" {
				golden(t, "build/"+name+".diags", []byte(diags))
			} else {
				noGolden(t, "build/"+name+".diags")
			}
			stable(p)
			for _, form := range []struct {
				ext string
				f   render.Format
			}{{"human", render.FormatHuman}, {"json", render.FormatJSON}, {"md", render.FormatMarkdown}} {
				v, err := render.New(form.f, false)
				if err != nil {
					t.Fatal(err)
				}
				var b bytes.Buffer
				if err := v.Plan(&b, p); err != nil {
					t.Fatal(err)
				}
				golden(t, "build/"+name+"."+form.ext, b.Bytes())
			}
			// What a saved plan holds reads back to the same plan.
			data, err := planner.EncodeSaved(p)
			if err != nil {
				t.Fatal(err)
			}
			back, err := planner.DecodeSaved(data)
			if err != nil {
				t.Fatal(err)
			}
			again, err := planner.EncodeSaved(back)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(data), string(again)); diff != "" {
				t.Errorf("saved plan does not round-trip:\n%s", diff)
			}
		})
	}
}

// countingOrg counts the queries made of each object (by the FROM of the
// SOQL).
type countingOrg struct {
	planner.Org
	mu      sync.Mutex
	queries map[string]int
}

func (o *countingOrg) Query(ctx context.Context, soql string, opt bulk.QueryOptions) *bulk.Rows {
	if _, from, ok := strings.Cut(soql, " FROM "); ok {
		object, _, _ := strings.Cut(from, " ")
		o.mu.Lock()
		o.queries[object]++
		o.mu.Unlock()
	}
	return o.Org.Query(ctx, soql, opt)
}

// TestLookupChunksOneProgressLine deletes 800 accounts, so that the
// lookups of the records Salesforce deletes with them take several chunked
// queries per relationship: each relationship is still one progress step,
// with one Done event ("Looked up 0 records of Opportunity" once, not
// once per chunk).
func TestLookupChunksOneProgressLine(t *testing.T) {
	var ar strings.Builder
	ar.WriteString("-- org/Account.csv --\nAccountNumber,Name,Type\n")
	for i := range 800 {
		fmt.Fprintf(&ar, "A-%03d,Account %d,Other\n", i, i)
	}
	ar.WriteString("-- main.sfsync.hcl --\nobject \"Account\" {\n  key    = [\"AccountNumber\"]\n  delete = \"scoped\"\n  where  = \"Type = 'Other'\"\n}\n")
	path := filepath.Join(t.TempDir(), "case.txtar")
	if err := os.WriteFile(path, []byte(ar.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, path)
	org := &countingOrg{Org: f.c, queries: map[string]int{}}
	done := map[string]int{}
	cfg, diags := hcl.Load(f.dir, hcl.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	opts := f.opts
	opts.Config, opts.State, opts.Org = cfg, f.st, org
	opts.Progress = func(ev planner.ProgressEvent) {
		if ev.Step == "lookup" && ev.Done {
			done[ev.Object]++
		}
	}
	p, diags, err := planner.Build(context.Background(), opts)
	if err != nil || diags.HasErrors() {
		t.Fatalf("build: %v %v", err, diags)
	}
	if c := p.Counts(); c.Delete != 800 {
		t.Fatalf("%d deletes, want 800", c.Delete)
	}
	chunked := false
	for object, n := range done {
		if n != 1 {
			t.Errorf("%d lookup steps done for %s, want 1", n, object)
		}
		chunked = chunked || org.queries[object] > 1
	}
	if !chunked {
		t.Errorf("no lookup took several queries (done %v, queries %v): the test does not test chunks", done, org.queries)
	}
}
