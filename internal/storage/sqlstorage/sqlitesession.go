package sqlstorage

import (
	"context"
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
// "Refresh reads batched on SQLite").
//
// The transaction begins after every member was queued, so each member
// sees every commit acknowledged before its caller asked, as its own
// transaction would have.

// minBatchedSQLitePool is the smallest reader pool in which refresh reads
// are batched on SQLite: the batcher keeps one reader connection for
// itself, which in a smaller pool would leave too few for every other read
// (a pool of one would have none).
const minBatchedSQLitePool = minPinnedPool

// inOneTransaction reads each member's family in one read transaction.
// A stored document that does not decode fails its own member only (errs);
// an error of the transaction or the connection is every member's (err),
// and the connection is given up (a new one is taken for the next batch).
func (b *sessionReads) inOneTransaction(ctx context.Context, live []*readReq) (out []*storage.RefreshSession, errs []error, err error) {
	if err := b.sqliteConn(ctx); err != nil {
		return nil, nil, b.s.wrap(err)
	}
	if _, err := b.conn.ExecContext(ctx, `BEGIN`); err != nil {
		b.dropSQLiteConn()
		return nil, nil, b.s.wrap(err)
	}
	out, errs = make([]*storage.RefreshSession, len(live)), make([]error, len(live))
	for i, r := range live {
		rows, err := b.stmt.QueryContext(ctx, r.id, r.at)
		if err != nil {
			b.dropSQLiteConn()
			return nil, nil, b.s.wrap(err)
		}
		sess, err := b.s.scanRefreshSession(rows)
		switch {
		case errors.Is(err, storage.ErrNotFound):
		case err != nil:
			errs[i] = err
		default:
			out[i] = &sess
		}
	}
	if _, err := b.conn.ExecContext(ctx, `COMMIT`); err != nil {
		b.dropSQLiteConn()
		return nil, nil, b.s.wrap(err)
	}
	return out, errs, nil
}

// sqliteConn takes the batcher's connection from the reader pool and
// prepares the one-family read on it, when it has none.
func (b *sessionReads) sqliteConn(ctx context.Context) error {
	if b.conn != nil {
		return nil
	}
	c, err := b.s.r.DB.Conn(ctx)
	if err != nil {
		return err
	}
	st, err := c.PrepareContext(ctx, b.s.sessionSelect()+` WHERE t.id = $1`+sessionOrder)
	if err != nil {
		_ = c.Close()
		return err
	}
	b.conn, b.stmt = c, st
	return nil
}

// dropSQLiteConn ends the batcher's connection after an error: the pool
// discards it (so no read transaction can stay open on it and hold back
// the checkpoints), and the next batch takes another.
func (b *sessionReads) dropSQLiteConn() {
	_ = b.stmt.Close()
	_ = b.conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = b.conn.Close()
	b.conn, b.stmt = nil, nil
}
