package command

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sfsync/sfsync/state"
)

var cmpOpts = []cmp.Option{
	cmp.AllowUnexported(stateListOptions{}, stateShowOptions{}, stateRmOptions{}, statePullOptions{}, forceUnlockOptions{}, stateFlags{}),
	cmpopts.EquateEmpty(),
}

func TestParseStateCommands(t *testing.T) {
	on := stateFlags{lock: true}
	for _, tc := range []struct {
		name    string
		parse   func([]string) (any, error)
		args    []string
		want    any
		wantErr string
	}{
		{"list", listParser, nil, stateListOptions{state: on}, ""},
		{"list prefixes", listParser, []string{"Account", "Contact.csv"}, stateListOptions{state: on, prefixes: []string{"Account", "Contact.csv"}}, ""},
		{"list flags after", listParser, []string{"Account", "-state=x.json", "-id", "0015g00000AcmE1"},
			stateListOptions{state: stateFlags{path: "x.json", lock: true}, id: "0015g00000AcmE1", prefixes: []string{"Account"}}, ""},
		{"list after --", listParser, []string{"--", "-odd"}, stateListOptions{state: on, prefixes: []string{"-odd"}}, ""},
		{"list bad id", listParser, []string{"-id=42"}, nil, `-id: "42" is not a Salesforce Id`},
		{"list no lock flag", listParser, []string{"-lock=false"}, nil, "flag provided but not defined: -lock"},

		{"show", showParser, []string{`Account.country["DE"]`}, stateShowOptions{state: on, address: `Account.country["DE"]`}, ""},
		{"show state", showParser, []string{"-state", "s.json", "Account.acme"}, stateShowOptions{state: stateFlags{path: "s.json", lock: true}, address: "Account.acme"}, ""},
		{"show none", showParser, nil, nil, "exactly one ADDRESS"},
		{"show two", showParser, []string{"a", "b"}, nil, "exactly one ADDRESS"},

		{"rm", rmParser, []string{"Account.acme", "Account.globex"}, stateRmOptions{state: on, addresses: []string{"Account.acme", "Account.globex"}}, ""},
		{"rm lock flags", rmParser, []string{"-lock=false", "Account.acme", "-lock-timeout=1m30s", "-dry-run"},
			stateRmOptions{state: stateFlags{lockTimeout: 90 * time.Second}, dryRun: true, addresses: []string{"Account.acme"}}, ""},
		{"rm nothing", rmParser, []string{"-dry-run"}, nil, "at least one ADDRESS"},
		{"rm bad timeout", rmParser, []string{"-lock-timeout=soon", "A.a"}, nil, `invalid value "soon" for flag -lock-timeout`},
		{"rm negative timeout", rmParser, []string{"-lock-timeout=-1s", "A.a"}, nil, "-lock-timeout: -1s is negative"},

		{"pull", pullParser, nil, statePullOptions{state: on}, ""},
		{"pull state", pullParser, []string{"-state=/abs/s.json"}, statePullOptions{state: stateFlags{path: "/abs/s.json", lock: true}}, ""},
		{"pull extra", pullParser, []string{"x"}, nil, "takes no arguments"},

		{"force-unlock", unlockParser, []string{"abc"}, forceUnlockOptions{state: on, id: "abc"}, ""},
		{"force-unlock force", unlockParser, []string{"abc", "-force"}, forceUnlockOptions{state: on, force: true, id: "abc"}, ""},
		{"force-unlock none", unlockParser, []string{"-force"}, nil, "exactly one LOCK_ID"},
		{"force-unlock two", unlockParser, []string{"a", "b"}, nil, "exactly one LOCK_ID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.parse(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpOpts...); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func listParser(a []string) (any, error)   { return parseStateList(a) }
func showParser(a []string) (any, error)   { return parseStateShow(a) }
func rmParser(a []string) (any, error)     { return parseStateRm(a) }
func pullParser(a []string) (any, error)   { return parseStatePull(a) }
func unlockParser(a []string) (any, error) { return parseForceUnlock(a) }

func TestMatchAddress(t *testing.T) {
	for _, tc := range []struct {
		address, prefix string
		want            bool
	}{
		{"Account.acme", "Account.acme", true},
		{"Account.acme", "Account", true},
		{`Account.country["DE"]`, "Account.country", true},
		{`Account.country["DE"]`, `Account.country["DE"]`, true},
		{"AccountContactRelation.x", "Account", false},
		{"Account.acme_corp", "Account.acme", false},
		{"Account.acme", "Account.acme.x", false},
		{"Account.acme", "", false},
	} {
		if got := matchAddress(tc.address, tc.prefix); got != tc.want {
			t.Errorf("matchAddress(%q, %q) = %v", tc.address, tc.prefix, got)
		}
	}
}

// TestStateRmTakesOverAStaleLock runs state rm in process against a lock
// left by a process of this host that is gone (a pid above Linux's pid_max
// and any other system's: no such process).
func TestStateRmTakesOverAStaleLock(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	b := state.NewLocalBackend(filepath.Join(dir, state.DefaultPath))
	st, err := state.Open(ctx, b, state.Options{NoLock: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.State().Bind(state.Record{Address: "Account.acme", Object: "Account", ID: "0015g00000AcmE1AAJ"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Persist(ctx); err != nil {
		t.Fatal(err)
	}
	dead := state.NewLockInfo("apply")
	dead.PID = 1 << 30
	data, _ := json.Marshal(dead)
	if err := os.WriteFile(b.LockPath(), data, 0o600); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Dir: dir}
	if code := Run(ctx, env, []string{"state", "rm", "Account.acme"}); code != ExitOK {
		t.Fatalf("state rm over a stale lock: exit %d\n%s", code, stderr.String())
	}
	for _, want := range []string{
		"Warning: the lock of state file sfsync.state.json was stale: it was held by " + dead.String(),
		"that process is no longer running. Took it over.",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if !strings.Contains(stdout.String(), "Removed Account.acme (Account 0015g00000AcmE1AAJ)") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	if _, err := os.Stat(b.LockPath()); !os.IsNotExist(err) {
		t.Errorf("lock file after state rm: %v", err)
	}
}

// TestForceUnlockAsksOnATerminal answers the confirmation prompt: anything
// but "yes" keeps the lock.
func TestForceUnlockAsksOnATerminal(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	b := state.NewLocalBackend(filepath.Join(dir, state.DefaultPath))
	lease, err := b.Lock(ctx, state.NewLockInfo("apply"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		answer   string
		wantCode int
	}{
		{"no\n", ExitError},
		{"", ExitError},
		{"yes\n", ExitOK},
	} {
		var stdout, stderr bytes.Buffer
		env := &Env{Stdin: strings.NewReader(tc.answer), StdinTTY: true, Stdout: &stdout, Stderr: &stderr, Dir: dir}
		if code := Run(ctx, env, []string{"force-unlock", lease.Info.ID}); code != tc.wantCode {
			t.Fatalf("answer %q: exit %d\n%s", tc.answer, code, stderr.String())
		}
		if !strings.Contains(stderr.String(), "Only 'yes' will be accepted") || !strings.Contains(stderr.String(), "is on this machine") {
			t.Errorf("prompt:\n%s", stderr.String())
		}
		h, _ := b.LockHolder(ctx)
		if (h == nil) != (tc.wantCode == ExitOK) {
			t.Errorf("answer %q: lock holder afterwards %+v", tc.answer, h)
		}
	}
}
