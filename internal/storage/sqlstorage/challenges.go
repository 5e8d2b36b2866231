package sqlstorage

import (
	"context"
	"errors"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

const challengeColumns = `hash, kind, user_id, tenant_id, created_at, expires_at, attempts, data`

func scanChallenge(row interface{ Scan(...any) error }) (storage.Challenge, error) {
	var c storage.Challenge
	var created, expires int64
	err := row.Scan(&c.Hash, &c.Kind, &c.UserID, &c.TenantID, &created, &expires, &c.Attempts, &c.Data)
	c.CreatedAt, c.ExpiresAt = fromMS(created), fromMS(expires)
	return c, err
}

const insertChallengeSQL = `INSERT INTO challenges (` + challengeColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

func challengeArgs(c storage.Challenge) []any {
	return []any{c.Hash, c.Kind, c.UserID, c.TenantID, ms(c.CreatedAt), ms(c.ExpiresAt), c.Attempts, c.Data}
}

// CreateChallenge stores a challenge.
func (s *Store) CreateChallenge(ctx context.Context, c storage.Challenge) error {
	_, err := s.exec(ctx, insertChallengeSQL, challengeArgs(c)...)
	return err
}

// errOverLimit rolls IssueChallenge's transaction back, its count with it.
var errOverLimit = errors.New("sqlstorage: over the limit")

// IssueChallenge counts, stores the challenge and enqueues its messages in
// one transaction. The messages go first: a retry whose message ids were
// committed already fails on them before anything is counted.
func (s *Store) IssueChallenge(ctx context.Context, c storage.Challenge, l storage.RateLimit, msgs ...storage.OutboxMessage) (int, error) {
	var n int
	err := s.tx(ctx, func(q querier) error {
		if err := enqueueTx(ctx, q, msgs); err != nil {
			return err
		}
		if err := q.QueryRowContext(ctx, countEventSQL, l.Key, ms(c.CreatedAt), l.Window.Milliseconds()).Scan(&n); err != nil {
			return err
		}
		if n > l.Max {
			return errOverLimit
		}
		_, err := q.ExecContext(ctx, insertChallengeSQL, challengeArgs(c)...)
		return err
	})
	if errors.Is(err, errOverLimit) {
		return n, nil
	}
	return n, err
}

// GetChallenge reads a live challenge.
func (s *Store) GetChallenge(ctx context.Context, kind string, hash []byte, now time.Time) (storage.Challenge, error) {
	c, err := scanChallenge(s.w.QueryRowContext(ctx, `SELECT `+challengeColumns+` FROM challenges
		WHERE hash = $1 AND kind = $2 AND expires_at > $3`, hash, kind, ms(now)))
	return c, s.wrap(err)
}

// ConsumeChallenge deletes a live challenge and returns it: the DELETE is
// the single point where concurrent consumers are ordered.
func (s *Store) ConsumeChallenge(ctx context.Context, kind string, hash []byte, now time.Time) (storage.Challenge, error) {
	var c storage.Challenge
	err := s.tx(ctx, func(q querier) error {
		var err error
		c, err = scanChallenge(q.QueryRowContext(ctx, `DELETE FROM challenges WHERE hash = $1 AND kind = $2 AND expires_at > $3
			RETURNING `+challengeColumns, hash, kind, ms(now)))
		return err
	})
	return c, err
}

// FailChallenge counts a wrong answer; the challenge goes at max.
func (s *Store) FailChallenge(ctx context.Context, kind string, hash []byte, now time.Time, max int) (int, error) {
	var n int
	err := s.tx(ctx, func(q querier) error {
		if err := q.QueryRowContext(ctx, `UPDATE challenges SET attempts = attempts + 1
			WHERE hash = $1 AND kind = $2 AND expires_at > $3 RETURNING attempts`, hash, kind, ms(now)).Scan(&n); err != nil {
			return err
		}
		if n < max {
			return nil
		}
		_, err := q.ExecContext(ctx, `DELETE FROM challenges WHERE hash = $1`, hash)
		return err
	})
	return n, err
}

// ReserveChallengeAttempt counts an answer before it is checked, in one
// UPDATE whose WHERE refuses a challenge already at max: the statement is
// where concurrent answers are ordered (SQLite serializes writers;
// PostgreSQL re-evaluates the WHERE on the row's latest version after
// taking its lock), so at most max answers are ever counted, on any number
// of nodes.
func (s *Store) ReserveChallengeAttempt(ctx context.Context, kind string, hash []byte, now time.Time, max int) (int, error) {
	var n int
	err := s.write1(ctx, func(q querier) error {
		return q.QueryRowContext(ctx, `UPDATE challenges SET attempts = attempts + 1
			WHERE hash = $1 AND kind = $2 AND expires_at > $3 AND attempts < $4 RETURNING attempts`,
			hash, kind, ms(now), max).Scan(&n)
	})
	return n, err
}

// UpdateChallengeData replaces a live challenge's data.
func (s *Store) UpdateChallengeData(ctx context.Context, kind string, hash, data []byte, now time.Time) error {
	return s.mustAffect(s.exec(ctx, `UPDATE challenges SET data = $4 WHERE hash = $1 AND kind = $2 AND expires_at > $3`,
		hash, kind, ms(now), data))
}

// DeleteChallenges deletes the user's challenges of one kind.
func (s *Store) DeleteChallenges(ctx context.Context, userID, kind string) (int, error) {
	n, err := s.exec(ctx, `DELETE FROM challenges WHERE user_id = $1 AND kind = $2`, userID, kind)
	return int(n), err
}

// PurgeChallenges deletes a batch of expired challenges (challenges_expiry
// index), one short write like the janitor's other purges (janitor.go).
func (s *Store) PurgeChallenges(ctx context.Context, expiredBefore time.Time, limit int) (int, error) {
	return s.purge(ctx, `DELETE FROM challenges WHERE hash IN (
		SELECT hash FROM challenges WHERE expires_at <= $1 LIMIT $2)`, ms(expiredBefore), limit)
}

// PurgeRateCounters deletes a batch of counters whose window started before
// windowBefore. The table holds one row per user who asked for a code
// recently, so the scan without an index stays small.
func (s *Store) PurgeRateCounters(ctx context.Context, windowBefore time.Time, limit int) (int, error) {
	return s.purge(ctx, `DELETE FROM rate_counters WHERE key IN (
		SELECT key FROM rate_counters WHERE window_start < $1 LIMIT $2)`, ms(windowBefore), limit)
}

// countEventSQL counts in one upsert (no read-modify-write race across
// nodes); the window restarts once it has passed.
const countEventSQL = `INSERT INTO rate_counters (key, window_start, count) VALUES ($1, CAST($2 AS BIGINT), 1)
	ON CONFLICT (key) DO UPDATE SET
	count = CASE WHEN rate_counters.window_start + CAST($3 AS BIGINT) <= CAST($2 AS BIGINT) THEN 1 ELSE rate_counters.count + 1 END,
	window_start = CASE WHEN rate_counters.window_start + CAST($3 AS BIGINT) <= CAST($2 AS BIGINT) THEN CAST($2 AS BIGINT) ELSE rate_counters.window_start END
	RETURNING count`

// CountEvent counts one event under key.
func (s *Store) CountEvent(ctx context.Context, key string, at time.Time, window time.Duration) (int, error) {
	var n int
	var err error
	for range maxTxAttempts {
		err = s.w.QueryRowContext(ctx, countEventSQL, key, ms(at), window.Milliseconds()).Scan(&n)
		if !retryable(err) {
			break
		}
	}
	return n, s.wrap(err)
}
