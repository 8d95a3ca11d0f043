package command

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sfsync/sfsync/hcl"
)

func TestParseValidate(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    validateOptions
		wantErr string
	}{
		{args: nil, want: validateOptions{}},
		{args: []string{"-json"}, want: validateOptions{json: true}},
		{
			args: []string{"-var", "region=EU", "-var-file=prod.hcl", "-var=codes=[\"DE\"]"},
			want: validateOptions{vars: []hcl.VarInput{{Arg: "region=EU"}, {File: true, Arg: "prod.hcl"}, {Arg: `codes=["DE"]`}}},
		},
		{args: []string{"-var", "region"}, wantErr: `invalid value "region" for flag -var: -var "region": want NAME=VALUE`},
		{args: []string{"-var", "1x=2"}, wantErr: `invalid value "1x=2" for flag -var: -var "1x=2": "1x" is not a valid variable name`},
		{args: []string{"-var-file="}, wantErr: `invalid value "" for flag -var-file: -var-file needs a file name`},
		{args: []string{"dir"}, wantErr: "validate takes no arguments (use -chdir=DIR to validate another directory): dir"},
		{args: []string{"-bogus"}, wantErr: "flag provided but not defined: -bogus"},
	} {
		got, err := parseValidate(tc.args)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("parseValidate(%q) error = %v, want %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseValidate(%q): %v", tc.args, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(validateOptions{}), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("parseValidate(%q) mismatch (-want +got):\n%s", tc.args, diff)
		}
	}
}

// TestExamplesValidate runs validate on every example the way its header
// comment says to (the "sfsync ... validate" line, with the environment
// variables written before it), or plainly when the header has no such
// line: the header must give everything validation needs.
func TestExamplesValidate(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "examples", "*", "main.sfsync.hcl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	line := regexp.MustCompile(`^#\s+((?:\w+=\S+\s+)*)sfsync\s+(.*\bvalidate\b.*)$`)
	for _, file := range files {
		name := filepath.Base(filepath.Dir(file))
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			args := []string{"-chdir=" + filepath.Join("examples", name), "validate"}
			vars := map[string]string{}
			for _, l := range strings.Split(string(src), "\n") {
				if !strings.HasPrefix(l, "#") {
					break // the header ends at the first line that is not a comment
				}
				if m := line.FindStringSubmatch(l); m != nil {
					args = strings.Fields(m[2])
					for _, kv := range strings.Fields(m[1]) {
						k, v, _ := strings.Cut(kv, "=")
						vars[k] = v
					}
				}
			}
			var out, errs strings.Builder
			env := &Env{Stdout: &out, Stderr: &errs, Dir: root, Getenv: func(k string) string { return vars[k] }}
			if code := Run(context.Background(), env, args); code != ExitOK || !strings.Contains(out.String(), "The configuration is valid") {
				t.Errorf("sfsync %s (env %v): exit %d\n%s%s", strings.Join(args, " "), vars, code, out.String(), errs.String())
			}
		})
	}
}
