// Package localorg is a local, durable Salesforce org that speaks
// Salesforce's real wire protocols: SOAP and OAuth login, REST describe,
// query and sObject Collections, and the Bulk APIs. sfsync runs every test
// against it and uses it as the embedded default org; other tools (jsforce,
// go-salesforce, the sf CLI) can be pointed at it unchanged.
//
// One org lives in one directory: a SQLite database in WAL mode holding the
// org's identity, users, sessions, custom schema, one table per object and
// the Bulk jobs with their uploaded data and per-row results. Jobs are
// processed asynchronously in chunks of 200 records, one transaction per
// chunk, so a process killed mid-job resumes where the last committed chunk
// stopped. One process holds a directory at a time (see Start).
//
// It enforces Salesforce's limits and daily allocations (Limits) and can
// fail on purpose the ways Salesforce fails — 503s and 500s, expired
// sessions, row locks, failed batches and jobs, slow processing, answers
// cut mid-body or lost with their connection, shuffled results (Faults) — switched from Go or through the admin API
// under /__localorg/, for clients' reliability tests.
package localorg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfsync/sfsync/localorg/internal/schema"
	"github.com/sfsync/sfsync/localorg/internal/soql"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// Options tune an org. The zero value is a sensible default.
type Options struct {
	// ChunkDelay is a pause after each chunk of 200 records, so clients
	// can watch jobs go through their states. Zero processes at full speed.
	ChunkDelay time.Duration
	// JobDelay is a pause before a job or batch starts processing.
	JobDelay time.Duration
	// SessionTTL is how long a session lives without activity (Salesforce's
	// default is 2 hours, which is also the default here).
	SessionTTL time.Duration
	// Workers is how many jobs are processed at once (default 2).
	Workers int
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
	// Clock replaces time.Now (tests).
	Clock func() time.Time
	// Limits lowers Salesforce's limits and allocations (zero fields keep
	// Salesforce's values).
	Limits Limits
	// MaxAPIVersion is the newest API version the org serves, as on an org
	// that a release has not reached yet (for example 55 serves 31.0 to
	// 55.0); zero means MaxAPIVersion, the newest there is.
	MaxAPIVersion int
}

func (o Options) withDefaults() Options {
	if o.SessionTTL <= 0 {
		o.SessionTTL = 2 * time.Hour
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Limits = o.Limits.withDefaults()
	if o.MaxAPIVersion == 0 {
		o.MaxAPIVersion = MaxAPIVersion
	}
	return o
}

// Org is one local org, open in this process.
type Org struct {
	dir  string
	opts Options
	db   *sql.DB
	lock *dirLock
	log  *slog.Logger

	// wmu serialises write transactions: SQLite has one writer, and taking
	// the turn in Go avoids busy retries.
	wmu       sync.Mutex
	lastStamp time.Time

	mu   sync.RWMutex // guards meta
	meta meta

	sessions *sessionCache
	sch      atomic.Pointer[schema.Schema] // replaced by Reset
	work     *workers

	cursorsMu sync.Mutex
	cursors   map[string]*queryCursor // REST query locators
	cursorSeq int64
	// apiCalls counts authenticated API requests (DailyApiRequests).
	apiCalls int64

	limMu      sync.Mutex
	lims       Limits    // in force; see SetLimits
	usageSince time.Time // ResetUsage: allocations count from here

	faults faultState
	// onReset is called after Reset, by the Instance serving the org, to
	// rewrite connection.json with the new identity.
	onReset  func(context.Context) error
	closed   chan struct{}
	closeOne sync.Once
}

// meta is the org's identity and credentials, kept in the _meta table.
type meta struct {
	OrgID         string
	OrgName       string
	AdminUserID   string
	Username      string
	Password      string
	SecurityToken string
	ClientID      string
	ClientSecret  string
	RefreshToken  string
	AdminSecret   string
	JWTCert       string // PEM certificate of the connected app, for jwt-bearer
}

// ErrLocked is returned by Open when another process holds the directory.
var ErrLocked = errors.New("org directory is held by another process")

// dbFile is the database's name inside the org directory.
const dbFile = "org.db"

// Open opens (creating if needed) the org stored in dir. It fails with an
// error wrapping ErrLocked if another live process holds dir.
func Open(dir string, opts Options) (*Org, error) {
	opts = opts.withDefaults()
	if opts.MaxAPIVersion < MinAPIVersion || opts.MaxAPIVersion > MaxAPIVersion {
		return nil, fmt.Errorf("open org: MaxAPIVersion %d is not between %d and %d", opts.MaxAPIVersion, MinAPIVersion, MaxAPIVersion)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open org: %w", err)
	}
	lock, err := lockDir(filepath.Join(dir, "lock"))
	if err != nil {
		var le *errLocked
		if errors.As(err, &le) {
			return nil, fmt.Errorf("open org %s: %w (%v)", dir, ErrLocked, le)
		}
		return nil, fmt.Errorf("open org %s: lock: %w", dir, err)
	}
	o := &Org{dir: dir, opts: opts, lock: lock, log: opts.Logger, closed: make(chan struct{}), lims: opts.Limits}
	o.faults.jobDelay, o.faults.chunkDelay = opts.JobDelay, opts.ChunkDelay
	if err := o.openDB(); err != nil {
		lock.unlock()
		return nil, fmt.Errorf("open org %s: %w", dir, err)
	}
	o.sessions = newSessionCache(o)
	if err := o.init(context.Background()); err != nil {
		o.db.Close()
		lock.unlock()
		return nil, fmt.Errorf("open org %s: %w", dir, err)
	}
	return o, nil
}

func (o *Org) openDB() error {
	// The collation and functions of compiled SOQL (and of the indexes on
	// case-insensitive columns) must be known to every connection.
	if err := soql.Register(); err != nil {
		return err
	}
	path := filepath.Join(o.dir, dbFile)
	// WAL with synchronous=NORMAL: a commit survives the process being
	// killed (the WAL is in the OS's hands), only a power loss may drop the
	// last transactions.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=busy_timeout(20000)&_pragma=foreign_keys(0)&_pragma=cache_size(-65536)&_pragma=temp_store(MEMORY)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	if err := db.Ping(); err != nil {
		db.Close()
		return err
	}
	o.db = db
	return nil
}

// Dir returns the org's directory.
func (o *Org) Dir() string { return o.dir }

// ID returns the 18-character organization Id.
func (o *Org) ID() string {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.meta.OrgID
}

// Close stops job processing (a chunk in flight finishes), closes the
// database and releases the directory.
func (o *Org) Close() error {
	var err error
	o.closeOne.Do(func() {
		close(o.closed)
		o.stopWorkers()
		o.sessions.flush(context.Background())
		err = o.db.Close()
		if uerr := o.lock.unlock(); err == nil {
			err = uerr
		}
	})
	return err
}

// write runs fn in a write transaction, one at a time.
func (o *Org) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	o.wmu.Lock()
	defer o.wmu.Unlock()
	return o.writeLocked(ctx, fn)
}

// writeLocked is write for callers that already hold o.wmu.
func (o *Org) writeLocked(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := o.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
