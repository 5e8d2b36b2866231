package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/outbox"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestWebhookDeliveriesListAndRetry: a delivery whose receiver keeps
// failing ends Failed and is listed with its webhook, event id and type,
// attempts and last error (golden); an operator's retry makes it Pending
// and the receiver gets the same event (id and body) again, after which
// the delivery is sent. A retry of a delivery that is not failed, of one
// whose webhook was deleted, of an unknown id, an unknown state and a
// tenant-scoped key are refused, and the refusals change nothing.
func TestWebhookDeliveriesListAndRetry(t *testing.T) {
	oneAttempt := outbox.Config{PollInterval: 20 * time.Millisecond, MaxAttempts: 1, BaseBackoff: time.Second, MaxBackoff: time.Second}
	s := newTunedStack(t, nil, oneAttempt, allEvents)
	rec := newReceiver(t)
	rec.answer(http.StatusServiceUnavailable)
	hook := createHook(t, s, webhookBody(rec.srv.URL, []string{events.UserCreate}, ""))
	wantStatus(t, s.do(call{method: "POST", path: "/api/user/" + bobID, hdr: admin,
		body: `{"user":{"email":"bob@example.test","password":"a long enough password"}}`}), 200)
	first := rec.waitFor(events.UserCreate, 1)[0]
	waitFor(t, "the delivery failed", func() bool {
		msgs := webhookMessages(t, s)
		return len(msgs) == 1 && msgs[0].State == storage.OutboxDead
	})

	res := s.do(call{method: "GET", path: "/api/webhook/delivery", hdr: admin})
	managementGolden(t, "webhook-delivery-failed", res.status, res.body)
	list := res.json(t)["deliveries"].([]any)
	d := list[0].(map[string]any)
	if len(list) != 1 || d["webhookId"] != hook || d["eventId"] != first.event["id"] || d["eventType"] != events.UserCreate ||
		d["lastError"] != "webhook answered 503" {
		t.Fatalf("failed deliveries: %s", res.body)
	}
	id := d["id"].(string)
	res = s.do(call{method: "GET", path: "/api/webhook/delivery?state=Pending", hdr: admin})
	managementGolden(t, "webhook-delivery-pending-none", res.status, res.body)
	res = s.do(call{method: "GET", path: "/api/webhook/delivery?state=Sent", hdr: admin})
	managementGolden(t, "webhook-delivery-state-invalid", res.status, res.body)
	scoped := tenantScopedKey(t, s)
	for _, c := range []call{
		{method: "GET", path: "/api/webhook/delivery", hdr: map[string]string{"Authorization": scoped}},
		{method: "POST", path: "/api/webhook/delivery/" + id + "/retry", hdr: map[string]string{"Authorization": scoped}},
	} {
		if res := s.do(c); res.status != http.StatusForbidden {
			t.Fatalf("%s %s with a tenant-scoped key: %d", c.method, c.path, res.status)
		}
	}
	wantStatus(t, s.do(call{method: "POST", path: "/api/webhook/delivery/0f1a2b3c-0000-4000-8000-0000000000f9/retry", hdr: admin}), 404)
	wantStatus(t, s.do(call{method: "POST", path: "/api/webhook/delivery/nope/retry", hdr: admin}), 400)
	if len(rec.deliveries()) != 1 {
		t.Fatalf("a refused call delivered: %d requests", len(rec.deliveries()))
	}

	rec.answer(http.StatusOK)
	res = s.do(call{method: "POST", path: "/api/webhook/delivery/" + id + "/retry", hdr: admin})
	managementGolden(t, "webhook-delivery-retry", res.status, res.body)
	again := rec.waitFor(events.UserCreate, 2)[1]
	if again.event["id"] != first.event["id"] || string(again.body) != string(first.body) {
		t.Fatalf("the retry sent another event:\n%s\n%s", first.body, again.body)
	}
	waitFor(t, "the retried delivery sent", func() bool {
		m, err := s.Store.GetOutboxMessage(t.Context(), id)
		return err == nil && m.State == storage.OutboxSent
	})
	res = s.do(call{method: "POST", path: "/api/webhook/delivery/" + id + "/retry", hdr: admin})
	if res.status != 400 || len(rec.deliveries()) != 2 {
		t.Fatalf("retry of a sent delivery: %d %s; %d requests", res.status, res.body, len(rec.deliveries()))
	}

	// A failed delivery of a webhook deleted since cannot be retried.
	rec.answer(http.StatusInternalServerError)
	wantStatus(t, s.do(call{method: "POST", path: "/api/user/0f1a2b3c-0000-4000-8000-0000000000c7", hdr: admin,
		body: `{"user":{"email":"carol@example.test","password":"a long enough password"}}`}), 200)
	rec.waitFor(events.UserCreate, 3)
	var dead string
	waitFor(t, "the second delivery failed", func() bool {
		msgs, err := s.Store.ListOutbox(t.Context(), storage.OutboxFilter{Queue: events.Queue, State: storage.OutboxDead})
		must(t, err)
		if len(msgs) == 1 {
			dead = msgs[0].ID
		}
		return dead != ""
	})
	wantStatus(t, s.do(call{method: "DELETE", path: "/api/webhook/" + hook, hdr: admin}), 200)
	res = s.do(call{method: "POST", path: "/api/webhook/delivery/" + dead + "/retry", hdr: admin})
	managementGolden(t, "webhook-delivery-retry-deleted-webhook", res.status, res.body)
	if m, err := s.Store.GetOutboxMessage(t.Context(), dead); err != nil || m.State != storage.OutboxDead {
		t.Fatalf("a refused retry changed the delivery: %+v %v", m, err)
	}
}

