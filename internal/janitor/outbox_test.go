package janitor_test

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestSentOutboxRowsArePurgedAfterAWeek: the janitor's sent_outbox task
// deletes sent rows of every queue (here webhook deliveries, which add a
// row per event) once they were sent more than DefaultSentOutbox ago, and
// keeps newer sent rows, pending rows and dead ones.
func TestSentOutboxRowsArePurgedAfterAWeek(t *testing.T) {
	st := world(t)
	ctx := context.Background()
	t0 := now.Add(-8 * 24 * time.Hour)
	for _, id := range []string{"old", "recent", "pending", "dead"} {
		must(t, st.EnqueueOutbox(ctx, storage.OutboxMessage{ID: id, Queue: "webhook", TenantID: tenantID, Payload: []byte("{}"), CreatedAt: t0}))
	}
	claimed, err := st.ClaimOutbox(ctx, storage.OutboxClaim{Queue: "webhook", Owner: "w", Now: t0, LeaseUntil: t0.Add(time.Minute), Limit: 10})
	if err != nil || len(claimed) != 4 {
		t.Fatalf("claim: %d, %v", len(claimed), err)
	}
	must(t, st.CompleteOutbox(ctx, "old", "w", t0))
	must(t, st.CompleteOutbox(ctx, "recent", "w", now.Add(-2*24*time.Hour)))
	must(t, st.RetryOutbox(ctx, "pending", "w", t0, "receiver down"))
	must(t, st.FailOutbox(ctx, "dead", "w", t0, "receiver down"))
	done, err := newJanitor(st, 2).Pass(ctx)
	must(t, err)
	if done["sent_outbox"] != 1 {
		t.Fatalf("purged %d sent outbox rows, want 1: %v", done["sent_outbox"], done)
	}
	for id, kept := range map[string]bool{"old": false, "recent": true, "pending": true, "dead": true} {
		if _, err := st.GetOutboxMessage(ctx, id); (err == nil) != kept {
			t.Errorf("%s kept = %v, want %v (%v)", id, err == nil, kept, err)
		}
	}
}
