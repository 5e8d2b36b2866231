package sqlstorage

import (
	"context"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// setLastLogin is the per-dialect statement that sets lastLoginInstant inside
// a JSON document column in place, so RecordLogin needs no read-modify-write
// round trip inside its write transaction (SQLite json_set,
// https://www.sqlite.org/json1.html#jset; PostgreSQL jsonb_set; doc stays TEXT
// on both).
func (s *Store) setLastLogin(table, where string) string {
	if s.dialect == DialectPostgres {
		return `UPDATE ` + table + ` SET doc = jsonb_set(doc::jsonb, '{lastLoginInstant}', to_jsonb(CAST($1 AS BIGINT)))::text WHERE ` + where
	}
	return `UPDATE ` + table + ` SET doc = json_set(doc, '$.lastLoginInstant', CAST($1 AS INTEGER)) WHERE ` + where
}

// RecordLogin writes a successful login in one transaction: one commit, so
// one fsync under synchronous=FULL, instead of one per statement family
// (the login path's dominant cost after the password hash; see
// BenchmarkLogin in internal/auth). Statements run writes only, no reads.
func (s *Store) RecordLogin(ctx context.Context, l storage.Login) error {
	return s.tx(ctx, func(q querier) error {
		res, err := q.ExecContext(ctx, s.setLastLogin("users", "id = $2"), l.At, l.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return storage.ErrNotFound
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
			if _, err := q.ExecContext(ctx, `DELETE FROM login_failures WHERE user_id = $1`, l.UserID); err != nil {
				return err
			}
		}
		if l.RefreshToken != nil {
			return insertToken(ctx, q, *l.RefreshToken)
		}
		return nil
	})
}
