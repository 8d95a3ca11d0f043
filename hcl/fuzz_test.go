package hcl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	"github.com/zclconf/go-cty/cty"
)

// FuzzLoad feeds arbitrary configuration text to the loader: it must
// never panic, and a configuration it accepts must render, stream its CSV
// rows and evaluate its deferred values. The seed corpus is every example
// and every invalid configuration under testdata.
//
//	go test ./hcl -run '^$' -fuzz FuzzLoad -fuzztime 60s
func FuzzLoad(f *testing.F) {
	for _, name := range exampleDirs(f) {
		files, _ := filepath.Glob(filepath.Join("..", "examples", name, "*.sfsync.hcl"))
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(string(b))
		}
	}
	archives, _ := filepath.Glob("testdata/invalid/*.txtar")
	for _, p := range archives {
		ar, err := txtar.ParseFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range ar.Files {
			if strings.HasSuffix(file.Name, ".sfsync.hcl") {
				f.Add(string(file.Data))
			}
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		// Device files could block a read forever; they are not what this
		// target is about.
		if strings.Contains(src, "/dev") || strings.Contains(src, "/proc") {
			t.Skip()
		}
		dir := t.TempDir()
		for name, body := range map[string]string{
			"contacts.csv": "Email,LastName,Account.AccountNumber\nann@x.example,Ann,ACME-001\n",
			"products.csv": "ProductCode,Name\nGADGET-1,Gadget\n",
			"notes.txt":    "hello\n",
		} {
			os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
		}
		cfg, diags := LoadSources(dir, map[string][]byte{"main.sfsync.hcl": []byte(src)}, LoadOptions{})
		_ = renderDiags(cfg, diags)
		_ = JSON(cfg.Sources(diags), diags)
		if diags.HasErrors() {
			return
		}
		_ = dump(cfg)
		res := cfg.NewResolver(func(Ref) cty.Value { return cty.StringVal("001000000000001AAA") })
		for _, o := range cfg.Objects {
			for _, r := range o.Records {
				for i := range r.Fields {
					if d := r.Fields[i].Deferred; d != nil {
						res.Eval(d)
					}
				}
			}
		}
	})
}
