package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"math"
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
// user's row or of its registrations (migration 0100, user_changes; seq
// is AUTOINCREMENT, never handed out twice), and
// each batch, in its own read transaction and before any member's read,
// reads the log's entries since the last batch and forgets every user they
// name. What a batch takes from the cache is therefore what its own
// snapshot holds, as if it had read the tables, and a change committed
// before a refresh asked is seen by that refresh. A write by another
// process sharing the file goes through the same triggers.
//
// When the log's table or one of its triggers is missing, nothing is kept:
// the log read also returns the schema's version (SQLite's schema cookie,
// which every CREATE and DROP changes), and when it differs from the last
// one checked, the batch checks the table and its triggers in its own
// snapshot (usersLog.complete) and forgets everything. While they are
// missing, a batch reads the schema's version alone.
//
// It belongs to the batcher's one loop (batch.go), so nothing locks it.
// Documents are kept as stored and decoded for each read, so that no
// caller shares a value with another.
type userCache struct {
	entries map[string]cachedUser
	// users and bytes count entries and their documents' lengths (the
	// loop writes them with entries; scrapes read them, UserCacheStats).
	users, bytes atomic.Int64
	// max and maxBytes bound the users kept and their documents' bytes
	// (userCacheMax, userCacheMaxBytes; tests set less).
	max, maxBytes int64
	// off is set when the log's table or one of its triggers is missing
	// (checked when the store opens, and by the batch that first sees a
	// schema version): nothing is then kept, and every read takes the
	// user from the tables. Scrapes read it too.
	off     atomic.Bool
	schema  int64 // the schema version last checked
	checked bool  // schema holds one
	// seq is the number of the last log entry applied; synced is false
	// until the first batch read it and after any error of a batch, and
	// the next batch then forgets everything and starts from the log's
	// end.
	seq    int64
	synced bool

	// For metrics (UserCacheStats) and tests: reads answered from the
	// cache and from the tables, and the times everything was forgotten.
	hits, misses, resets atomic.Int64
}

// cachedUser is one user's stored document and its registrations' in
// application id order, as the session read returns them.
type cachedUser struct {
	doc  string
	regs []string
}

func (u cachedUser) size() int64 {
	n := len(u.doc)
	for _, r := range u.regs {
		n += len(r)
	}
	return int64(n)
}

// The cache's bounds: at most userCacheMax users and userCacheMaxBytes of
// documents; a user whose documents exceed userCacheMaxUser is not kept.
// When full, kept users are dropped, any ones, for each new one.
const (
	userCacheMax      = 10000
	userCacheMaxBytes = 16 << 20
	userCacheMaxUser  = 64 << 10
)

// userChangesBatch bounds the log entries a batch applies one by one; a
// batch that finds more forgets everything instead.
const userChangesBatch = 4096

func newUserCache() *userCache {
	return &userCache{entries: map[string]cachedUser{}, max: userCacheMax, maxBytes: userCacheMaxBytes}
}

// forget drops one kept user.
func (c *userCache) forget(id string) {
	if u, ok := c.entries[id]; ok {
		c.bytes.Add(-u.size())
		c.users.Add(-1)
		delete(c.entries, id)
	}
}

// forgetAll drops every kept user.
func (c *userCache) forgetAll() {
	clear(c.entries)
	c.bytes.Store(0)
	c.users.Store(0)
	c.resets.Add(1)
}

// keep adds a user read from the tables, within the bounds.
func (c *userCache) keep(id string, u cachedUser) {
	n := u.size()
	if c.off.Load() || n > userCacheMaxUser || n > c.maxBytes {
		return
	}
	for k := range c.entries {
		if int64(len(c.entries)) < c.max && c.bytes.Load()+n <= c.maxBytes {
			break
		}
		c.forget(k)
	}
	c.entries[id] = u
	c.bytes.Add(n)
	c.users.Add(1)
}

// unsync makes the next batch forget every user and start from the log's
// end: after an error of a batch, which may have applied part of the log.
func (c *userCache) unsync() { c.synced = false }

