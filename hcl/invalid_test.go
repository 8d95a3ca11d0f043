package hcl

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/rogpeppe/go-internal/txtar"
)

// invalidCase is one configuration under testdata/invalid: the files of a
// configuration directory in a txtar archive whose comment holds its
// inputs and the located diagnostics it must produce:
//
//	var: NAME=VALUE          a -var flag
//	varfile: PATH            a -var-file
//	env: SFSYNC_VAR_x=VALUE  an environment variable
//	want: FILE:LINE,COL Summary of the diagnostic (or "want: - Summary" when it has no location)
type invalidCase struct {
	opts  LoadOptions
	wants []string
}

func parseInvalidCase(t *testing.T, comment string) invalidCase {
	var c invalidCase
	env := map[string]string{}
	for _, line := range strings.Split(comment, "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		switch k {
		case "var":
			c.opts.Vars = append(c.opts.Vars, VarInput{Arg: v})
		case "varfile":
			c.opts.Vars = append(c.opts.Vars, VarInput{File: true, Arg: v})
		case "env":
			name, val, _ := strings.Cut(v, "=")
			env[name] = val
		case "want":
			c.wants = append(c.wants, v)
		default:
			t.Fatalf("unknown comment line %q", line)
		}
	}
	c.opts.Getenv = func(k string) string { return env[k] }
	return c
}

func describeDiag(d *hclv2.Diagnostic) string {
	if d.Subject == nil {
		return "- " + d.Summary
	}
	return fmt.Sprintf("%s:%d,%d %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, d.Summary)
}

// TestInvalid loads every invalid configuration: none panics, each
// reports the located diagnostics its comment names, and the rendered
// diagnostics (with snippets) match the golden file.
func TestInvalid(t *testing.T) {
	paths, err := filepath.Glob("testdata/invalid/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 30 {
		t.Fatalf("only %d invalid configurations", len(paths))
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".txtar")
		t.Run(name, func(t *testing.T) {
			ar, err := txtar.ParseFile(p)
			if err != nil {
				t.Fatal(err)
			}
			c := parseInvalidCase(t, string(ar.Comment))
			dir := t.TempDir()
			for _, f := range ar.Files {
				if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cfg, diags := Load(dir, c.opts)
			if !diags.HasErrors() {
				t.Fatalf("no error; diagnostics:\n%s", renderDiags(cfg, diags))
			}
			var got []string
			for _, d := range diags {
				got = append(got, describeDiag(d))
			}
			if len(c.wants) == 0 {
				t.Errorf("the case names no wanted diagnostic; got:\n  want: %s", strings.Join(got, "\n  want: "))
			}
			for _, w := range c.wants {
				found := false
				for _, g := range got {
					if g == w {
						found = true
					}
				}
				if !found {
					t.Errorf("missing diagnostic %q; got:\n  %s", w, strings.Join(got, "\n  "))
				}
			}
			out := strings.ReplaceAll(renderDiags(cfg, diags), dir, "$DIR")
			golden(t, filepath.Join("testdata", "invalid", name+".golden"), []byte(out))
		})
	}
}
