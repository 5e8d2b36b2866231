package storagetest

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// mailTests are the conformance cases of MailStore (registered in suite.go).
var mailTests = []struct {
	name string
	fn   func(t *testing.T, s storage.Storage)
}{
	{"EmailTemplates", testEmailTemplates},
	{"OutboxClaimAndSettle", testOutboxClaimAndSettle},
	{"OutboxEnqueueAllOrNothing", testOutboxEnqueueAllOrNothing},
	{"OutboxExpiredLeaseReclaimed", testOutboxExpiredLease},
	{"OutboxDeadAndRequeue", testOutboxDeadAndRequeue},
	{"OutboxConcurrentClaimers", testOutboxConcurrentClaimers},
	{"OutboxPurgeAndDepth", testOutboxPurgeAndDepth},
	{"OutboxRefAndSummary", testOutboxRefAndSummary},
}

// testOutboxRefAndSummary: a message's reference and summary are stored,
// the summary outlives the payload once sent, and ListOutbox filters by
// reference and by creation time (bounds inclusive).
func testOutboxRefAndSummary(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	msg := func(id, ref string, at time.Time) storage.OutboxMessage {
		return storage.OutboxMessage{ID: id, Queue: "webhook", TenantID: tenantID, Payload: []byte(`{"body":"` + id + `"}`),
			Ref: ref, Summary: []byte(`{"type":"t-` + id + `"}`), CreatedAt: at}
	}
	must(t, s.EnqueueOutbox(ctx, msg("r1", "ev-a", base), msg("r2", "ev-a", base.Add(time.Second)), msg("r3", "ev-b", base.Add(2*time.Second))))
	got, err := s.ClaimOutbox(ctx, storage.OutboxClaim{Queue: "webhook", Owner: "A", Now: base.Add(time.Hour), LeaseUntil: base.Add(2 * time.Hour), Limit: 1})
	must(t, err)
	wantEqual(t, "claimed", outboxIDs(got), []string{"r1"})
	must(t, s.CompleteOutbox(ctx, "r1", "A", base.Add(time.Hour)))
	sent, err := s.GetOutboxMessage(ctx, "r1")
	must(t, err)
	if sent.Payload != nil || sent.Ref != "ev-a" || string(sent.Summary) != `{"type":"t-r1"}` {
		t.Fatalf("sent message %+v: want the payload cleared, the reference and summary kept", sent)
	}
	list := func(f storage.OutboxFilter) []string {
		f.Queue = "webhook"
		ms, err := s.ListOutbox(ctx, f)
		must(t, err)
		return outboxIDs(ms)
	}
	wantEqual(t, "by reference, newest first", list(storage.OutboxFilter{Ref: "ev-a"}), []string{"r2", "r1"})
	wantEqual(t, "unknown reference", list(storage.OutboxFilter{Ref: "ev-z"}), []string{})
	wantEqual(t, "since", list(storage.OutboxFilter{Since: base.Add(time.Second)}), []string{"r3", "r2"})
	wantEqual(t, "until", list(storage.OutboxFilter{Until: base.Add(time.Second)}), []string{"r2", "r1"})
	wantEqual(t, "limit", list(storage.OutboxFilter{Limit: 1}), []string{"r3"})
}

func newEmailTemplate(id, name string) storage.EmailTemplate {
	return storage.EmailTemplate{
		ID: id, Name: name, DefaultFromName: "Latchkey", DefaultSubject: "Hello ${user.email}",
		DefaultHTMLTemplate: "<p>Hi ${user.firstName!''}</p>", DefaultTextTemplate: "Hi ${user.firstName!''}",
		FromEmail:          "no-reply@example.com",
		LocalizedSubjects:  map[string]string{"de": "Hallo"},
		LocalizedFromNames: map[string]string{"de": "Schlüssel"},
		InsertInstant:      base.UnixMilli(), LastUpdateInstant: base.UnixMilli(),
	}
}

func testEmailTemplates(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	a, b := newEmailTemplate("et-a", "Zeta"), newEmailTemplate("et-b", "Alpha")
	must(t, s.CreateEmailTemplate(ctx, a))
	must(t, s.CreateEmailTemplate(ctx, b))
	wantErr(t, s.CreateEmailTemplate(ctx, newEmailTemplate("et-a", "Other")), storage.ErrConflict)
	wantErr(t, s.CreateEmailTemplate(ctx, newEmailTemplate("et-c", "Alpha")), storage.ErrConflict)
	got, err := s.GetEmailTemplate(ctx, "et-a")
	must(t, err)
	a.Revision = 1 // a new row's, as read
	wantEqual(t, "template", got, a)
	list, err := s.ListEmailTemplates(ctx)
	must(t, err)
	wantEqual(t, "list ordered by name", []string{list[0].ID, list[1].ID}, []string{"et-b", "et-a"})

	a.Name, a.DefaultSubject, a.LastUpdateInstant = "Zeta 2", "Changed", base.Add(time.Minute).UnixMilli()
	must(t, s.UpdateEmailTemplate(ctx, a))
	got, err = s.GetEmailTemplate(ctx, "et-a")
	must(t, err)
	a.Revision++
	wantEqual(t, "updated template", got, a)
	a.Name = "Alpha"
	wantErr(t, s.UpdateEmailTemplate(ctx, a), storage.ErrConflict)
	wantErr(t, s.UpdateEmailTemplate(ctx, newEmailTemplate("nope", "N")), storage.ErrNotFound)

	must(t, s.DeleteEmailTemplate(ctx, "et-a"))
	_, err = s.GetEmailTemplate(ctx, "et-a")
	wantErr(t, err, storage.ErrNotFound)
	wantErr(t, s.DeleteEmailTemplate(ctx, "et-a"), storage.ErrNotFound)
}