// The statements the cache adds to the batcher's connection.
var (
	// userChangesSinceSQL: the last number handed out (NULL before the
	// log's first entry) and the schema's version, with each entry after
	// $1 (at most $2); one row with NULL entry columns when there is none.
	userChangesSinceSQL = `SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'user_changes'),
		(SELECT schema_version FROM pragma_schema_version), c.seq, c.user_id
		FROM (SELECT 1) LEFT JOIN user_changes c ON c.seq > $1 ORDER BY c.seq LIMIT $2`
	// userChangesSchemaSQL counts what the cache relies on: the log's
	// table with AUTOINCREMENT and its eight triggers (migration 0100). A
	// later migration that rebuilds users or registrations drops their
	// triggers with them.
	userChangesSchemaSQL = `SELECT count(*) FROM sqlite_master WHERE
		(type = 'table' AND name = 'user_changes' AND sql LIKE '%AUTOINCREMENT%')
		OR (type = 'trigger' AND name IN ('users_changed_insert', 'users_key_changed', 'users_changed_update',
			'users_changed_delete', 'registrations_changed_insert', 'registrations_key_changed',
			'registrations_changed_update', 'registrations_changed_delete'))`
	userChangesSchemaParts = 9
	// schemaVersionSQL: the schema's version alone, read while the log is
	// incomplete (its table may be gone).
	schemaVersionSQL = `SELECT schema_version FROM pragma_schema_version`
	// sessionTokenSQL: the session read without the user and registrations.
	sessionTokenSQL = `SELECT ` + tokenColumns + `,
		EXISTS (SELECT 1 FROM user_action_logs a WHERE a.user_id = refresh_tokens.user_id AND a.prevent_login = 1 AND a.canceled = 0 AND a.expiry > $2)
	FROM refresh_tokens WHERE id = $1`
	// sessionUserSQL: the user's document and its registrations', in the
	// session read's order (one row with a NULL registration for none).
	sessionUserSQL = `SELECT u.doc, r.doc FROM users u LEFT JOIN registrations r ON r.user_id = u.id WHERE u.id = $1` + sessionOrder
)

// usersLog is what sync reads, in the batch's read transaction
// (sessionReads implements it on the batcher's connection,
// sqlitesession.go).
type usersLog interface {
	// since is the log read (userChangesSinceSQL), prepared when first
	// needed: preparing it fails while the log's table is missing.
	since(ctx context.Context) (*sql.Stmt, error)
	// version reads the schema's version alone.
	version(ctx context.Context) (int64, error)
	// complete reports whether the log's table and its eight triggers
	// exist.
	complete(ctx context.Context) (bool, error)
}

// sync applies the log's entries since the last batch. It runs first in
// the batch's read transaction, so that the snapshot it reads is the one
// every member's read uses. The log's numbers are AUTOINCREMENT's: each
// is one more than the last (a rolled-back write takes its number back),
// and sqlite_sequence holds the last one handed out, so an entry that is
// gone before it was applied (trimmed away, deleted by hand) shows as a
// gap and makes the batch forget everything. (An INSERT OR FAIL that fails
// after writing entries leaves sqlite_sequence behind them; every batch
// then forgets everything until the next write: slower, never stale.)
//
// The log read also returns the schema's version. When it is not the one
// last checked, the batch checks whether the log is complete (its table
// and triggers exist) and forgets everything: while a trigger was missing,
// changes may have gone unlogged. Off, a batch reads the version alone
// (the log's table may be gone), and nothing is kept.
func (c *userCache) sync(ctx context.Context, log usersLog) error {
	if !c.checked || c.off.Load() {
		v, err := log.version(ctx)
		if err != nil {
			return err
		}
		if !c.checked || v != c.schema {
			if err := c.check(ctx, log, v); err != nil {
				return err
			}
		}
		if c.off.Load() {
			return nil
		}
	}
	after, limit := c.seq, userChangesBatch+1
	if !c.synced {
		after, limit = math.MaxInt64, 1 // the log's end and the schema's version only
	}
	var top, schema int64
	var n int
	ok := false
	since, err := log.since(ctx)
	if err == nil {
		top, schema, n, ok, err = c.read(ctx, since, after, limit)
	}
	if err != nil {
		// The log's table dropped since the last check fails its read:
		// off, if this snapshot says so; the batch fails otherwise.
		if v, verr := log.version(ctx); verr == nil && v != c.schema {
			if cerr := c.check(ctx, log, v); cerr == nil && c.off.Load() {
				return nil
			}
		}
		return err
	}
	if schema != c.schema {
		if err := c.check(ctx, log, schema); err != nil {
			return err
		}
		if c.off.Load() {
			return nil
		}
	}
	if !c.synced || !ok || n > userChangesBatch || c.seq != top {
		c.forgetAll()
		c.seq, c.synced = top, true
	}
	return nil
}

