package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sfsync/sfsync/state"
)

// Lock takes the workspace's advisory lock with pg_try_advisory_lock on a
// new session, which this backend keeps open (and uses for the run's reads
// and writes) until Unlock. The server releases a session's advisory locks
// when the session ends, so a holder that dies, however it dies, leaves no
// lock behind: only its row in state_locks, which the next Lock replaces
// and reports in Lease.Replaced.
func (b *Backend) Lock(ctx context.Context, info state.LockInfo) (state.Lease, error) {
	if info.ID == "" {
		return state.Lease{}, errors.New("lock: the lock has no id")
	}
	record, err := json.Marshal(info)
	if err != nil {
		return state.Lease{}, fmt.Errorf("lock %s: %w", b, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held != nil {
		return state.Lease{}, &state.LockedError{Backend: b.String(), Holder: b.held.info}
	}
	c, err := b.connect(ctx)
	if err != nil {
		return state.Lease{}, err
	}
	keep := false
	defer func() {
		if !keep {
			c.Close(context.WithoutCancel(ctx))
		}
	}()
	if err := b.ensureTables(ctx, c); err != nil {
		return state.Lease{}, err
	}
	got := false
	for range 3 {
		if err := c.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", b.key).Scan(&got); err != nil {
			return state.Lease{}, fmt.Errorf("lock %s: %w", b, err)
		}
		if got {
			break
		}
		holder, _, err := b.currentHolder(ctx, c)
		if err != nil {
			return state.Lease{}, err
		}
		if holder != nil {
			return state.Lease{}, &state.LockedError{Backend: b.String(), Holder: *holder}
		}
		// Released in the meantime: try again.
	}
	if !got {
		return state.Lease{}, fmt.Errorf("lock %s: other runs keep taking and releasing the lock; try again", b)
	}
	var replaced *state.LockInfo
	err = pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		var old []byte
		err := tx.QueryRow(ctx, "SELECT info FROM "+b.table("state_locks")+" WHERE workspace = $1 FOR UPDATE", b.workspace).Scan(&old)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		default:
			replaced = &state.LockInfo{}
			if err := json.Unmarshal(old, replaced); err != nil {
				replaced = &state.LockInfo{ID: "(unreadable lock record)", Holder: "unknown", Host: "unknown"}
			}
		}
		_, err = tx.Exec(ctx, "INSERT INTO "+b.table("state_locks")+" (workspace, lock_id, backend_pid, locked_at, info)"+
			" VALUES ($1, $2, pg_backend_pid(), now(), $3)"+
			" ON CONFLICT (workspace) DO UPDATE SET lock_id = EXCLUDED.lock_id, backend_pid = EXCLUDED.backend_pid,"+
			" locked_at = EXCLUDED.locked_at, info = EXCLUDED.info",
			b.workspace, info.ID, string(record))
		return err
	})
	if err != nil {
		return state.Lease{}, fmt.Errorf("lock %s: %w", b, err)
	}
	b.held = &held{info: info, conn: c}
	keep = true
	return state.Lease{Info: info, Replaced: replaced}, nil
}

// Unlock releases the lock with the given id. The lock this backend holds
// is released and its session closed. Another run's lock — force-unlock —
// is released by ending that run's database session with
// pg_terminate_backend: a session-level advisory lock cannot be released
// from another session. That needs the privilege to end the holder's
// session (the same database user, pg_signal_backend, or a superuser);
// without it, the error says what a database administrator can run.
func (b *Backend) Unlock(ctx context.Context, id string) error {
	ctx = context.WithoutCancel(ctx)
	b.mu.Lock()
	defer b.mu.Unlock()
	if h := b.held; h != nil {
		if h.info.ID != id {
			return fmt.Errorf("unlock %s: this run holds it with lock ID %s, not %s", b, h.info.ID, id)
		}
		b.held = nil
		defer h.conn.Close(ctx)
		_, err := h.conn.Exec(ctx, "DELETE FROM "+b.table("state_locks")+" WHERE workspace = $1 AND lock_id = $2", b.workspace, id)
		if err == nil {
			_, err = h.conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", b.key)
		}
		if err != nil && h.conn.IsClosed() {
			return fmt.Errorf("unlock %s: the database session that held the lock ended before this run finished (was the lock released with force-unlock?): %w", b, err)
		}
		if err != nil {
			// Closing the session releases the lock all the same.
			return fmt.Errorf("unlock %s: %w", b, err)
		}
		return nil
	}
	c, err := b.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	return b.forceUnlock(ctx, c, id)
}

