package state

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/google/uuid"
)

// DefaultPath is the state file's name in the working directory, beside the
// configuration.
const DefaultPath = "sfsync.state.json"

// LocalBackend keeps the state in a file. Writes are atomic: the new
// version goes to a temporary file in the same directory, which is synced
// and renamed over the state file, and then the directory is synced; the
// previous version stays in PATH.backup (a hard link to the replaced file,
// or a copy where links are not supported). So at every instant, even when
// the process is killed, PATH holds a complete version. The lock is
// PATH.lock. A directory in PATH that does not exist yet is created (mode
// 0700) by the first lock or write, so that -state=states/sandbox.json
// works from the first run.
type LocalBackend struct {
	path string
	name string // how messages name the file

	mu     sync.Mutex
	heldID string // the lock this backend took, if any
	// known is the file as this backend last read or wrote it, and
	// knownHeader its header: while the file is still that one, a write
	// need not read it again to check what it replaces.
	known       fs.FileInfo
	knownHeader Header
}

var (
	_ Backend       = (*LocalBackend)(nil)
	_ Reader        = (*LocalBackend)(nil)
	_ Writer        = (*LocalBackend)(nil)
	_ Locker        = (*LocalBackend)(nil)
	_ LockInspector = (*LocalBackend)(nil)
)

// NewLocalBackend returns the backend for the state file at path. If path
// is a symbolic link, the file it points to is the state (and its backup,
// lock and temporary files go beside that file).
func NewLocalBackend(path string) *LocalBackend {
	return &LocalBackend{path: path, name: path}
}

// Named sets how messages name the state file, for example the path as the
// user gave it rather than the absolute one the backend uses. Instructions
// that involve commands (restoring the backup) keep the full path.
func (b *LocalBackend) Named(name string) *LocalBackend {
	b.name = name
	return b
}

// Path is the state file's path as given.
func (b *LocalBackend) Path() string { return b.path }

// BackupPath is where the previous version is kept.
func (b *LocalBackend) BackupPath() string { return b.target() + ".backup" }

// LockPath is the lock file.
func (b *LocalBackend) LockPath() string { return b.target() + ".lock" }

func (b *LocalBackend) String() string { return "state file " + b.name }

// target resolves symbolic links, so that the rename replaces the file the
// link points to (which need not exist yet) rather than the link.
func (b *LocalBackend) target() string {
	p := b.path
	for range 40 { // as many links as Linux follows
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return p
		}
		t, err := os.Readlink(p)
		if err != nil {
			return p
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(p), t)
		}
		p = t
	}
	return p
}

// crashPoint is called between the steps of a write; the kill harness sets
// it to kill the process at a chosen step.
var crashPoint = func(step string) {}

// linkFile is os.Link; tests replace it to take the copy fallback.
var linkFile = os.Link

// Read reads and decodes the state file. A missing file is no state (nil)
// unless its backup exists, which means the file was removed by hand; a
// file that does not decode is a *CorruptError that points at the backup.
func (b *LocalBackend) Read(ctx context.Context) (*State, error) {
	p := b.target()
	s, fi, err := decodeFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		if bs, berr := os.Stat(p + ".backup"); berr == nil && bs.Mode().IsRegular() {
			return nil, fmt.Errorf("state file %s does not exist, but its backup %s does.\n"+
				"If the state file was removed by mistake, restore it with:\n  cp %s %s\n"+
				"To start over with an empty state, remove the backup too.",
				p, p+".backup", p+".backup", p)
		}
		return nil, nil
	}
	if err != nil {
		return nil, b.decodeError(p, err)
	}
	b.remember(fi, Header{FormatVersion: FormatVersion, Lineage: s.Lineage(), Serial: s.Serial()})
	return s, nil
}

// decodeFile decodes the state file at p as it reads it, and describes the
// very file it read.
func decodeFile(p string) (*State, fs.FileInfo, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, &readError{err}
	}
	s, err := decode(f, fi.Size())
	return s, fi, err
}

// decodeError explains why the state file at p could not be read: it
// could not be read at all, it is of a newer format, or it is damaged.
func (b *LocalBackend) decodeError(p string, err error) error {
	if re := (*readError)(nil); errors.As(err, &re) || errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read state: %w", err)
	}
	if ne := (*NewerFormatError)(nil); errors.As(err, &ne) {
		return fmt.Errorf("%s: %w", b, err)
	}
	return newCorruptError(p, err)
}

func (b *LocalBackend) remember(fi fs.FileInfo, h Header) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.known, b.knownHeader = fi, h
}

// stored returns the header of the state file now on disk: the remembered
// one while the file is the one this backend last read or wrote, otherwise
// read and fully checked, so that a file damaged or replaced since is never
// rotated into the backup.
func (b *LocalBackend) stored(p string) (*Header, error) {
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	b.mu.Lock()
	known, h := b.known, b.knownHeader
	b.mu.Unlock()
	if known != nil && os.SameFile(known, fi) && known.Size() == fi.Size() && known.ModTime().Equal(fi.ModTime()) {
		return &h, nil
	}
	s, _, err := decodeFile(p)
	if err != nil {
		return nil, b.decodeError(p, err)
	}
	return &Header{FormatVersion: FormatVersion, Lineage: s.Lineage(), Serial: s.Serial()}, nil
}

// CorruptError is a state file that cannot be decoded. Its message names
// the backup and says how to restore it.
type CorruptError struct {
	Path   string
	Err    error
	Backup string
	// BackupState is the backup when it decodes; BackupErr why it does
	// not (fs.ErrNotExist when there is none).
	BackupState *State
	BackupErr   error
}

