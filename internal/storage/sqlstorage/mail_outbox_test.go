package sqlstorage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestEnqueueTxCommitsWithTheChange: a storage method that enqueues mail in
// its own transaction (enqueueTx) stores the message exactly when its change
// commits; a failure after the enqueue leaves neither.
func TestEnqueueTxCommitsWithTheChange(t *testing.T) {
	onEachBackend(t, testEnqueueTxCommitsWithTheChange)
}

func testEnqueueTxCommitsWithTheChange(t *testing.T, s *Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	msg := func(id string) []storage.OutboxMessage {
		return []storage.OutboxMessage{{ID: id, Queue: "mail", Payload: []byte("{}"), CreatedAt: now}}
	}
	change := func(q querier, tenant, msgID string, fail error) error {
		if _, err := q.ExecContext(ctx, `INSERT INTO tenants (id, doc) VALUES ($1, '{}')`, tenant); err != nil {
			return err
		}
		if err := enqueueTx(ctx, q, msg(msgID)); err != nil {
			return err
		}
		return fail
	}
	boom := errors.New("boom")
	if err := s.tx(ctx, func(q querier) error { return change(q, "t-fail", "m-fail", boom) }); !errors.Is(err, boom) {
		t.Fatalf("failing change: %v", err)
	}
	if _, err := s.GetOutboxMessage(ctx, "m-fail"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("message of a rolled-back change: %v, want ErrNotFound", err)
	}
	if err := s.tx(ctx, func(q querier) error { return change(q, "t-ok", "m-ok", nil) }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetTenant(ctx, "t-ok"); err != nil {
		t.Fatal(err)
	}
	m, err := s.GetOutboxMessage(ctx, "m-ok")
	if err != nil || m.State != storage.OutboxPending || !m.NextAttemptAt.Equal(now) {
		t.Errorf("message of a committed change = %+v, %v; want pending, due at its creation", m, err)
	}
}
