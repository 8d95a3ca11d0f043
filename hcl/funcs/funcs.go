// Package funcs is the function library of sfsync's configuration language:
// go-cty's standard library plus the functions people know from Terraform
// that it lacks — file, templatefile, the hash and encoding functions —
// under their Terraform names.
//
// Every function is deterministic: the same configuration and files give the
// same values at plan and at apply, so nothing here reads a clock, draws a
// random number or looks at the machine it runs on.
package funcs

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// Table returns the functions for a configuration in dir. Relative paths
// given to file functions are resolved against dir; read, when not nil, is
// called with the absolute path of every file a function reads, so that the
// caller can record it as an input.
func Table(dir string, read func(path string)) map[string]function.Function {
	fs := fileFuncs{dir: dir, read: read}
	t := map[string]function.Function{
		// Numbers.
		"abs":      stdlib.AbsoluteFunc,
		"ceil":     stdlib.CeilFunc,
		"floor":    stdlib.FloorFunc,
		"log":      stdlib.LogFunc,
		"max":      stdlib.MaxFunc,
		"min":      stdlib.MinFunc,
		"parseint": stdlib.ParseIntFunc,
		"pow":      stdlib.PowFunc,
		"signum":   stdlib.SignumFunc,
		"sum":      sumFunc,

		// Strings.
		"chomp":       stdlib.ChompFunc,
		"endswith":    endsWithFunc,
		"format":      stdlib.FormatFunc,
		"formatlist":  stdlib.FormatListFunc,
		"indent":      stdlib.IndentFunc,
		"join":        stdlib.JoinFunc,
		"lower":       stdlib.LowerFunc,
		"regex":       stdlib.RegexFunc,
		"regexall":    stdlib.RegexAllFunc,
		"replace":     stdlib.ReplaceFunc,
		"split":       stdlib.SplitFunc,
		"startswith":  startsWithFunc,
		"strcontains": strContainsFunc,
		"strrev":      stdlib.ReverseFunc,
		"substr":      stdlib.SubstrFunc,
		"title":       stdlib.TitleFunc,
		"trim":        stdlib.TrimFunc,
		"trimprefix":  stdlib.TrimPrefixFunc,
		"trimspace":   stdlib.TrimSpaceFunc,
		"trimsuffix":  stdlib.TrimSuffixFunc,
		"upper":       stdlib.UpperFunc,

		// Collections.
		"alltrue":         allTrueFunc,
		"anytrue":         anyTrueFunc,
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        stdlib.CoalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"flatten":         stdlib.FlattenFunc,
		"index":           stdlib.IndexFunc,
		"keys":            stdlib.KeysFunc,
		"length":          stdlib.LengthFunc,
		"lookup":          stdlib.LookupFunc,
		"merge":           stdlib.MergeFunc,
		"one":             oneFunc,
		"range":           stdlib.RangeFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setproduct":      stdlib.SetProductFunc,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        stdlib.SetUnionFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,

		// Encoding.
		"base64decode": base64DecodeFunc,
		"base64encode": base64EncodeFunc,
		"csvdecode":    stdlib.CSVDecodeFunc,
		"jsondecode":   stdlib.JSONDecodeFunc,
		"jsonencode":   stdlib.JSONEncodeFunc,
		"urlencode":    urlEncodeFunc,

		// Hashes.
		"md5":    hashFunc(md5.New),
		"sha1":   hashFunc(sha1.New),
		"sha256": hashFunc(sha256.New),
		"sha512": hashFunc(sha512.New),

		// Dates: deterministic, from a given timestamp (no clock).
		"formatdate": stdlib.FormatDateFunc,
		"timeadd":    stdlib.TimeAddFunc,

		// Types.
		"tobool":   stdlib.MakeToFunc(cty.Bool),
		"tolist":   stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":    stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber": stdlib.MakeToFunc(cty.Number),
		"toset":    stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tostring": stdlib.MakeToFunc(cty.String),
		"try":      tryfunc.TryFunc,
		"can":      tryfunc.CanFunc,

		// Files.
		"file":       fs.file(),
		"filebase64": fs.fileBase64(),
		"fileexists": fs.fileExists(),
	}
	// templatefile renders with every other function, but not itself: a
	// template that renders templates could recurse without end.
	inner := make(map[string]function.Function, len(t))
	for k, v := range t {
		inner[k] = v
	}
	t["templatefile"] = fs.templateFile(inner)
	return t
}

