package command

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sfsync/sfsync/generate"
	"github.com/sfsync/sfsync/hcl"
)

func TestParseGenerate(t *testing.T) {
	tests := []struct {
		args []string
		want generateOptions
		err  string
	}{
		{
			args: []string{"-object", "Account", "-where", "Type = 'Partner'", "-key", "AccountNumber", "-object=Contact", "-key=Email", "-fields", "LastName, AccountId,", "-out=x.sfsync.hcl", "-adopt", "-var", "a=b", "-state=s.json"},
			want: generateOptions{
				objects: []generate.Spec{
					{Object: "Account", Where: "Type = 'Partner'", Key: []string{"AccountNumber"}},
					{Object: "Contact", Key: []string{"Email"}, Fields: []string{"LastName", "AccountId"}},
				},
				out: "x.sfsync.hcl", adopt: true, vars: []hcl.VarInput{{Arg: "a=b"}}, state: stateFlags{path: "s.json", lock: true},
			},
		},
		{args: []string{"-object", "PricebookEntry", "-sf-org", "dev"}, want: generateOptions{objects: []generate.Spec{{Object: "PricebookEntry"}}, state: stateFlags{lock: true}, org: orgOptions{sfOrg: "dev"}}},
		{args: nil, err: "generate needs -object NAME"},
		{args: []string{"-key", "Name", "-object", "Account"}, err: "-key comes after the -object it applies to"},
		{args: []string{"-object", "Account", "-key", "A", "-key", "B"}, err: "-key is given twice for -object Account"},
		{args: []string{"-object", "Account", "-fields", " , "}, err: "-fields needs one or more field names"},
		{args: []string{"-object", "Account", "-key", "AccountNumber,AccountNumber"}, err: "-key names AccountNumber twice for -object Account: give each field once"},
		{args: []string{"-object", "Account", "-fields", "Name, Site,name"}, err: "-fields names Name twice for -object Account (Name and name are the same field)"},
		{args: []string{"-object", ""}, err: "-object needs an sObject name"},
		{args: []string{"-object", "Bad Name"}, err: `-object: "Bad Name" is not an object API name`},
		{args: []string{"-object", "Account", "-key", "Owner.Name"}, err: `-key: "Owner.Name" is not a field API name`},
		{args: []string{"-object", "Account", "-adopt"}, err: "-adopt needs -out FILE"},
		{args: []string{"-object", "Account", "-adopt", "-out", "sub/a.sfsync.hcl"}, err: "in the working directory"},
		{args: []string{"-object", "Account", "-adopt", "-out", "a.hcl"}, err: "*.sfsync.hcl file"},
		{args: []string{"-object", "Account", "-out="}, err: "-out needs a file name"},
		{args: []string{"-object", "Account", "extra"}, err: "generate takes no arguments"},
	}
	for _, tt := range tests {
		got, err := parseGenerate(tt.args)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseGenerate(%q) = %v, want error containing %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseGenerate(%q): %v", tt.args, err)
			continue
		}
		if d := cmp.Diff(tt.want, got, cmp.AllowUnexported(generateOptions{}, stateFlags{}, orgOptions{})); d != "" {
			t.Errorf("parseGenerate(%q) (-want +got):\n%s", tt.args, d)
		}
	}
}

func init() {
	// maxchars FILE N fails unless FILE holds fewer than N characters
	// (runes, as GitHub counts a comment's length).
	scriptCmds["maxchars"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: maxchars FILE N")
		}
		n, err := strconv.Atoi(args[1])
		if err != nil {
			ts.Fatalf("maxchars: %v", err)
		}
		if got := utf8.RuneCountInString(ts.ReadFile(args[0])); got >= n {
			ts.Fatalf("%s has %d characters, want fewer than %d", args[0], got, n)
		}
	}
}
