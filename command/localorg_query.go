package command

import (
	"context"
	"flag"
	"strings"
)

// queryOptions are the arguments of `localorg query`.
type queryOptions struct {
	dir      string
	dirGiven bool // -dir given: else the configuration's local org
	all      bool
	soql     string
}

func parseQuery(args []string) (queryOptions, error) {
	o := queryOptions{dir: defaultLocalorgDir}
	fs := flag.NewFlagSet("localorg query", flag.ContinueOnError)
	fs.StringVar(&o.dir, "dir", o.dir, "")
	fs.BoolVar(&o.all, "all", false, "")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return o, err
	}
	o.dirGiven = flagGiven(fs, "dir")
	if len(pos) != 1 || strings.TrimSpace(pos[0]) == "" {
		return o, usagef("query needs one SOQL query (quote it), got %d arguments", len(pos))
	}
	o.soql = pos[0]
	return o, nil
}

func init() {
	register(&Command{
		Name:     "localorg query",
		Synopsis: "Run a SOQL query against the local org and print CSV",
		Usage: `Usage: sfsync localorg query [-dir DIR] [-all] SOQL

Runs the query as a Bulk API 2.0 query job and prints the result as the
API returns it: CSV with every value quoted, Salesforce's number and date
formats, parent fields as Account.Name columns. -all includes deleted
records (queryAll). Bad queries fail with Salesforce's error.

Options:
  -dir DIR  the org's directory
  -all      include deleted records

` + localorgDirHelp + `

Example:
  sfsync localorg query "SELECT Id, Name FROM Pricebook2"`,
		Run: func(ctx context.Context, env *Env, args []string) int {
			o, err := parseQuery(args)
			if err != nil {
				return usageError(env, "localorg query", err)
			}
			if o.dir, err = localorgDir(env, o.dir, o.dirGiven); err != nil {
				env.Errorf("%v", err)
				return ExitError
			}
			inst, err := openLocalorg(ctx, env, o.dir)
			if err != nil {
				env.Errorf("%v", err)
				return ExitError
			}
			defer inst.Close()
			if err := inst.Client().Query(ctx, o.soql, o.all, env.Stdout); err != nil {
				env.Errorf("query: %v", err)
				return ExitError
			}
			return ExitOK
		},
	})
}
