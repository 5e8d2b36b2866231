package manage

import (
	"context"
	"errors"
	"time"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// WebhookDelivery is one delivery of an event to a webhook that is still
// pending (retried with backoff) or failed (dead after its last attempt,
// kept for operators): an outbox message of the webhook queue. FusionAuth
// has no such API (its retries live in memory); latchkey's deliveries are
// durable, so operators can see why one fails and retry it.
type WebhookDelivery struct {
	ID                 string `json:"id"`
	WebhookID          string `json:"webhookId,omitempty"`
	EventID            string `json:"eventId,omitempty"`
	EventType          string `json:"eventType,omitempty"`
	State              string `json:"state"` // Pending or Failed
	Attempts           int    `json:"attempts"`
	LastError          string `json:"lastError,omitempty"`
	InsertInstant      int64  `json:"insertInstant"`
	NextAttemptInstant int64  `json:"nextAttemptInstant,omitempty"` // Pending
	FailedInstant      int64  `json:"failedInstant,omitempty"`      // Failed
}

// Delivery states as the API names them, and the outbox states they are.
const (
	DeliveryPending = "Pending"
	DeliveryFailed  = "Failed"
	deliverySent    = "Sent"
)

var deliveryStates = map[string]string{
	storage.OutboxPending: DeliveryPending,
	storage.OutboxDead:    DeliveryFailed,
	storage.OutboxSent:    deliverySent,
}

func deliveryView(m storage.OutboxMessage) WebhookDelivery {
	d := WebhookDelivery{ID: m.ID, State: deliveryStates[m.State], Attempts: m.Attempts, LastError: m.LastError,
		InsertInstant: m.CreatedAt.UnixMilli()}
	if t, ok := events.TargetOf(m); ok {
		d.WebhookID, d.EventID, d.EventType = t.WebhookID, t.EventID, t.EventType
	}
	switch m.State {
	case storage.OutboxPending:
		d.NextAttemptInstant = m.NextAttemptAt.UnixMilli()
	case storage.OutboxDead:
		d.FailedInstant = m.DoneAt.UnixMilli()
	}
	return d
}

// Deliveries lists the webhook deliveries in state (DeliveryFailed when
// blank, or DeliveryPending), newest first, at most limit (25 when 0, at
// most 500), and how many are in that state in all. Sent deliveries are
// not listed: their bodies are cleared once sent.
func (ws *Webhooks) Deliveries(ctx context.Context, state string, limit int) ([]WebhookDelivery, int, error) {
	var outboxState string
	switch state {
	case "", DeliveryFailed:
		outboxState = storage.OutboxDead
	case DeliveryPending:
		outboxState = storage.OutboxPending
	default:
		return nil, 0, invalid("invalid", "state", "Invalid [state] ["+truncate(state, 64)+"]. It must be [Failed] or [Pending].")
	}
	e := &Invalid{}
	checkPaging(e, paging{"numberOfResults", limit})
	if err := e.Err(); err != nil {
		return nil, 0, err
	}
	msgs, err := ws.Store.ListOutbox(ctx, storage.OutboxFilter{Queue: events.Queue, State: outboxState, Limit: pageSize(limit, 25)})
	if err != nil {
		return nil, 0, err
	}
	depth, err := ws.Store.OutboxDepth(ctx, events.Queue)
	if err != nil {
		return nil, 0, err
	}
	total := depth.Dead
	if outboxState == storage.OutboxPending {
		total = depth.Pending
	}
	out := make([]WebhookDelivery, len(msgs))
	for i, m := range msgs {
		out[i] = deliveryView(m)
	}
	return out, total, nil
}

// RetryDelivery makes a failed delivery pending again, with its attempts
// counted from zero and due now, and wakes this node's webhook worker: the
// event goes out with its original id and body, to the webhook as it is
// configured now. Only a failed delivery of a webhook that still exists
// can be retried.
func (ws *Webhooks) RetryDelivery(ctx context.Context, id string) (WebhookDelivery, error) {
	m, err := ws.Store.GetOutboxMessage(ctx, id)
	if errors.Is(err, storage.ErrNotFound) || err == nil && m.Queue != events.Queue {
		return WebhookDelivery{}, ErrNotFound
	}
	if err != nil {
		return WebhookDelivery{}, err
	}
	notFailed := func(m storage.OutboxMessage) error {
		return invalid("invalid", "state", "Only a failed delivery can be retried; delivery ["+id+"] is ["+deliveryStates[m.State]+"].")
	}
	if m.State != storage.OutboxDead {
		return deliveryView(m), notFailed(m)
	}
	t, ok := events.TargetOf(m)
	if !ok {
		return deliveryView(m), invalid("invalid", "id", "Delivery ["+id+"] cannot be read; it cannot be retried.")
	}
	if _, err := ws.Store.GetWebhook(ctx, t.WebhookID); errors.Is(err, storage.ErrNotFound) {
		return deliveryView(m), invalid("invalid", "webhookId", "The webhook ["+t.WebhookID+"] of this delivery was deleted; it cannot be retried.")
	} else if err != nil {
		return WebhookDelivery{}, err
	}
	now := ws.Now()
	if err := ws.Store.RequeueOutbox(ctx, id, now); errors.Is(err, storage.ErrConflict) {
		// Retried by another request meanwhile.
		if m, err = ws.Store.GetOutboxMessage(ctx, id); err != nil {
			return WebhookDelivery{}, err
		}
		return deliveryView(m), notFailed(m)
	} else if err != nil {
		return WebhookDelivery{}, err
	}
	ws.Publisher.Committed([]storage.OutboxMessage{m})
	m.State, m.Attempts, m.NextAttemptAt, m.DoneAt = storage.OutboxPending, 0, now, time.Time{}
	return deliveryView(m), nil
}

// WebhookTest is the outcome of a test event sent to a webhook.
type WebhookTest struct {
	EventID   string `json:"eventId"`
	Succeeded bool   `json:"succeeded"`
	Error     string `json:"error,omitempty"` // why it failed: the status, a timeout, a refused connection
}

// Test sends the webhook id a test event at once and reports whether it
// answered 2xx within its timeouts (events.Publisher.Test). A failure is
// the outcome, not an error of the call.
func (ws *Webhooks) Test(ctx context.Context, id string) (WebhookTest, error) {
	w, err := ws.Store.GetWebhook(ctx, id)
	if err != nil {
		return WebhookTest{}, notFound(err)
	}
	eventID, err := ws.Publisher.Test(ctx, w)
	out := WebhookTest{EventID: eventID, Succeeded: err == nil}
	if err != nil {
		out.Error = truncate(err.Error(), 500)
	}
	return out, nil
}
