package localorg

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// session is one access token's state.
type session struct {
	userID    string
	issued    time.Time
	lastUsed  time.Time
	persisted time.Time // last_used as last written to the store
}

// sessionCache keeps sessions in memory and in the _sessions table, so
// tokens stay valid across restarts as they do on Salesforce. Activity
// extends a session; it is written back at most once a minute per session
// to keep reads from writing.
type sessionCache struct {
	o  *Org
	mu sync.Mutex
	m  map[string]*session
}

func newSessionCache(o *Org) *sessionCache {
	return &sessionCache{o: o, m: map[string]*session{}}
}

func (c *sessionCache) load(ctx context.Context) error {
	rows, err := c.o.db.QueryContext(ctx, `SELECT token, user_id, issued, last_used FROM _sessions`)
	if err != nil {
		return err
	}
	defer rows.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	for rows.Next() {
		var tok, user string
		var issued, last int64
		if err := rows.Scan(&tok, &user, &issued, &last); err != nil {
			return err
		}
		lu := time.UnixMilli(last)
		c.m[tok] = &session{userID: user, issued: time.UnixMilli(issued), lastUsed: lu, persisted: lu}
	}
	return rows.Err()
}

// newSession issues an access token for userID.
func (o *Org) newSession(ctx context.Context, userID string) (string, time.Time, error) {
	now := o.now()
	tok := o.tokenPrefix() + "!AQ" + randomString(110, tokenChars)
	err := o.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO _sessions(token, user_id, issued, last_used) VALUES(?, ?, ?, ?)`,
			tok, userID, now.UnixMilli(), now.UnixMilli())
		return err
	})
	if err != nil {
		return "", time.Time{}, err
	}
	c := o.sessions
	c.mu.Lock()
	c.m[tok] = &session{userID: userID, issued: now, lastUsed: now, persisted: now}
	c.mu.Unlock()
	return tok, now, nil
}

// tokenPrefix is what every session id starts with: the 15-character org Id.
func (o *Org) tokenPrefix() string { return o.ID()[:15] }

// checkSession returns the user of a live session and extends it.
func (o *Org) checkSession(ctx context.Context, tok string) (string, bool) {
	c := o.sessions
	now := o.now()
	c.mu.Lock()
	s, ok := c.m[tok]
	if !ok {
		c.mu.Unlock()
		return "", false
	}
	if now.Sub(s.lastUsed) > o.opts.SessionTTL {
		delete(c.m, tok)
		c.mu.Unlock()
		o.write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM _sessions WHERE token = ?`, tok)
			return err
		})
		return "", false
	}
	s.lastUsed = now
	persist := now.Sub(s.persisted) > time.Minute
	if persist {
		s.persisted = now
	}
	user := s.userID
	c.mu.Unlock()
	if persist {
		o.write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE _sessions SET last_used = ? WHERE token = ?`, now.UnixMilli(), tok)
			return err
		})
	}
	return user, true
}

// revokeToken ends a session or a refresh token.
func (o *Org) revokeToken(ctx context.Context, tok string) error {
	c := o.sessions
	c.mu.Lock()
	delete(c.m, tok)
	c.mu.Unlock()
	return o.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM _sessions WHERE token = ?`, tok); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM _refresh_tokens WHERE token = ?`, tok)
		return err
	})
}

// ExpireSessions ends every session, as if they had all timed out. Refresh
// tokens stay valid. Tests use it to exercise re-authentication.
func (o *Org) ExpireSessions(ctx context.Context) error {
	c := o.sessions
	c.mu.Lock()
	c.m = map[string]*session{}
	c.mu.Unlock()
	return o.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM _sessions`)
		return err
	})
}

// flush writes back the activity of every session.
func (c *sessionCache) flush(ctx context.Context) {
	c.mu.Lock()
	var toks []string
	var times []int64
	for tok, s := range c.m {
		if s.lastUsed.After(s.persisted) {
			toks = append(toks, tok)
			times = append(times, s.lastUsed.UnixMilli())
			s.persisted = s.lastUsed
		}
	}
	c.mu.Unlock()
	if len(toks) == 0 {
		return
	}
	c.o.write(ctx, func(tx *sql.Tx) error {
		for i, tok := range toks {
			if _, err := tx.ExecContext(ctx, `UPDATE _sessions SET last_used = ? WHERE token = ?`, times[i], tok); err != nil {
				return err
			}
		}
		return nil
	})
}
