package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

const outboxColumns = `id, queue, tenant_id, payload, state, attempts, next_attempt_at, lease_owner, lease_until, last_error, created_at, done_at, ref, summary`

// enqueueTx inserts outbox messages inside a caller's transaction: a storage
// method whose change causes mail (a password reset, a new user) calls it
// with the messages it was given, so the mail commits with the change or
// not at all.
func enqueueTx(ctx context.Context, q querier, msgs []storage.OutboxMessage) error {
	for _, m := range msgs {
		if m.ID == "" || m.Queue == "" {
			return errors.New("sqlstorage: outbox message needs an id and a queue")
		}
		next := m.NextAttemptAt
		if next.IsZero() {
			next = m.CreatedAt
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO outbox (id, queue, tenant_id, payload, state, attempts, next_attempt_at, created_at, ref, summary)
			VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $7, $8)`,
			m.ID, m.Queue, m.TenantID, string(m.Payload), ms(next), ms(m.CreatedAt), m.Ref, string(m.Summary)); err != nil {
			return err
		}
	}
	return nil
}

// EnqueueOutbox stores msgs as pending in one transaction.
func (s *Store) EnqueueOutbox(ctx context.Context, msgs ...storage.OutboxMessage) error {
	return s.tx(ctx, func(q querier) error { return enqueueTx(ctx, q, msgs) })
}

// EnqueueOutboxAudited stores the audit entries and msgs in one
// transaction (the entries first: a message refused after them takes
// them back).
func (s *Store) EnqueueOutboxAudited(ctx context.Context, msgs []storage.OutboxMessage, audit ...storage.AuditEntry) error {
	return s.tx(ctx, func(q querier) error {
		if err := insertAudit(ctx, q, audit); err != nil {
			return err
		}
		return enqueueTx(ctx, q, msgs)
	})
}

// claimSQL leases due rows. On PostgreSQL, FOR UPDATE SKIP LOCKED makes a
// concurrent claimer pass over rows another transaction is leasing, and
// READ COMMITTED re-checks a locked row's WHERE against its committed
// version, so a row leased meanwhile is not taken twice
// (https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE).
// SQLite has one writer at a time, so the statement alone is atomic.
func (s *Store) claimSQL() string {
	lock := ""
	if s.dialect == DialectPostgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	return `UPDATE outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1
		WHERE id IN (SELECT id FROM outbox
			WHERE queue = $3 AND state = 'pending' AND next_attempt_at <= $4 AND lease_until <= $4
			ORDER BY next_attempt_at, id LIMIT $5` + lock + `)
		RETURNING ` + outboxColumns
}

// ClaimOutbox leases up to c.Limit due messages to c.Owner.
func (s *Store) ClaimOutbox(ctx context.Context, c storage.OutboxClaim) ([]storage.OutboxMessage, error) {
	if c.Owner == "" || c.Limit <= 0 || !c.LeaseUntil.After(c.Now) {
		return nil, errors.New("sqlstorage: ClaimOutbox needs an owner, a positive limit and a lease ending after now")
	}
	var out []storage.OutboxMessage
	err := s.tx(ctx, func(q querier) error {
		out = out[:0]
		rows, err := q.QueryContext(ctx, s.claimSQL(), c.Owner, ms(c.LeaseUntil), c.Queue, ms(c.Now), c.Limit)
		if err != nil {
			return err
		}
		out, err = scanOutbox(rows)
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].NextAttemptAt.Equal(out[j].NextAttemptAt) {
			return out[i].NextAttemptAt.Before(out[j].NextAttemptAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func scanOutbox(rows *sql.Rows) ([]storage.OutboxMessage, error) {
	defer rows.Close()
	out := []storage.OutboxMessage{}
	for rows.Next() {
		var m storage.OutboxMessage
		var payload, summary string
		var next, leaseUntil, created, done int64
		if err := rows.Scan(&m.ID, &m.Queue, &m.TenantID, &payload, &m.State, &m.Attempts, &next,
			&m.LeaseOwner, &leaseUntil, &m.LastError, &created, &done, &m.Ref, &summary); err != nil {
			return nil, err
		}
		if summary != "" {
			m.Summary = []byte(summary)
		}
		if payload != "" {
			m.Payload = []byte(payload)
		}
		m.NextAttemptAt, m.LeaseUntil, m.CreatedAt, m.DoneAt = fromMS(next), fromMS(leaseUntil), fromMS(created), fromMS(done)
		out = append(out, m)
	}
	return out, rows.Err()
}

// settle applies one outcome to a message owner still holds; no row means
// ErrNotFound (unknown id) or ErrConflict (lease lost or not pending).
func (s *Store) settle(ctx context.Context, id, owner, set string, args ...any) error {
	n, err := s.exec(ctx, `UPDATE outbox SET `+set+`, lease_owner = '', lease_until = 0
		WHERE id = $1 AND lease_owner = $2 AND state = 'pending'`, append([]any{id, owner}, args...)...)
	if err != nil || n == 1 {
		return err
	}
	if _, err := s.GetOutboxMessage(ctx, id); err != nil {
		return err
	}
	return fmt.Errorf("%w: outbox message %s is not held by %s", storage.ErrConflict, id, owner)
}

// CompleteOutbox marks the message sent and clears its payload.
func (s *Store) CompleteOutbox(ctx context.Context, id, owner string, at time.Time) error {
	return s.settle(ctx, id, owner, `state = 'sent', payload = '', done_at = $3`, ms(at))
}

// RetryOutbox releases the lease and schedules the next attempt.
func (s *Store) RetryOutbox(ctx context.Context, id, owner string, next time.Time, lastError string) error {
	return s.settle(ctx, id, owner, `next_attempt_at = $3, last_error = $4`, ms(next), lastError)
}

// FailOutbox declares the message dead, keeping its payload.
func (s *Store) FailOutbox(ctx context.Context, id, owner string, at time.Time, lastError string) error {
	return s.settle(ctx, id, owner, `state = 'dead', done_at = $3, last_error = $4`, ms(at), lastError)
}

// RequeueOutbox makes a dead message pending again.
func (s *Store) RequeueOutbox(ctx context.Context, id string, at time.Time) error {
	n, err := s.exec(ctx, `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $2, done_at = 0,
		lease_owner = '', lease_until = 0 WHERE id = $1 AND state = 'dead'`, id, ms(at))
	if err != nil || n == 1 {
		return err
	}
	if _, err := s.GetOutboxMessage(ctx, id); err != nil {
		return err
	}
	return fmt.Errorf("%w: outbox message %s is not dead", storage.ErrConflict, id)
}

// GetOutboxMessage returns one message or ErrNotFound.
func (s *Store) GetOutboxMessage(ctx context.Context, id string) (storage.OutboxMessage, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = $1`, id)
	if err != nil {
		return storage.OutboxMessage{}, s.wrap(err)
	}
	out, err := scanOutbox(rows)
	if err != nil {
		return storage.OutboxMessage{}, s.wrap(err)
	}
	if len(out) == 0 {
		return storage.OutboxMessage{}, storage.ErrNotFound
	}
	return out[0], nil
}