// check records schema version v and whether the log is complete in it.
// Either way the cache starts over: off, it forgets everything now; on,
// the batch does (synced is false).
func (c *userCache) check(ctx context.Context, log usersLog, v int64) error {
	on, err := log.complete(ctx)
	if err != nil {
		return err
	}
	c.off.Store(!on)
	c.schema, c.checked, c.synced = v, true, false
	if !on && len(c.entries) > 0 {
		c.forgetAll()
	}
	return nil
}

// read runs the log read for the entries after seq (at most limit),
// forgetting each entry's user and advancing c.seq while the entries follow
// one another from c.seq. top is the last number handed out (0: none yet),
// schema the schema's version, n the entries read, ok false at the first
// gap.
func (c *userCache) read(ctx context.Context, since *sql.Stmt, after int64, limit int) (top, schema int64, n int, ok bool, err error) {
	rows, err := since.QueryContext(ctx, after, limit)
	if err != nil {
		return 0, 0, 0, false, err
	}
	defer rows.Close()
	ok = true
	for rows.Next() {
		var last, seq sql.NullInt64
		var user sql.NullString
		if err := rows.Scan(&last, &schema, &seq, &user); err != nil {
			return 0, 0, 0, false, err
		}
		top = last.Int64 // NULL (no row in sqlite_sequence) as 0: with an entry, a gap
		if !seq.Valid {
			continue // no entry after seq: the one row of sqlite_sequence alone
		}
		n++
		if !ok || seq.Int64 != c.seq+1 {
			ok = false
			continue
		}
		c.forget(user.String)
		c.seq = seq.Int64
	}
	if err := rows.Err(); err != nil { // Next ended on an error: part of the log is unread
		return 0, 0, 0, false, err
	}
	return top, schema, n, ok, nil
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
		c.keep(out.Token.UserID, u)
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

// UserCacheStats is what the SQLite refresh reads' user cache did since the
// store opened, and what it keeps now (docs/deploy.md, "Metrics").
type UserCacheStats struct {
	Hits, Misses int64 // refresh reads whose user and registrations came from the cache, from the tables
	Resets       int64 // times it forgot every user (its first batch, a gap in the log, an error, a schema change)
	Users, Bytes int64 // users kept now, and their documents' bytes
	Off          bool  // the change log or one of its triggers is missing: nothing is kept
	ReadAhead    int64 // refresh reads run ahead of their batch while the file came from the disk (readahead.go)
}

// UserCacheStats reports the user cache; ok is false when the store has
// none (PostgreSQL, or a SQLite pool too small to batch its refresh reads).
func (s *Store) UserCacheStats() (st UserCacheStats, ok bool) {
	if s.reads == nil || s.reads.users == nil {
		return st, false
	}
	c := s.reads.users
	st = UserCacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Resets: c.resets.Load(),
		Users: c.users.Load(), Bytes: c.bytes.Load(), Off: c.off.Load()}
	if a := s.reads.ahead; a != nil {
		st.ReadAhead = a.read.Load()
	}
	return st, true
}
