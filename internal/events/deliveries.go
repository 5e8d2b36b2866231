package events

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Target is what one outbox message of the webhook queue delivers: the
// webhook it goes to and the event it carries.
type Target struct {
	WebhookID, EventID, EventType string
}

// TargetOf reads m's target. ok is false for a message whose payload was
// cleared (a sent delivery) or cannot be read.
func TargetOf(m storage.OutboxMessage) (t Target, ok bool) {
	if m.Queue != Queue {
		return t, false
	}
	var msg message
	if len(m.Payload) > 0 {
		if err := json.Unmarshal(m.Payload, &msg); err != nil || msg.WebhookID == "" {
			return t, false
		}
		return Target{WebhookID: msg.WebhookID, EventID: msg.EventID, EventType: msg.Type}, true
	}
	// Sent: the payload is gone, its summary and reference stay.
	if err := json.Unmarshal(m.Summary, &msg); err != nil || msg.WebhookID == "" {
		return t, false
	}
	return Target{WebhookID: msg.WebhookID, EventID: m.Ref, EventType: msg.Type}, true
}

// BodyOf is the event a webhook message carries ({"event":...}'s value),
// nil once it was sent (the body is cleared: it carries user data).
func BodyOf(m storage.OutboxMessage) json.RawMessage {
	var msg message
	if len(m.Payload) == 0 || json.Unmarshal(m.Payload, &msg) != nil {
		return nil
	}
	var env struct {
		Event json.RawMessage `json:"event"`
	}
	if json.Unmarshal(msg.Body, &env) != nil {
		return nil
	}
	return env.Event
}

// TestMessage is the text of the test event.
const TestMessage = "A test event from latchkey: this webhook is reachable and configured."

// Test sends w a FusionAuth test event ({"event":{"type":"test",
// "message":…}}) at once, with w's headers, credentials and signature,
// within its timeouts, and returns the event's id and the outcome: nil for
// a 2xx answer. Nothing is stored and nothing retried: it checks a
// webhook's configuration, like the Test tab of FusionAuth's admin UI.
func (p *Publisher) Test(ctx context.Context, w storage.Webhook) (string, error) {
	if p == nil {
		return "", errors.New("events: webhooks are not wired")
	}
	ev := Event{ID: uuid.NewString(), Type: Test, CreateInstant: p.cfg.Now().UnixMilli(), Message: TestMessage}
	body, err := json.Marshal(map[string]*Event{"event": &ev})
	if err != nil {
		return "", err
	}
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeoutOf(w))
	defer cancel()
	return ev.ID, p.post(tctx, w, body)
}
