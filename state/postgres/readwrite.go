package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sfsync/sfsync/state"
)

// Read returns the workspace's state, or nil when none is stored. A
// workspace whose row is gone while its history remains was deleted by
// hand; that is an error naming the newest version kept, rather than an
// empty state that would make the next apply forget every record.
func (b *Backend) Read(ctx context.Context) (*state.State, error) {
	var s *state.State
	err := b.withConn(ctx, func(c *pgx.Conn) error {
		if ok, err := b.tablesExist(ctx, c); !ok || err != nil {
			return err
		}
		var data string
		err := c.QueryRow(ctx, "SELECT data FROM "+b.table("states")+" WHERE workspace = $1", b.workspace).Scan(&data)
		if errors.Is(err, pgx.ErrNoRows) {
			return b.missing(ctx, c)
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", b, err)
		}
		s, err = b.decode([]byte(data), "")
		if ne := (*state.NewerFormatError)(nil); err != nil && !errors.As(err, &ne) {
			err = b.damaged(ctx, c, err)
		}
		return err
	})
	return s, err
}

// damaged explains a current state that does not decode, with the way to
// restore the newest version in the history.
func (b *Backend) damaged(ctx context.Context, c *pgx.Conn, err error) error {
	var serial int64
	herr := c.QueryRow(ctx, "SELECT serial FROM "+b.table("state_history")+" WHERE workspace = $1 ORDER BY id DESC LIMIT 1", b.workspace).Scan(&serial)
	switch {
	case errors.Is(herr, pgx.ErrNoRows):
		return fmt.Errorf("%s is damaged: %w\nThere is no previous version in %s; repair the row by hand", b, err, b.table("state_history"))
	case herr != nil:
		return fmt.Errorf("%s is damaged: %w", b, errors.Join(err, herr))
	}
	return fmt.Errorf("%s is damaged: %w\n"+
		"The previous version (serial %d) is in %s. If it is what you expect, restore it with:\n  %s\n"+
		"The next plan then shows what changed since that version.",
		b, err, serial, b.table("state_history"), b.restoreSQL(serial))
}

// missing checks, for a workspace with no state row, whether it has
// history.
func (b *Backend) missing(ctx context.Context, c *pgx.Conn) error {
	var serial int64
	err := c.QueryRow(ctx, "SELECT serial FROM "+b.table("state_history")+" WHERE workspace = $1 ORDER BY id DESC LIMIT 1", b.workspace).Scan(&serial)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", b, err)
	}
	return fmt.Errorf("%s does not exist, but its history does (newest version: serial %d).\n"+
		"If the state was deleted by mistake, restore that version with:\n  %s\n"+
		"To start over with an empty state, delete the history too:\n  DELETE FROM %s WHERE workspace = %s;",
		b, serial, b.restoreSQL(serial), b.table("state_history"), quoteLiteral(b.workspace))
}

// restoreSQL is the statement that makes the newest history version with
// serial the current state again.
func (b *Backend) restoreSQL(serial int64) string {
	return fmt.Sprintf("INSERT INTO %[1]s (workspace, lineage, serial, sfsync_version, written_at, written_by, data) "+
		"SELECT workspace, lineage, serial, sfsync_version, written_at, written_by, data FROM %[2]s "+
		"WHERE workspace = %[3]s AND serial = %[4]d ORDER BY id DESC LIMIT 1 "+
		"ON CONFLICT (workspace) DO UPDATE SET lineage = EXCLUDED.lineage, serial = EXCLUDED.serial, "+
		"sfsync_version = EXCLUDED.sfsync_version, written_at = EXCLUDED.written_at, written_by = EXCLUDED.written_by, data = EXCLUDED.data;",
		b.table("states"), b.table("state_history"), quoteLiteral(b.workspace), serial)
}

func quoteLiteral(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}

// decode decodes a stored state; what names a history version ("" for the
// current state). A decoding error is returned bare, for the caller to
// explain.
func (b *Backend) decode(data []byte, what string) (*state.State, error) {
	s, err := state.Decode(data)
	if err == nil {
		return s, nil
	}
	if ne := (*state.NewerFormatError)(nil); errors.As(err, &ne) {
		return nil, fmt.Errorf("%s: %w", b, err)
	}
	if what != "" {
		return nil, fmt.Errorf("%s, %s, is damaged: %w", b, what, err)
	}
	return nil, err
}

// Write stores s as the workspace's next version after CheckSuccessor,
// moving the version it replaces to the history, in one transaction. A
// write that has started always finishes: ctx's cancellation is ignored,
// because an interrupted run must still save what it did.
func (b *Backend) Write(ctx context.Context, s *state.State) error {
	ctx = context.WithoutCancel(ctx)
	data, err := s.Encode()
	if err != nil {
		return err
	}
	who := writer()
	return b.withConn(ctx, func(c *pgx.Conn) error {
		if err := b.ensureTables(ctx, c); err != nil {
			return err
		}
		err := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			return b.write(ctx, tx, s, string(data), who)
		})
		if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) && pe.Code == "23505" /* unique_violation */ {
			// Two first writes without the lock: the other one won.
			return &state.ConflictError{Backend: b.String(), Reason: "another run created it at the same time"}
		}
		if ce := (*state.ConflictError)(nil); err != nil && !errors.As(err, &ce) {
			return fmt.Errorf("write %s: %w", b, err)
		}
		return err
	})
}

