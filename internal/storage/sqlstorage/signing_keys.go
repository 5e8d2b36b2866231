package sqlstorage

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// InsertSigningKey adds k as the active key of its algorithm. The unique
// partial index signing_keys_one_active makes a second active key of the same
// algorithm fail with ErrConflict, so N nodes starting at once create one key.
func (s *Store) InsertSigningKey(ctx context.Context, k storage.SigningKey) error {
	_, err := s.exec(ctx, `INSERT INTO signing_keys (id, algorithm, private_pem, public_pem, state, created_at, retire_at, activate_at)
		VALUES ($1, $2, $3, $4, 'active', $5, 0, $6)`, k.ID, k.Algorithm, k.PrivateKeyPEM, k.PublicKeyPEM, ms(k.CreatedAt), ms(k.ActivateAt))
	return err
}

// RotateSigningKey marks the algorithm's active key retiring (still published
// until retireOldAt, and still signing until next.ActivateAt) and inserts
// next as active, in one transaction. Two
// concurrent rotations cannot both win: the loser's insert hits the unique
// partial index and gets ErrConflict.
func (s *Store) RotateSigningKey(ctx context.Context, next storage.SigningKey, retireOldAt time.Time, audit ...storage.AuditEntry) error {
	return s.RotateSigningKeyWith(ctx, storage.KeyRotation{Next: next, RetireOldAt: retireOldAt, Audit: audit})
}

// RotateSigningKeyWith is RotateSigningKey with the events that commit
// with it (r.Outbox: jwt.public-key.update), in one transaction.
func (s *Store) RotateSigningKeyWith(ctx context.Context, r storage.KeyRotation) error {
	next := r.Next
	return s.tx(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, `UPDATE signing_keys SET state = 'retiring', retire_at = $2
			WHERE algorithm = $1 AND state = 'active'`, next.Algorithm, ms(r.RetireOldAt)); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO signing_keys (id, algorithm, private_pem, public_pem, state, created_at, retire_at, activate_at)
			VALUES ($1, $2, $3, $4, 'active', $5, 0, $6)`, next.ID, next.Algorithm, next.PrivateKeyPEM, next.PublicKeyPEM, ms(next.CreatedAt), ms(next.ActivateAt)); err != nil {
			return err
		}
		if err := insertAudit(ctx, q, r.Audit); err != nil {
			return err
		}
		return enqueueTx(ctx, q, r.Outbox)
	})
}

// ListSigningKeys lists active keys and retiring keys whose RetireAt is after
// now, oldest first.
func (s *Store) ListSigningKeys(ctx context.Context, now time.Time) ([]storage.SigningKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, algorithm, private_pem, public_pem, state, created_at, retire_at, activate_at
		FROM signing_keys WHERE state = 'active' OR retire_at > $1 ORDER BY created_at, id`, ms(now))
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := []storage.SigningKey{}
	for rows.Next() {
		var k storage.SigningKey
		var created, retire, activate int64
		if err := rows.Scan(&k.ID, &k.Algorithm, &k.PrivateKeyPEM, &k.PublicKeyPEM, &k.State, &created, &retire, &activate); err != nil {
			return nil, s.wrap(err)
		}
		k.CreatedAt, k.RetireAt, k.ActivateAt = fromMS(created), fromMS(retire), fromMS(activate)
		out = append(out, k)
	}
	return out, s.wrap(rows.Err())
}
