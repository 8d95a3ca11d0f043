package localorg

import (
	"context"
	"database/sql"
)

// seed gives a new org what every Salesforce org has. It is idempotent:
// on an existing org it only adds what is missing.
func (o *Org) seed(ctx context.Context) error {
	m := o.metaCopy()
	if m.AdminUserID != "" {
		return nil
	}
	err := o.write(ctx, func(tx *sql.Tx) error {
		n, err := nextIDs(ctx, tx, "005", 1)
		if err != nil {
			return err
		}
		m.AdminUserID = makeID("005", n)
		return saveMeta(ctx, tx, &m)
	})
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.meta.AdminUserID = m.AdminUserID
	o.mu.Unlock()
	return nil
}

// adminProfileID is the Id of the System Administrator profile.
func (o *Org) adminProfileID() string { return makeID("00e", 1) }

// saveMetaNow writes the org's identity.
func (o *Org) saveMetaNow(m meta) error {
	return o.write(context.Background(), func(tx *sql.Tx) error {
		return saveMeta(context.Background(), tx, &m)
	})
}
