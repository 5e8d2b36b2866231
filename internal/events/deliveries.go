package events

import (
	"encoding/json"

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
	if m.Queue != Queue || len(m.Payload) == 0 {
		return t, false
	}
	var msg message
	if err := json.Unmarshal(m.Payload, &msg); err != nil || msg.WebhookID == "" {
		return t, false
	}
	return Target{WebhookID: msg.WebhookID, EventID: msg.EventID, EventType: msg.Type}, true
}
