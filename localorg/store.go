package localorg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// internalTables are the store's own tables. Object tables are named after
// the objects; Salesforce API names never start with "_", so these cannot
// collide with them.
var internalTables = []string{
	`CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
	// _counters holds the next Id number per key prefix. It survives reset
	// so that an Id is never given to two different records.
	`CREATE TABLE IF NOT EXISTS _counters (prefix TEXT PRIMARY KEY, next INTEGER NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS _sessions (token TEXT PRIMARY KEY, user_id TEXT NOT NULL, issued INTEGER NOT NULL, last_used INTEGER NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS _refresh_tokens (token TEXT PRIMARY KEY, user_id TEXT NOT NULL, client_id TEXT NOT NULL, issued INTEGER NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS _jobs (
		id TEXT PRIMARY KEY,
		seq INTEGER NOT NULL,
		api INTEGER NOT NULL,
		kind INTEGER NOT NULL,
		operation TEXT NOT NULL,
		object TEXT NOT NULL,
		external_id_field TEXT NOT NULL DEFAULT '',
		assignment_rule_id TEXT NOT NULL DEFAULT '',
		content_type TEXT NOT NULL,
		line_ending TEXT NOT NULL,
		column_delimiter TEXT NOT NULL,
		concurrency_mode TEXT NOT NULL,
		api_version TEXT NOT NULL,
		query TEXT NOT NULL DEFAULT '',
		query_header TEXT NOT NULL DEFAULT '',
		state TEXT NOT NULL,
		error_message TEXT NOT NULL DEFAULT '',
		created_by TEXT NOT NULL,
		created_date TEXT NOT NULL,
		system_modstamp TEXT NOT NULL,
		uploaded INTEGER NOT NULL DEFAULT 0,
		records_processed INTEGER NOT NULL DEFAULT 0,
		records_failed INTEGER NOT NULL DEFAULT 0,
		retries INTEGER NOT NULL DEFAULT 0,
		total_processing_time INTEGER NOT NULL DEFAULT 0,
		api_active_processing_time INTEGER NOT NULL DEFAULT 0,
		apex_processing_time INTEGER NOT NULL DEFAULT 0
	)`,
	`CREATE INDEX IF NOT EXISTS _jobs_seq ON _jobs(seq)`,
	// _batches holds the units of uploaded data: the one upload of a Bulk
	// 2.0 job, or each batch of a Bulk 1.0 job. next_row is how many data
	// rows have been applied and committed; processing resumes there. The
	// data itself is in _batch_data, so that updating a batch's counters
	// does not rewrite megabytes.
	`CREATE TABLE IF NOT EXISTS _batches (
		id TEXT PRIMARY KEY,
		job_id TEXT NOT NULL,
		seq INTEGER NOT NULL,
		state TEXT NOT NULL,
		state_message TEXT NOT NULL DEFAULT '',
		content_type TEXT NOT NULL DEFAULT '',
		rows_total INTEGER NOT NULL DEFAULT -1,
		next_row INTEGER NOT NULL DEFAULT 0,
		records_processed INTEGER NOT NULL DEFAULT 0,
		records_failed INTEGER NOT NULL DEFAULT 0,
		total_processing_time INTEGER NOT NULL DEFAULT 0,
		api_active_processing_time INTEGER NOT NULL DEFAULT 0,
		apex_processing_time INTEGER NOT NULL DEFAULT 0,
		created_date TEXT NOT NULL,
		system_modstamp TEXT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS _batches_job ON _batches(job_id, seq)`,
	`CREATE TABLE IF NOT EXISTS _batch_data (batch_id TEXT PRIMARY KEY, data BLOB NOT NULL)`,
	// _results holds one row per processed data row, written in the same
	// transaction as the records it describes. echo is the row's values as
	// CSV: re-serialised for successes, as uploaded for failures.
	`CREATE TABLE IF NOT EXISTS _results (
		batch_id TEXT NOT NULL,
		row INTEGER NOT NULL,
		success INTEGER NOT NULL,
		created INTEGER NOT NULL,
		record_id TEXT NOT NULL DEFAULT '',
		error TEXT NOT NULL DEFAULT '',
		echo TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (batch_id, row)
	) WITHOUT ROWID`,
	// _query_chunks holds a query job's result rows rendered as CSV, in
	// chunks; offsets has the byte offset of each row in data (uint32 LE).
	`CREATE TABLE IF NOT EXISTS _query_chunks (
		job_id TEXT NOT NULL,
		seq INTEGER NOT NULL,
		first_row INTEGER NOT NULL,
		rows INTEGER NOT NULL,
		data BLOB NOT NULL,
		offsets BLOB NOT NULL,
		PRIMARY KEY (job_id, seq)
	) WITHOUT ROWID`,
}

// migrations add the columns later versions introduced to the tables of
// an org made by an earlier one.
var migrations = []struct{ table, column, def string }{
	{"_jobs", "pk_chunking", "TEXT NOT NULL DEFAULT ''"},
	{"_jobs", "disable_retry", "INTEGER NOT NULL DEFAULT 0"},
	{"_batches", "chunk", "TEXT NOT NULL DEFAULT ''"},
}

func (o *Org) migrate(ctx context.Context) error {
	for _, m := range migrations {
		var n int
		if err := o.db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, m.table, m.column).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			if _, err := o.db.ExecContext(ctx, `ALTER TABLE `+m.table+` ADD COLUMN `+m.column+` `+m.def); err != nil {
				return err
			}
		}
	}
	return nil
}

// metaKeys maps _meta keys to the fields of meta.
func (m *meta) fields() map[string]*string {
	return map[string]*string{
		"org_id":         &m.OrgID,
		"org_name":       &m.OrgName,
		"admin_user_id":  &m.AdminUserID,
		"username":       &m.Username,
		"password":       &m.Password,
		"security_token": &m.SecurityToken,
		"client_id":      &m.ClientID,
		"client_secret":  &m.ClientSecret,
		"refresh_token":  &m.RefreshToken,
		"admin_secret":   &m.AdminSecret,
		"jwt_cert":       &m.JWTCert,
	}
}

// init creates the store's tables, loads the org's identity (making a new
// org on first use), loads the schema and seeds what a new org has.
func (o *Org) init(ctx context.Context) error {
	for _, stmt := range internalTables {
		if _, err := o.db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create store: %w", err)
		}
	}
	if err := o.migrate(ctx); err != nil {
		return fmt.Errorf("migrate store: %w", err)
	}
	if err := o.loadMeta(ctx); err != nil {
		return err
	}
	if o.meta.OrgID == "" {
		if err := o.createIdentity(ctx, ""); err != nil {
			return err
		}
	}
	if err := o.loadSchema(ctx); err != nil {
		return err
	}
	if err := o.seed(ctx); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if err := o.sessions.load(ctx); err != nil {
		return err
	}
	o.startWorkers()
	return nil
}

func (o *Org) loadMeta(ctx context.Context) error {
	rows, err := o.db.QueryContext(ctx, `SELECT key, value FROM _meta`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var m meta
	f := m.fields()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		if p, ok := f[k]; ok {
			*p = v
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	o.mu.Lock()
	o.meta = m
	o.mu.Unlock()
	return nil
}

func saveMeta(ctx context.Context, tx *sql.Tx, m *meta) error {
	for k, p := range m.fields() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO _meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, k, *p); err != nil {
			return err
		}
	}
	return nil
}

// Alphabets of the generated secrets, shaped like Salesforce's.
const (
	alnum      = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	tokenChars = alnum + "._"
	upperHex   = "0123456789ABCDEF"
)

// createIdentity gives the org a new Id and fresh credentials. The admin
// user's Id is fixed by the User Id counter, so it is made by seed; here it
// is reserved.
func (o *Org) createIdentity(ctx context.Context, keepOrgID string) error {
	m := meta{
		OrgID:         keepOrgID,
		OrgName:       "Local Org",
		Username:      "admin@localorg.test",
		Password:      randomString(16, alnum),
		SecurityToken: randomString(24, alnum),
		ClientID:      "3MVG9" + randomString(80, tokenChars),
		ClientSecret:  randomString(64, upperHex),
		RefreshToken:  "5Aep861" + randomString(80, tokenChars),
		AdminSecret:   randomString(40, alnum),
	}
	if m.OrgID == "" {
		m.OrgID = newOrgID()
	}
	o.mu.RLock()
	m.JWTCert = o.meta.JWTCert
	o.mu.RUnlock()
	err := o.write(ctx, func(tx *sql.Tx) error {
		return saveMeta(ctx, tx, &m)
	})
	if err != nil {
		return fmt.Errorf("create org identity: %w", err)
	}
	o.mu.Lock()
	o.meta = m
	o.mu.Unlock()
	return nil
}

// nextIDs reserves n Ids for prefix inside tx and returns the first number.
func nextIDs(ctx context.Context, tx *sql.Tx, prefix string, n int) (int64, error) {
	var next int64
	err := tx.QueryRowContext(ctx, `SELECT next FROM _counters WHERE prefix = ?`, prefix).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		next = 1
		_, err = tx.ExecContext(ctx, `INSERT INTO _counters(prefix, next) VALUES(?, ?)`, prefix, next+int64(n))
	} else if err == nil {
		_, err = tx.ExecContext(ctx, `UPDATE _counters SET next = ? WHERE prefix = ?`, next+int64(n), prefix)
	}
	if err != nil {
		return 0, fmt.Errorf("allocate %s Ids: %w", prefix, err)
	}
	return next, nil
}

// quoteIdent quotes a table or column name for SQLite.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