func (b *Backend) write(ctx context.Context, tx pgx.Tx, s *state.State, data, who string) error {
	var stored *state.Header
	var lineage string
	var serial int64
	err := tx.QueryRow(ctx, "SELECT lineage, serial FROM "+b.table("states")+" WHERE workspace = $1 FOR UPDATE", b.workspace).Scan(&lineage, &serial)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return err
	default:
		stored = &state.Header{FormatVersion: state.FormatVersion, Lineage: lineage, Serial: uint64(serial)}
	}
	if err := state.CheckSuccessor(b.String(), stored, s); err != nil {
		return err
	}
	if stored == nil {
		_, err = tx.Exec(ctx, "INSERT INTO "+b.table("states")+
			" (workspace, lineage, serial, sfsync_version, written_at, written_by, data) VALUES ($1, $2, $3, $4, now(), $5, $6)",
			b.workspace, s.Lineage(), int64(s.Serial()), s.SfsyncVersion(), who, data)
		return err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO "+b.table("state_history")+
		" (workspace, lineage, serial, sfsync_version, written_at, written_by, data)"+
		" SELECT workspace, lineage, serial, sfsync_version, written_at, written_by, data FROM "+b.table("states")+" WHERE workspace = $1",
		b.workspace); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "UPDATE "+b.table("states")+
		" SET lineage = $2, serial = $3, sfsync_version = $4, written_at = now(), written_by = $5, data = $6 WHERE workspace = $1",
		b.workspace, s.Lineage(), int64(s.Serial()), s.SfsyncVersion(), who, data); err != nil {
		return err
	}
	if b.history >= 0 {
		_, err := tx.Exec(ctx, "DELETE FROM "+b.table("state_history")+" WHERE workspace = $1 AND id NOT IN"+
			" (SELECT id FROM "+b.table("state_history")+" WHERE workspace = $1 ORDER BY id DESC LIMIT $2)",
			b.workspace, b.history)
		return err
	}
	return nil
}

// writer names who writes, for the written_by column.
func writer() string {
	i := state.NewLockInfo("")
	return i.Holder + "@" + i.Host
}

// Version describes one stored version of a workspace's state.
type Version struct {
	Lineage       string
	Serial        uint64
	SfsyncVersion string    // the sfsync that wrote it
	Written       time.Time // when it was written
	WrittenBy     string    // user@host of the run that wrote it
	Current       bool      // the current state; the others are history
}

// History lists the workspace's versions, newest first: the current state,
// then the versions it replaced that are still kept.
func (b *Backend) History(ctx context.Context) ([]Version, error) {
	var out []Version
	err := b.withConn(ctx, func(c *pgx.Conn) error {
		if ok, err := b.tablesExist(ctx, c); !ok || err != nil {
			return err
		}
		rows, err := c.Query(ctx, "SELECT lineage, serial, sfsync_version, written_at, written_by, true FROM "+b.table("states")+" WHERE workspace = $1"+
			" UNION ALL (SELECT lineage, serial, sfsync_version, written_at, written_by, false FROM "+b.table("state_history")+" WHERE workspace = $1 ORDER BY id DESC)",
			b.workspace)
		if err != nil {
			return fmt.Errorf("read the history of %s: %w", b, err)
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Version, error) {
			var v Version
			var serial int64
			err := r.Scan(&v.Lineage, &serial, &v.SfsyncVersion, &v.Written, &v.WrittenBy, &v.Current)
			v.Serial = uint64(serial)
			return v, err
		})
		if err != nil {
			return fmt.Errorf("read the history of %s: %w", b, err)
		}
		return nil
	})
	return out, err
}

// ReadVersion returns the newest stored version with the given serial —
// the current state or one from the history — or nil when none is kept.
func (b *Backend) ReadVersion(ctx context.Context, serial uint64) (*state.State, error) {
	var s *state.State
	err := b.withConn(ctx, func(c *pgx.Conn) error {
		if ok, err := b.tablesExist(ctx, c); !ok || err != nil {
			return err
		}
		var data string
		err := c.QueryRow(ctx, "SELECT data FROM "+b.table("states")+" WHERE workspace = $1 AND serial = $2"+
			" UNION ALL (SELECT data FROM "+b.table("state_history")+" WHERE workspace = $1 AND serial = $2 ORDER BY id DESC)"+
			" LIMIT 1", b.workspace, int64(serial)).Scan(&data)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read serial %d of %s: %w", serial, b, err)
		}
		s, err = b.decode([]byte(data), fmt.Sprintf("serial %d", serial))
		return err
	})
	return s, err
}
