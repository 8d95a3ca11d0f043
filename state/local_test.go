package state

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfsync/sfsync/internal/version"
)

func statePath(t *testing.T) string {
	return filepath.Join(t.TempDir(), DefaultPath)
}

func readSerial(t *testing.T, path string) uint64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Decode(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s.Serial()
}

func TestLocalWriteReadAndBackup(t *testing.T) {
	ctx := context.Background()
	path := statePath(t)
	b := NewLocalBackend(path)
	st, err := Open(ctx, b, Options{Operation: "test"})
	if err != nil {
		t.Fatal(err)
	}
	s := st.State()
	if s.Serial() != 0 || s.Len() != 0 || s.Lineage() == "" {
		t.Fatalf("a missing file should give a fresh empty state: serial %d, %d records, lineage %q", s.Serial(), s.Len(), s.Lineage())
	}
	must(t, s.BindOrg(orgA, "https://acme.my.salesforce.com"))
	must(t, s.Bind(Record{Address: "Account.acme", Object: "Account", ID: acmeID, Key: map[string]string{"External_Id__c": "A"}}))
	must(t, st.Persist(ctx))
	if s.Serial() != 1 || s.SfsyncVersion() != version.Version {
		t.Errorf("after the first write: serial %d, version %q", s.Serial(), s.SfsyncVersion())
	}
	if _, err := os.Stat(b.BackupPath()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the first write made a backup: %v", err)
	}
	must(t, s.Bind(Record{Address: "Account.globex", Object: "Account", ID: globexID}))
	must(t, st.Persist(ctx))
	must(t, st.Persist(ctx))
	if got := readSerial(t, path); got != 3 {
		t.Errorf("file serial = %d, want 3", got)
	}
	if got := readSerial(t, b.BackupPath()); got != 2 {
		t.Errorf("backup serial = %d, want 2", got)
	}
	if runtime.GOOS != "windows" {
		for _, p := range []string{path, b.BackupPath()} {
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v, %v; want 0600", p, fi.Mode().Perm(), err)
			}
		}
	}
	if _, err := os.Stat(b.LockPath()); err != nil {
		t.Errorf("lock file while the store is open: %v", err)
	}
	must(t, st.Close(ctx))
	must(t, st.Close(ctx))
	if _, err := os.Stat(b.LockPath()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("lock file after Close: %v", err)
	}
	if err := st.Persist(ctx); err == nil {
		t.Error("Persist after Close succeeded")
	}
	assertNoLeftovers(t, filepath.Dir(path))

	back, err := NewLocalBackend(path).Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if back.Lineage() != s.Lineage() || back.Serial() != 3 || back.OrgID() != orgA {
		t.Errorf("read back: lineage %s serial %d org %s", back.Lineage(), back.Serial(), back.OrgID())
	}
	if diff := cmp.Diff(s.AllRecords(), back.AllRecords()); diff != "" {
		t.Errorf("records read back (-written +read):\n%s", diff)
	}
}

func assertNoLeftovers(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") || strings.Contains(e.Name(), ".release-") {
			t.Errorf("leftover file %s", e.Name())
		}
	}
}

func TestWriteRefusesAStateItDidNotRead(t *testing.T) {
	ctx := context.Background()
	path := statePath(t)
	first, err := Open(ctx, NewLocalBackend(path), Options{NoLock: true})
	if err != nil {
		t.Fatal(err)
	}
	must(t, first.Persist(ctx))
	second, err := Open(ctx, NewLocalBackend(path), Options{NoLock: true})
	if err != nil {
		t.Fatal(err)
	}
	must(t, first.Persist(ctx))
	err = second.Persist(ctx)
	var ce *ConflictError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "another run changed it since this run read it (serial 2 there, this run read 1)") {
		t.Fatalf("stale write: %v", err)
	}
	if second.State().Serial() != 1 {
		t.Errorf("a refused Persist left serial %d, want 1", second.State().Serial())
	}

	stranger, err := Open(ctx, NewLocalBackend(filepath.Join(t.TempDir(), "other.json")), Options{NoLock: true})
	if err != nil {
		t.Fatal(err)
	}
	must(t, stranger.Persist(ctx))
	must(t, stranger.Persist(ctx))
	must(t, stranger.Persist(ctx))
	stranger.backend = NewLocalBackend(path) // same serial, other lineage
	if err := stranger.Persist(ctx); !errors.As(err, &ce) || !strings.Contains(err.Error(), "different state (lineage") {
		t.Errorf("write over another lineage: %v", err)
	}
	fresh, err := Open(ctx, NewLocalBackend(filepath.Join(t.TempDir(), "gone.json")), Options{NoLock: true})
	if err != nil {
		t.Fatal(err)
	}
	must(t, fresh.Persist(ctx))
	os.Remove(filepath.Join(filepath.Dir(fresh.backend.(*LocalBackend).Path()), "gone.json"))
	if err := fresh.Persist(ctx); !errors.As(err, &ce) || !strings.Contains(err.Error(), "no longer exists") {
		t.Errorf("write after the file was removed: %v", err)
	}
}

