package command

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sfsync/sfsync/hcl"
)

func init() {
	// jsonfield FILE FIELD VAR sets $VAR to the top-level field FIELD of
	// the JSON object in FILE (a state file's lineage, say).
	scriptCmds["jsonfield"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 3 {
			ts.Fatalf("usage: jsonfield FILE FIELD VAR")
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &m); err != nil {
			ts.Fatalf("jsonfield: %s: %v", args[0], err)
		}
		v, ok := m[args[1]]
		if !ok {
			ts.Fatalf("jsonfield: %s has no field %q", args[0], args[1])
		}
		ts.Setenv(args[2], fmt.Sprint(v))
	}
}

func TestParseStateRebind(t *testing.T) {
	tests := []struct {
		args []string
		want rebindOptions
		err  string
	}{
		{args: nil, want: rebindOptions{state: stateFlags{lock: true}}},
		{
			args: []string{"-auto-approve", "-var-file=envs/uat.vars.hcl", "-state=states/uat.json", "-lock-timeout=1m", "-sf-org=acme-uat"},
			want: rebindOptions{autoApprove: true, vars: []hcl.VarInput{{File: true, Arg: "envs/uat.vars.hcl"}},
				state: stateFlags{path: "states/uat.json", lock: true, lockTimeout: 60e9}, org: orgOptions{sfOrg: "acme-uat"}},
		},
		{args: []string{"Account.acme"}, err: "state rebind takes no arguments"},
		{args: []string{"-yes"}, err: "flag provided but not defined: -yes"},
	}
	for _, tt := range tests {
		got, err := parseStateRebind(tt.args)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseStateRebind(%q) = %v, want error containing %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseStateRebind(%q): %v", tt.args, err)
			continue
		}
		if d := cmp.Diff(tt.want, got, cmp.AllowUnexported(rebindOptions{}, stateFlags{}, orgOptions{})); d != "" {
			t.Errorf("parseStateRebind(%q) (-want +got):\n%s", tt.args, d)
		}
	}
}
