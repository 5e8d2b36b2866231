package sqlstorage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// wrap maps a driver error onto the storage sentinels; callers never see
// driver codes. The original error stays in the chain for logs.
func (s *Store) wrap(err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return storage.ErrNotFound
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrConflict), errors.Is(err, storage.ErrUnavailable),
		errors.Is(err, storage.ErrLinkLimit):
		return err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505": // unique_violation
			return fmt.Errorf("%w: %s", userKeyConflict(pgErr.ConstraintName), pgErr.ConstraintName)
		case pgErr.Code == "23503": // foreign_key_violation: the referenced row is missing
			return fmt.Errorf("%w: %s", storage.ErrNotFound, pgErr.ConstraintName)
		case pgErr.Code[:2] == "08", pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", pgErr.Code == "53300":
			// connection exception, admin/crash shutdown, cannot connect now, too many connections
			return fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
		}
		return fmt.Errorf("sqlstorage: %w", err)
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", userKeyConflict(sqliteUniqueIndex(sqErr.Error())), err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %w", storage.ErrNotFound, err)
		}
		switch sqErr.Code() & 0xff { // primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_FULL:
			return fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
		}
		return fmt.Errorf("sqlstorage: %w", err)
	}
	var netErr net.Error
	var connErr *pgconn.ConnectError
	// A connection cut mid-query (PostgreSQL stopped or restarted, a
	// proxy closing it) surfaces as io.ErrUnexpectedEOF or io.EOF from the
	// wire protocol: the database went away, so the caller may retry (503),
	// not a fault of the request (issue 15, "Unavailable is 503").
	if errors.As(err, &connErr) || errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || pgconn.SafeToRetry(err) {
		return fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
	}
	return fmt.Errorf("sqlstorage: %w", err)
}

// userKeyConflict is the ErrConflict of a violated unique index: the
// users' email and username indexes (migration 0001, users_email and
// users_username) have their own, so the caller names the field that
// collided.
func userKeyConflict(index string) error {
	switch index {
	case "users_email":
		return storage.ErrDuplicateEmail
	case "users_username":
		return storage.ErrDuplicateUsername
	}
	return storage.ErrConflict
}

// sqliteUniqueIndex names the users index a SQLite unique violation is
// about. SQLite reports no index name, only its columns ("UNIQUE constraint
// failed: users.tenant_id, users.email_lower",
// https://www.sqlite.org/c3ref/errcode.html), whose set is unique to each
// index; "" for every other.
func sqliteUniqueIndex(msg string) string {
	switch {
	case strings.Contains(msg, "users.email_lower"):
		return "users_email"
	case strings.Contains(msg, "users.username_lower"):
		return "users_username"
	}
	return ""
}

// retryable reports PostgreSQL serialization failures and deadlocks, which
// PostgreSQL documents as "retry the transaction"
// (https://www.postgresql.org/docs/current/mvcc-serialization-failure-handling.html).
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}
