package hcl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// TestFormatGolden formats the inputs under testdata/fmt and compares with
// the golden output; formatting the output again changes nothing.
func TestFormatGolden(t *testing.T) {
	paths, _ := filepath.Glob("testdata/fmt/*.sfsync.hcl")
	if len(paths) == 0 {
		t.Fatal("no inputs")
	}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out, diags := Format(src, p)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", p, diags.Error())
		}
		golden(t, strings.TrimSuffix(p, ".sfsync.hcl")+".golden", out)
		again, _ := Format(out, p)
		if string(again) != string(out) {
			t.Errorf("%s: formatting is not idempotent:\n%s", p, again)
		}
	}
}

// TestFormatIdempotent checks that every example is already formatted and
// that formatting any parsable test configuration twice equals once.
func TestFormatIdempotent(t *testing.T) {
	for _, name := range exampleDirs(t) {
		files, _ := filepath.Glob(filepath.Join("..", "examples", name, "*.hcl"))
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out, diags := Format(src, f)
			if diags.HasErrors() {
				t.Fatalf("%s: %s", f, diags.Error())
			}
			if string(out) != string(src) {
				t.Errorf("%s is not formatted; run sfsync fmt -recursive examples", f)
			}
		}
	}
	archives, _ := filepath.Glob("testdata/invalid/*.txtar")
	n := 0
	for _, p := range archives {
		ar, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ar.Files {
			if !strings.HasSuffix(f.Name, ".hcl") {
				continue
			}
			once, diags := Format(f.Data, f.Name)
			if diags.HasErrors() {
				continue // syntax_error
			}
			twice, _ := Format(once, f.Name)
			if string(once) != string(twice) {
				t.Errorf("%s %s: not idempotent", p, f.Name)
			}
			n++
		}
	}
	if n < 30 {
		t.Errorf("only %d configurations checked", n)
	}
}

func TestFormatRefusesInvalidSyntax(t *testing.T) {
	out, diags := Format([]byte("object \"A\" {\n  key = [\"a\" \"b\"]\n}\n"), "x.sfsync.hcl")
	if !diags.HasErrors() || out != nil {
		t.Fatalf("Format of invalid syntax = %q, %v", out, diags)
	}
	if got := diags[0].Subject.Start.Line; got != 2 {
		t.Errorf("error on line %d, want 2", got)
	}
}
