//go:build unix

package command

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/state"
)

// The crash test: sfsync apply, a process of its own, is killed (SIGKILL)
// at several points of a 50,000-record apply against a local org served by
// another process; each time a second apply must leave the org with exactly
// the desired records — none missing, none twice — and a state that loads
// and binds every address to its record. Interrupts (SIGINT once: jobs in
// flight finish; twice: they are aborted) are checked the same way.

const (
	crashAccounts = 25_000
	crashContacts = 25_000
)

const crashConfig = `org {
  local = "org"
}

# AccountNumber and Email are not unique in the org: only sfsync's
# matching keeps a second apply from inserting them twice.
object "Account" {
  key         = ["AccountNumber"]
  records_csv = "accounts.csv"
}

object "Contact" {
  key         = ["Email"]
  records_csv = "contacts.csv"
}
`

// crashDir writes the configuration: 25,000 Accounts, and 25,000 Contacts
// that name their Account by its key, so the apply has two levels.
func crashDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var accounts, contacts bytes.Buffer
	accounts.WriteString("AccountNumber,Name\n")
	for i := range crashAccounts {
		fmt.Fprintf(&accounts, "A%05d,Account %d\n", i, i)
	}
	contacts.WriteString("Email,LastName,Account.AccountNumber\n")
	for i := range crashContacts {
		fmt.Fprintf(&contacts, "c%05d@example.com,Contact %d,A%05d\n", i, i, i%crashAccounts)
	}
	for name, data := range map[string][]byte{
		"main.sfsync.hcl": []byte(crashConfig),
		"accounts.csv":    accounts.Bytes(),
		"contacts.csv":    contacts.Bytes(),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runningApply is an apply process the test is watching.
type runningApply struct {
	cmd            *exec.Cmd
	done           chan struct{}
	stdout, stderr bytes.Buffer
}

func startApply(t *testing.T, dir string) *runningApply {
	t.Helper()
	a := &runningApply{done: make(chan struct{})}
	a.cmd = exec.Command(sfsyncBinary(t), "apply", "-auto-approve")
	a.cmd.Dir = dir
	a.cmd.Env = append(os.Environ(), "NO_COLOR=1")
	a.cmd.Stdout, a.cmd.Stderr = &a.stdout, &a.stderr
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.cmd.Wait(); close(a.done) }()
	t.Cleanup(func() {
		a.cmd.Process.Kill()
		<-a.done
	})
	return a
}

func (a *runningApply) exited() bool {
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}

