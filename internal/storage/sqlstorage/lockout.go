package sqlstorage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// recordFailureSQL counts one failure in a single upsert, so concurrent
// failures on any number of nodes each count (no read-modify-write race).
// The count restarts when the window ($5 ms, 0 = never) has passed or a lock
// has expired; an active lock is kept as is (not extended, so an attacker
// cannot keep a victim locked out forever by failing during the lock).
// Only settled failures lock: charges still pending (ReserveLoginAttempt)
// do not count towards the threshold here.
// Parameters are CAST so PostgreSQL infers BIGINT, not int4.
const recordFailureSQL = `INSERT INTO login_failures (user_id, account, count, window_start, locked_until)
	VALUES ($1, $1, 1, CAST($2 AS BIGINT), CASE WHEN CAST($3 AS BIGINT) > 0 AND 1 >= CAST($3 AS BIGINT) THEN CAST($4 AS BIGINT) ELSE 0 END)
	ON CONFLICT (user_id) DO UPDATE SET
	count = CASE WHEN ` + restartSQL + ` THEN 1 ELSE login_failures.count + 1 END,
	pending = CASE WHEN ` + restartSQL + ` THEN 0 ELSE login_failures.pending END,
	window_start = CASE WHEN ` + restartSQL + ` THEN CAST($2 AS BIGINT) ELSE login_failures.window_start END,
	locked_until = CASE
		WHEN login_failures.locked_until > CAST($2 AS BIGINT) THEN login_failures.locked_until
		WHEN CAST($3 AS BIGINT) > 0 AND (CASE WHEN ` + restartSQL + ` THEN 1 ELSE login_failures.count + 1 - login_failures.pending END) >= CAST($3 AS BIGINT) THEN CAST($4 AS BIGINT)
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
	var until, window, locked int64
	err := s.r.QueryRowContext(ctx, `SELECT count, pending, pending_until, window_start, locked_until FROM login_failures WHERE user_id = $1`, userID).
		Scan(&f.Count, &f.Pending, &until, &window, &locked)
	if err != nil {
		if err = s.wrap(err); err == storage.ErrNotFound {
			return storage.LoginFailures{}, nil
		}
		return storage.LoginFailures{}, err
	}
	f.PendingUntil, f.WindowStart, f.LockedUntil = fromMS(until), fromMS(window), fromMS(locked)
	return f, nil
}

// ResetLoginFailures forgets every counter of the account (an unlock, a
// password change).
func (s *Store) ResetLoginFailures(ctx context.Context, userID string) error {
	_, err := s.exec(ctx, `DELETE FROM login_failures WHERE account = $1`, userID)
	return err
}

// reserveSQL charges one pending attempt to a counter ($1) at $2 unless it
// is full: locked, or its count (settled failures and pending charges)
// already at the threshold ($3) in a window ($5 ms) that has not restarted.
// A full row is left as it is and no row is returned. A charge never locks:
// its settlement as a failure does (settleSQL), so charges of attempts
// that turn out to be correct logins cannot lock the account, on any
// number of nodes. PostgreSQL re-evaluates the WHERE on the latest row
// version after taking the row's lock, so concurrent reservations on any
// number of nodes see each other's charges. The charge is held until $6:
// the counter's pending charges lapse at the latest heldUntil of theirs
// (a restarted window holds this charge only).
const reserveSQL = `INSERT INTO login_failures (user_id, account, count, pending, window_start, locked_until, pending_until)
	VALUES ($1, $4, 1, 1, CAST($2 AS BIGINT), 0, CAST($6 AS BIGINT))
	ON CONFLICT (user_id) DO UPDATE SET
	count = CASE WHEN ` + restartSQL + ` THEN 1 ELSE login_failures.count + 1 END,
	pending = CASE WHEN ` + restartSQL + ` THEN 1 ELSE login_failures.pending + 1 END,
	window_start = CASE WHEN ` + restartSQL + ` THEN CAST($2 AS BIGINT) ELSE login_failures.window_start END,
	pending_until = CASE WHEN ` + restartSQL + ` OR login_failures.pending_until < CAST($6 AS BIGINT)
		THEN CAST($6 AS BIGINT) ELSE login_failures.pending_until END,
	locked_until = 0
	WHERE login_failures.locked_until <= CAST($2 AS BIGINT)
		AND (CAST($3 AS BIGINT) <= 0 OR login_failures.count < CAST($3 AS BIGINT) OR ` + restartSQL + `)
	RETURNING window_start, pending_epoch`

// lapseSQL counts a counter's ($1) pending charges as failures when their
// hold has passed at $4 (their attempts' node died, or is too slow to be
// waited on): settled at pending_until, they lock from then for $3 ms when
// they bring the count to the threshold ($2), as their settlements would
// have, unless a lock was in force then. Conservative: each may be a guess
// that was checked before its node died, so none is given back; the count
// is unchanged and the guess bound holds. The epoch moves on, so the
// lapsed charges' own settlements and refunds, should they still come,
// tell (settleSQL, refundTx). pending_until 0: charged by a version that
// set no hold; those never lapse.
const lapseSQL = `UPDATE login_failures SET pending = 0, pending_epoch = pending_epoch + 1,
	locked_until = CASE WHEN CAST($2 AS BIGINT) > 0 AND count >= CAST($2 AS BIGINT) AND locked_until <= pending_until
		THEN pending_until + CAST($3 AS BIGINT) ELSE locked_until END
	WHERE user_id = $1 AND pending > 0 AND pending_until > 0 AND pending_until <= CAST($4 AS BIGINT)`

// errReservationRefused rolls a reservation back when one of its counters
// is full (never returned to callers).
var errReservationRefused = errors.New("sqlstorage: login counter full")

// ReserveLoginAttempt charges one pending attempt to every counter in one
// transaction, or to none when one is full. Counters are charged in key
// order, so two reservations sharing counters on PostgreSQL lock their rows
// in the same order and cannot deadlock. A counter full of lapsed charges
// has them counted as failures (lapseSQL, a statement of its own: it holds
// whatever the reservation's outcome) and the reservation is tried again.
func (s *Store) ReserveLoginAttempt(ctx context.Context, at, heldUntil time.Time, counters []storage.LoginCounter) (storage.LoginReservation, error) {
	sorted := slices.Clone(counters)
	slices.SortFunc(sorted, func(a, b storage.LoginCounter) int { return cmp.Compare(a.Key, b.Key) })
	for tries := 0; ; tries++ {
		r, lapsed, err := s.reserve(ctx, at, heldUntil, sorted)
		if err != nil || lapsed == nil || tries == len(sorted) {
			return r, err
		}
		p := lapsed.Policy
		if _, err := s.exec(ctx, lapseSQL, lapsed.Key, p.Threshold, p.LockDuration.Milliseconds(), ms(at)); err != nil {
			return storage.LoginReservation{}, err
		}
	}
}

// reserve is one try of ReserveLoginAttempt: the reservation, or the
// refusal with the counter (lapsed) whose pending charges lapsed.
func (s *Store) reserve(ctx context.Context, at, heldUntil time.Time, sorted []storage.LoginCounter) (storage.LoginReservation, *storage.LoginCounter, error) {
	var r storage.LoginReservation
	var lapsed *storage.LoginCounter
	err := s.tx(ctx, func(q querier) error {
		r, lapsed = storage.LoginReservation{Allowed: true}, nil
		for _, c := range sorted {
			p := c.Policy
			cc := storage.ChargedCounter{LoginCounter: c}
			var window int64
			err := q.QueryRowContext(ctx, reserveSQL, c.Key, ms(at), p.Threshold, c.Account, p.Window.Milliseconds(), ms(heldUntil)).
				Scan(&window, &cc.Epoch)
			if errors.Is(err, sql.ErrNoRows) {
				var lapse bool
				if r, lapse, err = refusal(ctx, q, c, at); err != nil {
					return err
				}
				if lapse {
					lapsed = &c
				}
				return errReservationRefused
			}
			if err != nil {
				return err
			}
			cc.WindowStart = fromMS(window)
			r.Charged = append(r.Charged, cc)
		}
		return nil
	})
	if errors.Is(err, errReservationRefused) {
		return r, lapsed, nil
	}
	if err != nil {
		return storage.LoginReservation{}, nil, err
	}
	return r, nil, nil
}

// refusal says why counter c (its row locked by reserveSQL's upsert) took
// no charge at at: a lock; else pending charges that fill it (InFlight:
// they may yet be refunded), or lapse when their hold has passed (the
// caller counts them as failures and tries again); else settled failures
// alone at the threshold without a lock (the threshold was lowered since),
// refused as locked until the window restarts.
func refusal(ctx context.Context, q querier, c storage.LoginCounter, at time.Time) (storage.LoginReservation, bool, error) {
	var pending int
	var until, window, locked int64
	if err := q.QueryRowContext(ctx, `SELECT pending, pending_until, window_start, locked_until FROM login_failures WHERE user_id = $1`, c.Key).
		Scan(&pending, &until, &window, &locked); err != nil {
		return storage.LoginReservation{}, false, err
	}
	switch {
	case locked > ms(at):
		return storage.LoginReservation{LockedUntil: fromMS(locked)}, false, nil
	case pending > 0:
		return storage.LoginReservation{InFlight: true}, until > 0 && until <= ms(at), nil
	case c.Policy.Window > 0:
		return storage.LoginReservation{LockedUntil: fromMS(window).Add(c.Policy.Window)}, false, nil
	}
	return storage.LoginReservation{}, false, nil
}

// settleSQL turns one pending charge of a counter ($1, charged in the window
// starting at $2) into a failure at $4; the counter locks until $5 when its
// settled failures (count − pending) reach the threshold ($3). A lock still
// in force is kept as it is. A window that restarted, or a counter reset,
// since the charge holds no charge of it: no row matches. Nor does a
// counter whose pending charges lapsed since the charge (its epoch, $6,
// passed): the charge counts as a failure already (lapseSQL), and taking
// one of the new epoch's charges instead would count a login still in
// flight, maybe a correct one, as a failure.
const settleSQL = `UPDATE login_failures SET pending = pending - 1,
	locked_until = CASE WHEN CAST($3 AS BIGINT) > 0 AND count - pending + 1 >= CAST($3 AS BIGINT)
		AND locked_until <= CAST($4 AS BIGINT) THEN CAST($5 AS BIGINT) ELSE locked_until END
	WHERE user_id = $1 AND window_start = $2 AND pending_epoch = $6 AND pending > 0
	RETURNING locked_until`

// SettleLoginFailure settles r's charges as failures and enqueues outbox, in
// one transaction.
func (s *Store) SettleLoginFailure(ctx context.Context, at time.Time, r storage.LoginReservation, outbox []storage.OutboxMessage) (time.Time, error) {
	var latest time.Time
	err := s.tx(ctx, func(q querier) error {
		latest = time.Time{}
		for _, c := range r.Charged {
			p := c.Policy
			var locked int64
			err := q.QueryRowContext(ctx, settleSQL, c.Key, ms(c.WindowStart), p.Threshold, ms(at), ms(at.Add(p.LockDuration)), c.Epoch).Scan(&locked)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			if l := fromMS(locked); l.After(at) && l.After(latest) {
				latest = l
			}
		}
		return enqueueTx(ctx, q, outbox)
	})
	if err != nil {
		return time.Time{}, err
	}
	return latest, nil
}

// RefundLoginAttempt gives a reservation back in a transaction of its own.
func (s *Store) RefundLoginAttempt(ctx context.Context, r storage.LoginReservation) error {
	return s.tx(ctx, func(q querier) error { return refundTx(ctx, q, &r) })
}

// refundTx gives a successful login's reservation back inside RecordLogin's
// transaction: a counter reset on success is deleted; any other loses the
// pending charge, where its window is still the one charged (a window that
// restarted meanwhile holds no charge of this attempt), and a lock the
// remaining count no longer reaches (a counter charged before pending was
// counted has none pending: its count still goes down). A charge that
// lapsed since (its epoch, $4, passed) counts as a failure already: the
// refund gives that failure back, and none of the new epoch's pending
// charges.
func refundTx(ctx context.Context, q querier, r *storage.LoginReservation) error {
	for _, c := range r.Charged {
		if c.ResetOnSuccess {
			if _, err := q.ExecContext(ctx, `DELETE FROM login_failures WHERE user_id = $1`, c.Key); err != nil {
				return err
			}
			continue
		}
		if _, err := q.ExecContext(ctx, `UPDATE login_failures SET count = count - 1,
			pending = CASE WHEN pending_epoch = $4 AND pending > 0 THEN pending - 1 ELSE pending END,
			locked_until = CASE WHEN CAST($3 AS BIGINT) > 0 AND count - 1 >= CAST($3 AS BIGINT) THEN locked_until ELSE 0 END
			WHERE user_id = $1 AND window_start = $2 AND count > 0`, c.Key, ms(c.WindowStart), c.Policy.Threshold, c.Epoch); err != nil {
			return err
		}
	}
	return nil
}