// ListOutbox lists a queue's messages newest first.
func (s *Store) ListOutbox(ctx context.Context, f storage.OutboxFilter) ([]storage.OutboxMessage, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	w := &whereBuilder{}
	w.add("queue = ?", f.Queue)
	if f.State != "" {
		w.add("state = ?", f.State)
	}
	if f.Ref != "" {
		w.add("ref = ?", f.Ref)
	}
	if !f.Since.IsZero() {
		w.add("created_at >= ?", ms(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("created_at <= ?", ms(f.Until))
	}
	where := w.sql()
	rows, err := s.r.QueryContext(ctx, `SELECT `+outboxColumns+` FROM outbox`+where+
		` ORDER BY created_at DESC, id DESC`+w.page(s.dialect, 0, f.Limit), w.args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	out, err := scanOutbox(rows)
	return out, s.wrap(err)
}

// OutboxDepth counts a queue's pending and dead messages.
func (s *Store) OutboxDepth(ctx context.Context, queue string) (storage.OutboxDepth, error) {
	var d storage.OutboxDepth
	var oldest sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), 0),
		MIN(CASE WHEN state = 'pending' THEN created_at END)
		FROM outbox WHERE queue = $1`, queue).Scan(&d.Pending, &d.Dead, &oldest)
	if err != nil {
		return d, s.wrap(err)
	}
	d.OldestPending = fromMS(oldest.Int64)
	return d, nil
}

// PurgeSentOutbox deletes messages sent before the given instant.
func (s *Store) PurgeSentOutbox(ctx context.Context, before time.Time) (int, error) {
	n, err := s.exec(ctx, `DELETE FROM outbox WHERE state = 'sent' AND done_at < $1`, ms(before))
	return int(n), err
}
