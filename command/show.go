package command

import (
	"context"
	"errors"
	"strings"

	"github.com/sfsync/sfsync/planner"
	"github.com/sfsync/sfsync/render"
)

func init() {
	register(&Command{
		Name:     "show",
		Synopsis: "Show a saved plan",
		Usage: `Usage: sfsync show [options] FILE

Prints a plan saved with 'sfsync plan -out=FILE', as plan printed it. It
reads only the file: no configuration, state or org.

Options:
  -json       print the plan as JSON (see docs/plan-json.md)
  -markdown   print the plan as Markdown, for a pull request comment
  -no-color   no color (also: NO_COLOR set, or not a terminal)`,
		Run: runShow,
	})
}

type showOptions struct {
	file    string
	format  render.Format
	noColor bool
}

// parseShow parses show's arguments. It does no I/O.
func parseShow(args []string) (showOptions, error) {
	o := showOptions{format: render.FormatHuman}
	fs := newFlagSet("show")
	var asJSON, asMarkdown bool
	fs.BoolVar(&asJSON, "json", false, "")
	fs.BoolVar(&asMarkdown, "markdown", false, "")
	fs.BoolVar(&o.noColor, "no-color", false, "")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return o, err
	}
	switch {
	case asJSON && asMarkdown:
		return o, errors.New("-json and -markdown cannot be used together")
	case asJSON:
		o.format = render.FormatJSON
	case asMarkdown:
		o.format = render.FormatMarkdown
	}
	switch len(pos) {
	case 0:
		return o, errors.New("show needs the file of a saved plan (sfsync plan -out=FILE)")
	case 1:
		o.file = pos[0]
	default:
		return o, errors.New("show takes one file: " + strings.Join(pos, " "))
	}
	return o, nil
}

func runShow(ctx context.Context, env *Env, args []string) int {
	o, err := parseShow(args)
	if err != nil {
		return usageError(env, "show", err)
	}
	if o.noColor {
		env.Color = false
	}
	p, err := planner.ReadSavedFile(env.Path(o.file))
	if err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	p.Sort()
	if err := writePlan(env, o.format, p); err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	return ExitOK
}
