package sqlstorage

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Hard deletes cascade refresh_tokens away, so without a trace the deleted
// sessions would never reach the revocation feed and resource servers would
// accept their JWTs until exp. tombstone copies them to session_tombstones
// (migration 0003) in the deleting transaction; ListRevocations lists both.
//
// Every row of the user/application with an application is copied, not only
// the live ones: an already-revoked session keeps its revoked_at and reason
// (a poller starting now must still see it), and a refresh token that has
// expired may still have an access token out (issued at its last refresh,
// valid for the access-token lifetime after that). Rows without an
// application are never listed by the per-application feed.
func tombstone(ctx context.Context, q querier, column, id string, at time.Time, reason string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO session_tombstones
		(id, tenant_id, user_id, application_id, expires_at, revoked_at, revoke_reason)
		SELECT id, tenant_id, user_id, application_id, expires_at, COALESCE(revoked_at, $2),
			CASE WHEN revoked_at IS NULL THEN $3 ELSE revoke_reason END
		FROM refresh_tokens WHERE `+column+` = $1 AND application_id IS NOT NULL
		ON CONFLICT (id) DO NOTHING`, id, ms(at), reason)
	return err
}

// DeleteUser is DeleteUserAt with the wall clock, for callers that undo a
// user they just created (it normally has no session to tombstone).
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	return s.DeleteUserAt(ctx, id, time.Now())
}

// DeleteUserAt removes the user; registrations and refresh tokens cascade,
// after the sessions were tombstoned as revoked at at (reason user_deleted).
// The lockout counter (no foreign key: failures may be counted before a user
// row is visible to every node) is deleted in the same transaction.
func (s *Store) DeleteUserAt(ctx context.Context, id string, at time.Time, audit ...storage.AuditEntry) error {
	return s.tx(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, `DELETE FROM login_failures WHERE user_id = $1`, id); err != nil {
			return err
		}
		if err := tombstone(ctx, q, "user_id", id, at, "user_deleted"); err != nil {
			return err
		}
		if err := mustAffectTx(q.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, id)); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
}

// DeleteApplication is DeleteApplicationAt with the wall clock.
func (s *Store) DeleteApplication(ctx context.Context, id string) error {
	return s.DeleteApplicationAt(ctx, id, time.Now())
}

// DeleteApplicationAt removes the application; its registrations and refresh
// tokens (with their hash history) go with it through ON DELETE CASCADE,
// after its sessions were tombstoned (reason application_deleted).
func (s *Store) DeleteApplicationAt(ctx context.Context, id string, at time.Time, audit ...storage.AuditEntry) error {
	return s.tx(ctx, func(q querier) error {
		if err := tombstone(ctx, q, "application_id", id, at, "application_deleted"); err != nil {
			return err
		}
		if err := mustAffectTx(q.ExecContext(ctx, `DELETE FROM applications WHERE id = $1`, id)); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
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

// listTombstones is ListRevocations' query on session_tombstones: the same
// keyset, so the two ordered lists merge into one.
func (s *Store) listTombstones(ctx context.Context, appID string, since time.Time, afterID string, limit int) ([]storage.RefreshToken, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, tenant_id, user_id, application_id, expires_at, revoked_at, revoke_reason
		FROM session_tombstones WHERE application_id = $1
		  AND (revoked_at > $2 OR (revoked_at = $2 AND id > $3))
		ORDER BY revoked_at, id LIMIT $4`, appID, ms(since), afterID, limit)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := []storage.RefreshToken{}
	for rows.Next() {
		var t storage.RefreshToken
		var expires, revoked int64
		if err := rows.Scan(&t.ID, &t.TenantID, &t.UserID, &t.ApplicationID, &expires, &revoked, &t.RevokeReason); err != nil {
			return nil, s.wrap(err)
		}
		t.ExpiresAt, t.RevokedAt = fromMS(expires), fromMS(revoked)
		out = append(out, t)
	}
	return out, s.wrap(rows.Err())
}

// mergeRevocations merges two lists ordered by (RevokedAt, ID) and keeps the
// first limit: each side holds its first limit entries after the cursor, so
// the result is exactly the first limit of the union.
func mergeRevocations(a, b []storage.RefreshToken, limit int) []storage.RefreshToken {
	out := make([]storage.RefreshToken, 0, min(limit, len(a)+len(b)))
	for len(out) < limit && (len(a) > 0 || len(b) > 0) {
		takeA := len(b) == 0 || (len(a) > 0 && (a[0].RevokedAt.Before(b[0].RevokedAt) ||
			(a[0].RevokedAt.Equal(b[0].RevokedAt) && a[0].ID < b[0].ID)))
		if takeA {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out
}
