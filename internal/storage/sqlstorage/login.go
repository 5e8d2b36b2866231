package sqlstorage

import (
	"context"
	"errors"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// setLastLogin is the per-dialect statement that sets lastLoginInstant inside
// a JSON document column in place, so RecordLogin needs no read-modify-write
// round trip inside its write transaction (SQLite json_set,
// https://www.sqlite.org/json1.html#jset; PostgreSQL jsonb_set; doc stays TEXT
// on both). It raises the row's revision like every write of the row
// (migration 0140), so a management update computed from a read before the
// login writes again instead of putting the old lastLoginInstant back.
func (s *Store) setLastLogin(table, where string) string {
	if s.dialect == DialectPostgres {
		return `UPDATE ` + table + ` SET revision = revision + 1, doc = jsonb_set(doc::jsonb, '{lastLoginInstant}', to_jsonb(CAST($1 AS BIGINT)))::text WHERE ` + where
	}
	return `UPDATE ` + table + ` SET revision = revision + 1, doc = json_set(doc, '$.lastLoginInstant', CAST($1 AS INTEGER)) WHERE ` + where
}

// RecordLogin writes a successful login in one transaction: one commit, so
// one fsync under synchronous=FULL, instead of one per statement family
// (the login path's dominant cost after the password hash; see
// BenchmarkLogin in internal/auth). Statements are writes, but for the
// gate's one indexed read (user_actions.go), made after the user row's
// update has locked it.
func (s *Store) RecordLogin(ctx context.Context, l storage.Login) error {
	return s.tx(ctx, func(q querier) error {
		res, err := q.ExecContext(ctx, s.setLastLogin("users", "id = $2"), l.At, l.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return storage.ErrNotFound
		}
		if l.Gate != nil {
			if err := s.gateLogin(ctx, q, l); err != nil {
				return err
			}
		}
		if l.ApplicationID != "" {
			res, err := q.ExecContext(ctx, s.setLastLogin("registrations", "user_id = $2 AND application_id = $3"),
				l.At, l.UserID, l.ApplicationID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return storage.ErrNotFound
			}
		}
		if l.ResetFailures {
			if _, err := q.ExecContext(ctx, `DELETE FROM login_failures WHERE account = $1`, l.UserID); err != nil {
				return err
			}
		}
		if l.Refund != nil {
			if err := refundTx(ctx, q, l.Refund); err != nil {
				return err
			}
		}
		if l.RefreshToken != nil {
			if err := insertToken(ctx, q, *l.RefreshToken); err != nil {
				return err
			}
		}
		if l.Record != nil {
			if err := insertLoginRecord(ctx, q, *l.Record); err != nil {
				return err
			}
		}
		return enqueueTx(ctx, q, l.Outbox)
	})
}

// restoreLastLogin is the per-dialect statement that puts lastLoginInstant
// back to $1 (removing the key when $1 is 0, as omitempty never wrote it)
// where it still holds $2, the speculative instant: a later real login,
// which wrote another instant, is left alone.
func (s *Store) restoreLastLogin(table, where string) string {
	if s.dialect == DialectPostgres {
		return `UPDATE ` + table + ` SET revision = revision + 1, doc = (CASE WHEN CAST($1 AS BIGINT) = 0 THEN doc::jsonb - 'lastLoginInstant'
			ELSE jsonb_set(doc::jsonb, '{lastLoginInstant}', to_jsonb(CAST($1 AS BIGINT))) END)::text
			WHERE doc::jsonb -> 'lastLoginInstant' = to_jsonb(CAST($2 AS BIGINT)) AND ` + where
	}
	return `UPDATE ` + table + ` SET revision = revision + 1, doc = CASE WHEN CAST($1 AS INTEGER) = 0 THEN json_remove(doc, '$.lastLoginInstant')
		ELSE json_set(doc, '$.lastLoginInstant', CAST($1 AS INTEGER)) END
		WHERE json_extract(doc, '$.lastLoginInstant') = CAST($2 AS INTEGER) AND ` + where
}

// errUndoReset refuses to undo a login that reset the lockout counter: the
// counter it deleted is gone, and restoring a remembered copy would drop
// failures counted meanwhile (a lockout bypass by concurrent guessing).
var errUndoReset = errors.New("sqlstorage: UndoLogin cannot undo a login that reset the lockout counter")

// UndoLogin takes back a speculative RecordLogin and counts the failure in
// one transaction (one commit, like RecordLoginFailure alone). Every
// statement matches only what the speculative write left, so running it
// when that write never happened, or twice, changes nothing but the counter.
func (s *Store) UndoLogin(ctx context.Context, u storage.LoginUndo) (storage.LoginFailures, error) {
	l := u.Login
	if l.ResetFailures {
		return storage.LoginFailures{}, errUndoReset
	}
	var f storage.LoginFailures
	err := s.tx(ctx, func(q querier) error {
		f = storage.LoginFailures{}
		if _, err := q.ExecContext(ctx, s.restoreLastLogin("users", "id = $3"), u.PrevUserLastLogin, l.At, l.UserID); err != nil {
			return err
		}
		if l.ApplicationID != "" {
			if _, err := q.ExecContext(ctx, s.restoreLastLogin("registrations", "user_id = $3 AND application_id = $4"),
				u.PrevRegistrationLastLogin, l.At, l.UserID, l.ApplicationID); err != nil {
				return err
			}
		}
		// Deleted, not revoked: a revoked row would show in ListRevocations
		// (the feed resource servers poll) for a session that never existed.
		// Its history rows, if any, go with it (ON DELETE CASCADE).
		if t := l.RefreshToken; t != nil {
			if _, err := q.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE id = $1 AND `+currentHashOf("")+` = $2 AND user_id = $3`,
				t.ID, t.Hash, l.UserID); err != nil {
				return err
			}
		}
		if err := enqueueTx(ctx, q, u.Outbox); err != nil {
			return err
		}
		if r := l.Record; r != nil {
			if _, err := q.ExecContext(ctx, `DELETE FROM login_records WHERE id = $1 AND user_id = $2`, r.ID, l.UserID); err != nil {
				return err
			}
		}
		if u.Policy == nil {
			return nil
		}
		p := *u.Policy
		var window, locked int64
		f.UserID = l.UserID
		if err := q.QueryRowContext(ctx, recordFailureSQL, l.UserID, ms(u.FailedAt), p.Threshold,
			ms(u.FailedAt.Add(p.LockDuration)), p.Window.Milliseconds()).Scan(&f.Count, &window, &locked); err != nil {
			return err
		}
		f.WindowStart, f.LockedUntil = fromMS(window), fromMS(locked)
		return nil
	})
	if err != nil {
		return storage.LoginFailures{}, err
	}
	return f, nil
}
