package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// Webhook deliveries: latchkey's own view of the webhook queue, for
// operators (FusionAuth has none: its retries live in one node's memory).
// Global like the webhooks, so a tenant-scoped key is refused.

// listWebhookDeliveries handles GET /api/webhook/delivery?state=Failed|Pending&numberOfResults=:
// 200 {"deliveries":[…],"total"}, newest first.
func (s *Server) listWebhookDeliveries(w http.ResponseWriter, r *http.Request) {
	limit, ok := queryInt(w, r, "numberOfResults")
	if !ok {
		return
	}
	list, total, err := s.Manage.Webhooks.Deliveries(r.Context(), queryValue(r, "state"), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if list == nil {
		list = []manage.WebhookDelivery{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": list, "total": total})
}

// retryWebhookDelivery handles POST /api/webhook/delivery/{id}/retry: a
// failed delivery is pending again and goes out at once, with its
// original event id (200 {"delivery"}); 400 for one that is not failed or
// whose webhook was deleted, 404 for an unknown id.
func (s *Server) retryWebhookDelivery(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "deliveryId")
	if !ok {
		return
	}
	d, err := s.Manage.Webhooks.RetryDelivery(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"delivery": d})
}

// testWebhook handles POST /api/webhook/{id}/test: the webhook gets a
// FusionAuth test event at once ({"event":{"type":"test","message":…}},
// signed and authenticated as configured); 200 {"result":{"eventId",
// "succeeded","error"}} whatever the receiver answered, 404 for an unknown
// webhook. latchkey's own: FusionAuth offers this only in its admin UI.
func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "webhookId")
	if !ok {
		return
	}
	res, err := s.Manage.Webhooks.Test(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": res})
}
