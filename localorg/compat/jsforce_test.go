package compat_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/localorg/localorgtest"
)

// jsforceRuns are the compatibility scripts: jsforce 1.x (the npm alias
// jsforce1) and 3.x drive Bulk API 1.0 with SOAP login; jsforce 3 drives
// Bulk API 2.0 with its client, OAuth, SOAP login and REST query; jsforce
// 1.x, which has no Bulk 2.0 client, drives every Bulk 2.0 ingest
// operation and query through its own authenticated HTTP layer.
var jsforceRuns = []struct {
	name   string
	args   []string
	marker string
}{
	{"jsforce1/bulk1", []string{"jsforce-bulk1.mjs", "jsforce1"}, "jsforce1 bulk1 ok"},
	{"jsforce3/bulk1", []string{"jsforce-bulk1.mjs", "jsforce"}, "jsforce bulk1 ok"},
	{"jsforce3/bulk2", []string{"jsforce-bulk2.mjs"}, "jsforce ok"},
	{"jsforce1/bulk2", []string{"jsforce1-bulk2.mjs"}, "jsforce1 bulk2 ok"},
}

// TestJsforce runs jsforce 1.x and 3.x from npm, unchanged, each against
// its own local org. It needs Node.js and npm (CI has them); it installs
// the locked packages with npm ci when they are missing.
func TestJsforce(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node (Node.js 20 or later) is not on PATH: the jsforce compatibility test needs it")
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()
	installed := true
	for _, pkg := range []string{"jsforce", "jsforce1"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			installed = false
		}
	}
	if !installed {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Fatal("npm is not on PATH: it installs jsforce for the compatibility test")
		}
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
	}
	for _, run := range jsforceRuns {
		t.Run(run.name, func(t *testing.T) {
			org := localorgtest.New(t)
			conn, err := os.ReadFile(filepath.Join(org.Dir, "connection.json"))
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(conn) {
				t.Fatalf("connection.json is not JSON: %s", conn)
			}
			cmd := exec.CommandContext(ctx, node, run.args...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "LOCALORG="+string(conn))
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), run.marker) {
				t.Fatalf("%s against localorg: %v\n%s", strings.Join(run.args, " "), err, out)
			}
		})
	}
}
