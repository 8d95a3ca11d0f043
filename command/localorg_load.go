package command

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
)

// loadOptions are the arguments of `localorg load`.
type loadOptions struct {
	dir        string
	dirGiven   bool // -dir given: else the configuration's local org
	object     string
	operation  string
	externalID string
	file       string
}

var loadOperations = map[string]string{"insert": "insert", "update": "update", "upsert": "upsert", "delete": "delete", "harddelete": "hardDelete"}

func parseLoad(args []string) (loadOptions, error) {
	o := loadOptions{dir: defaultLocalorgDir, operation: "insert"}
	fs := flag.NewFlagSet("localorg load", flag.ContinueOnError)
	fs.StringVar(&o.dir, "dir", o.dir, "")
	fs.StringVar(&o.object, "object", "", "")
	fs.StringVar(&o.operation, "operation", o.operation, "")
	fs.StringVar(&o.externalID, "external-id", "", "")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return o, err
	}
	o.dirGiven = flagGiven(fs, "dir")
	if o.object == "" {
		return o, usagef("load needs -object NAME")
	}
	if len(pos) != 1 {
		return o, usagef("load needs exactly one CSV file, got %d arguments", len(pos))
	}
	o.file = pos[0]
	op, ok := loadOperations[strings.ToLower(o.operation)]
	if !ok {
		return o, usagef("-operation must be insert, update, upsert, delete or hardDelete, not %q", o.operation)
	}
	o.operation = op
	if op == "upsert" && o.externalID == "" {
		return o, usagef("-operation upsert needs -external-id FIELD")
	}
	if op != "upsert" && o.externalID != "" {
		return o, usagef("-external-id is only for -operation upsert")
	}
	return o, nil
}

func init() {
	register(&Command{
		Name:     "localorg load",
		Synopsis: "Load a CSV file into an object of the local org",
		Usage: `Usage: sfsync localorg load [-dir DIR] -object NAME [-operation insert]
                             [-external-id FIELD] FILE.csv

Writes the records of FILE.csv (a Bulk API CSV: a header of field names,
relationship columns such as Account.External_Id__c allowed, an empty cell
leaves a field unchanged, #N/A sets it to null) to the object with a Bulk
API 2.0 job, exactly as a client would, and reports how many records were
processed. Failed records are printed with Salesforce's errors and the exit
code is 3.

Options:
  -dir DIR            the org's directory
  -object NAME        the object, e.g. Account
  -operation OP       insert (default), update, upsert, delete or hardDelete
  -external-id FIELD  the upsert key, e.g. External_Id__c

` + localorgDirHelp,
		Run: func(ctx context.Context, env *Env, args []string) int {
			o, err := parseLoad(args)
			if err != nil {
				return usageError(env, "localorg load", err)
			}
			if o.dir, err = localorgDir(env, o.dir, o.dirGiven); err != nil {
				env.Errorf("%v", err)
				return ExitError
			}
			data, err := os.ReadFile(env.Path(o.file))
			if err != nil {
				env.Errorf("%v", err)
				return ExitError
			}
			// Spreadsheets save CSV with a UTF-8 byte order mark, which the
			// Bulk API takes as part of the first field's name ("Field name
			// not found : \ufeffName"), as Salesforce does: drop it here.
			data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
			inst, err := openLocalorg(ctx, env, o.dir)
			if err != nil {
				env.Errorf("%v", err)
				return ExitError
			}
			defer inst.Close()
			res, err := inst.Client().Load(ctx, o.object, o.operation, o.externalID, data)
			if err != nil {
				env.Errorf("load %s into %s: %v", o.file, o.object, err)
				return ExitError
			}
			if res.State != "JobComplete" {
				env.Errorf("load %s into %s: job %s %s: %s", o.file, o.object, res.JobID, res.State, res.ErrorMessage)
				return ExitError
			}
			fmt.Fprintf(env.Stdout, "%s: %s processed, %d failed (job %s)\n", o.object, countNoun(int(res.Processed), "record"), res.Failed, res.JobID)
			if res.Failed > 0 {
				env.Stderr.Write(res.FailedCSV)
				return ExitPartial
			}
			return ExitOK
		},
	})
}
