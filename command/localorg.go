package command

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/sfsync/sfsync/localorg"
)

// defaultLocalorgDir is where the local org lives unless -dir says
// otherwise, relative to the working directory.
const defaultLocalorgDir = ".sfsync/localorg"

// parseFlags parses flags and positional arguments in any order (flags
// may follow the arguments, as in `localorg query "SELECT …" -dir x`). It
// does no I/O.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// openLocalorg reaches the org in dir: in this process, or through the
// live process that holds it. When this process holds it, closing waits
// for the other sfsync processes that joined it, and says so.
func openLocalorg(ctx context.Context, env *Env, dir string) (*localorg.Instance, error) {
	inst, err := localorg.Start(ctx, env.Path(dir), localorg.StartOptions{
		Options: localorg.Options{Logger: env.Log},
		OnLinger: func() {
			fmt.Fprintf(env.Stderr, "Other sfsync processes are using the local org %s; serving it until they finish (Ctrl-C twice to stop now).\n", dir)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("local org %s: %w", dir, err)
	}
	return inst, nil
}

// usagef makes an argument error; the command prints it with the way to
// its help.
func usagef(format string, args ...any) error { return fmt.Errorf(format, args...) }

func init() {
	register(&Command{
		Name:     "localorg",
		Synopsis: "Run and manage the local Salesforce org (serve, reset, load, query, schema add)",
		Usage: `Usage: sfsync localorg <subcommand> [options]

The local org is a durable Salesforce org on this machine that speaks
Salesforce's wire protocols (OAuth and SOAP login, REST, Bulk API 2.0). Its
data lives in a directory: -dir DIR, else the one the configuration in the
working directory names (org { local = DIR }), else .sfsync/localorg.

Subcommands:
  serve        serve the org on a loopback port until Ctrl-C
  reset        delete every record and job (keeps the org Id unless -new-org)
  load         load a CSV file into an object through a Bulk API 2.0 job
  query        run a SOQL query and print the result as CSV
  schema add   add custom objects and fields from describe-shaped JSON

A command finding the org held by a running 'localorg serve' works through
it; otherwise it runs the org in its own process for the time it needs.`,
		Run: func(ctx context.Context, env *Env, args []string) int {
			if len(args) > 0 {
				env.Errorf("unknown localorg subcommand %q\n\nRun 'sfsync localorg -help' for the list.", args[0])
			} else {
				env.Errorf("localorg needs a subcommand\n\nRun 'sfsync localorg -help' for the list.")
			}
			return ExitError
		},
	})
}