// waitFor polls cond until it holds, failing if the apply exits first.
func (a *runningApply) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for !cond() {
		if a.exited() {
			t.Fatalf("apply exited (%s) before %s\nstdout:\n%s\nstderr:\n%s", a.cmd.ProcessState, what, a.stdout.String(), a.stderr.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// journal reads the jobs the stored state journals (none while there is
// no state yet).
func journal(dir string) []state.Job {
	s, err := state.NewLocalBackend(filepath.Join(dir, state.DefaultPath)).Read(context.Background())
	if err != nil || s == nil {
		return nil
	}
	return s.Jobs()
}

// orgJob reads the state of a Bulk API 2.0 ingest job.
func orgJob(c *bulk.Client, id string) bulk.JobInfo2 {
	info, _ := c.JobInfo2(context.Background(), false, id)
	return info
}

func TestApplyCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("kills 50,000-record applies (about a minute): not with -short")
	}
	points := []struct {
		name string
		// kill waits for the moment to kill the apply.
		kill func(t *testing.T, a *runningApply, dir string, c *bulk.Client)
	}{
		{"while planning", func(t *testing.T, a *runningApply, dir string, c *bulk.Client) {
			// Reading the configuration and the org takes longer than this.
			time.Sleep(200 * time.Millisecond)
		}},
		{"first job journaled", func(t *testing.T, a *runningApply, dir string, c *bulk.Client) {
			a.waitFor(t, "a job in the journal", func() bool { return len(journal(dir)) > 0 })
		}},
		{"first job processing", func(t *testing.T, a *runningApply, dir string, c *bulk.Client) {
			a.waitFor(t, "the first job processing", func() bool {
				js := journal(dir)
				return len(js) > 0 && orgJob(c, js[0].ID).NumberRecordsProcessed > 0
			})
		}},
		{"first job complete", func(t *testing.T, a *runningApply, dir string, c *bulk.Client) {
			a.waitFor(t, "the first job complete", func() bool {
				js := journal(dir)
				return len(js) > 0 && js[0].Object == "Account" && orgJob(c, js[0].ID).State == "JobComplete"
			})
		}},
		{"second job processing", func(t *testing.T, a *runningApply, dir string, c *bulk.Client) {
			a.waitFor(t, "the Contact job processing", func() bool {
				js := journal(dir)
				return len(js) > 0 && js[0].Object == "Contact" && orgJob(c, js[0].ID).NumberRecordsProcessed > 0
			})
		}},
	}
	for _, pt := range points {
		t.Run(pt.name, func(t *testing.T) {
			dir := crashDir(t)
			org := serveOrg(t, filepath.Join(dir, "org"), "-chunk-delay", "5ms")
			c := org.client(t)
			a := startApply(t, dir)
			pt.kill(t, a, dir, c)
			if a.exited() {
				t.Fatalf("apply finished before it could be killed:\n%s", a.stdout.String())
			}
			a.cmd.Process.Signal(syscall.SIGKILL)
			<-a.done
			converge(t, dir, c, len(journal(dir)))
		})
	}
}

// TestApplyInterrupt sends the apply one SIGINT (jobs in flight finish,
// nothing new starts, the state is saved: exit 4), or two (jobs in flight
// are aborted: exit 4, the job stays journaled); either way a second apply
// converges.
func TestApplyInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("interrupts 50,000-record applies: not with -short")
	}
	for _, signals := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d interrupts", signals), func(t *testing.T) {
			dir := crashDir(t)
			org := serveOrg(t, filepath.Join(dir, "org"), "-chunk-delay", "5ms")
			c := org.client(t)
			a := startApply(t, dir)
			var jobID string
			a.waitFor(t, "the Account job processing", func() bool {
				js := journal(dir)
				if len(js) > 0 && orgJob(c, js[0].ID).NumberRecordsProcessed > 0 {
					jobID = js[0].ID
					return true
				}
				return false
			})
			a.cmd.Process.Signal(os.Interrupt)
			if signals == 2 {
				time.Sleep(100 * time.Millisecond)
				a.cmd.Process.Signal(os.Interrupt)
			}
			select {
			case <-a.done:
			case <-time.After(3 * time.Minute):
				t.Fatal("apply did not stop after the interrupt")
			}
			if code := a.cmd.ProcessState.ExitCode(); code != ExitInterrupted {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitInterrupted, a.stdout.String(), a.stderr.String())
			}
			s, err := state.NewLocalBackend(filepath.Join(dir, state.DefaultPath)).Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			switch signals {
			case 1:
				// The Account job finished and is recorded; no Contact
				// job was started.
				if !strings.Contains(a.stdout.String(), "Apply interrupted: 25000 inserted") || len(s.Jobs()) != 0 ||
					len(s.Records("Account")) != crashAccounts || len(s.Records("Contact")) != 0 {
					t.Fatalf("after one interrupt: %d accounts, %d contacts, %d jobs in state\n%s",
						len(s.Records("Account")), len(s.Records("Contact")), len(s.Jobs()), a.stdout.String())
				}
			case 2:
				if len(s.Jobs()) != 1 || s.Jobs()[0].ID != jobID {
					t.Fatalf("after two interrupts the aborted job %s should stay journaled: %v", jobID, s.Jobs())
				}
				if info := orgJob(c, jobID); info.State != "Aborted" {
					t.Errorf("job %s is %s, want Aborted", jobID, info.State)
				}
			}
			converge(t, dir, c, len(journal(dir)))
		})
	}
}