func TestCorruptFileNamesTheBackup(t *testing.T) {
	ctx := context.Background()
	path := statePath(t)
	b := NewLocalBackend(path)
	st, err := Open(ctx, b, Options{NoLock: true})
	if err != nil {
		t.Fatal(err)
	}
	must(t, st.State().Bind(Record{Address: "Account.acme", Object: "Account", ID: acmeID}))
	must(t, st.Persist(ctx))
	must(t, st.Persist(ctx))
	data, _ := os.ReadFile(path)
	must(t, os.WriteFile(path, data[:len(data)-40], 0o600))

	_, err = b.Read(ctx)
	var ce *CorruptError
	if !errors.As(err, &ce) {
		t.Fatalf("Read(truncated) = %v, want *CorruptError", err)
	}
	for _, want := range []string{"is damaged", "truncated?", b.BackupPath() + " (serial 1)", "mv " + path + " " + path + ".damaged && cp " + b.BackupPath() + " " + path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%s", want, err)
		}
	}
	if _, err := Open(ctx, b, Options{Operation: "test"}); !errors.As(err, &ce) {
		t.Errorf("Open(truncated) = %v", err)
	}
	if _, err := os.Stat(b.LockPath()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed Open left the lock: %v", err)
	}
	if err := st.Persist(ctx); !errors.As(err, &ce) {
		t.Errorf("writing over a damaged file: %v", err)
	}

	// Following the advice restores the previous version.
	must(t, os.Rename(path, path+".damaged"))
	backup, _ := os.ReadFile(b.BackupPath())
	must(t, os.WriteFile(path, backup, 0o600))
	if s, err := b.Read(ctx); err != nil || s.Serial() != 1 || s.Len() != 1 {
		t.Errorf("after restoring the backup: %v", err)
	}

	// A damaged backup, and no backup, are said so.
	must(t, os.WriteFile(b.BackupPath(), []byte("{"), 0o600))
	must(t, os.WriteFile(path, []byte("not json"), 0o600))
	if _, err := b.Read(ctx); err == nil || !strings.Contains(err.Error(), "backup "+b.BackupPath()+" is damaged too") {
		t.Errorf("damaged backup: %v", err)
	}
	must(t, os.Remove(b.BackupPath()))
	if _, err := b.Read(ctx); err == nil || !strings.Contains(err.Error(), "There is no backup") {
		t.Errorf("no backup: %v", err)
	}
}

func TestMissingFileWithABackupIsAnError(t *testing.T) {
	ctx := context.Background()
	path := statePath(t)
	b := NewLocalBackend(path)
	st, _ := Open(ctx, b, Options{NoLock: true})
	must(t, st.Persist(ctx))
	must(t, st.Persist(ctx))
	must(t, os.Remove(path))
	_, err := b.Read(ctx)
	if err == nil || !strings.Contains(err.Error(), "does not exist, but its backup") || !strings.Contains(err.Error(), "cp "+b.BackupPath()+" "+path) {
		t.Errorf("Read with only a backup: %v", err)
	}
}

func TestNewerFormatFileIsRefusedNotCorrupt(t *testing.T) {
	path := statePath(t)
	must(t, os.WriteFile(path, []byte(`{"format_version": 9, "sfsync_version": "3.0.0"}`), 0o600))
	_, err := NewLocalBackend(path).Read(context.Background())
	var ne *NewerFormatError
	var ce *CorruptError
	if !errors.As(err, &ne) || errors.As(err, &ce) || !strings.Contains(err.Error(), path) {
		t.Errorf("Read(format 9) = %v", err)
	}
}

func TestBackupFallsBackToACopy(t *testing.T) {
	saved := linkFile
	defer func() { linkFile = saved }()
	linkFile = func(string, string) error { return errors.New("hard links not supported") }

	ctx := context.Background()
	path := statePath(t)
	b := NewLocalBackend(path)
	st, err := Open(ctx, b, Options{Operation: "test"}) // the lock falls back to O_EXCL
	if err != nil {
		t.Fatal(err)
	}
	if h, err := b.LockHolder(ctx); err != nil || h == nil || h.ID != st.Lease().Info.ID {
		t.Fatalf("LockHolder = %+v, %v", h, err)
	}
	must(t, st.Persist(ctx))
	must(t, st.Persist(ctx))
	if got := readSerial(t, b.BackupPath()); got != 1 {
		t.Errorf("backup serial = %d, want 1", got)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(b.BackupPath()); fi.Mode().Perm() != 0o600 {
			t.Errorf("copied backup mode %v", fi.Mode().Perm())
		}
	}
	if _, err := Open(ctx, b, Options{Operation: "second"}); !errors.As(err, new(*LockedError)) {
		t.Errorf("second Open with O_EXCL locks: %v", err)
	}
	must(t, st.Close(ctx))
	assertNoLeftovers(t, filepath.Dir(path))
}

