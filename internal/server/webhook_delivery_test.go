package server_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// hookWith is a webhook body for url receiving types, with timeouts in ms.
func hookWith(url string, types []string, connectMS, readMS int) string {
	b := webhookBody(url, types, "")
	b = strings.Replace(b, `"connectTimeout":1000`, `"connectTimeout":`+strconv.Itoa(connectMS), 1)
	return strings.Replace(b, `"readTimeout":2000`, `"readTimeout":`+strconv.Itoa(readMS), 1)
}

func createHook(t *testing.T, s *stack, body string) string {
	t.Helper()
	res := s.do(call{method: "POST", path: "/api/webhook", hdr: admin, body: body})
	wantStatus(t, res, 200)
	return res.json(t)["webhook"].(map[string]any)["id"].(string)
}

func webhookMessages(t *testing.T, s *stack) []storage.OutboxMessage {
	t.Helper()
	msgs, err := s.Store.ListOutbox(context.Background(), storage.OutboxFilter{Queue: events.Queue})
	must(t, err)
	return msgs
}

// TestWebhookRetriesUntilDelivered: a receiver answering 500 gets the event
// again after the backoff (on the test's clock), with the same event id,
// until it answers 2xx; the outbox row is then sent.
func TestWebhookRetriesUntilDelivered(t *testing.T) {
	s := newTunedStack(t, nil, webhookTuning, allEvents)
	rec := newReceiver(t)
	rec.answer(http.StatusInternalServerError)
	createHook(t, s, webhookBody(rec.srv.URL, []string{events.UserCreate}, ""))
	wantStatus(t, s.do(call{method: "POST", path: "/api/user/" + bobID, hdr: admin,
		body: `{"user":{"email":"bob@example.test","password":"a long enough password"}}`}), 200)
	first := rec.waitFor(events.UserCreate, 1)[0]
	retryScheduled(t, s, 1)
	s.Clock.Advance(2 * time.Second) // the backoff is 1 s ± 20 %
	second := rec.waitFor(events.UserCreate, 2)[1]
	rec.answer(http.StatusNoContent)
	retryScheduled(t, s, 2)
	s.Clock.Advance(2 * time.Second)
	third := rec.waitFor(events.UserCreate, 3)[2]
	for _, d := range []delivery{second, third} {
		if d.event["id"] != first.event["id"] || string(d.body) != string(first.body) {
			t.Fatalf("a retry sent another body:\n%s\n%s", first.body, d.body)
		}
	}
	waitFor(t, "the delivery recorded as sent", func() bool {
		msgs := webhookMessages(t, s)
		return len(msgs) == 1 && msgs[0].State == storage.OutboxSent && msgs[0].Attempts == 3
	})
}

// TestWebhookHangingReceiver: a receiver that accepts and never answers
// costs one read timeout; the delivery is retried and nothing is lost. A
// login meanwhile is answered at once, although its user.login.success
// delivery is the one hanging: delivery is off the request path.
func TestWebhookHangingReceiver(t *testing.T) {
	s := newTunedStack(t, nil, webhookTuning, allEvents)
	rec := newReceiver(t)
	rec.holdAll()
	createHook(t, s, hookWith(rec.srv.URL, []string{events.UserLoginSuccess}, 1000, 300))
	wantStatus(t, s.login(storeApp, nil), 200)
	rec.waitFor(events.UserLoginSuccess, 1)
	// The first delivery is still being held open here: the second login
	// must not wait for it (nor for a timeout).
	wantStatus(t, s.login(storeApp, nil), 200)
	if n := len(rec.deliveries()); n > 2 {
		t.Fatalf("%d deliveries while the receiver holds them", n)
	}
	waitFor(t, "both attempts given up after the read timeout and scheduled again", func() bool {
		msgs := webhookMessages(t, s)
		return len(msgs) == 2 && msgs[0].State == storage.OutboxPending && msgs[0].LastError != "" &&
			msgs[1].State == storage.OutboxPending && msgs[1].LastError != ""
	})
	rec.release()
	s.Clock.Advance(2 * time.Second)
	waitFor(t, "both events delivered", func() bool {
		msgs := webhookMessages(t, s)
		return len(msgs) == 2 && msgs[0].State == storage.OutboxSent && msgs[1].State == storage.OutboxSent
	})
	ids := map[any]int{}
	for _, d := range rec.deliveries() {
		ids[d.event["id"]]++
	}
	if len(ids) != 2 {
		t.Fatalf("want 2 distinct events each delivered twice, got %v", ids)
	}
}

