package sqlstorage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// On SQLite a batch of refresh reads (sessionReads, pgsession.go) is one
// read transaction on the batcher's own reader connection, with the
// one-family read prepared on it once and run for each member.
//
// Why: in WAL mode a reader connection empties its page cache when it
// begins a read transaction after another connection committed, which
// under load is every group commit. A read that begins its own transaction
// therefore descends the token's, the user's and the registrations' trees
// from their roots through the operating system (a pread per page), and at
// 1M users and 10M tokens those trees are four levels deep. The reads of
// one batch share those pages: the roots and inner pages are read once per
// batch, and each member reads only what is its own (docs/performance.md,
// "Refresh reads batched on SQLite"). The users and registrations those
// reads met are kept between batches (usercache.go): a member reads them
// from the tables only when they are not kept (not met yet, or named by
// the log of changes the batch read first).
//
// The transaction begins after every member was queued, so each member
// sees every commit acknowledged before its caller asked, as its own
// transaction would have. Each member is answered as soon as its family is
// read; the batch's later members do not hold it.

// minBatchedSQLitePool is the smallest reader pool in which refresh reads
// are batched on SQLite: the batcher keeps one reader connection for
// itself, which in a smaller pool would leave too few for every other read
// (a pool of one would have none).
const minBatchedSQLitePool = minPinnedPool

// inOneTransaction reads each member's family in one read transaction and
// answers it. A stored document that does not decode fails its own member
// only; any other error (of the connection, the transaction, a statement,
// or the batch's context) fails the members not yet answered, and the
// connection is given up, so that no read transaction can stay open on it
// and hold back the checkpoints; the next batch takes another.
//
// The statements run on a context that cannot end (stmt): modernc.org/sqlite
// starts a goroutine per statement run on a context that can, to interrupt
// SQLite when it ends, and database/sql one per query's rows. ctx (every
// member gave up, or the store is closing) is looked at before each
// member's read instead, so a batch whose callers all left stops at the
// next member, not inside a statement. A SQLite read in WAL mode waits for
// no lock but in SQLite's own recovery, which busy_timeout bounds (open.go).
func (b *sessionReads) inOneTransaction(ctx context.Context, live []*readReq) {
	stmt := context.WithoutCancel(ctx)
	fail := func(from int, err error) { // err as the store answers it (wrapped)
		err = b.closedOr(err)
		for _, r := range live[from:] {
			r.out <- readRes{err: err}
		}
	}
	if err := b.sqliteConn(ctx); err != nil {
		fail(0, b.s.wrap(err))
		return
	}
	if b.ahead != nil {
		// begin runs now (after the batch has its connection, so that its
		// helpers do not compete for it), end once the batch is done.
		defer b.ahead.end(b.ahead.begin(ctx, live))
	}
	if _, err := b.begin.ExecContext(stmt); err != nil {
		b.closeSQLiteConn(driver.ErrBadConn)
		fail(0, b.s.wrap(err))
		return
	}
	if err := b.users.sync(stmt, b); err != nil {
		b.closeSQLiteConn(driver.ErrBadConn)
		fail(0, b.s.wrap(err))
		return
	}
	for i, r := range live {
		if err := ctx.Err(); err != nil {
			b.closeSQLiteConn(driver.ErrBadConn)
			fail(i, err)
			return
		}
		sess, err := b.cachedSession(stmt, r.id, r.at) // wrapped already
		var bad badDocument
		switch {
		case err == nil:
			r.out <- readRes{sess: sess}
		case errors.Is(err, storage.ErrNotFound), errors.As(err, &bad):
			r.out <- readRes{err: err}
		default:
			b.closeSQLiteConn(driver.ErrBadConn)
			fail(i, err)
			return
		}
		if b.ahead != nil {
			b.ahead.done(i)
		}
		if b.afterRead != nil {
			b.afterRead(ctx, r.id)
		}
	}
	// Every member is answered already, and their callers may be gone (a
	// handler's context ends when it returns), which ends ctx: the COMMIT
	// of a read transaction waits for nothing, so it runs regardless.
	if _, err := b.commit.ExecContext(stmt); err != nil {
		b.closeSQLiteConn(driver.ErrBadConn)
	}
}