func (b *Backend) forceUnlock(ctx context.Context, c *pgx.Conn, id string) error {
	if ok, err := b.tablesExist(ctx, c); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("unlock %s: %w", b, state.ErrNotLocked)
	}
	holder, pid, err := b.currentHolder(ctx, c)
	if err != nil {
		return err
	}
	if holder == nil {
		// Not locked; a record left by a holder whose session ended may
		// remain. Removing it changes nothing but tidiness.
		tag, err := c.Exec(ctx, "DELETE FROM "+b.table("state_locks")+" WHERE workspace = $1 AND lock_id = $2", b.workspace, id)
		if err == nil && tag.RowsAffected() > 0 {
			return nil
		}
		return fmt.Errorf("unlock %s: %w", b, state.ErrNotLocked)
	}
	if holder.ID != id {
		return fmt.Errorf("unlock %s: it is locked with lock ID %s, not %s; that lock is held by %s", b, holder.ID, id, holder)
	}
	var signalled bool
	if err := c.QueryRow(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&signalled); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "42501" { // insufficient_privilege
			return fmt.Errorf("unlock %s: the lock is held by database session %d, and database user %s may not end it (%s).\n"+
				"Stop the run that holds it (%s), or ask a database administrator to run:\n  SELECT pg_terminate_backend(%d);",
				b, pid, b.pg.User, pe.Message, holder, pid)
		}
		return fmt.Errorf("unlock %s: end database session %d: %w", b, pid, err)
	}
	// pg_terminate_backend only signals; wait for the session to go.
	deadline := time.Now().Add(30 * time.Second)
	for {
		now, err := b.advisoryHolder(ctx, c)
		if err != nil {
			return err
		}
		if now != pid {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("unlock %s: database session %d was asked to end 30 seconds ago and still holds the lock", b, pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := c.Exec(ctx, "DELETE FROM "+b.table("state_locks")+" WHERE workspace = $1 AND lock_id = $2", b.workspace, id); err != nil {
		return fmt.Errorf("unlock %s: the lock is released, but its record remains: %w", b, err)
	}
	return nil
}

// LockHolder returns who holds the workspace's lock, or nil when nobody
// does (a record left by a holder whose session ended is not a lock).
func (b *Backend) LockHolder(ctx context.Context) (*state.LockInfo, error) {
	var holder *state.LockInfo
	err := b.withConn(ctx, func(c *pgx.Conn) error {
		if ok, err := b.tablesExist(ctx, c); !ok || err != nil {
			return err
		}
		var err error
		holder, _, err = b.currentHolder(ctx, c)
		return err
	})
	return holder, err
}

// currentHolder returns the holder of the advisory lock and its session's
// pid: the lock record when it belongs to that session. A holder has its
// record a moment after it takes the lock, so a missing or outdated record
// is read again for half a second before the session itself is described.
func (b *Backend) currentHolder(ctx context.Context, c *pgx.Conn) (*state.LockInfo, int32, error) {
	for attempt := 0; ; attempt++ {
		pid, err := b.advisoryHolder(ctx, c)
		if err != nil || pid == 0 {
			return nil, 0, err
		}
		var info []byte
		var recPID int32
		err = c.QueryRow(ctx, "SELECT info, backend_pid FROM "+b.table("state_locks")+" WHERE workspace = $1", b.workspace).Scan(&info, &recPID)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, 0, fmt.Errorf("read the lock of %s: %w", b, err)
		}
		if err == nil && recPID == pid {
			var h state.LockInfo
			if err := json.Unmarshal(info, &h); err == nil && h.ID != "" {
				return &h, pid, nil
			}
		}
		if attempt == 5 {
			h, err := b.sessionHolder(ctx, c, pid)
			return h, pid, err
		}
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// advisoryHolder returns the pid of the session holding the workspace's
// advisory lock in this database, or 0. For a bigint key, pg_locks shows
// the high half in classid, the low half in objid and objsubid 1.
func (b *Backend) advisoryHolder(ctx context.Context, c *pgx.Conn) (int32, error) {
	var pid int32
	err := c.QueryRow(ctx, `SELECT pid FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND objsubid = 1
		  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND ((classid::bigint << 32) | objid::bigint) = $1`, b.key).Scan(&pid)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the lock of %s: %w", b, err)
	}
	return pid, nil
}

// SessionLockPrefix starts the lock ID of a lock held by a session with no
// lock record (not an sfsync run, or its record was deleted by hand); the
// session's pid follows. force-unlock accepts it like any lock ID.
const SessionLockPrefix = "pg-session-"

// sessionHolder describes a session that holds the lock without a record,
// from what pg_stat_activity shows.
func (b *Backend) sessionHolder(ctx context.Context, c *pgx.Conn, pid int32) (*state.LockInfo, error) {
	var user, addr, app string
	var since *time.Time
	err := c.QueryRow(ctx, `SELECT coalesce(usename, ''), coalesce(client_hostname, host(client_addr), 'a local socket'),
		coalesce(application_name, ''), backend_start FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&user, &addr, &app, &since)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("read the lock of %s: %w", b, err)
	}
	h := &state.LockInfo{
		ID:        fmt.Sprintf("%s%d", SessionLockPrefix, pid),
		Operation: fmt.Sprintf("database session %d of %q, with no lock record", pid, app),
		Holder:    cmp.Or(user, "unknown"),
		Host:      addr,
		PID:       int(pid), // the server process of the session: all there is to show
	}
	if since != nil {
		h.Created = since.UTC()
	}
	return h, nil
}
