package localorg

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sfsync/sfsync/localorg/internal/schema"
)

// seedVersion marks what seed has put in the org; bump it to add seeds to
// existing orgs.
const seedVersion = "1"

// seed gives a new org what every Salesforce org has: the admin user, its
// profile, the Organization record and the standard price book. It runs
// once per org (and again after Reset).
func (o *Org) seed(ctx context.Context) error {
	var done string
	err := o.db.QueryRowContext(ctx, `SELECT value FROM _meta WHERE key = 'seeded'`).Scan(&done)
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	if done == seedVersion {
		return nil
	}
	return o.write(ctx, func(tx *sql.Tx) error {
		m := o.metaCopy()
		if m.AdminUserID == "" {
			n, err := nextIDs(ctx, tx, "005", 1)
			if err != nil {
				return err
			}
			m.AdminUserID = makeID("005", n)
			if err := saveMeta(ctx, tx, &m); err != nil {
				return err
			}
			o.mu.Lock()
			o.meta.AdminUserID = m.AdminUserID
			o.mu.Unlock()
		}
		w := o.newWriter(ctx, tx, m.AdminUserID)
		defer w.close()
		profile := o.adminProfileID()
		seeds := []struct {
			object string
			id     string
			vals   map[string]any
		}{
			{"Profile", profile, map[string]any{"Name": "System Administrator", "UserType": "Standard"}},
			{"Profile", makeID("00e", 2), map[string]any{"Name": "Standard User", "UserType": "Standard"}},
			{"Organization", m.OrgID, map[string]any{"Name": m.OrgName, "OrganizationType": "Developer Edition",
				"IsSandbox": int64(0), "TimeZoneSidKey": "America/Los_Angeles", "LanguageLocaleKey": "en_US",
				"DefaultLocaleSidKey": "en_US", "Country": "US", "InstanceName": "EM0"}},
			{"User", m.AdminUserID, map[string]any{"Username": m.Username, "FirstName": adminFirstName, "LastName": adminLastName,
				"Name": adminFullName, "Email": m.Username, "Alias": "ladmin", "CommunityNickname": "admin",
				"IsActive": int64(1), "ProfileId": profile, "UserType": "Standard", "TimeZoneSidKey": "America/Los_Angeles",
				"LocaleSidKey": "en_US", "EmailEncodingKey": "UTF-8", "LanguageLocaleKey": "en_US"}},
			{"Pricebook2", "", map[string]any{"Name": "Standard Price Book", "IsStandard": int64(1), "IsActive": int64(1)}},
		}
		for _, s := range seeds {
			obj := o.object(s.object)
			if obj == nil || !storable(obj) {
				continue
			}
			vals := map[string]any{}
			for k, v := range s.vals {
				if f := obj.Field(k); f != nil && f.Storage() != schema.NoColumn {
					vals[f.Name] = v
				}
			}
			w.defaults(obj, vals)
			id := s.id
			if id == "" {
				n, err := nextIDs(ctx, tx, obj.KeyPrefix, 1)
				if err != nil {
					return err
				}
				id = makeID(obj.KeyPrefix, n)
			}
			vals["Id"] = id
			if err := w.insertRow(obj, vals); err != nil {
				return fmt.Errorf("%s: %w", s.object, err)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO _meta(key, value) VALUES('seeded', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, seedVersion)
		return err
	})
}

// adminProfileID is the Id of the System Administrator profile.
func (o *Org) adminProfileID() string { return makeID("00e", 1) }

// saveMetaNow writes the org's identity.
func (o *Org) saveMetaNow(m meta) error {
	return o.write(context.Background(), func(tx *sql.Tx) error {
		return saveMeta(context.Background(), tx, &m)
	})
}

// Reset empties the org: every record and job goes, the seed records come
// back. The org Id, credentials, custom schema and sessions are kept;
// with newOrg the org gets a new Id and credentials, the standard schema
// only, and every session ends. Id numbers are never reused.
func (o *Org) Reset(ctx context.Context, newOrg bool) error {
	o.wmu.Lock()
	err := o.writeLocked(ctx, func(tx *sql.Tx) error {
		for _, obj := range o.Schema().Objects() {
			if storable(obj) {
				if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS `+quoteIdent(obj.Name)); err != nil {
					return err
				}
			}
		}
		for _, t := range []string{"_jobs", "_batches", "_batch_data", "_results", "_query_chunks"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
				return err
			}
		}
		stmts := []string{`DELETE FROM _meta WHERE key = 'seeded'`}
		if newOrg {
			stmts = append(stmts, `DELETE FROM _sessions`, `DELETE FROM _refresh_tokens`,
				`DELETE FROM _meta WHERE key = '`+metaCustomSchema+`'`, `UPDATE _meta SET value = '' WHERE key = 'admin_user_id'`)
		}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	o.wmu.Unlock()
	if err != nil {
		return fmt.Errorf("reset org: %w", err)
	}
	if newOrg {
		o.sessions.mu.Lock()
		o.sessions.m = map[string]*session{}
		o.sessions.mu.Unlock()
		if err := o.createIdentity(ctx, ""); err != nil {
			return err
		}
	}
	if err := o.loadSchema(ctx); err != nil {
		return fmt.Errorf("reset org: %w", err)
	}
	if err := o.seed(ctx); err != nil {
		return fmt.Errorf("reset org: seed: %w", err)
	}
	if o.onReset != nil {
		return o.onReset(ctx)
	}
	return nil
}