func outboxMsg(id string, at time.Time) storage.OutboxMessage {
	return storage.OutboxMessage{ID: id, Queue: "mail", TenantID: tenantID, Payload: []byte(`{"to":"` + id + `"}`), CreatedAt: at, NextAttemptAt: at}
}

func claim(t *testing.T, s storage.Storage, owner string, now time.Time, limit int) []storage.OutboxMessage {
	t.Helper()
	got, err := s.ClaimOutbox(context.Background(), storage.OutboxClaim{Queue: "mail", Owner: owner, Now: now, LeaseUntil: now.Add(time.Minute), Limit: limit})
	must(t, err)
	return got
}

func outboxIDs(ms []storage.OutboxMessage) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func testOutboxClaimAndSettle(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	later := outboxMsg("m3", base.Add(time.Hour))
	must(t, s.EnqueueOutbox(ctx, outboxMsg("m2", base.Add(-time.Second)), outboxMsg("m1", base.Add(-2*time.Second)), later))
	must(t, s.EnqueueOutbox(ctx, storage.OutboxMessage{ID: "w1", Queue: "webhook", CreatedAt: base}))

	got := claim(t, s, "A", base, 10)
	wantEqual(t, "claimed due mail, oldest first", outboxIDs(got), []string{"m1", "m2"})
	m1 := got[0]
	wantEqual(t, "claimed record", m1, storage.OutboxMessage{ID: "m1", Queue: "mail", TenantID: tenantID, Payload: []byte(`{"to":"m1"}`),
		State: storage.OutboxPending, Attempts: 1, NextAttemptAt: base.Add(-2 * time.Second), LeaseOwner: "A",
		LeaseUntil: base.Add(time.Minute), CreatedAt: base.Add(-2 * time.Second)})
	wantEqual(t, "leased messages are not claimed again", outboxIDs(claim(t, s, "B", base, 10)), []string{})

	wantErr(t, s.CompleteOutbox(ctx, "m1", "B", base), storage.ErrConflict)
	wantErr(t, s.CompleteOutbox(ctx, "nope", "A", base), storage.ErrNotFound)
	must(t, s.CompleteOutbox(ctx, "m1", "A", base.Add(time.Second)))
	sent, err := s.GetOutboxMessage(ctx, "m1")
	must(t, err)
	if sent.State != storage.OutboxSent || sent.Payload != nil || !sent.DoneAt.Equal(base.Add(time.Second)) || sent.LeaseOwner != "" {
		t.Fatalf("sent message = %+v, want state sent, payload cleared, done at base+1s, no lease", sent)
	}
	wantErr(t, s.CompleteOutbox(ctx, "m1", "A", base), storage.ErrConflict)

	must(t, s.RetryOutbox(ctx, "m2", "A", base.Add(time.Minute), "421 try later"))
	wantEqual(t, "retried message waits for its time", outboxIDs(claim(t, s, "B", base.Add(59*time.Second), 10)), []string{})
	got = claim(t, s, "B", base.Add(time.Minute), 10)
	wantEqual(t, "retried message claimed when due", outboxIDs(got), []string{"m2"})
	if got[0].Attempts != 2 || got[0].LastError != "421 try later" {
		t.Fatalf("retried claim = %+v, want attempts 2 and the last error", got[0])
	}
	must(t, s.CompleteOutbox(ctx, "m2", "B", base.Add(time.Minute)))
	wantEqual(t, "other queues untouched", outboxIDs(claim(t, s, "C", base.Add(2*time.Hour), 10)), []string{"m3"})
}

func testOutboxEnqueueAllOrNothing(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	must(t, s.EnqueueOutbox(ctx, outboxMsg("dup", base)))
	wantErr(t, s.EnqueueOutbox(ctx, outboxMsg("fresh", base), outboxMsg("dup", base)), storage.ErrConflict)
	_, err := s.GetOutboxMessage(ctx, "fresh")
	wantErr(t, err, storage.ErrNotFound)
}

func testOutboxExpiredLease(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	must(t, s.EnqueueOutbox(ctx, outboxMsg("m1", base)))
	wantEqual(t, "first claim", outboxIDs(claim(t, s, "crashed", base, 1)), []string{"m1"})
	wantEqual(t, "lease still held", outboxIDs(claim(t, s, "B", base.Add(59*time.Second), 1)), []string{})
	got := claim(t, s, "B", base.Add(time.Minute), 1)
	wantEqual(t, "expired lease reclaimed", outboxIDs(got), []string{"m1"})
	if got[0].Attempts != 2 || got[0].LeaseOwner != "B" {
		t.Fatalf("reclaimed = %+v, want attempts 2 owned by B", got[0])
	}
	wantErr(t, s.CompleteOutbox(ctx, "m1", "crashed", base.Add(time.Minute)), storage.ErrConflict)
	must(t, s.CompleteOutbox(ctx, "m1", "B", base.Add(time.Minute)))
}

