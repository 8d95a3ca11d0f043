package command

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run the sfsync binary as a re-executed test
// binary, so scripts exercise the real Main: arguments, streams, exit codes.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"sfsync": func() { os.Exit(Main()) },
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
		Cmds:                map[string]func(*testscript.TestScript, bool, []string){"waitfile": cmdWaitFile},
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
	return nil
}

// cmdWaitFile waits (up to 20s) until a file exists: "waitfile PATH". It
// lets a script wait for a background server's connection.json.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile PATH")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(ts.MkAbs(args[0])); err == nil {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s did not appear", args[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
