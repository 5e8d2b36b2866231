package manage

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// FusionAuth's Webhook Event Log (apis/webhook-event-logs), read from the
// webhook queue's deliveries: one log per event, one attempt entry per
// webhook the event went to (latchkey keeps each delivery's attempt count
// and last error, not a row per attempt). An event's body is shown while a
// delivery still holds it (pending or failed); once every delivery was
// sent only its id and type remain, since bodies carry user data
// (docs/compatibility.md). Logs live as long as their deliveries: sent
// ones until the janitor purges them.

// WebhookEventLog is FusionAuth's WebhookEventLog.
type WebhookEventLog struct {
	ID                 string              `json:"id"` // the event's id
	Attempts           []WebhookAttemptLog `json:"attempts"`
	Event              json.RawMessage     `json:"event"`
	EventResult        string              `json:"eventResult"` // Failed, Running, Succeeded
	EventType          string              `json:"eventType"`
	FailedAttempts     int                 `json:"failedAttempts"`
	InsertInstant      int64               `json:"insertInstant"`
	LastAttemptInstant int64               `json:"lastAttemptInstant,omitempty"`
	SuccessfulAttempts int                 `json:"successfulAttempts"`
}

// WebhookAttemptLog is FusionAuth's WebhookAttemptLog, here one per
// delivery: its outcome so far.
type WebhookAttemptLog struct {
	ID                  string              `json:"id"` // the delivery's id (/api/webhook/delivery)
	WebhookID           string              `json:"webhookId"`
	AttemptResult       string              `json:"attemptResult"` // Success, Failure, Unknown (not yet tried or retrying)
	StartInstant        int64               `json:"startInstant"`
	EndInstant          int64               `json:"endInstant,omitempty"`
	WebhookCallResponse *WebhookCallOutcome `json:"webhookCallResponse,omitempty"`
	Data                map[string]any      `json:"data"`
}

// WebhookCallOutcome is FusionAuth's webhookCallResponse: latchkey keeps the
// last error's text, not the receiver's status code.
type WebhookCallOutcome struct {
	Exception string `json:"exception,omitempty"`
}

// WebhookEventLogQuery is FusionAuth's WebhookEventLogSearchCriteria.
type WebhookEventLogQuery struct {
	Start, End      int64 // insertInstant bounds (ms), 0: none
	EventType       string
	EventResult     string
	StartRow, Count int
}

// maxLogScan bounds the deliveries one search reads (newest first).
const maxLogScan = 10_000

// EventLog returns the log of the event id (404 when no delivery of it is
// left).
func (ws *Webhooks) EventLog(ctx context.Context, id string) (WebhookEventLog, error) {
	if !ValidID(id) {
		return WebhookEventLog{}, ErrNotFound
	}
	msgs, err := ws.Store.ListOutbox(ctx, storage.OutboxFilter{Queue: events.Queue, Ref: id, Limit: 1000})
	if err != nil {
		return WebhookEventLog{}, err
	}
	logs := eventLogs(msgs)
	if len(logs) == 0 {
		return WebhookEventLog{}, ErrNotFound
	}
	return logs[0], nil
}

// SearchEventLogs finds logs by FusionAuth's criteria, newest first, and
// says how many match in all (of the newest maxLogScan deliveries).
func (ws *Webhooks) SearchEventLogs(ctx context.Context, q WebhookEventLogQuery) ([]WebhookEventLog, int, error) {
	e := &Invalid{}
	if q.EventResult != "" && !slices.Contains([]string{"Failed", "Running", "Succeeded"}, q.EventResult) {
		e.Field("invalid", "search.eventResult", "Invalid [eventResult]: Failed, Running or Succeeded.")
	}
	if q.EventType != "" && !events.Known(q.EventType) {
		e.Field("invalid", "search.eventType", "Unknown event type ["+truncate(q.EventType, 64)+"].")
	}
	checkPaging(e, searchPaging(q.StartRow, q.Count)...)
	if q.Count > MaxPageSize {
		// Refused, not clamped: a page of the newest maxLogScan deliveries.
		e.Field("invalid", "search.numberOfResults", "The [numberOfResults] must be at most 500.")
	}
	if err := e.Err(); err != nil {
		return nil, 0, err
	}
	f := storage.OutboxFilter{Queue: events.Queue, Limit: maxLogScan}
	if q.Start > 0 {
		f.Since = time.UnixMilli(q.Start)
	}
	if q.End > 0 {
		f.Until = time.UnixMilli(q.End)
	}
	msgs, err := ws.Store.ListOutbox(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	var match []WebhookEventLog
	for _, l := range eventLogs(msgs) {
		if (q.EventType == "" || l.EventType == q.EventType) && (q.EventResult == "" || l.EventResult == q.EventResult) {
			match = append(match, l)
		}
	}
	count := q.Count
	if count == 0 {
		count = 25
	}
	from := min(q.StartRow, len(match))
	return match[from:min(from+count, len(match))], len(match), nil
}

// eventLogs groups deliveries (newest first) by event, in that order.
func eventLogs(msgs []storage.OutboxMessage) []WebhookEventLog {
	var out []WebhookEventLog
	at := map[string]int{}
	for _, m := range msgs {
		t, ok := events.TargetOf(m)
		if !ok || t.EventID == "" {
			continue
		}
		i, seen := at[t.EventID]
		if !seen {
			i, at[t.EventID] = len(out), len(out)
			out = append(out, WebhookEventLog{ID: t.EventID, EventType: t.EventType, InsertInstant: m.CreatedAt.UnixMilli(),
				Event: json.RawMessage(`{"id":"` + t.EventID + `","type":"` + t.EventType + `"}`), Attempts: []WebhookAttemptLog{}})
		}
		l := &out[i]
		if body := events.BodyOf(m); body != nil {
			l.Event = body
		}
		l.Attempts = append(l.Attempts, attemptLog(m, t))
		l.InsertInstant = min(l.InsertInstant, m.CreatedAt.UnixMilli())
		if !m.DoneAt.IsZero() {
			l.LastAttemptInstant = max(l.LastAttemptInstant, m.DoneAt.UnixMilli())
		}
		switch m.State {
		case storage.OutboxSent:
			l.SuccessfulAttempts++
			l.FailedAttempts += max(m.Attempts-1, 0)
		default:
			l.FailedAttempts += m.Attempts
		}
	}
	for i := range out {
		out[i].EventResult = eventResult(out[i].Attempts)
	}
	return out
}

func attemptLog(m storage.OutboxMessage, t events.Target) WebhookAttemptLog {
	a := WebhookAttemptLog{ID: m.ID, WebhookID: t.WebhookID, StartInstant: m.CreatedAt.UnixMilli(),
		Data: map[string]any{"attempts": m.Attempts, "state": deliveryStates[m.State]}}
	switch m.State {
	case storage.OutboxSent:
		a.AttemptResult, a.EndInstant = "Success", m.DoneAt.UnixMilli()
	case storage.OutboxDead:
		a.AttemptResult, a.EndInstant = "Failure", m.DoneAt.UnixMilli()
	default:
		a.AttemptResult = "Unknown"
	}
	if m.LastError != "" {
		a.WebhookCallResponse = &WebhookCallOutcome{Exception: m.LastError}
	}
	return a
}

// eventResult: Failed when a delivery failed for good, Succeeded when all
// were sent, Running while some are pending.
func eventResult(as []WebhookAttemptLog) string {
	result := "Succeeded"
	for _, a := range as {
		switch a.AttemptResult {
		case "Failure":
			return "Failed"
		case "Unknown":
			result = "Running"
		}
	}
	return result
}
