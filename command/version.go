package command

import (
	"context"
	"fmt"

	"github.com/sfsync/sfsync/internal/version"
)

func init() {
	register(&Command{
		Name:     "version",
		Synopsis: "Print the sfsync version",
		Usage: `Usage: sfsync version

Prints the sfsync version, the revision it was built from when known, the Go
version and the platform.`,
		Run: func(ctx context.Context, env *Env, args []string) int {
			if len(args) > 0 {
				env.Errorf("version takes no arguments")
				return ExitError
			}
			fmt.Fprintln(env.Stdout, version.Long())
			return ExitOK
		},
	})
}
