package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// maxTxAttempts bounds retries of PostgreSQL serialization failures and
// deadlocks: enough to ride out a burst, small enough that a pathological
// workload fails visibly instead of spinning.
const maxTxAttempts = 5

// querier is what a statement needs: a pool or a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tx runs fn in one write transaction, retrying retryable failures, and maps
// the final error. fn must be safe to run more than once. On SQLite the
// transaction may be shared with other writers' (groupcommit.go): fn then
// sees their writes that queued before it, and is answered after the shared
// commit.
func (s *Store) tx(ctx context.Context, fn func(q querier) error) error {
	var err error
	for range maxTxAttempts {
		if s.commits != nil {
			err = s.commits.do(ctx, fn)
		} else {
			err = s.tryTx(ctx, fn)
		}
		if !retryable(err) {
			break
		}
	}
	return s.wrap(err)
}

func (s *Store) tryTx(ctx context.Context, fn func(q querier) error) (err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
			err = endedByCaller(ctx, err)
		}
	}()
	if err = fn(txq{tx: tx, p: s.w}); err != nil {
		return err
	}
	return tx.Commit()
}

// endedByCaller is err, or the caller's context's error with it when err
// is database/sql's ErrTxDone because that context ended: database/sql
// rolls a transaction back as soon as its context ends, and the statements
// and the Commit that follow find it done. Nothing was committed, and the
// caller is told its deadline passed (a 503 with Retry-After at the HTTP
// layer, storage.Transient) instead of an internal error.
func endedByCaller(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("%w (%w)", cerr, err)
	}
	return err
}

// exec runs one write statement (atomic on its own) and returns rows affected.
func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	if s.commits != nil {
		var n int64
		err := s.commits.do(ctx, func(q querier) error {
			res, err := q.ExecContext(ctx, query, args...)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		return n, s.wrap(err)
	}
	var res sql.Result
	var err error
	for range maxTxAttempts {
		res, err = s.w.ExecContext(ctx, query, args...)
		if !retryable(err) {
			break
		}
	}
	if err != nil {
		return 0, s.wrap(err)
	}
	n, err := res.RowsAffected()
	return n, s.wrap(err)
}

// mustAffect turns "no row changed" into ErrNotFound.
func (s *Store) mustAffect(n int64, err error) error {
	if err != nil {
		return err
	}
	if n == 0 {
		return storage.ErrNotFound
	}
	return nil
}

// mustAffectTx turns "no row deleted" into ErrNotFound inside a transaction,
// which then rolls the tombstones back too.
func mustAffectTx(res interface{ RowsAffected() (int64, error) }, err error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return storage.ErrNotFound
	}
	return nil
}

// write1 runs fn, one write statement, on the writer: through the group
// commit on SQLite, on the pool with retries of serialization failures on
// PostgreSQL (where a single statement commits on its own). fn may try
// statements in turn when at most one of them changes a row (a rotation's
// keep and write forms): on PostgreSQL each then commits on its own, and a
// retry runs fn again from its start. The error is mapped.
func (s *Store) write1(ctx context.Context, fn func(q querier) error) error {
	var err error
	for range maxTxAttempts {
		if s.commits != nil {
			err = s.commits.do(ctx, fn)
		} else {
			err = fn(s.w)
		}
		if !retryable(err) {
			break
		}
	}
	return s.wrap(err)
}
