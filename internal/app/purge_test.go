package app

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// TestPurgeKeepsAWeekOfSentRows: the hourly purge deletes sent outbox rows
// (mail and webhook deliveries) older than keepSent, and keeps newer sent
// rows, pending and dead ones.
func TestPurgeKeepsAWeekOfSentRows(t *testing.T) {
	st := sqlstorage.OpenTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, id := range []string{"old", "recent", "pending", "dead"} {
		if err := st.EnqueueOutbox(ctx, storage.OutboxMessage{ID: id, Queue: "webhook", TenantID: "t", Payload: []byte("{}"), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	claimed, err := st.ClaimOutbox(ctx, storage.OutboxClaim{Queue: "webhook", Owner: "w", Now: t0, LeaseUntil: t0.Add(time.Minute), Limit: 10})
	if err != nil || len(claimed) != 4 {
		t.Fatalf("claim: %d, %v", len(claimed), err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CompleteOutbox(ctx, "old", "w", t0))
	must(st.CompleteOutbox(ctx, "recent", "w", t0.Add(2*24*time.Hour)))
	must(st.RetryOutbox(ctx, "pending", "w", t0, "x"))
	must(st.FailOutbox(ctx, "dead", "w", t0, "x"))
	w := &workers{store: st, log: slog.New(slog.DiscardHandler), now: func() time.Time { return t0.Add(keepSent + time.Hour) }}
	w.purgeOnce(ctx)
	for id, kept := range map[string]bool{"old": false, "recent": true, "pending": true, "dead": true} {
		if _, err := st.GetOutboxMessage(ctx, id); (err == nil) != kept {
			t.Errorf("%s kept = %v, want %v", id, err == nil, kept)
		}
	}
}