func testOutboxDeadAndRequeue(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	must(t, s.EnqueueOutbox(ctx, outboxMsg("m1", base), outboxMsg("m2", base)))
	claim(t, s, "A", base, 2)
	must(t, s.FailOutbox(ctx, "m1", "A", base.Add(time.Second), "550 no such user"))
	wantErr(t, s.RequeueOutbox(ctx, "m2", base), storage.ErrConflict)
	wantErr(t, s.RequeueOutbox(ctx, "nope", base), storage.ErrNotFound)
	dead, err := s.ListOutbox(ctx, storage.OutboxFilter{Queue: "mail", State: storage.OutboxDead})
	must(t, err)
	if len(dead) != 1 || dead[0].ID != "m1" || dead[0].LastError != "550 no such user" || string(dead[0].Payload) != `{"to":"m1"}` {
		t.Fatalf("dead list = %+v, want m1 with its error and payload", dead)
	}
	wantEqual(t, "dead is not claimed", outboxIDs(claim(t, s, "B", base.Add(time.Hour), 10)), []string{"m2"})
	must(t, s.CompleteOutbox(ctx, "m2", "B", base.Add(time.Hour)))
	must(t, s.RequeueOutbox(ctx, "m1", base.Add(2*time.Hour)))
	got := claim(t, s, "C", base.Add(2*time.Hour), 10)
	if len(got) != 1 || got[0].ID != "m1" || got[0].Attempts != 1 || got[0].State != storage.OutboxPending {
		t.Fatalf("after requeue claimed %+v, want m1 with a fresh attempt count", got)
	}
}

// testOutboxConcurrentClaimers: workers racing over one queue (on
// PostgreSQL, as nodes would) never get the same message twice, and
// together get every message.
func testOutboxConcurrentClaimers(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	const n, workers = 60, 8
	var all []storage.OutboxMessage
	for i := range n {
		all = append(all, outboxMsg(fmt.Sprintf("m%03d", i), base))
	}
	must(t, s.EnqueueOutbox(ctx, all...))
	got := make([][]string, workers)
	errs := parallel(workers, func(w int) error {
		for {
			ms, err := s.ClaimOutbox(ctx, storage.OutboxClaim{Queue: "mail", Owner: fmt.Sprint("w", w), Now: base, LeaseUntil: base.Add(time.Minute), Limit: 3})
			if err != nil || len(ms) == 0 {
				return err
			}
			got[w] = append(got[w], outboxIDs(ms)...)
		}
	})
	if ok, other := countNil(errs); ok != workers {
		t.Fatalf("claim errors: %v", other)
	}
	var union []string
	for _, g := range got {
		union = append(union, g...)
	}
	sort.Strings(union)
	if len(union) != n {
		t.Fatalf("claimed %d messages in total, want %d (duplicates or losses): %v", len(union), n, union)
	}
	for i := range union {
		if want := fmt.Sprintf("m%03d", i); union[i] != want {
			t.Fatalf("claimed set differs at %d: %s, want %s", i, union[i], want)
		}
	}
}

func testOutboxPurgeAndDepth(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	must(t, s.EnqueueOutbox(ctx, outboxMsg("old", base.Add(-time.Hour)), outboxMsg("new", base), outboxMsg("bad", base), outboxMsg("wait", base.Add(-30*time.Minute))))
	claim(t, s, "A", base, 4)
	must(t, s.RetryOutbox(ctx, "wait", "A", base.Add(time.Hour), "421"))
	must(t, s.CompleteOutbox(ctx, "old", "A", base.Add(-time.Minute)))
	must(t, s.CompleteOutbox(ctx, "new", "A", base.Add(time.Minute)))
	must(t, s.FailOutbox(ctx, "bad", "A", base.Add(-time.Minute), "550"))
	d, err := s.OutboxDepth(ctx, "mail")
	must(t, err)
	wantEqual(t, "depth", d, storage.OutboxDepth{Pending: 1, Dead: 1, OldestPending: base.Add(-30 * time.Minute)})
	n, err := s.PurgeSentOutbox(ctx, base)
	must(t, err)
	if n != 1 {
		t.Fatalf("purged %d, want 1 (only the message sent before the cut-off)", n)
	}
	for id, want := range map[string]error{"old": storage.ErrNotFound, "new": nil, "bad": nil, "wait": nil} {
		_, err := s.GetOutboxMessage(ctx, id)
		if want == nil {
			must(t, err)
		} else {
			wantErr(t, err, want)
		}
	}
	d, err = s.OutboxDepth(ctx, "empty")
	must(t, err)
	wantEqual(t, "empty queue depth", d, storage.OutboxDepth{})
}