func TestOpenAppliesTheOrgGuard(t *testing.T) {
	ctx := context.Background()
	b := NewLocalBackend(statePath(t))
	st, err := Open(ctx, b, Options{Operation: "apply", OrgID: orgA[:15], InstanceURL: "https://acme.my.salesforce.com"})
	if err != nil {
		t.Fatal(err)
	}
	if st.State().OrgID() != orgA {
		t.Errorf("a new state was not bound to the org: %q", st.State().OrgID())
	}
	must(t, st.Persist(ctx))
	must(t, st.Close(ctx))

	if st, err := Open(ctx, b, Options{Operation: "apply", OrgID: orgA}); err != nil {
		t.Errorf("Open for the same org: %v", err)
	} else {
		must(t, st.Close(ctx))
	}
	foreign := testID("00D", 7)
	_, err = Open(ctx, b, Options{Operation: "apply", OrgID: foreign, InstanceURL: "https://sandbox.my.salesforce.com"})
	var me *OrgMismatchError
	if !errors.As(err, &me) || me.StateOrgID != orgA || me.OrgID != foreign {
		t.Fatalf("Open for a foreign org = %v", err)
	}
	if h, _ := b.LockHolder(ctx); h != nil {
		t.Errorf("a refused Open kept the lock: %+v", h)
	}
}

// BenchmarkPersist measures one write of a state of 50,000 records, which
// apply makes after every finished job.
func BenchmarkPersist(b *testing.B) {
	ctx := context.Background()
	st, err := Open(ctx, NewLocalBackend(filepath.Join(b.TempDir(), DefaultPath)), Options{Operation: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close(ctx)
	for i := range 50_000 {
		err := st.State().Bind(Record{Address: "Account.r" + strconv.Itoa(i), Object: "Account", ID: testID("001", i),
			Key: map[string]string{"External_Id__c": "K-" + strconv.Itoa(i)}, Hash: HashValues(map[string]string{"Name": strconv.Itoa(i)})})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if err := st.Persist(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRead measures reading the same state back, as every plan does.
func BenchmarkRead(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), DefaultPath)
	st, err := Open(ctx, NewLocalBackend(path), Options{NoLock: true})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 50_000 {
		st.State().Bind(Record{Address: "Account.r" + strconv.Itoa(i), Object: "Account", ID: testID("001", i),
			Key: map[string]string{"External_Id__c": "K-" + strconv.Itoa(i)}, Hash: HashValues(map[string]string{"Name": strconv.Itoa(i)})})
	}
	if err := st.Persist(ctx); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := NewLocalBackend(path).Read(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// A writer killed after replacing the backup but before replacing the state
// leaves the state and its backup as one file under two names; the next
// backup must not leave its temporary link behind.
func TestBackupOverSameFileLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sfsync.state.json")
	if err := os.WriteFile(p, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(p, p+".backup"); err != nil {
		t.Fatalf("hard link: %v", err)
	}
	if err := backupFile(p); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 2 {
		t.Fatalf("directory holds %q, want only the state and its backup", names)
	}
}

// TestStateDirectoryIsCreated checks that a state path in a directory that
// does not exist yet (-state=states/sandbox.json) works: the lock and the
// first write create it, readable by the owner only.
func TestStateDirectoryIsCreated(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	path := filepath.Join(root, "states", "org", "sandbox.json")
	b := NewLocalBackend(path)
	if s, err := b.Read(ctx); err != nil || s != nil {
		t.Fatalf("reading a state in a missing directory: %v, %v; want no state", s, err)
	}
	st, err := Open(ctx, b, Options{Operation: "test"})
	if err != nil {
		t.Fatal(err)
	}
	must(t, st.State().Bind(Record{Address: "Account.acme", Object: "Account", ID: acmeID}))
	must(t, st.Persist(ctx))
	must(t, st.Close(ctx))
	if got := readSerial(t, path); got != 1 {
		t.Errorf("serial %d, want 1", got)
	}
	if runtime.GOOS != "windows" {
		for _, dir := range []string{filepath.Join(root, "states"), filepath.Dir(path)} {
			if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("%s: mode %v, %v; want 0700", dir, fi.Mode().Perm(), err)
			}
		}
	}
	// A write without a lock creates the directory too.
	other := NewLocalBackend(filepath.Join(root, "unlocked", DefaultPath))
	st, err = Open(ctx, other, Options{Operation: "test", NoLock: true})
	if err != nil {
		t.Fatal(err)
	}
	must(t, st.Persist(ctx))
	must(t, st.Close(ctx))
	if _, err := os.Stat(other.Path()); err != nil {
		t.Errorf("unlocked write: %v", err)
	}
	assertNoLeftovers(t, filepath.Dir(path))
}
