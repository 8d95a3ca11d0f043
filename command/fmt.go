package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/rogpeppe/go-internal/diff"

	"github.com/sfsync/sfsync/hcl"
)

func init() {
	register(&Command{
		Name:     "fmt",
		Synopsis: "Rewrite configuration files in the canonical layout",
		Usage: `Usage: sfsync fmt [options] [PATH...]

Rewrites *.sfsync.hcl files in the canonical layout: indentation, aligned
equals signs, spacing. With no PATH it formats the working directory; a
directory PATH formats the *.sfsync.hcl files in it, a file PATH formats that
file whatever its name (variable files, for instance), and "-" formats
standard input to standard output. The names of rewritten files are printed.
Files that do not parse are reported and left alone. Formatting a formatted
file changes nothing.

Options:
  -check       change nothing; list the files that need formatting and exit
               with 1 if there are any (0 when all are formatted)
  -diff        print the changes as a unified diff
  -recursive   also format the directories below each directory (hidden
               directories such as .sfsync and .git are skipped)

Exit codes: 0 success (with -check: every file is formatted); 1 a file does
not parse, cannot be read or written, or (with -check) needs formatting.`,
		Run: runFmt,
	})
}

type fmtOptions struct {
	check     bool
	diff      bool
	recursive bool
	paths     []string
}

// parseFmt parses fmt's arguments. It does no I/O.
func parseFmt(args []string) (fmtOptions, error) {
	var o fmtOptions
	fs := flag.NewFlagSet("fmt", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&o.check, "check", false, "")
	fs.BoolVar(&o.diff, "diff", false, "")
	fs.BoolVar(&o.recursive, "recursive", false, "")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.paths = fs.Args()
	for _, p := range o.paths {
		if strings.HasPrefix(p, "-") && p != "-" {
			return o, fmt.Errorf("flags come before paths: %s", p)
		}
	}
	return o, nil
}

func runFmt(ctx context.Context, env *Env, args []string) int {
	o, err := parseFmt(args)
	if err != nil {
		return usageError(env, "fmt", err)
	}
	if len(o.paths) == 0 {
		o.paths = []string{"."}
	}
	files := map[string]*hclv2.File{}
	var diags hclv2.Diagnostics
	failed, unformatted := false, false
	for _, p := range o.paths {
		if p == "-" {
			src, err := io.ReadAll(env.Stdin)
			if err != nil {
				env.Errorf("fmt: read standard input: %v", err)
				return ExitError
			}
			out, ds := hcl.Format(src, "<stdin>")
			if ds.HasErrors() {
				files["<stdin>"] = &hclv2.File{Bytes: src}
				diags = append(diags, ds...)
				continue
			}
			changed := string(out) != string(src)
			unformatted = unformatted || changed
			switch {
			case o.diff:
				env.Stdout.Write(diff.Diff("<stdin>", src, "<stdin>", out))
			case !o.check:
				env.Stdout.Write(out)
			}
			continue
		}
		names, err := fmtFiles(env.Path(p), o.recursive)
		if err != nil {
			env.Errorf("fmt: %v", err)
			failed = true
			continue
		}
		for _, abs := range names {
			name := displayPath(env.Dir, abs)
			src, err := os.ReadFile(abs)
			if err != nil {
				env.Errorf("fmt: %v", err)
				failed = true
				continue
			}
			out, ds := hcl.Format(src, name)
			if ds.HasErrors() {
				files[name] = &hclv2.File{Bytes: src}
				diags = append(diags, ds...)
				continue
			}
			if string(out) == string(src) {
				continue
			}
			unformatted = true
			fmt.Fprintln(env.Stdout, name)
			if o.diff {
				env.Stdout.Write(diff.Diff(name, src, name, out))
			}
			if !o.check {
				if err := writeFileKeepMode(abs, out); err != nil {
					env.Errorf("fmt: %v", err)
					failed = true
				}
			}
		}
	}
	if len(diags) > 0 {
		hcl.WriteDiagnostics(env.Stderr, files, diags, 78, env.Color)
		failed = true
	}
	if failed || (o.check && unformatted) {
		return ExitError
	}
	return ExitOK
}

// fmtFiles lists the files a fmt path names.
func fmtFiles(path string, recursive bool) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no file or directory %s", path)
		}
		return nil, err
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	var out []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && (!recursive || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), hcl.FileSuffix) && d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

func displayPath(dir, p string) string {
	if rel, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return p
}

// writeFileKeepMode replaces a file's contents atomically, keeping its mode.
func writeFileKeepMode(path string, data []byte) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(fi.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
