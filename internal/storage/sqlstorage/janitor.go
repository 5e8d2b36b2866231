package sqlstorage

import (
	"context"
	"time"
)

// Each purge is one DELETE of at most limit rows picked by an indexed
// condition (migration 0022): a short write transaction, so a SQLite login
// or refresh waiting for the writer waits for one batch at most.

// PurgeRefreshTokens deletes at most limit tokens expired (never revoked)
// before expiredBefore or revoked before revokedBefore; their history goes
// with them (ON DELETE CASCADE), and only with them: a superseded value is
// reuse for as long as its family exists (migration 0070).
func (s *Store) PurgeRefreshTokens(ctx context.Context, expiredBefore, revokedBefore time.Time, limit int) (int, error) {
	return s.purge(ctx, purgeRefreshTokensSQL, ms(expiredBefore), ms(revokedBefore), limit)
}

// purgeRefreshTokensSQL finds each branch's rows in its own partial index
// (migration 0080): the live tokens are most of the table.
const purgeRefreshTokensSQL = `DELETE FROM refresh_tokens WHERE id IN (
		SELECT id FROM refresh_tokens WHERE (revoked_at IS NULL AND expires_at > 0 AND expires_at < $1) OR revoked_at < $2 LIMIT $3)`

// PurgeTombstones deletes at most limit tombstones revoked before before.
func (s *Store) PurgeTombstones(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.purge(ctx, `DELETE FROM session_tombstones WHERE id IN (
		SELECT id FROM session_tombstones WHERE revoked_at < $1 LIMIT $2)`, ms(before), limit)
}

// PurgeLoginFailures deletes at most limit counters whose window started
// before windowBefore and whose lock (if any) has ended at now.
func (s *Store) PurgeLoginFailures(ctx context.Context, windowBefore, now time.Time, limit int) (int, error) {
	return s.purge(ctx, `DELETE FROM login_failures WHERE user_id IN (
		SELECT user_id FROM login_failures WHERE window_start < $1 AND locked_until <= $2 LIMIT $3)`,
		ms(windowBefore), ms(now), limit)
}

// PurgeSigningKeys deletes at most limit keys retired before retiredBefore.
func (s *Store) PurgeSigningKeys(ctx context.Context, retiredBefore time.Time, limit int) (int, error) {
	return s.purge(ctx, `DELETE FROM signing_keys WHERE id IN (
		SELECT id FROM signing_keys WHERE state = 'retiring' AND retire_at > 0 AND retire_at < $1 LIMIT $2)`,
		ms(retiredBefore), limit)
}

// ClaimLease upserts the lease row; the upsert's WHERE is evaluated under
// the row lock in both dialects (as ClaimKickstart's), so of two claimers of
// a free or expired lease only the first changes the row.
func (s *Store) ClaimLease(ctx context.Context, name, owner string, now, expires time.Time) (bool, error) {
	n, err := s.exec(ctx, `INSERT INTO leases (name, owner, expires_at) VALUES ($1, $2, $4)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
		WHERE leases.owner = excluded.owner OR leases.expires_at <= $3`, name, owner, ms(now), ms(expires))
	return n == 1, err
}

func (s *Store) purge(ctx context.Context, query string, args ...any) (int, error) {
	n, err := s.exec(ctx, query, args...)
	return int(n), err
}
