package command

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sfsync/sfsync/state"
	"github.com/sfsync/sfsync/state/postgres"
	"github.com/sfsync/sfsync/state/postgres/pgtest"
)

// pgRunner stops the PostgreSQL server the scripts started, if any, once
// the tests are done.
type pgRunner struct{ m *testing.M }

func (r pgRunner) Run() int {
	code := pgtest.Run(r.m)
	removeSfsyncBinary()
	return code
}

// scriptCmds are the scripts' own commands:
//
//	pgschema NAME     use schema NAME of the test database: SFSYNC_PG_DSN is
//	                  set to it, and the schema is dropped before and after
//	waitfile FILE [VAR]  wait (up to a minute) for FILE to exist; set VAR to
//	                  its contents
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"pgschema": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: pgschema NAME")
		}
		dsn, err := pgtest.SharedDSN()
		if err != nil {
			ts.Fatalf("%v", err)
		}
		if err := pgtest.DropSchema(dsn, args[0]); err != nil {
			ts.Fatalf("%v", err)
		}
		ts.Defer(func() {
			if err := pgtest.DropSchema(dsn, args[0]); err != nil {
				ts.Logf("drop schema %s: %v", args[0], err)
			}
		})
		ts.Setenv(dsnEnv, dsn)
	},
	"waitfile": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) < 1 || len(args) > 2 {
			ts.Fatalf("usage: waitfile FILE [VAR]")
		}
		deadline := time.Now().Add(time.Minute)
		for {
			data, err := os.ReadFile(ts.MkAbs(args[0]))
			if err == nil {
				if len(args) == 2 {
					ts.Setenv(args[1], strings.TrimSpace(string(data)))
				}
				return
			}
			if time.Now().After(deadline) {
				ts.Fatalf("%s did not appear within a minute", args[0])
			}
			time.Sleep(20 * time.Millisecond)
		}
	},
}

// testStateMain is the scripts' helper program sfsync-test-state, which
// uses the state the way sfsync would in the working directory:
//
//	push FILE   write the state in FILE (serial 1) to the backend
//	hold FILE   take the lock, write its id to FILE, and hold it until
//	            interrupted (then release it) or killed
func testStateMain() int {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env := &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Dir: wd}
	ctx := context.Background()
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sfsync-test-state push|hold FILE")
		return 2
	}
	b, err := stateBackend(env, stateFlags{lock: true})
	if err != nil {
		return reportError(env, err)
	}
	switch os.Args[1] {
	case "push":
		data, err := os.ReadFile(os.Args[2])
		if err == nil {
			var s *state.State
			if s, err = state.Decode(data); err == nil {
				err = b.Write(ctx, s)
			}
		}
		if err != nil {
			return reportError(env, err)
		}
		fmt.Printf("pushed serial %d\n", 1)
		return 0
	case "hold":
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, os.Interrupt)
		st, err := openState(ctx, env, b, stateFlags{lock: true}, "test hold")
		if err != nil {
			return reportError(env, err)
		}
		tmp := os.Args[2] + ".tmp"
		if err := os.WriteFile(tmp, []byte(st.Lease().Info.ID+"\n"), 0o644); err != nil {
			return reportError(env, err)
		}
		if err := os.Rename(tmp, os.Args[2]); err != nil {
			return reportError(env, err)
		}
		<-sigs
		if err := st.Close(ctx); err != nil {
			return reportError(env, err)
		}
		fmt.Println("released")
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown subcommand %q\n", os.Args[1])
	return 2
}

