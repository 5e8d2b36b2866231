package storagetest

import (
	"context"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func init() {
	mailTests = append(mailTests, struct {
		name string
		fn   func(t *testing.T, s storage.Storage)
	}{"OutboxEnqueueAudited", testOutboxEnqueueAudited})
}

// testOutboxEnqueueAudited: the messages and their audit entry are written
// together: an enqueue refused (a duplicate id) writes no entry and none
// of its messages; an enqueue of no message writes its entry alone.
func testOutboxEnqueueAudited(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	entry := func(msg string) storage.AuditEntry {
		return storage.AuditEntry{InsertInstant: base.UnixMilli(), InsertUser: "test", Message: msg}
	}
	audited := func(msg string) int {
		t.Helper()
		_, n, err := s.SearchAuditEntries(ctx, storage.AuditSearch{Message: msg, Limit: 10})
		must(t, err)
		return n
	}
	must(t, s.EnqueueOutboxAudited(ctx, []storage.OutboxMessage{outboxMsg("a1", base), outboxMsg("a2", base)}, entry("Sent first")))
	if audited("Sent first") != 1 {
		t.Fatal("the accepted enqueue wrote no audit entry")
	}
	wantErr(t, s.EnqueueOutboxAudited(ctx, []storage.OutboxMessage{outboxMsg("a3", base), outboxMsg("a1", base)}, entry("Sent twice")), storage.ErrConflict)
	if audited("Sent twice") != 0 {
		t.Fatal("the refused enqueue wrote its audit entry")
	}
	if _, err := s.GetOutboxMessage(ctx, "a3"); err != storage.ErrNotFound {
		t.Fatalf("the refused enqueue's other message: %v", err)
	}
	must(t, s.EnqueueOutboxAudited(ctx, nil, entry("Sent nothing")))
	if audited("Sent nothing") != 1 {
		t.Fatal("an enqueue of no message wrote no audit entry")
	}
}
