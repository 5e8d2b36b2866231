package sqlstorage

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// ClaimKickstart inserts the single claim row, or takes it over when it is
// the caller's own (renewal) or stale and not done. The upsert's WHERE is
// evaluated under the row lock in both dialects, so of two nodes taking over
// one stale claim only the first changes the row (RowsAffected 1).
func (s *Store) ClaimKickstart(ctx context.Context, owner string, at, staleBefore time.Time) (bool, error) {
	n, err := s.exec(ctx, `INSERT INTO kickstart (id, owner, claimed_at) VALUES (1, $1, $2)
		ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, claimed_at = excluded.claimed_at
		WHERE kickstart.done_at IS NULL AND (kickstart.owner = excluded.owner OR kickstart.claimed_at < $3)`,
		owner, ms(at), ms(staleBefore))
	return n == 1, err
}

// CompleteKickstart sets done_at on owner's undone claim.
func (s *Store) CompleteKickstart(ctx context.Context, owner string, at time.Time) error {
	n, err := s.exec(ctx, `UPDATE kickstart SET done_at = $2 WHERE id = 1 AND owner = $1 AND done_at IS NULL`, owner, ms(at))
	if err == nil && n != 1 {
		err = storage.ErrConflict
	}
	return err
}

// ReleaseKickstart deletes owner's undone claim so a later start retries.
func (s *Store) ReleaseKickstart(ctx context.Context, owner string) error {
	_, err := s.exec(ctx, `DELETE FROM kickstart WHERE id = 1 AND owner = $1 AND done_at IS NULL`, owner)
	return err
}

// KickstartDone reports whether the claim row is marked done. It reads
// through the writer so a node polling right after another node's commit
// sees it.
func (s *Store) KickstartDone(ctx context.Context) (bool, error) {
	var n int
	err := s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM kickstart WHERE id = 1 AND done_at IS NOT NULL`).Scan(&n)
	return n == 1, s.wrap(err)
}