// converge runs a second apply to completion and checks the org and the
// state: exactly the desired records, once each, every address bound to
// its record, no job left in the journal, and nothing left to plan.
func converge(t *testing.T, dir string, c *bulk.Client, journaled int) {
	t.Helper()
	// Jobs the first apply left journaled are finished and recorded first,
	// by whichever command comes next: a plan here, so that plan's recovery
	// is held to the same standard as apply's.
	want := fmt.Sprintf("Finishing %s that an earlier apply left in flight...", countNoun(journaled, "Bulk job"))
	if journaled > 0 {
		r := runSfsync(t, dir, "plan")
		if r.code != ExitOK || !strings.Contains(r.stderr, want) {
			t.Fatalf("plan after the kill: exit %d, stderr lacks %q?\nstdout:\n%s\nstderr:\n%s", r.code, want, r.stdout, r.stderr)
		}
		if js := journal(dir); len(js) != 0 {
			t.Fatalf("plan left %d jobs journaled", len(js))
		}
	}
	r := runSfsync(t, dir, "apply", "-auto-approve")
	if r.code != ExitOK {
		t.Fatalf("second apply: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "Finishing") {
		t.Errorf("the plan before it should have finished the journaled jobs:\n%s", r.stderr)
	}
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.Contains(l, "recorded in the state") || strings.Contains(l, "no longer has it") {
			t.Log(strings.TrimSpace(l))
		}
	}
	if m := completeLine.FindString(r.stdout); m != "" {
		t.Log(m)
	}
	ctx := context.Background()
	accounts := map[string]string{} // AccountNumber → Id
	err := c.QueryEach(ctx, "SELECT Id, AccountNumber FROM Account", bulk.QueryOptions{}, func(row bulk.Row) error {
		id, _ := row.Get("Id")
		num, _ := row.Get("AccountNumber")
		if prev, dup := accounts[num]; dup {
			return fmt.Errorf("account %s twice in the org: %s and %s", num, prev, id)
		}
		accounts[num] = sfid.To18(id)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != crashAccounts {
		t.Fatalf("%d accounts in the org, want %d", len(accounts), crashAccounts)
	}
	contacts := map[string]string{} // Email → Id
	err = c.QueryEach(ctx, "SELECT Id, Email, AccountId FROM Contact", bulk.QueryOptions{}, func(row bulk.Row) error {
		id, _ := row.Get("Id")
		email, _ := row.Get("Email")
		if prev, dup := contacts[email]; dup {
			return fmt.Errorf("contact %s twice in the org: %s and %s", email, prev, id)
		}
		contacts[email] = sfid.To18(id)
		var i int
		if _, err := fmt.Sscanf(email, "c%d@example.com", &i); err != nil {
			return fmt.Errorf("unexpected contact %s", email)
		}
		parent, _ := row.Get("AccountId")
		if want := accounts[fmt.Sprintf("A%05d", i%crashAccounts)]; !sfid.Equal(parent, want) {
			return fmt.Errorf("contact %s has AccountId %s, want %s", email, parent, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(contacts) != crashContacts {
		t.Fatalf("%d contacts in the org, want %d", len(contacts), crashContacts)
	}
	s, err := state.NewLocalBackend(filepath.Join(dir, state.DefaultPath)).Read(ctx)
	if err != nil || s == nil {
		t.Fatalf("the state does not load: %v", err)
	}
	if len(s.Jobs()) != 0 || s.Len() != crashAccounts+crashContacts {
		t.Fatalf("state: %d records, %d journaled jobs", s.Len(), len(s.Jobs()))
	}
	for _, rec := range s.Records("Account") {
		if num := rec.Key["AccountNumber"]; accounts[num] != rec.ID {
			t.Fatalf("%s is bound to %s, the org's %s is %s", rec.Address, rec.ID, num, accounts[num])
		}
	}
	for _, rec := range s.Records("Contact") {
		if email := rec.Key["Email"]; contacts[email] != rec.ID {
			t.Fatalf("%s is bound to %s, the org's %s is %s", rec.Address, rec.ID, email, contacts[email])
		}
	}
	if r := runSfsync(t, dir, "plan", "-detailed-exitcode"); r.code != ExitOK {
		t.Fatalf("plan after the second apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
