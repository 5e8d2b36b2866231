package server_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// sendAudits are the audit log's send-email entries, through the audit
// log search API.
func (s *mailStack) sendAudits() []map[string]any {
	s.t.Helper()
	res := s.apiOK("GET", "/api/system/audit-log/search?message=Sent*", nil)
	out := []map[string]any{}
	for _, e := range res["auditLogs"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

// TestSendEmailWritesAnAuditEntry: an accepted send leaves one audit entry,
// found through GET /api/system/audit-log/search: the API key that sent,
// the template, how many messages were queued, the users' ids and a count
// of the addresses, and nothing of the rendered message. A refused send
// leaves none.
func TestSendEmailWritesAnAuditEntry(t *testing.T) {
	s := newMailStack(t)
	keyID := s.superKeyID(t)
	id := s.sendTemplate("Your code", "secret-rendered-body ${(user.email)!}")
	res := s.api("POST", "/api/email/send/"+uuid.NewString(), map[string]any{"userIds": []string{aliceID}})
	if res.status != 400 || len(s.sendAudits()) != 0 {
		t.Fatalf("a refused send: %d, %d audit entries", res.status, len(s.sendAudits()))
	}
	if res := s.api("POST", "/api/email/send/"+id, map[string]any{"userIds": []string{aliceID, aliceID},
		"toAddresses": []map[string]string{{"address": "one@example.test"}, {"address": "two@example.test"}}}); res.status != 202 {
		t.Fatalf("the send: %d %s", res.status, res.body)
	}
	entries := s.sendAudits()
	if len(entries) != 1 {
		t.Fatalf("%d send entries, want 1: %v", len(entries), entries)
	}
	e := entries[0]
	v, _ := e["newValue"].(map[string]any)
	if e["insertUser"] != "apiKey:"+keyID || !strings.Contains(e["message"].(string), id) || v["emailTemplateId"] != id ||
		v["queued"] != 3.0 || v["toAddresses"] != 2.0 || !slices.Equal(v["userIds"].([]any), []any{aliceID}) {
		t.Fatalf("the send's entry: %v", e)
	}
	raw := string(s.api("GET", "/api/system/audit-log/search?message=Sent*", nil).body)
	for _, leak := range []string{"secret-rendered-body", "one@example.test", aliceEmail} {
		if strings.Contains(raw, leak) {
			t.Fatalf("the audit entry holds %q: %s", leak, raw)
		}
	}
}

// TestSendEmailFailedWriteLeavesNoAuditEntry: when the outbox write fails
// (a 500, nothing queued) there is no audit entry either: it is written in
// the messages' transaction.
func TestSendEmailFailedWriteLeavesNoAuditEntry(t *testing.T) {
	st := &enqueueFails{Storage: sqlstorage.OpenTest(t)}
	s := buildMailStack(t, stackOpts{store: st})
	id := s.sendTemplate("Hello", "Hi")
	st.armed.Store(true)
	if res := s.api("POST", "/api/email/send/"+id, map[string]any{"userIds": []string{aliceID}}); res.status != 500 {
		t.Fatalf("send with a failing outbox: %d %s", res.status, res.body)
	}
	st.armed.Store(false)
	if n := len(s.sendAudits()); n != 0 {
		t.Fatalf("%d audit entries for a send that queued nothing", n)
	}
	s.nothingMailed()
}

// EnqueueOutboxAudited fails once armed: the audited write of a send
// reaches the real store's transaction and fails inside it.
func (e *enqueueFails) EnqueueOutboxAudited(ctx context.Context, msgs []storage.OutboxMessage, audit ...storage.AuditEntry) error {
	if e.armed.Load() {
		return e.Storage.EnqueueOutboxAudited(ctx, append(msgs, storage.OutboxMessage{}), audit...) // an invalid row fails the transaction
	}
	return e.Storage.EnqueueOutboxAudited(ctx, msgs, audit...)
}