// TestNoEventRowWithoutAWebhook: the login path writes no outbox row when
// no webhook wants user.login.success, when the tenant has it off, or when
// the only webhook serves another tenant.
func TestNoEventRowWithoutAWebhook(t *testing.T) {
	s := newTunedStack(t, nil, webhookTuning, func(_ map[string]*storage.Application, tn *storage.Tenant) {
		tn.EventConfiguration.Events = map[string]storage.EventConfigurationData{
			events.UserCreate: {Enabled: true, TransactionType: "None"}}
	})
	rec := newReceiver(t)
	wantStatus(t, s.login(storeApp, nil), 200) // no webhook at all
	createHook(t, s, webhookBody(rec.srv.URL, []string{events.UserCreate}, ""))
	wantStatus(t, s.login(storeApp, nil), 200) // a webhook, of another event type
	createHook(t, s, webhookBody(rec.srv.URL, []string{events.UserLoginSuccess}, ""))
	wantStatus(t, s.login(storeApp, nil), 200) // the tenant does not send it
	wantStatus(t, s.do(call{method: "PATCH", path: "/api/tenant/" + tenantID, hdr: admin,
		body: `{"tenant":{"eventConfiguration":{"events":{"user.login.success":{"enabled":true}}}}}`}), 200)
	other := createHook(t, s, webhookBody(rec.srv.URL, []string{events.UserLoginSuccess}, ""))
	wantStatus(t, s.do(call{method: "PATCH", path: "/api/webhook/" + other, hdr: admin, body: `{"webhook":{"global":false}}`}), 200)
	if msgs := webhookMessages(t, s); len(msgs) != 0 {
		t.Fatalf("%d webhook rows written before any webhook wanted the login", len(msgs))
	}
	wantStatus(t, s.login(storeApp, nil), 200) // now one global webhook wants it
	if msgs := webhookMessages(t, s); len(msgs) != 1 {
		t.Fatalf("%d webhook rows for one login with one webhook", len(msgs))
	}
}

// retryScheduled waits until the only webhook message has failed attempts
// and is waiting for its next one (not leased): only then may the test
// move its clock past the backoff, which the worker computes from the
// clock when it records the failure.
func retryScheduled(t *testing.T, s *stack, attempts int) {
	t.Helper()
	waitFor(t, "the retry scheduled", func() bool {
		msgs := webhookMessages(t, s)
		return len(msgs) == 1 && msgs[0].Attempts == attempts && msgs[0].LeaseOwner == "" && msgs[0].State == storage.OutboxPending
	})
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 20 s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLoginFailedEventOnEveryPath: user.login.failed is sent for a wrong
// password on each path a refusal takes: the speculative login's undo
// (lockout on, clean counter, no success event wanted), the sequential
// path's count (a counter to reset), and without lockout, where nothing
// else is written; never for an unknown login id.
func TestLoginFailedEventOnEveryPath(t *testing.T) {
	s := newTunedStack(t, nil, webhookTuning, func(_ map[string]*storage.Application, tn *storage.Tenant) {
		tn.EventConfiguration.Events = map[string]storage.EventConfigurationData{events.UserLoginFailed: {Enabled: true, TransactionType: "None"}}
		tn.FailedAuthenticationConfiguration.TooManyAttempts = 10
	})
	rec := newReceiver(t)
	createHook(t, s, webhookBody(rec.srv.URL, []string{events.UserLoginFailed}, ""))
	wrong := func(loginID string) {
		t.Helper()
		wantStatus(t, s.do(call{method: "POST", path: "/api/login",
			body: `{"loginId":"` + loginID + `","password":"wrong","applicationId":"` + storeApp + `"}`}), 404)
	}
	wrong(aliceEmail) // speculative: the event rides in UndoLogin
	rec.waitFor(events.UserLoginFailed, 1)
	wrong(aliceEmail) // a counter exists now: sequential, counted with the event
	rec.waitFor(events.UserLoginFailed, 2)
	wrong("nobody@example.test")
	wantStatus(t, s.do(call{method: "PATCH", path: "/api/tenant/" + tenantID, hdr: admin,
		body: `{"tenant":{"failedAuthenticationConfiguration":{"enabled":false}}}`}), 200)
	wrong(aliceEmail) // no lockout: the event is stored on its own
	rec.waitFor(events.UserLoginFailed, 3)
	waitFor(t, "every failure's row sent", func() bool {
		msgs := webhookMessages(t, s)
		for _, m := range msgs {
			if m.State != storage.OutboxSent {
				return false
			}
		}
		return len(msgs) == 3
	})
	if got := len(rec.deliveries()); got != 3 {
		t.Fatalf("%d deliveries; the unknown login id must have none", got)
	}
}

// TestLoginSuccessEventWithoutPassword: a login that no password proved (a
// passwordless code here; passkeys and the second step end in the same
// grantLogin) sends user.login.success with its authenticationType, once.
func TestLoginSuccessEventWithoutPassword(t *testing.T) {
	s := newTunedStack(t, nil, webhookTuning, allEvents, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		apps[storeApp].PasswordlessConfiguration = &storage.PasswordlessConfiguration{Enabled: true}
	})
	rec := newReceiver(t)
	createHook(t, s, webhookBody(rec.srv.URL, []string{events.UserLoginSuccess}, ""))
	wantStatus(t, s.passwordless(s.passwordlessCode(), nil), 200)
	ev := rec.waitFor(events.UserLoginSuccess, 1)[0].event
	user, _ := ev["user"].(map[string]any)
	if ev["authenticationType"] != "PASSWORDLESS" || ev["applicationId"] != storeApp || user["id"] != aliceID {
		t.Fatalf("user.login.success: %v", ev)
	}
	waitFor(t, "the delivery recorded as sent", func() bool {
		msgs := webhookMessages(t, s)
		return len(msgs) == 1 && msgs[0].State == storage.OutboxSent
	})
}
