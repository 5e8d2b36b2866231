package sqlstorage

import (
	"context"
	"time"
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
