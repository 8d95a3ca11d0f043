package localorg

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/sfsync/sfsync/localorg/internal/schema"
	"github.com/sfsync/sfsync/localorg/internal/soql"
)

// The store keeps one table per object, named after the object, with one
// column per stored field, named after the field (API names are unique per
// object, case-insensitively, as SQLite identifiers are). Values follow the
// storage encoding of the project brief.

// metaCustomSchema is the _meta key holding the custom schema additions.
const metaCustomSchema = "custom_schema"

// loadSchema builds the schema (standard objects plus saved custom
// additions) and makes sure every object has its table.
func (o *Org) loadSchema(ctx context.Context) error {
	var custom string
	err := o.db.QueryRowContext(ctx, `SELECT value FROM _meta WHERE key = ?`, metaCustomSchema).Scan(&custom)
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	s, err := schema.Load([]byte(custom))
	if err != nil {
		return err
	}
	o.sch.Store(s)
	return o.write(ctx, func(tx *sql.Tx) error {
		return ensureTables(ctx, tx, s.Objects())
	})
}

// object returns the object named name (case-insensitively), or nil.
func (o *Org) object(name string) *schema.Object { return o.Schema().Object(name) }

// storable reports whether an object has records the store keeps.
func storable(obj *schema.Object) bool {
	f := obj.Field("Id")
	return obj.KeyPrefix != "" && f != nil && f.Type == schema.TypeID
}

// storedFields returns the fields of obj that have a column.
func storedFields(obj *schema.Object) []*schema.Field {
	out := make([]*schema.Field, 0, len(obj.Fields))
	for _, f := range obj.Fields {
		if f.Storage() != schema.NoColumn && f.Storage() != 0 {
			out = append(out, f)
		}
	}
	return out
}

// ensureTables creates missing tables, columns and indexes.
func ensureTables(ctx context.Context, tx *sql.Tx, objs []*schema.Object) error {
	for _, obj := range objs {
		if !storable(obj) {
			continue
		}
		if err := ensureTable(ctx, tx, obj); err != nil {
			return fmt.Errorf("create table for %s: %w", obj.Name, err)
		}
	}
	return nil
}

func columnDDL(f *schema.Field) string {
	def := quoteIdent(f.Name) + " " + f.Storage().String()
	switch {
	case f.Name == "Id":
		def += " PRIMARY KEY"
	case f.Type == schema.TypeBoolean:
		def += " NOT NULL DEFAULT 0"
	}
	return def
}

func ensureTable(ctx context.Context, tx *sql.Tx, obj *schema.Object) error {
	fields := storedFields(obj)
	cols := make([]string, len(fields))
	for i, f := range fields {
		cols[i] = columnDDL(f)
	}
	table := quoteIdent(obj.Name)
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+table+` (`+strings.Join(cols, ", ")+`)`); err != nil {
		return err
	}
	have := map[string]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, obj.Name)
	if err != nil {
		return err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		have[strings.ToLower(n)] = true
	}
	rows.Close()
	for _, f := range fields {
		if !have[strings.ToLower(f.Name)] {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE `+table+` ADD COLUMN `+columnDDL(f)); err != nil {
				return err
			}
		}
	}
	for _, f := range fields {
		var expr string
		switch {
		case f.Type == schema.TypeReference:
			expr = quoteIdent(f.Name)
		case f.ExternalID || f.Unique || f.IDLookup && f.Name != "Id" || f.NameField:
			expr = quoteIdent(f.Name)
			if !f.CaseSensitive && f.Storage() == schema.TextColumn {
				expr += " COLLATE " + soql.Collation
			}
		default:
			continue
		}
		idx := quoteIdent("i_" + obj.Name + "_" + f.Name)
		if _, err := tx.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS `+idx+` ON `+table+`(`+expr+`)`); err != nil {
			return err
		}
	}
	return nil
}

// AddSchema adds the custom objects and fields of a describe-shaped JSON
// document (one object or a list) and creates their tables and columns.
func (o *Org) AddSchema(ctx context.Context, describeJSON []byte) ([]schema.Change, error) {
	o.wmu.Lock()
	defer o.wmu.Unlock()
	changes, err := o.Schema().AddCustom(describeJSON)
	if err != nil {
		return nil, err
	}
	err = o.writeLocked(ctx, func(tx *sql.Tx) error {
		var objs []*schema.Object
		for _, c := range changes {
			objs = append(objs, c.Object)
		}
		if err := ensureTables(ctx, tx, objs); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO _meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
			metaCustomSchema, string(o.Schema().CustomJSON()))
		return err
	})
	if err != nil {
		return nil, err
	}
	return changes, nil
}

// Schema returns the org's schema (standard and custom objects).
func (o *Org) Schema() *schema.Schema { return o.sch.Load() }
