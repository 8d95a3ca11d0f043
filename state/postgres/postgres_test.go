package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/sfsync/sfsync/state"
)

// bind adds a record with the n-th Account Id.
func bind(t *testing.T, s *state.State, n int) {
	t.Helper()
	err := s.Bind(state.Record{
		Address: fmt.Sprintf("Account.a%d", n),
		Object:  "Account",
		ID:      fmt.Sprintf("001000000000%03dAAA", n),
		Key:     map[string]string{"AccountNumber": fmt.Sprintf("A-%d", n)},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func query[T any](t *testing.T, ctx context.Context, dsn, sql string, args ...any) T {
	t.Helper()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var v T
	if err := c.QueryRow(ctx, sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func execSQL(t *testing.T, ctx context.Context, dsn, sql string, args ...any) {
	t.Helper()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b, dsn, schema := newBackend(t, "staging")

	// Reading creates nothing: a read-only user can read.
	if s, err := b.Read(ctx); s != nil || err != nil {
		t.Fatalf("Read of an empty database = %v, %v; want nil, nil", s, err)
	}
	if n := query[int](t, ctx, dsn, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema); n != 0 {
		t.Fatalf("Read created schema %s", schema)
	}

	st, err := state.Open(ctx, b, state.Options{Operation: "apply", OrgID: "00D5g000004AbcdEAC", InstanceURL: "https://acme.my.salesforce.com"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		bind(t, st.State(), i)
	}
	if err := st.State().AddJob(state.Job{
		ID: "7500000000000AAAAA", API: state.Bulk2, APIVersion: "62.0", Object: "Account", Operation: state.OpInsert,
		Addresses: []string{"Account.a9"}, Created: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.Persist(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	want, err := st.State().Encode()
	if err != nil {
		t.Fatal(err)
	}

	// The row holds exactly what the state file would.
	data := query[string](t, ctx, dsn, "SELECT data FROM "+pgx.Identifier{schema, "states"}.Sanitize()+" WHERE workspace = 'staging'")
	if diff := cmp.Diff(string(want), data); diff != "" {
		t.Errorf("stored data differs from state.Encode (-want +got):\n%s", diff)
	}

	// Another backend (another run) reads it back.
	b2, err := New(Config{ConnString: dsn, Schema: schema, Workspace: "staging"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := b2.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gotData, err := got.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(gotData)); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	if got.Serial() != 1 || got.Lineage() != st.State().Lineage() || got.OrgID() != "00D5g000004AbcdEAC" || got.Len() != 3 || len(got.Jobs()) != 1 {
		t.Errorf("read back serial %d lineage %s org %s, %d records, %d jobs", got.Serial(), got.Lineage(), got.OrgID(), got.Len(), len(got.Jobs()))
	}
	// No lock is left behind.
	if h, err := b2.LockHolder(ctx); h != nil || err != nil {
		t.Errorf("LockHolder after Close = %v, %v", h, err)
	}
	if n := query[int](t, ctx, dsn, "SELECT count(*) FROM "+pgx.Identifier{schema, "state_locks"}.Sanitize()); n != 0 {
		t.Errorf("%d lock records left after Close", n)
	}
}

func TestWriteConflicts(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b, dsn, schema := newBackend(t, "default")

	first, err := state.Open(ctx, b, state.Options{NoLock: true})
	if err != nil {
		t.Fatal(err)
	}
	bind(t, first.State(), 1)
	if err := first.Persist(ctx); err != nil {
		t.Fatal(err)
	}

	// Two runs read serial 1; the first to write wins.
	open := func() *state.Store {
		b, err := New(Config{ConnString: dsn, Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		st, err := state.Open(ctx, b, state.Options{NoLock: true})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	r1, r2 := open(), open()
	bind(t, r1.State(), 2)
	if err := r1.Persist(ctx); err != nil {
		t.Fatal(err)
	}
	bind(t, r2.State(), 3)
	err = r2.Persist(ctx)
	var ce *state.ConflictError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "another run changed it since this run read it (serial 2 there, this run read 1)") {
		t.Fatalf("stale write: %v; want a ConflictError about serial 2", err)
	}
	if !strings.HasPrefix(err.Error(), `refusing to write PostgreSQL state "default" (`) {
		t.Errorf("conflict names the backend so: %v", err)
	}

	// A different state (another lineage) never replaces this one.
	fresh, err := New(Config{ConnString: dsn, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	st, err := state.Open(ctx, emptyReader{fresh}, state.Options{NoLock: true})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Persist(ctx)
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "it holds a different state (lineage "+first.State().Lineage()) {
		t.Fatalf("write of another lineage: %v", err)
	}

	// The stored state is still r1's.
	got, err := b.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Serial() != 2 || got.Len() != 2 {
		t.Errorf("after the refused writes: serial %d, %d records; want serial 2, 2 records", got.Serial(), got.Len())
	}
}

// emptyReader is a backend whose Read finds nothing, so that state.Open
// starts a new lineage over a database that has one.
type emptyReader struct{ *Backend }

func (emptyReader) Read(context.Context) (*state.State, error) { return nil, nil }

func TestFirstWritesRace(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	_, dsn, schema := newBackend(t, "x")
	// Runs without the lock that both find no state and write serial 1 at
	// the same moment: exactly one wins, whichever statement catches the
	// other (the row lock or the primary key).
	for round := range 5 {
		ws := fmt.Sprintf("race-%d", round)
		stores := make([]*state.Store, 4)
		for i := range stores {
			b, err := New(Config{ConnString: dsn, Schema: schema, Workspace: ws})
			if err != nil {
				t.Fatal(err)
			}
			if stores[i], err = state.Open(ctx, b, state.Options{NoLock: true}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, len(stores))
		for i, st := range stores {
			wg.Go(func() { errs[i] = st.Persist(ctx) })
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			var ce *state.ConflictError
			switch {
			case err == nil:
				wins++
			case !errors.As(err, &ce):
				t.Errorf("round %d: %v; want nil or a ConflictError", round, err)
			}
		}
		if wins != 1 {
			t.Errorf("round %d: %d first writes succeeded; want 1 (%v)", round, wins, errs)
		}
	}
}

func TestHistory(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	_, dsn, schema := newBackend(t, "prod")
	b, err := New(Config{ConnString: dsn, Schema: schema, Workspace: "prod", History: 3})
	if err != nil {
		t.Fatal(err)
	}

	if v, err := b.History(ctx); v != nil || err != nil {
		t.Fatalf("History before any write = %v, %v", v, err)
	}
	st, err := state.Open(ctx, b, state.Options{Operation: "apply"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		bind(t, st.State(), i)
		if err := st.Persist(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}

	versions, err := b.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var serials []uint64
	for i, v := range versions {
		serials = append(serials, v.Serial)
		if v.Current != (i == 0) || v.Lineage != st.State().Lineage() || v.WrittenBy == "" || v.Written.IsZero() || v.SfsyncVersion == "" {
			t.Errorf("version %d = %+v", i, v)
		}
	}
	// The current version and the three it replaced most recently.
	if diff := cmp.Diff([]uint64{5, 4, 3, 2}, serials); diff != "" {
		t.Errorf("history serials (-want +got):\n%s", diff)
	}

	old, err := b.ReadVersion(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if old == nil || old.Serial() != 3 || old.Len() != 3 {
		t.Fatalf("ReadVersion(3) = %v", old)
	}
	if gone, err := b.ReadVersion(ctx, 1); gone != nil || err != nil {
		t.Errorf("ReadVersion of a pruned version = %v, %v; want nil, nil", gone, err)
	}

	// A damaged current state points at the previous version, and the SQL
	// it gives restores it.
	states := pgx.Identifier{b.schema, "states"}.Sanitize()
	execSQL(t, ctx, dsn, "UPDATE "+states+" SET data = '{\"format_version\": 2, \"lin' WHERE workspace = 'prod'")
	_, err = b.Read(ctx)
	if err == nil || !strings.Contains(err.Error(), `PostgreSQL state "prod"`) || !strings.Contains(err.Error(), "is damaged") ||
		!strings.Contains(err.Error(), "The previous version (serial 4)") {
		t.Fatalf("Read of a damaged state: %v", err)
	}
	execSQL(t, ctx, dsn, restoreStatement(t, err))
	got, err := b.Read(ctx)
	if err != nil || got.Serial() != 4 || got.Len() != 4 {
		t.Fatalf("after the restore: %v, %v", got, err)
	}

	// A state row deleted by hand is not an empty state while its history
	// remains.
	execSQL(t, ctx, dsn, "DELETE FROM "+states+" WHERE workspace = 'prod'")
	_, err = b.Read(ctx)
	if err == nil || !strings.Contains(err.Error(), "does not exist, but its history does (newest version: serial 4)") {
		t.Fatalf("Read of a deleted state: %v", err)
	}
	execSQL(t, ctx, dsn, restoreStatement(t, err))
	if got, err := b.Read(ctx); err != nil || got.Serial() != 4 {
		t.Fatalf("after the restore: %v, %v", got, err)
	}
}

// restoreStatement picks the INSERT an error message gives.
func restoreStatement(t *testing.T, err error) string {
	t.Helper()
	for line := range strings.SplitSeq(err.Error(), "\n") {
		if s, ok := strings.CutPrefix(line, "  INSERT INTO "); ok {
			return "INSERT INTO " + s
		}
	}
	t.Fatalf("no INSERT statement in: %v", err)
	return ""
}

func TestWorkspaces(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	staging, dsn, schema := newBackend(t, "staging")
	production, err := New(Config{ConnString: dsn, Schema: schema, Workspace: "production"})
	if err != nil {
		t.Fatal(err)
	}
	// Both locked at once: the locks are per workspace.
	s1, err := state.Open(ctx, staging, state.Options{Operation: "apply"})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := state.Open(ctx, production, state.Options{Operation: "apply"})
	if err != nil {
		t.Fatalf("locking production while staging is locked: %v", err)
	}
	bind(t, s1.State(), 1)
	bind(t, s2.State(), 1)
	bind(t, s2.State(), 2)
	for _, st := range []*state.Store{s1, s2, s2} {
		if err := st.Persist(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range []*state.Store{s1, s2} {
		if err := st.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	a, err := staging.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := production.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a.Len() != 1 || a.Serial() != 1 || p.Len() != 2 || p.Serial() != 2 || a.Lineage() == p.Lineage() {
		t.Errorf("staging: %d records serial %d; production: %d records serial %d", a.Len(), a.Serial(), p.Len(), p.Serial())
	}
	if n := query[int](t, ctx, dsn, "SELECT count(*) FROM "+pgx.Identifier{schema, "states"}.Sanitize()); n != 2 {
		t.Errorf("%d state rows; want 2", n)
	}
}

func TestConnectionSettings(t *testing.T) {
	const secret = "s3cret-Pw"
	tests := []struct {
		name, conn string
		newErr     string // New fails with this
		useErr     string // or else Read fails with this
		desc       string // in String
	}{
		{
			name:   "key-value, server not there",
			conn:   "host=127.0.0.1 port=1 dbname=states user=ci password=" + secret + " sslmode=disable connect_timeout=5",
			useErr: "connect to PostgreSQL state \"default\" (ci@127.0.0.1:1/states, schema sfsync): failed to connect",
			desc:   `PostgreSQL state "default" (ci@127.0.0.1:1/states, schema sfsync)`,
		},
		{
			name:   "URL, server not there",
			conn:   "postgres://ci:" + secret + "@127.0.0.1:1/states?sslmode=disable&connect_timeout=5",
			useErr: "failed to connect to `user=ci database=states`",
			desc:   `PostgreSQL state "default" (ci@127.0.0.1:1/states, schema sfsync)`,
		},
		{
			name:   "socket directory",
			conn:   "host=/nonexistent/sock dbname=states user=ci password=" + secret,
			useErr: "connect to PostgreSQL state",
			desc:   `(ci@socket /nonexistent/sock:5432/states, schema sfsync)`,
		},
		{
			name:   "URL with a bad port",
			conn:   "postgres://ci:" + secret + "@db:port/states",
			newErr: "PostgreSQL backend: the connection string from SFSYNC_PG_DSN does not parse: ",
		},
		{
			name:   "unterminated quote",
			conn:   "host=db password='" + secret,
			newErr: "PostgreSQL backend: the connection string from SFSYNC_PG_DSN does not parse: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New(Config{ConnString: tt.conn, Source: "SFSYNC_PG_DSN"})
			if tt.newErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.newErr) {
					t.Fatalf("New: %v; want %q...", err, tt.newErr)
				}
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("New's error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tt.desc) || strings.Contains(b.String(), secret) {
				t.Errorf("String() = %s; want it to contain %s", b, tt.desc)
			}
			ctx := testContext(t)
			for _, op := range []func() error{
				func() error { _, err := b.Read(ctx); return err },
				func() error { _, err := b.Lock(ctx, state.NewLockInfo("apply")); return err },
				func() error { _, err := b.LockHolder(ctx); return err },
				func() error { return b.Unlock(ctx, "x") },
			} {
				err := op()
				if err == nil || !strings.Contains(err.Error(), tt.useErr) {
					t.Errorf("error %v; want %q", err, tt.useErr)
				}
				if err != nil && strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows the password: %v", err)
				}
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	b, err := New(Config{ConnString: "host=db dbname=states user=ci"})
	if err != nil {
		t.Fatal(err)
	}
	if b.Schema() != "sfsync" || b.Workspace() != "default" || b.history != DefaultHistory {
		t.Errorf("defaults: schema %q workspace %q history %d", b.Schema(), b.Workspace(), b.history)
	}
	if b.pg.ConnectTimeout != DefaultConnectTimeout {
		t.Errorf("connect timeout %s", b.pg.ConnectTimeout)
	}
	if c, _ := New(Config{ConnString: "host=db connect_timeout=3"}); c.pg.ConnectTimeout != 3*time.Second {
		t.Errorf("connect_timeout=3 gave %s", c.pg.ConnectTimeout)
	}
	if got := b.pg.RuntimeParams["application_name"]; got != "sfsync" {
		t.Errorf("application_name = %q", got)
	}
	other, _ := New(Config{ConnString: "host=db dbname=states user=ci", Workspace: "production"})
	if other.key == b.key {
		t.Error("two workspaces share a lock key")
	}
}
