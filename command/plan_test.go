package command

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/planner"
	"github.com/sfsync/sfsync/render"
)

func init() {
	// exitcode N PROGRAM ARGS... runs a program and checks its exit code.
	scriptCmds["exitcode"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) < 2 {
			ts.Fatalf("usage: exitcode N PROGRAM [ARGS...]")
		}
		want, err := strconv.Atoi(args[0])
		if err != nil {
			ts.Fatalf("exitcode: %v", err)
		}
		got := 0
		if err := ts.Exec(args[1], args[2:]...); err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				ts.Fatalf("exitcode: %v", err)
			}
			got = ee.ExitCode()
		}
		if got != want {
			ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
		}
	}
	// copytree SRC DST copies a directory of the repository (relative to
	// $ROOT) into the script's work directory.
	scriptCmds["copytree"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: copytree SRC DST")
		}
		src := filepath.Join(ts.Getenv("ROOT"), args[0])
		dst := ts.MkAbs(args[1])
		err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			if d.IsDir() {
				if d.Name() == ".sfsync" {
					return filepath.SkipDir // a local org someone ran there
				}
				return os.MkdirAll(filepath.Join(dst, rel), 0o755)
			}
			// State someone left by running the example there (the state,
			// its backup, its lock) is not part of the example.
			if strings.HasPrefix(filepath.Base(p), "sfsync.state.json") || filepath.Ext(p) == ".lock" {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
		})
		if err != nil {
			ts.Fatalf("copytree: %v", err)
		}
	}
}

func TestParsePlan(t *testing.T) {
	tests := []struct {
		args []string
		want planOptions
		err  string
	}{
		{args: nil, want: planOptions{format: render.FormatHuman, maxDeletes: -1, api: planner.APIAuto, state: stateFlags{lock: true}}},
		{
			args: []string{"-out=p.plan", "-detailed-exitcode", "-json", "-no-color", "-target=Account.acme", "-target", `Account.country["DE"]`, "-target=Contact",
				"-max-deletes=3", "-api=bulk", "-var", "region=EU", "-var-file=prod.vars.hcl", "-state=s.json", "-lock=false", "-lock-timeout=30s", "-sf-org=dev"},
			want: planOptions{
				vars:       []hcl.VarInput{{Arg: "region=EU"}, {File: true, Arg: "prod.vars.hcl"}},
				out:        "p.plan",
				detailed:   true,
				format:     render.FormatJSON,
				noColor:    true,
				targets:    []string{"Account.acme", `Account.country["DE"]`, "Contact"},
				maxDeletes: 3,
				api:        planner.APIBulkOnly,
				state:      stateFlags{path: "s.json", lock: false, lockTimeout: 30e9},
				org:        orgOptions{sfOrg: "dev"},
			},
		},
		{args: []string{"-markdown", "-api=rest"}, want: planOptions{format: render.FormatMarkdown, maxDeletes: -1, api: planner.APIRESTOnly, state: stateFlags{lock: true}}},
		{args: []string{"-json", "-markdown"}, err: "-json and -markdown cannot be used together"},
		{args: []string{"-api=soap"}, err: `-api "soap": want auto, bulk or rest`},
		{args: []string{"-max-deletes=-2"}, err: "-max-deletes=-2"},
		{args: []string{"-out="}, err: "-out needs a file name"},
		{args: []string{"-target=Account.acme["}, err: "parse address"},
		{args: []string{`-target=Account["a.b"]`, `-target=Account[Id="001000000000001AAA"]`},
			want: planOptions{format: render.FormatHuman, maxDeletes: -1, api: planner.APIAuto, state: stateFlags{lock: true},
				targets: []string{`Account["a.b"]`, `Account[Id="001000000000001AAA"]`}}},
		{args: []string{`-target=Account[Id="nope"]`}, err: "nope is not a Salesforce Id"},
		{args: []string{"-target="}, err: "-target needs an address"},
		{args: []string{"extra"}, err: "plan takes no arguments"},
		{args: []string{"-bogus"}, err: "flag provided but not defined: -bogus"},
	}
	for _, tt := range tests {
		got, err := parsePlan(tt.args)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parsePlan(%q) = %v, want error containing %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parsePlan(%q): %v", tt.args, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(planOptions{}, stateFlags{}, orgOptions{})); diff != "" {
			t.Errorf("parsePlan(%q) (-want +got):\n%s", tt.args, diff)
		}
	}
}

func TestParseShow(t *testing.T) {
	tests := []struct {
		args []string
		want showOptions
		err  string
	}{
		{args: []string{"p.plan"}, want: showOptions{file: "p.plan", format: render.FormatHuman}},
		{args: []string{"-json", "p.plan"}, want: showOptions{file: "p.plan", format: render.FormatJSON}},
		{args: []string{"p.plan", "-markdown", "-no-color"}, want: showOptions{file: "p.plan", format: render.FormatMarkdown, noColor: true}},
		{args: nil, err: "show needs the file of a saved plan"},
		{args: []string{"a", "b"}, err: "show takes one file"},
		{args: []string{"-json", "-markdown", "p"}, err: "cannot be used together"},
	}
	for _, tt := range tests {
		got, err := parseShow(tt.args)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseShow(%q) = %v, want error containing %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseShow(%q): %v", tt.args, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(showOptions{})); diff != "" {
			t.Errorf("parseShow(%q) (-want +got):\n%s", tt.args, diff)
		}
	}
}
