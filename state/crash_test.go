//go:build unix

package state

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The kill harness: a writer process makes crashTarget consecutive writes
// to one state file and is SIGKILLed at random points, again and again, until
// it gets through. After every kill the state file must load, hold at least
// the last version the writer reported written, and hold exactly what the
// writer wrote for that version; the backup, when there is one, must load
// too and be the version before (or, killed between backup and rename, the
// same one).

const crashTarget = 200

func init() { helpers["writer"] = runWriter }

// contents sets the state to what the writer writes as version serial: a
// number of records that varies (so the file grows and shrinks), each with
// a hash of the serial, and a journaled job on every third version.
func contents(s *State, serial uint64) error {
	for _, r := range s.AllRecords() {
		s.Remove(r.Address)
	}
	for _, j := range s.Jobs() {
		s.RemoveJob(j.ID)
	}
	for i := range recordsAt(serial) {
		err := s.Bind(Record{
			Address: fmt.Sprintf("Account.r%03d", i),
			Object:  "Account",
			ID:      testID("001", i),
			Key:     map[string]string{"External_Id__c": fmt.Sprintf("K-%d", i)},
			Hash:    HashValues(map[string]string{"Name": fmt.Sprintf("r%d@%d", i, serial)}),
		})
		if err != nil {
			return err
		}
	}
	if serial%3 == 0 {
		return s.AddJob(Job{ID: fmt.Sprintf("750%012d", serial), API: Bulk2, APIVersion: "62.0", Object: "Account",
			Operation: OpUpdate, Addresses: []string{"Account.r000"}, Created: time.Unix(int64(serial), 0)})
	}
	return nil
}

func recordsAt(serial uint64) int { return 20 + int(serial*37%90) }

// checkContents verifies that s is exactly what the writer wrote for its
// serial.
func checkContents(s *State) error {
	serial := s.Serial()
	if got, want := s.Len(), recordsAt(serial); got != want {
		return fmt.Errorf("serial %d has %d records, want %d", serial, got, want)
	}
	for i := range recordsAt(serial) {
		r, ok := s.Record(fmt.Sprintf("Account.r%03d", i))
		if !ok || r.Hash != HashValues(map[string]string{"Name": fmt.Sprintf("r%d@%d", i, serial)}) {
			return fmt.Errorf("serial %d: record %d is not the one written for that serial: %+v", serial, i, r)
		}
	}
	if jobs := len(s.Jobs()); jobs != map[bool]int{true: 1, false: 0}[serial%3 == 0] {
		return fmt.Errorf("serial %d has %d jobs", serial, jobs)
	}
	return nil
}

