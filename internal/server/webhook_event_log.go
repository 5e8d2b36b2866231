package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// FusionAuth's Webhook Event Log API (apis/webhook-event-logs), read from
// the webhook queue's deliveries (manage.WebhookEventLog). Global like the
// webhooks: their routes are marked global, so a tenant-scoped key is
// refused before the handler runs.

// getWebhookEventLog handles GET /api/system/webhook-event-log/{id} (the
// event's id): 200 {"webhookEventLog"}, 404 with an empty body.
func (s *Server) getWebhookEventLog(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "webhookEventLogId")
	if !ok {
		return
	}
	l, err := s.Manage.Webhooks.EventLog(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhookEventLog": l})
}

// searchWebhookEventLogs handles GET and POST
// /api/system/webhook-event-log/search: start, end, eventType, eventResult,
// startRow, numberOfResults; {"webhookEventLogs":[...],"total":n}, newest
// first.
func (s *Server) searchWebhookEventLogs(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Search struct {
			EventType   string `json:"eventType"`
			EventResult string `json:"eventResult"`
			rangePage   `json:",inline"`
		} `json:"search"`
	}
	in := &req.Search
	if !s.readRangeSearch(w, r, &req, &in.rangePage, func() {
		in.EventType, in.EventResult = queryValue(r, "eventType"), queryValue(r, "eventResult")
	}) {
		return
	}
	q := manage.WebhookEventLogQuery{Start: in.Start, End: in.End, EventType: in.EventType, EventResult: in.EventResult,
		StartRow: in.StartRow, Count: in.NumberOfResults}
	logs, total, err := s.Manage.Webhooks.SearchEventLogs(r.Context(), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if logs == nil {
		logs = []manage.WebhookEventLog{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhookEventLogs": logs, "total": total})
}
