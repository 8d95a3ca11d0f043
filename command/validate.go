package command

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	hclv2 "github.com/hashicorp/hcl/v2"

	"github.com/sfsync/sfsync/hcl"
)

func init() {
	register(&Command{
		Name:     "validate",
		Synopsis: "Check the configuration without contacting the org",
		Usage: `Usage: sfsync validate [options]

Loads every *.sfsync.hcl file in the working directory (see -chdir) and
reports every problem it finds — unknown blocks and attributes, duplicate
labels and keys, references to records or data blocks that are not declared,
records that refer to themselves, bad CSV rows, bad variable values — each
with its file, line, column and a snippet. It reads records_csv files in full
but never contacts the org, so it cannot check field names against the org's
schema: plan does that.

Options:
  -json              print the result as JSON on standard output
  -var 'NAME=VALUE'  set a variable (repeatable); typed variables take HCL
                     syntax, e.g. -var 'codes=["DE","FR"]'
  -var-file=FILE     set variables from an HCL file of NAME = VALUE lines
                     (repeatable; relative to the configuration directory)

Variables are also read from SFSYNC_VAR_<name> environment variables; -var
and -var-file win over them, later ones over earlier ones.

Exit codes: 0 the configuration is valid (warnings allowed); 1 it is not.`,
		Run: runValidate,
	})
}

// varFlags collects -var and -var-file arguments in command-line order.
// Commands that load the configuration (validate, plan, apply) share it.
type varFlags struct {
	inputs *[]hcl.VarInput
	file   bool
}

func (v varFlags) String() string { return "" }

func (v varFlags) Set(s string) error {
	if !v.file {
		if _, _, err := hcl.ParseVarFlag(s); err != nil {
			return err
		}
	} else if s == "" {
		return fmt.Errorf("-var-file needs a file name")
	}
	*v.inputs = append(*v.inputs, hcl.VarInput{File: v.file, Arg: s})
	return nil
}

// addVarFlags registers -var and -var-file on fs, appending to inputs.
func addVarFlags(fs *flag.FlagSet, inputs *[]hcl.VarInput) {
	fs.Var(varFlags{inputs: inputs}, "var", "")
	fs.Var(varFlags{inputs: inputs, file: true}, "var-file", "")
}

type validateOptions struct {
	json bool
	vars []hcl.VarInput
}

// parseValidate parses validate's arguments. It does no I/O.
func parseValidate(args []string) (validateOptions, error) {
	var o validateOptions
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&o.json, "json", false, "")
	addVarFlags(fs, &o.vars)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("validate takes no arguments (use -chdir=DIR to validate another directory): %s", strings.Join(fs.Args(), " "))
	}
	return o, nil
}

// validateJSON is validate -json's output.
type validateJSON struct {
	FormatVersion string               `json:"format_version"`
	Valid         bool                 `json:"valid"`
	ErrorCount    int                  `json:"error_count"`
	WarningCount  int                  `json:"warning_count"`
	Diagnostics   []hcl.JSONDiagnostic `json:"diagnostics"`
	Objects       []validateObjectJSON `json:"objects"`
}

type validateObjectJSON struct {
	Name    string `json:"name"`
	Records int    `json:"records"`  // record block instances
	CSVRows int    `json:"csv_rows"` // rows of its records_csv files
}

func runValidate(ctx context.Context, env *Env, args []string) int {
	o, err := parseValidate(args)
	if err != nil {
		env.Errorf("validate: %v\n\nRun 'sfsync validate -help' for usage.", err)
		return ExitError
	}
	cfg, diags := hcl.Load(env.Dir, hcl.LoadOptions{Vars: o.vars, Getenv: env.Getenv})
	valid := !diags.HasErrors()
	var objects []validateObjectJSON
	records, rows, sources := 0, 0, 0
	if valid {
		for _, ob := range cfg.Objects {
			j := validateObjectJSON{Name: ob.Name, Records: len(ob.Records)}
			for _, s := range ob.CSV {
				j.CSVRows += max(s.RowCount, 0)
				sources++
			}
			records += j.Records
			rows += j.CSVRows
			objects = append(objects, j)
		}
	}
	if o.json {
		out := validateJSON{FormatVersion: "1.0", Valid: valid, Diagnostics: hcl.JSON(cfg.Sources(diags), diags), Objects: objects}
		for _, d := range diags {
			if d.Severity == hclv2.DiagError {
				out.ErrorCount++
			} else {
				out.WarningCount++
			}
		}
		if out.Objects == nil {
			out.Objects = []validateObjectJSON{}
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			env.Errorf("validate: %v", err)
			return ExitError
		}
	} else {
		if len(diags) > 0 {
			hcl.WriteDiagnostics(env.Stderr, cfg.Sources(diags), diags, 78, env.Color)
		}
		if valid {
			fmt.Fprintf(env.Stdout, "The configuration is valid: %s, %s", countNoun(len(cfg.Objects), "object"), countNoun(records, "record"))
			if sources > 0 {
				fmt.Fprintf(env.Stdout, " and %s in %s", countNoun(rows, "CSV row"), countNoun(sources, "records_csv file"))
			}
			fmt.Fprintln(env.Stdout, ".")
		}
	}
	if !valid {
		return ExitError
	}
	return ExitOK
}
