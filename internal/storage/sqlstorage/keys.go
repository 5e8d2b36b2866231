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
	_, err := s.exec(ctx, `INSERT INTO signing_keys (id, algorithm, private_pem, public_pem, state, created_at, retire_at)
		VALUES ($1, $2, $3, $4, 'active', $5, 0)`, k.ID, k.Algorithm, k.PrivateKeyPEM, k.PublicKeyPEM, ms(k.CreatedAt))
	return err
}

// RotateSigningKey marks the algorithm's active key retiring (still published
// until retireOldAt) and inserts next as active, in one transaction. Two
// concurrent rotations cannot both win: the loser's insert hits the unique
// partial index and gets ErrConflict.
func (s *Store) RotateSigningKey(ctx context.Context, next storage.SigningKey, retireOldAt time.Time, audit ...storage.AuditEntry) error {
	return s.tx(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, `UPDATE signing_keys SET state = 'retiring', retire_at = $2
			WHERE algorithm = $1 AND state = 'active'`, next.Algorithm, ms(retireOldAt)); err != nil {
			return err
		}
		_, err := q.ExecContext(ctx, `INSERT INTO signing_keys (id, algorithm, private_pem, public_pem, state, created_at, retire_at)
			VALUES ($1, $2, $3, $4, 'active', $5, 0)`, next.ID, next.Algorithm, next.PrivateKeyPEM, next.PublicKeyPEM, ms(next.CreatedAt))
		if err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
}

// ListSigningKeys lists active keys and retiring keys whose RetireAt is after
// now, oldest first.
func (s *Store) ListSigningKeys(ctx context.Context, now time.Time) ([]storage.SigningKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, algorithm, private_pem, public_pem, state, created_at, retire_at
		FROM signing_keys WHERE state = 'active' OR retire_at > $1 ORDER BY created_at, id`, ms(now))
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := []storage.SigningKey{}
	for rows.Next() {
		var k storage.SigningKey
		var created, retire int64
		if err := rows.Scan(&k.ID, &k.Algorithm, &k.PrivateKeyPEM, &k.PublicKeyPEM, &k.State, &created, &retire); err != nil {
			return nil, s.wrap(err)
		}
		k.CreatedAt, k.RetireAt = fromMS(created), fromMS(retire)
		out = append(out, k)
	}
	return out, s.wrap(rows.Err())
}

// recordFailureSQL counts one failure in a single upsert, so concurrent
// failures on any number of nodes each count (no read-modify-write race).
// The count restarts when the window ($5 ms, 0 = never) has passed or a lock
// has expired; an active lock is kept as is (not extended, so an attacker
// cannot keep a victim locked out forever by failing during the lock).
// Parameters are CAST so PostgreSQL infers BIGINT, not int4.
const recordFailureSQL = `INSERT INTO login_failures (user_id, count, window_start, locked_until)
	VALUES ($1, 1, CAST($2 AS BIGINT), CASE WHEN CAST($3 AS BIGINT) > 0 AND 1 >= CAST($3 AS BIGINT) THEN CAST($4 AS BIGINT) ELSE 0 END)
	ON CONFLICT (user_id) DO UPDATE SET
	count = CASE WHEN ` + restartSQL + ` THEN 1 ELSE login_failures.count + 1 END,
	window_start = CASE WHEN ` + restartSQL + ` THEN CAST($2 AS BIGINT) ELSE login_failures.window_start END,
	locked_until = CASE
		WHEN login_failures.locked_until > CAST($2 AS BIGINT) THEN login_failures.locked_until
		WHEN CAST($3 AS BIGINT) > 0 AND (CASE WHEN ` + restartSQL + ` THEN 1 ELSE login_failures.count + 1 END) >= CAST($3 AS BIGINT) THEN CAST($4 AS BIGINT)
		ELSE 0 END
	RETURNING count, window_start, locked_until`

const restartSQL = `((CAST($5 AS BIGINT) > 0 AND login_failures.window_start + CAST($5 AS BIGINT) <= CAST($2 AS BIGINT))
	OR (login_failures.locked_until > 0 AND login_failures.locked_until <= CAST($2 AS BIGINT)))`

// RecordLoginFailure counts one failed login for userID under policy p.
func (s *Store) RecordLoginFailure(ctx context.Context, userID string, at time.Time, p storage.LockoutPolicy) (storage.LoginFailures, error) {
	f := storage.LoginFailures{UserID: userID}
	var window, locked int64
	var err error
	for range maxTxAttempts {
		err = s.w.QueryRowContext(ctx, recordFailureSQL, userID, ms(at), p.Threshold, ms(at.Add(p.LockDuration)), p.Window.Milliseconds()).
			Scan(&f.Count, &window, &locked)
		if !retryable(err) {
			break
		}
	}
	if err != nil {
		return storage.LoginFailures{}, s.wrap(err)
	}
	f.WindowStart, f.LockedUntil = fromMS(window), fromMS(locked)
	return f, nil
}

// GetLoginFailures returns the counter, or the zero value when there is none.
func (s *Store) GetLoginFailures(ctx context.Context, userID string) (storage.LoginFailures, error) {
	f := storage.LoginFailures{UserID: userID}
	var window, locked int64
	err := s.r.QueryRowContext(ctx, `SELECT count, window_start, locked_until FROM login_failures WHERE user_id = $1`, userID).
		Scan(&f.Count, &window, &locked)
	if err != nil {
		if err = s.wrap(err); err == storage.ErrNotFound {
			return storage.LoginFailures{}, nil
		}
		return storage.LoginFailures{}, err
	}
	f.WindowStart, f.LockedUntil = fromMS(window), fromMS(locked)
	return f, nil
}

// ResetLoginFailures forgets the counter (successful login, password change).
func (s *Store) ResetLoginFailures(ctx context.Context, userID string) error {
	_, err := s.exec(ctx, `DELETE FROM login_failures WHERE user_id = $1`, userID)
	return err
}

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

// ServerSecret inserts candidate unless name exists, then reads the stored
// value: every concurrent first caller gets the same bytes.
func (s *Store) ServerSecret(ctx context.Context, name string, candidate []byte) ([]byte, error) {
	if _, err := s.exec(ctx, `INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, candidate); err != nil {
		return nil, err
	}
	var v []byte
	if err := s.w.QueryRowContext(ctx, `SELECT value FROM server_secrets WHERE name = $1`, name).Scan(&v); err != nil {
		return nil, s.wrap(err)
	}
	return v, nil
}
