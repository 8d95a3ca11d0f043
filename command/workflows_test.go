package command

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// ghWorkflow is the part of a GitHub Actions workflow the examples use.
// Decoding with known fields only catches a misspelt key, which GitHub
// would reject.
type ghWorkflow struct {
	Name        string            `yaml:"name"`
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		If          string `yaml:"if"`
		RunsOn      string `yaml:"runs-on"`
		Environment string `yaml:"environment"`
		Steps       []struct {
			ID   string            `yaml:"id"`
			Name string            `yaml:"name"`
			If   string            `yaml:"if"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]any    `yaml:"with"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestGitHubActionsWorkflows checks the pull-request workflow examples:
// valid YAML with the keys GitHub knows, the triggers each needs, steps
// that are actions pinned to a version or shell, secrets only in env,
// and sfsync command lines that sfsync itself accepts.
func TestGitHubActionsWorkflows(t *testing.T) {
	files, _ := filepath.Glob("../examples/github-actions/workflows/*.yml")
	if len(files) != 3 {
		t.Fatalf("want the plan, apply and drift workflows, found %q", files)
	}
	wfs := map[string]ghWorkflow{}
	var sources []string
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, string(src))
		var wf ghWorkflow
		dec := yaml.NewDecoder(bytes.NewReader(src))
		dec.KnownFields(true)
		if err := dec.Decode(&wf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name := filepath.Base(f)
		wfs[name] = wf
		checkWorkflow(t, name, wf)
	}

	plan, apply, drift := wfs["sfsync-plan.yml"], wfs["sfsync-apply.yml"], wfs["sfsync-drift.yml"]
	if _, ok := plan.On["pull_request"]; !ok {
		t.Errorf("sfsync-plan.yml does not run on pull requests: on = %v", plan.On)
	}
	if _, ok := apply.On["push"]; !ok {
		t.Errorf("sfsync-apply.yml does not run on pushes (merges): on = %v", apply.On)
	}
	if _, ok := drift.On["schedule"]; !ok {
		t.Errorf("sfsync-drift.yml is not scheduled: on = %v", drift.On)
	}
	if plan.Permissions["pull-requests"] != "write" || apply.Permissions["actions"] != "read" || drift.Permissions["issues"] != "write" {
		t.Errorf("permissions: plan %v, apply %v, drift %v", plan.Permissions, apply.Permissions, drift.Permissions)
	}
	if apply.Concurrency.Group == "" || apply.Concurrency.CancelInProgress {
		t.Errorf("applies must run one at a time and never be cancelled: %+v", apply.Concurrency)
	}
	all := strings.Join(sources, "\n")
	for _, want := range []string{
		"plan -markdown -detailed-exitcode -lock-timeout=5m -out=",  // the PR comment and the saved plan
		"name: sfsync-plan-${{ github.event.pull_request.number }}", // the artifact...
		`--name "sfsync-plan-$pr"`,                                  // ...the apply downloads
		`apply -lock-timeout=10m "$RUNNER_TEMP/plan/sfsync.plan"`,   // applies exactly that plan
		"plan -markdown -detailed-exitcode -lock-timeout=10m",       // the drift check
		"github.rest.issues.updateComment",                          // one comment, updated
		"SFSYNC_AUTH: jwt",                                          // CI logs in with JWT
		"SFSYNC_PG_DSN: ${{ secrets.SFSYNC_PG_DSN }}",               // state in PostgreSQL
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no workflow has %q", want)
		}
	}
}

var (
	secretRef  = regexp.MustCompile(`\$\{\{\s*secrets\.`)
	stepOutRef = regexp.MustCompile(`steps\.([A-Za-z0-9_-]+)\.outputs`)
	pinned     = regexp.MustCompile(`^[\w.-]+/[\w.-]+@v\d+$`)
)

func checkWorkflow(t *testing.T, name string, wf ghWorkflow) {
	t.Helper()
	if wf.Name == "" || len(wf.On) == 0 || len(wf.Permissions) == 0 || len(wf.Jobs) == 0 {
		t.Errorf("%s: name, on, permissions and jobs are all needed", name)
	}
	for _, v := range wf.Env {
		if secretRef.MatchString(v) && !strings.HasPrefix(strings.TrimSpace(v), "${{") {
			t.Errorf("%s: a secret is mixed into a value: %q", name, v)
		}
	}
	for jn, job := range wf.Jobs {
		if job.RunsOn == "" || len(job.Steps) == 0 {
			t.Errorf("%s: job %s needs runs-on and steps", name, jn)
		}
		ids := map[string]bool{}
		for i, s := range job.Steps {
			if (s.Uses == "") == (s.Run == "") {
				t.Errorf("%s: step %d of %s needs exactly one of uses and run", name, i, jn)
			}
			if s.Uses != "" && !pinned.MatchString(s.Uses) {
				t.Errorf("%s: action %q is not pinned to a major version", name, s.Uses)
			}
			if secretRef.MatchString(s.Run) || strings.Contains(s.Run, "JWT_KEY") || strings.Contains(s.Run, "PGPASSWORD") {
				t.Errorf("%s: step %q handles a secret in its script; secrets go in env only", name, s.Name)
			}
			for _, m := range stepOutRef.FindAllStringSubmatch(s.If+s.Run+flatten(s.Env), -1) {
				if !ids[m[1]] {
					t.Errorf("%s: step %q refers to step %s, which does not come before it", name, s.Name, m[1])
				}
			}
			if s.ID != "" {
				ids[s.ID] = true
			}
			for _, line := range strings.Split(s.Run, "\n") {
				checkSfsyncLine(t, name, line)
			}
		}
	}
}

func flatten(m map[string]string) string {
	var b strings.Builder
	for _, v := range m {
		b.WriteString(v + "\n")
	}
	return b.String()
}

// checkSfsyncLine parses an sfsync command line of a workflow script with
// sfsync's own argument parsers.
func checkSfsyncLine(t *testing.T, wf, line string) {
	t.Helper()
	fields := shellWords(line)
	if len(fields) == 0 || fields[0] != "sfsync" {
		return
	}
	g, err := parseGlobal(fields[1:])
	if err != nil {
		t.Errorf("%s: %q: %v", wf, line, err)
		return
	}
	cmd, rest := lookup(g.rest)
	if cmd == nil {
		t.Errorf("%s: %q: no such command", wf, line)
		return
	}
	switch cmd.Name {
	case "plan":
		_, err = parsePlan(rest)
	case "apply":
		_, err = parseApply(rest)
	default:
		t.Errorf("%s: %q: the test does not know sfsync %s", wf, line, cmd.Name)
	}
	if err != nil {
		t.Errorf("%s: %q: %v", wf, line, err)
	}
}

// shellWords splits a simple shell command line into words: double quotes
// group, and a redirection ends the command.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, c := range strings.TrimSpace(line) {
		switch {
		case c == '"':
			quoted, inWord = !quoted, true
		case !quoted && (c == ' ' || c == '\t'):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case !quoted && (c == '>' || c == '|' || c == ';'):
			if inWord {
				words = append(words, cur.String())
			}
			return words
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
