package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// userCache keeps, between the SQLite refresh-read batches
// (sqlitesession.go), the stored documents of the users those reads met
// and of their registrations (issue 13: at 1,000,000 users each refresh
// read descended the users' and the registrations' trees, two each, from
// their roots through the operating system, since a WAL reader's page cache
// is emptied by every commit; docs/decisions.md, "SQLite refresh reads keep
// users and registrations between batches").
//
// It is exact, not eventually consistent: triggers log every change of a
// user's row or of its registrations (migration 0100, user_changes), and
// each batch, in its own read transaction and before any member's read,
// reads the log's entries since the last batch and forgets every user they
// name. What a batch takes from the cache is therefore what its own
// snapshot holds, as if it had read the tables, and a change committed
// before a refresh asked is seen by that refresh. A write by another
// process sharing the file goes through the same triggers.
//
// It belongs to the batcher's one loop (batch.go), so nothing locks it.
// Documents are kept as stored and decoded for each read, so that no
// caller shares a value with another.
type userCache struct {
	entries map[string]cachedUser
	max     int // userCacheMax; tests set less
	// seq and seqUser are the last log entry applied; synced is false
	// until the first batch read them and after any error of a batch,
	// and the next batch then forgets everything and starts from the
	// log's end.
	seq     int64
	seqUser string
	synced  bool

	// For tests: reads answered from the cache and from the tables, and
	// the times everything was forgotten.
	hits, misses, resets atomic.Int64
}

// cachedUser is one user's stored document and its registrations' in
// application id order, as the session read returns them.
type cachedUser struct {
	doc  string
	regs []string
}

// userCacheMax bounds the users kept (about a kilobyte each); when full,
// one kept user is dropped for each new one.
const userCacheMax = 10000

// userChangesBatch bounds the log entries a batch applies one by one; a
// batch that finds more forgets everything instead.
const userChangesBatch = 4096

func newUserCache() *userCache {
	return &userCache{entries: map[string]cachedUser{}, max: userCacheMax}
}

// unsync makes the next batch forget every user and start from the log's
// end: after an error of a batch, which may have applied part of the log.
func (c *userCache) unsync() { c.synced = false }

// The statements the cache adds to the batcher's connection.
var (
	// userChangesSinceSQL: the entry last applied and those after it.
	userChangesSinceSQL = `SELECT seq, user_id FROM user_changes WHERE seq >= $1 ORDER BY seq LIMIT $2`
	// userChangesLastSQL: the log's end.
	userChangesLastSQL = `SELECT seq, user_id FROM user_changes ORDER BY seq DESC LIMIT 1`
	// sessionTokenSQL: the session read without the user and registrations.
	sessionTokenSQL = `SELECT ` + tokenColumns + `,
		EXISTS (SELECT 1 FROM user_action_logs a WHERE a.user_id = refresh_tokens.user_id AND a.prevent_login = 1 AND a.canceled = 0 AND a.expiry > $2)
	FROM refresh_tokens WHERE id = $1`
	// sessionUserSQL: the user's document and its registrations', in the
	// session read's order (one row with a NULL registration for none).
	sessionUserSQL = `SELECT u.doc, r.doc FROM users u LEFT JOIN registrations r ON r.user_id = u.id WHERE u.id = $1` + sessionOrder
)

// sync applies the log's entries since the last batch. It runs first in
// the batch's read transaction, so that the snapshot it reads is the one
// every member's read uses.
func (c *userCache) sync(ctx context.Context, since, last *sql.Stmt) error {
	if c.synced {
		rows, err := since.QueryContext(ctx, c.seq, userChangesBatch+1)
		if err != nil {
			return err
		}
		n, ok := 0, true
		var seq int64
		var user string
		for rows.Next() {
			if err := rows.Scan(&seq, &user); err != nil {
				rows.Close()
				return err
			}
			n++
			switch {
			case n == 1 && c.seq > 0 && (seq != c.seq || user != c.seqUser):
				ok = false // the last entry applied was trimmed away: too far behind
			case n == 1 && c.seq > 0:
				// the entry applied last time
			case ok:
				delete(c.entries, user)
				c.seq, c.seqUser = seq, user
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if c.seq > 0 && n == 0 {
			ok = false // the log lost its newest entry: not the log this cache read
		}
		if ok && n <= userChangesBatch {
			return nil
		}
	}
	clear(c.entries)
	c.resets.Add(1)
	c.seq, c.seqUser = 0, ""
	err := last.QueryRowContext(ctx).Scan(&c.seq, &c.seqUser)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	c.synced = true
	return nil
}

// cachedSession reads the family id names as at: the token from the table, the
// user and its registrations from the cache when kept there. Errors are
// scanRefreshSession's.
func (b *sessionReads) cachedSession(ctx context.Context, id string, at int64) (storage.RefreshSession, error) {
	var out storage.RefreshSession
	var x tokenRow
	if err := b.token.QueryRowContext(ctx, id, at).Scan(append(x.dest(), &out.MaybePrevented)...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return out, storage.ErrNotFound
		}
		return out, b.s.wrap(err)
	}
	var err error
	if out.Token, err = x.token(); err != nil {
		return out, badDocument{err}
	}
	c := b.users
	u, ok := c.entries[out.Token.UserID]
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
		if u, err = b.readUser(ctx, out.Token.UserID); err != nil {
			return out, err
		}
	}
	if err := decode(u.doc, &out.User); err != nil {
		return out, badDocument{err}
	}
	out.User.Registrations = make([]storage.Registration, 0, len(u.regs))
	for _, doc := range u.regs {
		var r storage.Registration
		if err := decode(doc, &r); err != nil {
			return out, badDocument{err}
		}
		r.UserID = out.User.ID
		out.User.Registrations = append(out.User.Registrations, r)
	}
	if !ok {
		if len(c.entries) >= c.max {
			for k := range c.entries {
				delete(c.entries, k)
				break
			}
		}
		c.entries[out.Token.UserID] = u
	}
	return out, nil
}

// readUser reads a user's document and its registrations' from the tables.
func (b *sessionReads) readUser(ctx context.Context, userID string) (cachedUser, error) {
	var u cachedUser
	rows, err := b.user.QueryContext(ctx, userID)
	if err != nil {
		return u, b.s.wrap(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var reg sql.NullString
		if err := rows.Scan(&u.doc, &reg); err != nil {
			return u, b.s.wrap(err)
		}
		n++
		if reg.Valid {
			u.regs = append(u.regs, reg.String)
		}
	}
	if err := rows.Err(); err != nil {
		return u, b.s.wrap(err)
	}
	if n == 0 {
		return u, storage.ErrNotFound
	}
	return u, nil
}
