package command

import (
	"context"
	"flag"
	"fmt"
)

// resetOptions are the arguments of `localorg reset`.
type resetOptions struct {
	dir      string
	dirGiven bool // -dir given: else the configuration's local org
	newOrg   bool
}

func parseReset(args []string) (resetOptions, error) {
	o := resetOptions{dir: defaultLocalorgDir}
	fs := flag.NewFlagSet("localorg reset", flag.ContinueOnError)
	fs.StringVar(&o.dir, "dir", o.dir, "")
	fs.BoolVar(&o.newOrg, "new-org", false, "")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return o, err
	}
	o.dirGiven = flagGiven(fs, "dir")
	if len(pos) > 0 {
		return o, usagef("reset takes no arguments, got %q", pos[0])
	}
	return o, nil
}

func init() {
	register(&Command{
		Name:     "localorg reset",
		Synopsis: "Delete every record and job of the local org",
		Usage: `Usage: sfsync localorg reset [-dir DIR] [-new-org]

Deletes every record and Bulk job of the org in DIR and seeds it again
(admin user, standard price book, ...). The org Id, credentials and custom
schema are kept, so state files and sessions stay valid. With -new-org the
org gets a new Id and credentials and only the standard schema: it becomes
a different org.

` + localorgDirHelp,
		Run: func(ctx context.Context, env *Env, args []string) int {
			o, err := parseReset(args)
			if err != nil {
				return usageError(env, "localorg reset", err)
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
			var orgID string
			if inst.Org != nil {
				err = inst.Org.Reset(ctx, o.newOrg)
				orgID = inst.Org.ID()
			} else {
				orgID, err = inst.Client().Reset(ctx, o.newOrg)
			}
			if err != nil {
				env.Errorf("reset %s: %v", o.dir, err)
				return ExitError
			}
			if o.newOrg {
				fmt.Fprintf(env.Stdout, "Local org %s reset as a new org: %s\n", o.dir, orgID)
			} else {
				fmt.Fprintf(env.Stdout, "Local org %s reset; org Id %s kept\n", o.dir, orgID)
			}
			return ExitOK
		},
	})
}
