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

// TestJsforceBulk2 runs jsforce 3 from npm, unchanged, against a local
// org (jsforce-bulk2.mjs holds the checks). It needs Node.js; CI has it.
func TestJsforceBulk2(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node (Node.js 20 or later) is not on PATH: the jsforce compatibility test needs it")
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "jsforce")); err != nil {
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
	org := localorgtest.New(t)
	conn, err := os.ReadFile(filepath.Join(org.Dir, "connection.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(conn) {
		t.Fatalf("connection.json is not JSON: %s", conn)
	}
	cmd := exec.CommandContext(ctx, node, "jsforce-bulk2.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LOCALORG="+string(conn))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "jsforce ok") {
		t.Fatalf("jsforce against localorg: %v\n%s", err, out)
	}
}