type fileFuncs struct {
	dir  string
	read func(string)
}

func (f fileFuncs) path(p string) string {
	if !filepath.IsAbs(p) {
		p = filepath.Join(f.dir, p)
	}
	return filepath.Clean(p)
}

func (f fileFuncs) readFile(p string) ([]byte, error) {
	abs := f.path(p)
	b, err := os.ReadFile(abs)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("no file %s (paths are relative to the configuration directory)", p)
		}
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if f.read != nil {
		f.read(abs)
	}
	return b, nil
}

func (f fileFuncs) file() function.Function {
	return function.New(&function.Spec{
		Description: "Reads a UTF-8 text file, relative to the configuration directory.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		RefineResult: func(b *cty.RefinementBuilder) *cty.RefinementBuilder {
			return b.NotNull()
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			b, err := f.readFile(args[0].AsString())
			if err != nil {
				return cty.UnknownVal(cty.String), function.NewArgError(0, err)
			}
			if !utf8.Valid(b) {
				return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "%s is not UTF-8 text; use filebase64 for binary files", args[0].AsString())
			}
			return cty.StringVal(string(b)), nil
		},
	})
}

func (f fileFuncs) fileBase64() function.Function {
	return function.New(&function.Spec{
		Description: "Reads a file and returns its bytes in base64.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			b, err := f.readFile(args[0].AsString())
			if err != nil {
				return cty.UnknownVal(cty.String), function.NewArgError(0, err)
			}
			return cty.StringVal(base64.StdEncoding.EncodeToString(b)), nil
		},
	})
}

func (f fileFuncs) fileExists() function.Function {
	return function.New(&function.Spec{
		Description: "Reports whether a file exists, relative to the configuration directory.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			fi, err := os.Stat(f.path(args[0].AsString()))
			if err != nil {
				if os.IsNotExist(err) {
					return cty.False, nil
				}
				return cty.UnknownVal(cty.Bool), function.NewArgError(0, err)
			}
			if !fi.Mode().IsRegular() {
				return cty.UnknownVal(cty.Bool), function.NewArgErrorf(0, "%s is not a regular file", args[0].AsString())
			}
			return cty.True, nil
		},
	})
}

func (f fileFuncs) templateFile(funcs map[string]function.Function) function.Function {
	return function.New(&function.Spec{
		Description: "Renders a template file with the given variables.",
		Params: []function.Parameter{
			{Name: "path", Type: cty.String},
			{Name: "vars", Type: cty.DynamicPseudoType},
		},
		Type: function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			name := args[0].AsString()
			vars := args[1]
			if vars.IsNull() || !(vars.Type().IsObjectType() || vars.Type().IsMapType()) {
				return cty.UnknownVal(cty.String), function.NewArgErrorf(1, "the template's variables are a map or an object")
			}
			if !vars.IsWhollyKnown() {
				return cty.UnknownVal(cty.String), nil
			}
			src, err := f.readFile(name)
			if err != nil {
				return cty.UnknownVal(cty.String), function.NewArgError(0, err)
			}
			expr, diags := hclsyntax.ParseTemplate(src, name, hclv2.InitialPos)
			if diags.HasErrors() {
				return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "template %s: %s", name, diags.Error())
			}
			m := map[string]cty.Value{}
			for it := vars.ElementIterator(); it.Next(); {
				k, v := it.Element()
				if !hclsyntax.ValidIdentifier(k.AsString()) {
					return cty.UnknownVal(cty.String), function.NewArgErrorf(1, "template variable %q is not a valid name", k.AsString())
				}
				m[k.AsString()] = v
			}
			for _, t := range expr.Variables() {
				if _, ok := m[t.RootName()]; !ok {
					r := t.SourceRange()
					return cty.UnknownVal(cty.String), function.NewArgErrorf(1, "template %s line %d uses %q, which the variables do not define", name, r.Start.Line, t.RootName())
				}
			}
			v, diags := expr.Value(&hclv2.EvalContext{Variables: m, Functions: funcs})
			if diags.HasErrors() {
				return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "template %s: %s", name, diags.Error())
			}
			sv, err := convert.Convert(v, cty.String)
			if err != nil {
				return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "template %s does not render a string: %s", name, err)
			}
			return sv, nil
		},
	})
}

var base64EncodeFunc = function.New(&function.Spec{
	Description: "Encodes a string's UTF-8 bytes in base64.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(base64.StdEncoding.EncodeToString([]byte(args[0].AsString()))), nil
	},
})

