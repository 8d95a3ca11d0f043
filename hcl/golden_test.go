package hcl

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// golden compares got with the file, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
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
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// renderDiags renders diagnostics as sfsync validate does, with snippets.
func renderDiags(cfg *Config, diags hclv2.Diagnostics) string {
	var b bytes.Buffer
	if err := WriteDiagnostics(&b, cfg.Sources(diags), diags, 100, false); err != nil {
		return "render: " + err.Error()
	}
	return b.String()
}

// dump renders the model the planner sees, deterministically.
func dump(cfg *Config) string {
	var b strings.Builder
	if o := cfg.Org; o != nil {
		fmt.Fprintf(&b, "org local=%q alias=%q instance_url=%q login_url=%q username=%q client_id=%q jwt_key_file=%q auth=%s api_version=%q bulk=%s\n",
			o.Local, o.Alias, o.InstanceURL, o.LoginURL, o.Username, o.ClientID, o.JWTKeyFile, o.Auth, o.APIVersion, o.Bulk)
		for _, s := range []struct {
			name string
			s    Secret
		}{{"password", o.Password}, {"security_token", o.SecurityToken}, {"client_secret", o.ClientSecret}, {"access_token", o.AccessToken}, {"refresh_token", o.RefreshToken}} {
			if s.s.IsSet() {
				fmt.Fprintf(&b, "  %s env=%q file=%q\n", s.name, s.s.Env, s.s.File)
			}
		}
	}
	if be := cfg.Backend; be != nil {
		fmt.Fprintf(&b, "backend %s path=%q conn_str=%q conn_str_env=%q schema=%q workspace=%q\n", be.Type, be.Path, be.ConnStr, be.ConnStrEnv, be.Schema, be.Workspace)
	}
	for _, v := range cfg.Variables {
		val := FormatValue(v.Value)
		if v.Sensitive {
			val = Redacted
		}
		fmt.Fprintf(&b, "variable %s type=%s sensitive=%v source=%s validations=%d value=%s\n", v.Name, v.Type.FriendlyName(), v.Sensitive, v.Source, len(v.Validations), val)
	}
	for _, l := range cfg.Locals {
		val := FormatValue(l.Value)
		if l.Sensitive {
			val = Redacted
		}
		fmt.Fprintf(&b, "local %s = %s\n", l.Name, val)
	}
	for _, d := range cfg.Data {
		fmt.Fprintf(&b, "data %s where=%q fields=%v\n", d.Addr(), d.Where, d.Fields)
	}
	for _, o := range cfg.Objects {
		fmt.Fprintf(&b, "object %s key=%v where=%q delete=%s ignore=%v max_deletes=%d replace=%v batch_size=%d\n",
			o.Name, o.Key, o.Where, o.Delete, o.Ignore, o.MaxDeletes, o.Replace, o.BatchSize)
		for _, r := range o.Records {
			fmt.Fprintf(&b, "  %s (%s)\n", r.Addr, r.Decl.DeclRange)
			for i := range r.Fields {
				f := &r.Fields[i]
				line := fmt.Sprintf("    %s = %s", f.Name(), f.FormatValue())
				if f.Deferred != nil {
					var refs []string
					for _, ref := range f.Deferred.Refs {
						refs = append(refs, ref.String())
					}
					bare := ""
					if _, ok := f.Deferred.Ref(); ok {
						bare = " bare"
					}
					line += fmt.Sprintf("  [deferred%s: %s]", bare, strings.Join(refs, ", "))
				}
				if f.Sensitive {
					line += "  [sensitive]"
				}
				fmt.Fprintln(&b, line)
			}
		}
		for _, s := range o.CSV {
			fmt.Fprintf(&b, "  records_csv %s rows=%d\n", s.Path, s.RowCount)
			for _, c := range s.Columns {
				fmt.Fprintf(&b, "    column %s field=%s", c.Name, c.Field)
				if c.Relationship != "" {
					fmt.Fprintf(&b, " relationship=%s parent_field=%s", c.Relationship, c.ParentField)
				}
				if c.Key {
					fmt.Fprint(&b, " key")
				}
				fmt.Fprintln(&b)
			}
			n := 0
			for row, diags := range s.Rows() {
				if diags != nil {
					fmt.Fprintf(&b, "    bad row: %s\n", diags[0].Detail)
					continue
				}
				if n++; n > 5 {
					fmt.Fprintln(&b, "    ...")
					break
				}
				var cells []string
				for i, c := range s.Columns {
					v, null := row.Value(i)
					if null {
						cells = append(cells, c.Name+"=null")
					} else {
						cells = append(cells, c.Name+"="+QuoteKey(v))
					}
				}
				fmt.Fprintf(&b, "    %s line %d: %s\n", row.Addr, row.Line, strings.Join(cells, " "))
			}
		}
	}
	edges := cfg.Edges()
	if len(edges) > 0 {
		fmt.Fprintln(&b, "edges:")
		for _, e := range edges {
			key := ""
			if e.Key {
				key = " (key)"
			}
			fmt.Fprintf(&b, "  %s.%s%s → %s\n", e.From, e.Field, key, e.To)
		}
	}
	for _, c := range cfg.Cycles() {
		var s []string
		for _, a := range c {
			s = append(s, a.String())
		}
		fmt.Fprintf(&b, "cycle: %s\n", strings.Join(s, ", "))
	}
	var inputs []string
	for _, in := range cfg.Inputs {
		rel, err := filepath.Rel(cfg.Dir, in)
		if err != nil {
			rel = in
		}
		inputs = append(inputs, filepath.ToSlash(rel))
	}
	sort.Strings(inputs)
	fmt.Fprintf(&b, "inputs: %s\n", strings.Join(inputs, " "))
	return b.String()
}

// exampleDirs lists the example configurations of the repository.
func exampleDirs(t testing.TB) []string {
	ents, err := os.ReadDir("../examples")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range ents {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 0 {
		t.Fatal("no examples")
	}
	return dirs
}

// TestExamples loads every example: each validates without errors or
// warnings, and its model matches the golden file.
func TestExamples(t *testing.T) {
	for _, name := range exampleDirs(t) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("..", "examples", name)
			opts := LoadOptions{}
			// An example's variable files (*.vars.hcl) are passed as -var-file.
			varFiles, _ := filepath.Glob(filepath.Join(dir, "*.vars.hcl"))
			for _, f := range varFiles {
				opts.Vars = append(opts.Vars, VarInput{File: true, Arg: filepath.Base(f)})
			}
			opts.Getenv = func(k string) string {
				if k == EnvVarPrefix+"api_key" {
					return "s3cret-from-env"
				}
				return ""
			}
			cfg, diags := Load(dir, opts)
			if len(diags) > 0 {
				t.Fatalf("examples/%s does not validate:\n%s", name, renderDiags(cfg, diags))
			}
			golden(t, filepath.Join("testdata", "examples", name+".golden"), []byte(dump(cfg)))
		})
	}
}

var _ = cty.NilVal
