package command

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseGlobal(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    globalOptions
		wantErr bool
	}{
		{args: nil, want: globalOptions{}},
		{args: []string{"plan"}, want: globalOptions{rest: []string{"plan"}}},
		{args: []string{"-chdir=ex", "plan", "-out=p"}, want: globalOptions{chdir: "ex", rest: []string{"plan", "-out=p"}}},
		{args: []string{"-chdir", "ex", "-no-color", "apply"}, want: globalOptions{chdir: "ex", noColor: true, rest: []string{"apply"}}},
		{args: []string{"-help"}, want: globalOptions{help: true}},
		{args: []string{"-version"}, want: globalOptions{version: true}},
		{args: []string{"-bogus"}, wantErr: true},
	} {
		got, err := parseGlobal(tc.args)
		if (err != nil) != tc.wantErr {
			t.Errorf("parseGlobal(%q) error = %v, wantErr %v", tc.args, err, tc.wantErr)
			continue
		}
		if tc.wantErr {
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(globalOptions{}), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("parseGlobal(%q) mismatch (-want +got):\n%s", tc.args, diff)
		}
	}
}

func TestLookupLongestPrefix(t *testing.T) {
	saved := registry
	defer func() { registry = saved }()
	registry = map[string]*Command{}
	register(&Command{Name: "state"})
	register(&Command{Name: "state list"})

	c, rest := lookup([]string{"state", "list", "-json"})
	if c == nil || c.Name != "state list" || len(rest) != 1 || rest[0] != "-json" {
		t.Fatalf("lookup = %v, %q", c, rest)
	}
	c, rest = lookup([]string{"state", "pull"})
	if c == nil || c.Name != "state" || len(rest) != 1 || rest[0] != "pull" {
		t.Fatalf("lookup = %v, %q", c, rest)
	}
	if c, _ := lookup([]string{"nope"}); c != nil {
		t.Fatalf("lookup(nope) = %v", c)
	}
}
