package command

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/sfsync/sfsync/localorg"
)

// schemaAddOptions are the arguments of `localorg schema add`.
type schemaAddOptions struct {
	dir      string
	dirGiven bool // -dir given: else the configuration's local org
	file     string
}

func parseSchemaAdd(args []string) (schemaAddOptions, error) {
	o := schemaAddOptions{dir: defaultLocalorgDir}
	fs := flag.NewFlagSet("localorg schema add", flag.ContinueOnError)
	fs.StringVar(&o.dir, "dir", o.dir, "")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return o, err
	}
	o.dirGiven = flagGiven(fs, "dir")
	if len(pos) != 1 {
		return o, usagef("schema add needs exactly one JSON file, got %d arguments", len(pos))
	}
	o.file = pos[0]
	return o, nil
}

func init() {
	register(&Command{
		Name:     "localorg schema add",
		Synopsis: "Add custom objects and fields to the local org",
		Usage: `Usage: sfsync localorg schema add [-dir DIR] FILE.json

Adds what FILE.json describes, in the shape of a REST describe (one object,
or a JSON list of objects): a new custom object (name ending in __c) gets a
key prefix (a00, a01, ...) and the system fields every custom object has;
an existing object gets the custom fields it lacks. Salesforce describes can
be used as they are. Either everything in the file is added or nothing.

` + localorgDirHelp,
		Run: func(ctx context.Context, env *Env, args []string) int {
			o, err := parseSchemaAdd(args)
			if err != nil {
				return usageError(env, "localorg schema add", err)
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
			inst, err := openLocalorg(ctx, env, o.dir)
			if err != nil {
				env.Errorf("%v", err)
				return ExitError
			}
			defer inst.Close()
			var changes []localorg.SchemaChange
			if inst.Org != nil {
				cs, err := inst.Org.AddSchema(ctx, data)
				if err != nil {
					env.Errorf("%s: %v", o.file, err)
					return ExitError
				}
				for _, c := range cs {
					sc := localorg.SchemaChange{Object: c.Object.Name, KeyPrefix: c.Object.KeyPrefix, Created: c.Created}
					for _, f := range c.Fields {
						sc.Fields = append(sc.Fields, f.Name)
					}
					changes = append(changes, sc)
				}
			} else {
				changes, err = inst.Client().AddSchema(ctx, data)
				if err != nil {
					env.Errorf("%s: %v", o.file, err)
					return ExitError
				}
			}
			for _, c := range changes {
				if c.Created {
					fmt.Fprintf(env.Stdout, "Created %s (key prefix %s) with %d fields\n", c.Object, c.KeyPrefix, len(c.Fields))
				} else if len(c.Fields) > 0 {
					fmt.Fprintf(env.Stdout, "Added to %s: %s\n", c.Object, strings.Join(c.Fields, ", "))
				} else {
					fmt.Fprintf(env.Stdout, "%s: nothing to add\n", c.Object)
				}
			}
			return ExitOK
		},
	})
}