// sqliteConn takes the batcher's connection from the reader pool and
// prepares the one-family read and the transaction's statements on it,
// when it has none.
func (b *sessionReads) sqliteConn(ctx context.Context) error {
	if b.conn != nil {
		return nil
	}
	c, err := b.s.r.DB.Conn(ctx)
	if err != nil {
		return err
	}
	b.conn = c
	for _, p := range []struct {
		st  **sql.Stmt
		sql string
	}{
		{&b.token, sessionTokenSQL},
		{&b.user, sessionUserSQL},
		{&b.schemaVersion, schemaVersionSQL},
		{&b.schema, userChangesSchemaSQL},
		{&b.begin, `BEGIN`},
		{&b.commit, `COMMIT`},
	} {
		if *p.st, err = c.PrepareContext(ctx, p.sql); err != nil {
			b.closeSQLiteConn(err)
			return err
		}
	}
	return nil
}

// since, version and complete are the user cache's reads (usersLog,
// usercache.go) on the batcher's connection, in the batch's transaction.
func (b *sessionReads) since(ctx context.Context) (*sql.Stmt, error) {
	if b.sinceStmt == nil {
		st, err := b.conn.PrepareContext(ctx, userChangesSinceSQL)
		if err != nil {
			return nil, err
		}
		b.sinceStmt = st
	}
	return b.sinceStmt, nil
}

func (b *sessionReads) version(ctx context.Context) (v int64, err error) {
	err = b.schemaVersion.QueryRowContext(ctx).Scan(&v)
	return v, err
}

// complete warns when the log turns out incomplete while the cache was on
// (or before its first check, unless the check at open warned already).
func (b *sessionReads) complete(ctx context.Context) (bool, error) {
	var parts int
	if err := b.schema.QueryRowContext(ctx).Scan(&parts); err != nil {
		return false, err
	}
	on := parts == userChangesSchemaParts
	if !on && !b.users.off.Load() {
		b.s.warnIncompleteUsersLog(parts)
	}
	return on, nil
}

// checkUsersLog checks, once the migrations ran, that the users' change
// log is complete, so that the metrics and the log say so from the start;
// the first batch checks again in its own snapshot, and again after any
// schema change (usercache.go).
func (s *Store) checkUsersLog(ctx context.Context) {
	if s.reads == nil || s.reads.users == nil {
		return
	}
	var parts int
	if err := s.r.QueryRowContext(ctx, userChangesSchemaSQL).Scan(&parts); err != nil {
		return // the first batch checks
	}
	if parts != userChangesSchemaParts {
		s.warnIncompleteUsersLog(parts)
		s.reads.users.off.Store(true)
	}
}

func (s *Store) warnIncompleteUsersLog(parts int) {
	if s.logger != nil {
		s.logger.Warn("the users' change log or one of its triggers (migration 0100) is missing: refresh reads take every user from the tables",
			"found", parts, "want", userChangesSchemaParts)
	}
}

// closeSQLiteConn closes the batcher's statements and hands its connection
// back to the pool: discarded when bad is driver.ErrBadConn (after an
// error: closing it ends any transaction open on it), kept otherwise.
func (b *sessionReads) closeSQLiteConn(bad error) {
	for _, st := range []*sql.Stmt{b.token, b.user, b.sinceStmt, b.schemaVersion, b.schema, b.begin, b.commit} {
		if st != nil {
			_ = st.Close()
		}
	}
	if errors.Is(bad, driver.ErrBadConn) {
		_ = b.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	_ = b.conn.Close()
	b.conn, b.token, b.user, b.sinceStmt, b.schemaVersion, b.schema, b.begin, b.commit = nil, nil, nil, nil, nil, nil, nil, nil
	// A batch that failed may have applied part of the log.
	b.users.unsync()
}