var base64DecodeFunc = function.New(&function.Spec{
	Description: "Decodes base64 into a UTF-8 string.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		b, err := base64.StdEncoding.DecodeString(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "not base64: %s", err)
		}
		if !utf8.Valid(b) {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "the decoded bytes are not UTF-8 text")
		}
		return cty.StringVal(string(b)), nil
	},
})

var urlEncodeFunc = function.New(&function.Spec{
	Description: "Escapes a string for a URL query.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(url.QueryEscape(args[0].AsString())), nil
	},
})

func hashFunc(h func() hash.Hash) function.Function {
	return function.New(&function.Spec{
		Description: "Hashes a string's UTF-8 bytes and returns the hex digest.",
		Params:      []function.Parameter{{Name: "str", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			d := h()
			d.Write([]byte(args[0].AsString()))
			return cty.StringVal(hex.EncodeToString(d.Sum(nil))), nil
		},
	})
}

func stringPredicate(desc string, f func(s, sub string) bool) function.Function {
	return function.New(&function.Spec{
		Description: desc,
		Params:      []function.Parameter{{Name: "str", Type: cty.String}, {Name: "sub", Type: cty.String}},
		Type:        function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(f(args[0].AsString(), args[1].AsString())), nil
		},
	})
}

var (
	startsWithFunc  = stringPredicate("Reports whether str begins with sub.", strings.HasPrefix)
	endsWithFunc    = stringPredicate("Reports whether str ends with sub.", strings.HasSuffix)
	strContainsFunc = stringPredicate("Reports whether str contains sub.", strings.Contains)
)

func boolListFunc(desc string, want bool) function.Function {
	return function.New(&function.Spec{
		Description: desc,
		Params:      []function.Parameter{{Name: "list", Type: cty.List(cty.Bool)}},
		Type:        function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			for it := args[0].ElementIterator(); it.Next(); {
				_, v := it.Element()
				if v.IsNull() {
					return cty.UnknownVal(cty.Bool), function.NewArgErrorf(0, "the list holds a null")
				}
				if v.True() == want {
					return cty.BoolVal(want), nil
				}
			}
			return cty.BoolVal(!want), nil
		},
	})
}

var (
	allTrueFunc = boolListFunc("Reports whether every element is true (true for an empty list).", false)
	anyTrueFunc = boolListFunc("Reports whether any element is true (false for an empty list).", true)
)

var sumFunc = function.New(&function.Spec{
	Description: "Adds up a list of numbers.",
	Params:      []function.Parameter{{Name: "list", Type: cty.List(cty.Number)}},
	Type:        function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if args[0].LengthInt() == 0 {
			return cty.UnknownVal(cty.Number), function.NewArgErrorf(0, "cannot sum an empty list")
		}
		total := new(big.Float)
		for it := args[0].ElementIterator(); it.Next(); {
			_, v := it.Element()
			if v.IsNull() {
				return cty.UnknownVal(cty.Number), function.NewArgErrorf(0, "the list holds a null")
			}
			total.Add(total, v.AsBigFloat())
		}
		return cty.NumberVal(total), nil
	},
})

var oneFunc = function.New(&function.Spec{
	Description: "Returns the only element of a list or set, or null when it is empty.",
	Params:      []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty := args[0].Type()
		switch {
		case ty == cty.DynamicPseudoType:
			return cty.DynamicPseudoType, nil
		case ty.IsListType() || ty.IsSetType():
			return ty.ElementType(), nil
		case ty.IsTupleType():
			ets := ty.TupleElementTypes()
			switch len(ets) {
			case 0:
				return cty.DynamicPseudoType, nil
			case 1:
				return ets[0], nil
			}
			return cty.NilType, function.NewArgErrorf(0, "the list has %d elements; one holds at most one", len(ets))
		}
		return cty.NilType, function.NewArgErrorf(0, "one takes a list or a set")
	},
	Impl: func(args []cty.Value, ret cty.Type) (cty.Value, error) {
		v := args[0]
		if v.IsNull() {
			return cty.NilVal, function.NewArgErrorf(0, "the list is null")
		}
		switch n := v.LengthInt(); n {
		case 0:
			return cty.NullVal(ret), nil
		case 1:
			it := v.ElementIterator()
			it.Next()
			_, e := it.Element()
			return e, nil
		default:
			return cty.NilVal, function.NewArgErrorf(0, "the list has %d elements; one holds at most one", n)
		}
	},
})