// runWriter is the writer process. With CRASH_AT=n it SIGKILLs itself at
// the n-th step of its writes (temporary file created, half written,
// written, backup linked, backup replaced, renamed, directory synced).
func runWriter() int {
	ctx := context.Background()
	if n, _ := strconv.Atoi(os.Getenv("CRASH_AT")); n > 0 {
		steps := 0
		crashPoint = func(string) {
			if steps++; steps == n {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}
		}
	}
	st, err := Open(ctx, NewLocalBackend(os.Getenv("STATE_PATH")), Options{Operation: "kill-harness"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if r := st.Lease().Replaced; r != nil {
		fmt.Printf("replaced %d\n", r.PID)
	}
	fmt.Println("ready")
	s := st.State()
	for s.Serial() < crashTarget {
		if err := contents(s, s.Serial()+1); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := st.Persist(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("wrote %d\n", s.Serial())
	}
	if err := st.Close(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func TestKilledWriterNeverLeavesAnUnreadableState(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SFSYNC_CRASH_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (SFSYNC_CRASH_SEED=%d repeats this run)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	path := statePath(t)
	var acked uint64 // the highest serial a writer reported written
	var kills, stepKills, timerKills, takeovers int
	for round := 0; ; round++ {
		if round == 3000 {
			t.Fatalf("no writer got through after %d rounds (acked %d)", round, acked)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"=writer", "STATE_PATH="+path)
		byStep := rng.IntN(2) == 0
		if byStep {
			// About seven steps per write: a kill within the next ~5 writes.
			cmd.Env = append(cmd.Env, fmt.Sprintf("CRASH_AT=%d", 1+rng.IntN(35)))
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var timer *time.Timer
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "ready" && !byStep:
				timer = time.AfterFunc(time.Duration(rng.IntN(15_000))*time.Microsecond, func() { cmd.Process.Kill() })
			case strings.HasPrefix(line, "replaced "):
				takeovers++
			case strings.HasPrefix(line, "wrote "):
				n, _ := strconv.ParseUint(strings.TrimPrefix(line, "wrote "), 10, 64)
				if n != acked+1 {
					t.Fatalf("writer wrote serial %d after %d: not consecutive", n, acked)
				}
				acked = n
			}
		}
		err = cmd.Wait()
		if timer != nil {
			timer.Stop()
		}
		var ee *exec.ExitError
		killed := errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
		if err != nil && !killed {
			t.Fatalf("round %d: writer failed: %v\n%s", round, err, stderr.String())
		}
		serial, err := verifyAfterCrash(path, acked)
		if err != nil {
			t.Fatalf("round %d, after %s at serial %d: %v", round, map[bool]string{true: "a kill", false: "a clean exit"}[killed], acked, err)
		}
		// Killed after its rename but before it said so, a writer leaves
		// one version more than it reported; the next continues from it.
		acked = serial
		if !killed {
			break
		}
		kills++
		if byStep {
			stepKills++
		} else {
			timerKills++
		}
	}
	t.Logf("%d writes, %d kills (%d at a write step, %d by timer), %d stale locks taken over", acked, kills, stepKills, timerKills, takeovers)
	if acked != crashTarget {
		t.Errorf("acked %d writes, want %d", acked, crashTarget)
	}
	if kills < 10 || takeovers*2 < kills {
		t.Errorf("%d kills and %d takeovers: the harness did not exercise crashes", kills, takeovers)
	}
	if _, err := os.Stat(path + ".lock"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("lock file after the last writer closed: %v", err)
	}
	tmps, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp-*"))
	if len(tmps) > 0 {
		t.Errorf("temporary files left after a clean run: %q", tmps)
	}
}

// verifyAfterCrash checks what a killed writer left behind and returns the
// state file's serial.
func verifyAfterCrash(path string, acked uint64) (uint64, error) {
	s, err := verifyFiles(path, acked)
	if err != nil || s == nil {
		return acked, err
	}
	return s.Serial(), nil
}

func verifyFiles(path string, acked uint64) (*State, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && acked == 0 {
		return nil, nil // killed before its first write finished
	}
	if err != nil {
		return nil, err
	}
	s, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("state file does not load: %w", err)
	}
	if s.Serial() < acked {
		return nil, fmt.Errorf("state file has serial %d, but serial %d was reported written", s.Serial(), acked)
	}
	if s.Serial() > acked+1 {
		return nil, fmt.Errorf("state file has serial %d, more than one past the reported %d", s.Serial(), acked)
	}
	if err := checkContents(s); err != nil {
		return nil, fmt.Errorf("state file: %w", err)
	}
	if fi, err := os.Stat(path); err != nil {
		return nil, err
	} else if fi.Mode().Perm() != 0o600 {
		return nil, fmt.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}
	data, err = os.ReadFile(path + ".backup")
	if errors.Is(err, fs.ErrNotExist) {
		if s.Serial() > 1 {
			return nil, fmt.Errorf("no backup at serial %d", s.Serial())
		}
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	bs, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("backup does not load: %w", err)
	}
	if bs.Serial() != s.Serial()-1 && bs.Serial() != s.Serial() {
		return nil, fmt.Errorf("backup has serial %d beside state serial %d", bs.Serial(), s.Serial())
	}
	if err := checkContents(bs); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return s, nil
}
