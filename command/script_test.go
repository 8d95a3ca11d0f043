package command

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run the sfsync binary as a re-executed test
// binary, so scripts exercise the real Main: arguments, streams, exit codes.
func TestMain(m *testing.M) {
	testscript.Main(pgRunner{m}, map[string]func(){
		"sfsync":            func() { os.Exit(Main()) },
		"sfsync-test-state": func() { os.Exit(testStateMain()) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup:               scriptSetup,
		Condition:           scriptCondition,
		Cmds:                scriptCmds,
	})
}

// scriptCondition answers the project's own script conditions: [org] holds
// where the test gives scripts an org (TestJobScripts), not here.
func scriptCondition(cond string) (bool, error) {
	if cond == "org" {
		return false, nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// scriptSetup prepares each script's environment. Scripts that need an org
// start one with the localorg commands.
func scriptSetup(env *testscript.Env) error {
	env.Setenv("NO_COLOR", "1")
	root, err := filepath.Abs("..")
	if err != nil {
		return err
	}
	env.Setenv("ROOT", root) // the repository, for scripts that use its examples
	return nil
}
