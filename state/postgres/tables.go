package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The tables, in SCHEMA:
//
//	states         one row per workspace: its current state
//	state_history  versions replaced by later writes, oldest pruned
//	state_locks    one row per locked workspace: who holds the lock
//
// data is the state exactly as state.Encode writes it (the local file's
// format), so `SELECT data FROM sfsync.states WHERE workspace = '...'`
// gives a file sfsync reads.
const createTables = `
CREATE SCHEMA IF NOT EXISTS {schema};

CREATE TABLE IF NOT EXISTS {states} (
	workspace      text        PRIMARY KEY,
	lineage        text        NOT NULL,
	serial         bigint      NOT NULL,
	sfsync_version text        NOT NULL,
	written_at     timestamptz NOT NULL DEFAULT now(),
	written_by     text        NOT NULL,
	data           text        NOT NULL
);

CREATE TABLE IF NOT EXISTS {history} (
	id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workspace      text        NOT NULL,
	lineage        text        NOT NULL,
	serial         bigint      NOT NULL,
	sfsync_version text        NOT NULL,
	written_at     timestamptz NOT NULL,
	written_by     text        NOT NULL,
	replaced_at    timestamptz NOT NULL DEFAULT now(),
	data           text        NOT NULL
);
CREATE INDEX IF NOT EXISTS state_history_workspace ON {history} (workspace, id);

CREATE TABLE IF NOT EXISTS {locks} (
	workspace   text        PRIMARY KEY,
	lock_id     text        NOT NULL,
	backend_pid integer     NOT NULL,
	locked_at   timestamptz NOT NULL DEFAULT now(),
	info        jsonb       NOT NULL
);
`

// setupLockKey serializes table creation across runs: concurrent CREATE
// TABLE IF NOT EXISTS of the same table can fail on a catalog unique
// index.
const setupLockKey = int64(0x7366_7379_6e63_0001) // "sfsync" 1

// tablesExist reports whether the three tables exist. It needs no
// privilege beyond connecting, so read-only users can read states.
func (b *Backend) tablesExist(ctx context.Context, c *pgx.Conn) (bool, error) {
	if b.ready {
		return true, nil
	}
	var n int
	err := c.QueryRow(ctx, `SELECT (to_regclass($1) IS NOT NULL)::int + (to_regclass($2) IS NOT NULL)::int + (to_regclass($3) IS NOT NULL)::int`,
		b.table("states"), b.table("state_history"), b.table("state_locks")).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look for the state tables of %s: %w", b, err)
	}
	b.ready = n == 3
	return b.ready, nil
}

// ensureTables creates the schema and tables unless they exist.
func (b *Backend) ensureTables(ctx context.Context, c *pgx.Conn) error {
	if ok, err := b.tablesExist(ctx, c); ok || err != nil {
		return err
	}
	sql := strings.NewReplacer(
		"{schema}", pgx.Identifier{b.schema}.Sanitize(),
		"{states}", b.table("states"),
		"{history}", b.table("state_history"),
		"{locks}", b.table("state_locks"),
	).Replace(createTables)
	err := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", setupLockKey); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, sql)
		return err
	})
	if err != nil {
		return fmt.Errorf("create the state tables in schema %s for %s: %w\n"+
			"The database user needs the CREATE privilege on the database (or on schema %s); or a database administrator can create them, see the README",
			b.schema, b, err, b.schema)
	}
	b.ready = true
	return nil
}