// TestWebhookTestEvent: POST /api/webhook/{id}/test sends the webhook a
// FusionAuth test event at once, with its headers, Basic credentials and a
// signature that verifies with the published key, and reports the
// receiver's answer (golden, success and failure); nothing is queued or
// retried. An unknown webhook is 404, a tenant-scoped key refused.
func TestWebhookTestEvent(t *testing.T) {
	s := newStack(t)
	rec := newReceiver(t)
	kid := activeKID(t, s, "ES256")
	hook := createHook(t, s, webhookBody(rec.srv.URL, nil, `,"headers":{"X-Env":"test"},"httpAuthenticationUsername":"hook",`+
		`"httpAuthenticationPassword":"s3cret","signatureConfiguration":{"enabled":true,"signingKeyId":"`+kid+`"}`))
	res := s.do(call{method: "POST", path: "/api/webhook/" + hook + "/test", hdr: admin})
	managementGolden(t, "webhook-test-succeeded", res.status, res.body)
	got := rec.deliveries()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	d := got[0]
	result := res.json(t)["result"].(map[string]any)
	if d.event["type"] != events.Test || d.event["message"] != events.TestMessage || d.event["id"] != result["eventId"] {
		t.Fatalf("test event %s, result %v", d.body, result)
	}
	if verifySignature(t, s, d) != kid || d.header.Get("X-Env") != "test" {
		t.Fatalf("headers: %v", d.header)
	}
	if u, p, ok := (&http.Request{Header: d.header}).BasicAuth(); !ok || u != "hook" || p != "s3cret" {
		t.Fatalf("Basic credentials: %q %q %v", u, p, ok)
	}

	rec.answer(http.StatusServiceUnavailable)
	res = s.do(call{method: "POST", path: "/api/webhook/" + hook + "/test", hdr: admin})
	managementGolden(t, "webhook-test-failed", res.status, res.body)
	if len(rec.deliveries()) != 2 {
		t.Fatalf("%d requests, want 2", len(rec.deliveries()))
	}
	if msgs := webhookMessages(t, s); len(msgs) != 0 {
		t.Fatalf("a test event was queued: %+v", msgs)
	}
	wantStatus(t, s.do(call{method: "POST", path: "/api/webhook/0f1a2b3c-0000-4000-8000-0000000000f9/test", hdr: admin}), 404)
	if res := s.do(call{method: "POST", path: "/api/webhook/" + hook + "/test", hdr: map[string]string{"Authorization": tenantScopedKey(t, s)}}); res.status != http.StatusForbidden {
		t.Fatalf("a tenant-scoped key: %d", res.status)
	}
	if len(rec.deliveries()) != 2 {
		t.Fatalf("a refused call delivered: %d requests", len(rec.deliveries()))
	}
}
