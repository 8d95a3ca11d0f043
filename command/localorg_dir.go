package command

import (
	"flag"
	"path/filepath"
)

// localorgDirHelp documents how the localorg commands find the org's
// directory.
const localorgDirHelp = `Without -dir, the org is the one the configuration in the working
directory names (org { local = DIR }), the org plan and apply use; without
such a configuration, .sfsync/localorg.`

// flagGiven reports whether the command line set the flag name.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// localorgDir is the directory of the local org a localorg command works
// on: dir when -dir was given; else the local org of the working
// directory's configuration, so that 'localorg query' reads the org that
// plan and apply write (not an empty one it would create beside the
// configuration); else dir, the default. A relative path stays relative
// to the working directory, as messages show it.
func localorgDir(env *Env, dir string, given bool) (string, error) {
	if given {
		return dir, nil
	}
	cfgDir, block, err := configOrg(env)
	if err != nil {
		return "", err
	}
	if block == nil || block.Local == "" {
		return dir, nil
	}
	if filepath.IsAbs(block.Local) {
		return block.Local, nil
	}
	p := filepath.Join(cfgDir, block.Local)
	if rel, err := filepath.Rel(env.Dir, p); err == nil {
		return rel, nil
	}
	return p, nil
}
