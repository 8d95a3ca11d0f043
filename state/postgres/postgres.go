// Package postgres keeps sfsync states in a PostgreSQL database, so that a
// team and its pipelines share one state per environment instead of a file
// on one laptop. It implements the state package's interfaces with the
// same format and the same serial and lineage checks as the local file:
//
//   - Each named state (a workspace: "staging", "production") is one row of
//     SCHEMA.states holding the encoded state exactly as the file would.
//     Writes are transactions that check the stored version with
//     state.CheckSuccessor under a row lock, so a writer never overwrites a
//     version it did not read.
//   - The versions a write replaces go to SCHEMA.state_history (the local
//     file keeps one backup; the database keeps the last Config.History).
//   - The lock is a session-level advisory lock held on one connection that
//     stays open for the run, so the server releases it the moment the
//     holder's session ends, however the holder died. A row in
//     SCHEMA.state_locks says who holds it, for the messages of the runs it
//     keeps out; force-unlock ends the holder's session.
//
// The tables are created on first use by a run that locks or writes.
package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sfsync/sfsync/state"
)

// Defaults of Config.
const (
	DefaultSchema    = "sfsync"
	DefaultWorkspace = "default"
	DefaultHistory   = 20

	// DefaultConnectTimeout bounds connecting when the connection
	// settings do not.
	DefaultConnectTimeout = 30 * time.Second
)

// Config says which database and which state in it.
type Config struct {
	// ConnString is a libpq connection string ("host=db dbname=sfsync
	// user=ci sslmode=require") or URL. Settings it leaves out come from
	// the PG* environment variables (PGHOST, PGPORT, PGDATABASE, PGUSER,
	// PGPASSWORD, PGSSLMODE, ...), the password file (~/.pgpass or
	// PGPASSFILE) and libpq's defaults. Empty: from those alone.
	ConnString string
	// Source says where ConnString came from ("conn_str_env SFSYNC_DB"),
	// for the message when it does not parse; the string itself is never
	// shown, because it may hold a password.
	Source string
	// Schema holds the tables; DefaultSchema when empty.
	Schema string
	// Workspace names the state within the tables; DefaultWorkspace when
	// empty.
	Workspace string
	// History is how many replaced versions of each workspace's state
	// are kept: 0 keeps DefaultHistory, a negative number keeps all.
	History int
}

// Backend is one named state in a PostgreSQL database.
type Backend struct {
	pg        *pgx.ConnConfig
	schema    string
	workspace string
	history   int
	name      string // String()
	key       int64  // the advisory lock's key

	mu    sync.Mutex
	held  *held // the lock this backend holds, with its connection
	ready bool  // the tables are known to exist
}

// held is a lock this process holds: the advisory lock lives as long as
// conn's session, so conn stays open until Unlock. Reads and writes of the
// run go through it too, so that a run whose session was ended (by
// force-unlock, or a server restart) cannot write without the lock.
type held struct {
	info state.LockInfo
	conn *pgx.Conn
}

var (
	_ state.Backend       = (*Backend)(nil)
	_ state.Reader        = (*Backend)(nil)
	_ state.Writer        = (*Backend)(nil)
	_ state.Locker        = (*Backend)(nil)
	_ state.LockInspector = (*Backend)(nil)
)

// New returns the backend for cfg. It parses the connection settings
// (reading the PG* variables and the password file) but does not connect:
// that happens on first use.
func New(cfg Config) (*Backend, error) {
	pc, err := pgx.ParseConfig(cfg.ConnString)
	if err != nil {
		return nil, parseError(cfg, err)
	}
	if pc.ConnectTimeout == 0 {
		// Without connect_timeout (or PGCONNECT_TIMEOUT), an unreachable
		// host would hold the run for as long as the system's TCP timeout.
		pc.ConnectTimeout = DefaultConnectTimeout
	}
	if _, ok := pc.RuntimeParams["application_name"]; !ok {
		// Shown in pg_stat_activity, so a DBA can tell sfsync's sessions.
		pc.RuntimeParams["application_name"] = "sfsync"
	}
	b := &Backend{
		pg:        pc,
		schema:    cmp.Or(cfg.Schema, DefaultSchema),
		workspace: cmp.Or(cfg.Workspace, DefaultWorkspace),
		history:   cfg.History,
	}
	if b.history == 0 {
		b.history = DefaultHistory
	}
	b.name = fmt.Sprintf("PostgreSQL state %q (%s, schema %s)", b.workspace, describeConn(pc), b.schema)
	h := fnv.New64a()
	fmt.Fprintf(h, "sfsync state lock\x00%s\x00%s", b.schema, b.workspace)
	b.key = int64(h.Sum64())
	return b, nil
}

// parseError explains a connection string that does not parse without
// showing it: pgx redacts passwords only as well as it can recognize them.
func parseError(cfg Config, err error) error {
	src := "the connection settings"
	if cfg.Source != "" {
		src = "the connection string from " + cfg.Source
	}
	reason := "it is neither key=value pairs nor a postgres:// URL"
	var ue *url.Error
	var pe *pgconn.ParseConfigError
	switch {
	case errors.As(err, &ue):
		reason = ue.Err.Error()
	case errors.As(err, &pe):
		// "cannot parse `<redacted>`: reason": keep the reason only.
		msg := pe.Error()
		if i := strings.LastIndex(msg, "`: "); i >= 0 {
			reason = msg[i+3:]
		}
	}
	return fmt.Errorf("PostgreSQL backend: %s does not parse: %s", src, reason)
}

// describeConn names the server and database without the password.
func describeConn(pc *pgx.ConnConfig) string {
	host := pc.Host
	if strings.HasPrefix(host, "/") {
		host = "socket " + host
	}
	return fmt.Sprintf("%s@%s:%d/%s", pc.User, host, pc.Port, pc.Database)
}

// String names the backend in messages, without any password.
func (b *Backend) String() string { return b.name }

// Workspace is the name of the state within the tables.
func (b *Backend) Workspace() string { return b.workspace }

// Schema is the schema of the tables.
func (b *Backend) Schema() string { return b.schema }

// table is the quoted, schema-qualified name of one of the tables.
func (b *Backend) table(name string) string {
	return pgx.Identifier{b.schema, name}.Sanitize()
}

// connect opens a new session.
func (b *Backend) connect(ctx context.Context) (*pgx.Conn, error) {
	c, err := pgx.ConnectConfig(ctx, b.pg.Copy())
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", b, err)
	}
	return c, nil
}

// withConn runs f on the session that holds this backend's lock, or on a
// session of its own when the backend holds no lock.
func (b *Backend) withConn(ctx context.Context, f func(*pgx.Conn) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held != nil {
		if err := f(b.held.conn); err != nil {
			return b.lostLock(err)
		}
		return nil
	}
	c, err := b.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close(context.WithoutCancel(ctx))
	return f(c)
}

// lostLock explains an error on the locked session when that session is
// gone: the lock went with it.
func (b *Backend) lostLock(err error) error {
	if b.held == nil || !b.held.conn.IsClosed() {
		return err
	}
	return fmt.Errorf("%w\nThe database session that held the lock of %s has ended (was the lock released with force-unlock, or the server restarted?), so this run no longer holds the lock", err, b)
}
