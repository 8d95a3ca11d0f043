package funcs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

func eval(t *testing.T, table map[string]function.Function, src string) (cty.Value, hclv2.Diagnostics) {
	t.Helper()
	expr, diags := hclsyntax.ParseExpression([]byte(src), "test", hclv2.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse %s: %s", src, diags.Error())
	}
	return expr.Value(&hclv2.EvalContext{Functions: table})
}

func TestFunctions(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "note.txt"), []byte("hello\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "greet.tmpl"), []byte("Hi ${name}%{ for c in codes }, ${upper(c)}%{ endfor }"), 0o644)
	os.WriteFile(filepath.Join(dir, "bad.tmpl"), []byte("${missing}"), 0o644)
	os.WriteFile(filepath.Join(dir, "bin"), []byte{0xff, 0xfe}, 0o644)
	var read []string
	table := Table(dir, func(p string) { read = append(read, filepath.Base(p)) })

	for _, tc := range []struct {
		src  string
		want cty.Value
	}{
		{`file("note.txt")`, cty.StringVal("hello\n")},
		{`fileexists("note.txt")`, cty.True},
		{`fileexists("nope.txt")`, cty.False},
		{`filebase64("bin")`, cty.StringVal("//4=")},
		{`templatefile("greet.tmpl", { name = "Ann", codes = ["de", "fr"] })`, cty.StringVal("Hi Ann, DE, FR")},
		{`sha256("abc")`, cty.StringVal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")},
		{`sha1("abc")`, cty.StringVal("a9993e364706816aba3e25717850c26c9cd0d89d")},
		{`md5("abc")`, cty.StringVal("900150983cd24fb0d6963f7d28e17f72")},
		{`base64encode("Acme ✓")`, cty.StringVal("QWNtZSDinJM=")},
		{`base64decode("QWNtZSDinJM=")`, cty.StringVal("Acme ✓")},
		{`urlencode("a b&c")`, cty.StringVal("a+b%26c")},
		{`jsonencode({ a = 1 })`, cty.StringVal(`{"a":1}`)},
		{`jsondecode("[1, 2]")[1]`, cty.NumberIntVal(2)},
		{`csvdecode("code,name\nDE,Germany\n")[0].name`, cty.StringVal("Germany")},
		{`startswith("Acme", "Ac")`, cty.True},
		{`endswith("Acme", "x")`, cty.False},
		{`strcontains("Acme", "cm")`, cty.True},
		{`alltrue([true, true])`, cty.True},
		{`anytrue([false, false])`, cty.False},
		{`sum([1, 2, 3.5])`, cty.NumberFloatVal(6.5)},
		{`one(["x"])`, cty.StringVal("x")},
		{`one([])`, cty.NullVal(cty.DynamicPseudoType)},
		{`try(jsondecode("{"), "fallback")`, cty.StringVal("fallback")},
		{`formatdate("YYYY-MM-DD", "2024-03-01T10:00:00Z")`, cty.StringVal("2024-03-01")},
		{`upper(trimspace("  acme "))`, cty.StringVal("ACME")},
		{`tostring(12)`, cty.StringVal("12")},
	} {
		got, diags := eval(t, table, tc.src)
		if diags.HasErrors() {
			t.Errorf("%s: %s", tc.src, diags.Error())
			continue
		}
		if !got.RawEquals(tc.want) && !(got.Type() == cty.Number && got.Equals(tc.want).True()) {
			t.Errorf("%s = %#v, want %#v", tc.src, got, tc.want)
		}
	}
	if strings.Join(read, ",") != "note.txt,bin,greet.tmpl" {
		t.Errorf("files read = %v", read)
	}

	for _, tc := range []struct{ src, want string }{
		{`file("nope.txt")`, "no file nope.txt"},
		{`file("bin")`, "not UTF-8 text"},
		{`templatefile("bad.tmpl", {})`, `uses "missing", which the variables do not define`},
		{`base64decode("!!")`, "not base64"},
		{`one(["a", "b"])`, "one holds at most one"},
		{`timestamp()`, "There is no function named \"timestamp\""},
		{`uuid()`, "There is no function named \"uuid\""},
		{`templatefile("greet.tmpl", { name = templatefile("x", {}), codes = [] })`, "no file x"},
	} {
		_, diags := eval(t, table, tc.src)
		if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.src, diags, tc.want)
		}
	}
}
