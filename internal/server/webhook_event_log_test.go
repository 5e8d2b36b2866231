package server_test

import (
	"encoding/json"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/events"
)

// TestWebhookEventLog: FusionAuth's webhook event log shows a delivered
// event as Succeeded (its body gone once sent, only id and type left) and
// one whose receiver fails as Running with its body and the last error;
// search filters by type and result; unknown ids are 404 and bad criteria
// 400.
func TestWebhookEventLog(t *testing.T) {
	s := newTunedStack(t, nil, webhookTuning, allEvents)
	good, bad := newReceiver(t), newReceiver(t)
	bad.answer(500)
	wantStatus(t, s.do(call{method: "POST", path: "/api/webhook", hdr: admin, body: webhookBody(good.srv.URL, []string{events.UserCreate}, "")}), 200)
	wantStatus(t, s.do(call{method: "POST", path: "/api/webhook", hdr: admin, body: webhookBody(bad.srv.URL, []string{events.UserUpdate}, "")}), 200)

	wantStatus(t, s.do(call{method: "POST", path: "/api/user/" + bobID, hdr: admin,
		body: `{"user":{"email":"bob@example.test","password":"a long enough password"}}`}), 200)
	created := good.waitFor(events.UserCreate, 1)[0].event["id"].(string)
	wantStatus(t, s.do(call{method: "PATCH", path: "/api/user/" + bobID, hdr: admin, body: `{"user":{"firstName":"Bob"}}`}), 200)
	updated := bad.waitFor(events.UserUpdate, 1)[0].event["id"].(string)

	type attempt struct {
		WebhookID, AttemptResult string
		WebhookCallResponse      *struct{ Exception string }
	}
	type eventLog struct {
		ID, EventType, EventResult         string
		Event                              map[string]any
		Attempts                           []attempt
		SuccessfulAttempts, FailedAttempts int
	}
	get := func(id string) (int, eventLog) {
		res := s.do(call{method: "GET", path: "/api/system/webhook-event-log/" + id, hdr: admin})
		var out struct{ WebhookEventLog eventLog }
		if res.status == 200 {
			must(t, json.Unmarshal(res.body, &out))
		}
		return res.status, out.WebhookEventLog
	}
	// The worker marks the delivery sent just after the receiver answered.
	var l eventLog
	waitFor(t, "the delivery is recorded as sent", func() bool {
		status, got := get(created)
		l = got
		return status == 200 && got.EventResult == "Succeeded"
	})
	if l.EventResult != "Succeeded" || l.EventType != events.UserCreate || l.SuccessfulAttempts != 1 || len(l.Attempts) != 1 ||
		l.Attempts[0].AttemptResult != "Success" || l.Event["id"] != created || l.Event["user"] != nil {
		t.Fatalf("sent event's log: %+v", l)
	}
	// And the failed attempt just after the receiver answered 500.
	var status int
	waitFor(t, "the failed attempt is recorded", func() bool {
		status, l = get(updated)
		return status == 200 && len(l.Attempts) == 1 && l.Attempts[0].WebhookCallResponse != nil
	})
	if status != 200 || l.EventResult != "Running" || l.Attempts[0].AttemptResult != "Unknown" || l.FailedAttempts < 1 ||
		l.Attempts[0].WebhookCallResponse == nil || l.Event["user"] == nil {
		t.Fatalf("failing event's log: %d %+v", status, l)
	}

	res := s.do(call{method: "POST", path: "/api/system/webhook-event-log/search", hdr: admin, body: `{"search":{"eventResult":"Running"}}`})
	var found struct {
		WebhookEventLogs []eventLog
		Total            int
	}
	must(t, json.Unmarshal(res.body, &found))
	if res.status != 200 || found.Total != 1 || found.WebhookEventLogs[0].ID != updated {
		t.Fatalf("search Running: %d %s", res.status, res.body)
	}
	res = s.do(call{method: "GET", path: "/api/system/webhook-event-log/search?eventType=user.create", hdr: admin})
	must(t, json.Unmarshal(res.body, &found))
	if res.status != 200 || found.Total != 1 || found.WebhookEventLogs[0].ID != created {
		t.Fatalf("search user.create: %d %s", res.status, res.body)
	}
	if status, _ := get("0f1a2b3c-0000-4000-8000-00000000dead"); status != 404 {
		t.Fatalf("unknown event: %d", status)
	}
	wantStatus(t, s.do(call{method: "GET", path: "/api/system/webhook-event-log/search?eventResult=Maybe", hdr: admin}), 400)
	wantStatus(t, s.do(call{method: "GET", path: "/api/system/webhook-event-log/search"}), 401)
}