func newCorruptError(path string, err error) *CorruptError {
	e := &CorruptError{Path: path, Err: err, Backup: path + ".backup"}
	e.BackupState, _, e.BackupErr = decodeFile(e.Backup)
	return e
}

func (e *CorruptError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "state file %s is damaged: %v\n", e.Path, e.Err)
	switch {
	case e.BackupState != nil:
		fmt.Fprintf(&b, "The previous version is in %s (serial %d). If it is what you expect, set the damaged file aside and restore it:\n"+
			"  mv %s %s.damaged && cp %s %s\n"+
			"The next plan then shows what changed since that version.",
			e.Backup, e.BackupState.Serial(), e.Path, e.Path, e.Backup, e.Path)
	case errors.Is(e.BackupErr, fs.ErrNotExist):
		fmt.Fprintf(&b, "There is no backup (%s does not exist); repair the file by hand or restore it from version control.", e.Backup)
	default:
		fmt.Fprintf(&b, "Its backup %s is damaged too: %v", e.Backup, e.BackupErr)
	}
	return b.String()
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Write stores s atomically after CheckSuccessor, keeping the replaced
// version as the backup. A write that has started always finishes: ctx is
// not consulted, because an interrupted run must still save what it did.
func (b *LocalBackend) Write(_ context.Context, s *State) error {
	p := b.target()
	stored, err := b.stored(p)
	if err != nil {
		return err
	}
	if err := CheckSuccessor(b.String(), stored, s); err != nil {
		return err
	}
	b.removeLeftovers(p)
	if err := makeDir(p); err != nil {
		return fmt.Errorf("write %s: %w", b, err)
	}
	fi, err := writeAtomic(p, s.encodeTo, stored != nil)
	if err != nil {
		return fmt.Errorf("write %s: %w", b, err)
	}
	b.remember(fi, Header{FormatVersion: FormatVersion, Lineage: s.Lineage(), Serial: s.Serial()})
	return nil
}

func tempPrefix(p string) string { return "." + filepath.Base(p) + ".tmp-" }

// removeLeftovers removes temporary files a killed writer left behind. Only
// a run holding the lock does it: without the lock, another writer's
// temporary file may be in use.
func (b *LocalBackend) removeLeftovers(p string) {
	b.mu.Lock()
	held := b.heldID != ""
	b.mu.Unlock()
	if !held {
		return
	}
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(p), globEscape(tempPrefix(p))+"*"))
	for _, m := range matches {
		os.Remove(m)
	}
}

func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}

// fileWriter writes a file's contents to w, calling half once midway.
type fileWriter func(w io.Writer, half func()) error

// writeAtomic replaces p with what write writes: temporary file, fsync,
// backup of the old version, rename, directory fsync.
func writeAtomic(p string, write fileWriter, backup bool) (fs.FileInfo, error) {
	dir := filepath.Dir(p)
	tmp, fi, err := writeTemp(p, write)
	if err != nil {
		return nil, err
	}
	crashPoint("temp written")
	if backup {
		if err := backupFile(p); err != nil {
			os.Remove(tmp)
			return nil, fmt.Errorf("keep backup: %w", err)
		}
		crashPoint("backup replaced")
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return nil, err
	}
	crashPoint("renamed")
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	crashPoint("directory synced")
	return fi, nil
}

// writeTemp writes a new temporary file beside p (mode 0600), syncs it and
// describes it (a rename keeps the description valid).
func writeTemp(p string, write fileWriter) (string, fs.FileInfo, error) {
	f, err := os.CreateTemp(filepath.Dir(p), tempPrefix(p)+"*")
	if err != nil {
		return "", nil, err
	}
	name := f.Name()
	fail := func(err error) (string, fs.FileInfo, error) {
		f.Close()
		os.Remove(name)
		return "", nil, err
	}
	if err := f.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		return fail(err)
	}
	crashPoint("temp created")
	if err := write(f, func() { crashPoint("temp half written") }); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	fi, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", nil, err
	}
	return name, fi, nil
}

// backupFile makes p.backup the current version of p: a hard link under a
// temporary name renamed over the old backup, so the backup too is always
// complete. Where hard links are not supported, a copy.
func backupFile(p string) error {
	tmp := filepath.Join(filepath.Dir(p), tempPrefix(p)+uuid.NewString()[:8])
	if err := linkFile(p, tmp); err != nil {
		data, rerr := os.ReadFile(p)
		if rerr != nil {
			return rerr
		}
		if tmp, _, err = writeTemp(p, bytesContents(data)); err != nil {
			return err
		}
	}
	crashPoint("backup linked")
	if err := os.Rename(tmp, p+".backup"); err != nil {
		os.Remove(tmp)
		return err
	}
	// A writer killed between this rename and the state's own rename leaves
	// p and p.backup as links to one file; renaming one link of a file over
	// another is a successful no-op (POSIX), which would leave tmp behind.
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// bytesContents writes data.
func bytesContents(data []byte) fileWriter {
	return func(w io.Writer, half func()) error {
		if _, err := w.Write(data[:len(data)/2]); err != nil {
			return err
		}
		half()
		_, err := w.Write(data[len(data)/2:])
		return err
	}
}

// syncDir makes a rename in dir durable. Windows cannot open a directory
// for syncing; NTFS journals renames itself.
// makeDir creates the directory of the file p, and any missing parents,
// with mode 0700 — it holds the state, its backup and its lock, which are
// nobody else's to read — unless it exists. The parent of the directory it
// creates is synced, so that the new directory outlives a crash as the
// state file written into it does.
func makeDir(p string) error {
	dir := filepath.Dir(p)
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