// The backend block decides where the state lives; -state overrides it;
// the connection string comes from conn_str_env, conn_str or
// SFSYNC_PG_DSN, in that order.
func TestStateBackendSelection(t *testing.T) {
	write := func(t *testing.T, src string) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.sfsync.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	getenv := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	tests := []struct {
		name  string
		src   string // main.sfsync.hcl; "" for none
		flag  string // -state
		vars  map[string]string
		want  string // String() of the backend
		err   string // or the error
		notIn string // never in the error
	}{
		{name: "no configuration", want: "state file sfsync.state.json"},
		{name: "no backend block", src: `object "Account" { key = ["Name"] }`, want: "state file sfsync.state.json"},
		{name: "local block", src: `backend "local" { path = "states/dev.json" }`, want: "state file states/dev.json"},
		{
			name: "-state wins over the block",
			src:  `backend "postgres" { conn_str = "host=db" }`, flag: "other.json",
			want: "state file other.json",
		},
		{
			name: "conn_str",
			src:  `backend "postgres" { conn_str = "host=db.internal port=6543 dbname=states user=ci" }`,
			vars: map[string]string{dsnEnv: "host=ignored"},
			want: `PostgreSQL state "default" (ci@db.internal:6543/states, schema sfsync)`,
		},
		{
			name: "conn_str_env",
			src: `backend "postgres" {
  conn_str_env = "TEAM_DB"
  schema       = "shared"
  workspace    = "production"
}`,
			vars: map[string]string{"TEAM_DB": "postgres://ci:hunter2@db.internal/states", dsnEnv: "host=ignored"},
			want: `PostgreSQL state "production" (ci@db.internal:5432/states, schema shared)`,
		},
		{
			name: "SFSYNC_WORKSPACE chooses the workspace",
			src:  `backend "postgres" { workspace = "staging" }`,
			vars: map[string]string{dsnEnv: "host=db.internal dbname=states user=ci", workspaceEnv: "production"},
			want: `PostgreSQL state "production" (ci@db.internal:5432/states, schema sfsync)`,
		},
		{
			name: "SFSYNC_WORKSPACE without a workspace setting",
			src:  `backend "postgres" {}`,
			vars: map[string]string{dsnEnv: "host=db.internal dbname=states user=ci", workspaceEnv: "uat"},
			want: `PostgreSQL state "uat" (ci@db.internal:5432/states, schema sfsync)`,
		},
		{
			name: "conn_str_env unset",
			src:  `backend "postgres" { conn_str_env = "TEAM_DB" }`,
			err:  "the backend block (main.sfsync.hcl:1,1-19) takes its connection string from TEAM_DB (conn_str_env), which is not set",
		},
		{
			name: "SFSYNC_PG_DSN",
			src:  `backend "postgres" { workspace = "staging" }`,
			vars: map[string]string{dsnEnv: "host=/run/pg port=5433 dbname=states user=ci password=hunter2"},
			want: `PostgreSQL state "staging" (ci@socket /run/pg:5433/states, schema sfsync)`,
		},
		{
			name:  "SFSYNC_PG_DSN does not parse",
			src:   `backend "postgres" {}`,
			vars:  map[string]string{dsnEnv: "postgres://ci:hunter2@db:port/states"},
			err:   "PostgreSQL backend: the connection string from SFSYNC_PG_DSN does not parse",
			notIn: "hunter2",
		},
		{
			name: "variables without values do not matter",
			src: `variable "region" { type = string }
backend "local" { path = "dev.json" }
object "Account" {
  key = ["Name"]
  record "x" { Name = var.region }
}`,
			want: "state file dev.json",
		},
		{
			name: "a file that does not parse may hide the backend",
			src:  "backend \"postgres\" {\n  conn_str = \n}\n",
			err:  "on main.sfsync.hcl line 2, in backend \"postgres\"",
		},
		{
			name: "a password in conn_str",
			src:  `backend "postgres" { conn_str = "host=db password=hunter2" }`,
			err:  "Secret in configuration",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.src != "" {
				dir = write(t, tt.src)
			}
			var stderr bytes.Buffer
			env := &Env{Dir: dir, Getenv: getenv(tt.vars), Stderr: &stderr}
			b, err := stateBackend(env, stateFlags{path: tt.flag})
			if tt.err != "" {
				if err == nil {
					t.Fatalf("got backend %s; want an error %q", b, tt.err)
				}
				reportError(env, err)
				if !strings.Contains(stderr.String(), tt.err) {
					t.Errorf("error:\n%s\nwant it to contain %q", stderr.String(), tt.err)
				}
				if tt.notIn != "" && strings.Contains(stderr.String(), tt.notIn) {
					t.Errorf("error shows %q:\n%s", tt.notIn, stderr.String())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("backend %s; want %s", b, tt.want)
			}
			if _, ok := b.(*postgres.Backend); ok && strings.Contains(b.String(), "hunter2") {
				t.Errorf("backend name shows the password: %s", b)
			}
		})
	}
}
