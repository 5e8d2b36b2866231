package sqlstorage

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

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
	err := s.write1(ctx, func(q querier) error {
		return q.QueryRowContext(ctx, recordFailureSQL, userID, ms(at), p.Threshold, ms(at.Add(p.LockDuration)), p.Window.Milliseconds()).
			Scan(&f.Count, &window, &locked)
	})
	if err != nil {
		return storage.LoginFailures{}, err
	}
	f.WindowStart, f.LockedUntil = fromMS(window), fromMS(locked)
	return f, nil
}

// RecordLoginFailureWith counts one failure and enqueues the failure's
// events in one transaction.
func (s *Store) RecordLoginFailureWith(ctx context.Context, lf storage.LoginFailure) (storage.LoginFailures, error) {
	var f storage.LoginFailures
	err := s.tx(ctx, func(q querier) error {
		f = storage.LoginFailures{UserID: lf.UserID}
		var window, locked int64
		p := lf.Policy
		if err := q.QueryRowContext(ctx, recordFailureSQL, lf.UserID, ms(lf.At), p.Threshold, ms(lf.At.Add(p.LockDuration)),
			p.Window.Milliseconds()).Scan(&f.Count, &window, &locked); err != nil {
			return err
		}
		f.WindowStart, f.LockedUntil = fromMS(window), fromMS(locked)
		return enqueueTx(ctx, q, lf.Outbox)
	})
	if err != nil {
		return storage.LoginFailures{}, err
	}
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
