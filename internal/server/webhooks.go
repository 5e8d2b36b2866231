package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The webhook API (apis/webhooks; spec §3.1). Webhooks are global in
// FusionAuth, so a tenant-scoped key is refused (the route's global mark, guard.go). The Basic
// authentication password is stored and used, never returned: a PUT that
// leaves it blank keeps it.

type webhookRequest struct {
	Webhook *storage.Webhook `json:"webhook"`
}

type webhookResponse struct {
	Webhook storage.Webhook `json:"webhook"`
}

// webhookView hides the stored Basic authentication password.
func webhookView(w storage.Webhook) storage.Webhook {
	w.HTTPAuthenticationPassword = ""
	return w
}

func missingWebhook() error {
	v := &manage.Invalid{}
	v.Field("missing", "webhook", "You must specify the [webhook] object.")
	return v
}

// createWebhook handles POST /api/webhook[/{id}].
func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	id, ok := optionalPathID(w, r, "id", "webhookId")
	if !ok {
		return
	}
	var req webhookRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	if req.Webhook == nil {
		s.writeError(w, r, missingWebhook())
		return
	}
	hook, err := s.Manage.Webhooks.Create(r.Context(), id, *req.Webhook)
	s.writeWebhook(w, r, hook, err)
}

func (s *Server) writeWebhook(w http.ResponseWriter, r *http.Request, hook storage.Webhook, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, webhookResponse{webhookView(hook)})
}

// getWebhook handles GET /api/webhook/{id}.
func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "webhookId")
	if !ok {
		return
	}
	hook, err := s.Manage.Webhooks.Get(r.Context(), id)
	s.writeWebhook(w, r, hook, err)
}

// listWebhooks handles GET /api/webhook.
func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	list, err := s.Manage.Webhooks.List(r.Context())
	s.writeWebhooks(w, r, list, -1, err)
}

func (s *Server) writeWebhooks(w http.ResponseWriter, r *http.Request, list []storage.Webhook, total int, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]storage.Webhook, len(list))
	for i, h := range list {
		out[i] = webhookView(h)
	}
	body := map[string]any{"webhooks": out}
	if total >= 0 {
		body["total"] = total
	}
	writeJSON(w, http.StatusOK, body)
}

// searchWebhooks handles POST /api/webhook/search {"search":{...}} and GET
// /api/webhook/search?description=&url=&tenantId=&numberOfResults=&startRow=
// (FusionAuth 1.45; TS searchWebhooks).
func (s *Server) searchWebhooks(w http.ResponseWriter, r *http.Request) {
	var q manage.WebhookSearch
	if r.Method == http.MethodPost {
		var req struct {
			Search manage.WebhookSearch `json:"search"`
		}
		if !s.decodeJSON(w, r, &req, false) {
			return
		}
		q = req.Search
	} else {
		q = manage.WebhookSearch{Description: queryValue(r, "description"), URL: queryValue(r, "url"), TenantID: queryValue(r, "tenantId")}
		var ok bool
		if q.NumberOfResults, ok = queryInt(w, r, "numberOfResults"); !ok {
			return
		}
		if q.StartRow, ok = queryInt(w, r, "startRow"); !ok {
			return
		}
	}
	list, total, err := s.Manage.Webhooks.Search(r.Context(), q)
	s.writeWebhooks(w, r, list, total, err)
}

// updateWebhook handles PUT and PATCH /api/webhook/{id}. A PATCH applies
// to the webhook as GET shows it (no httpAuthenticationPassword: a JSON
// Patch copy, move or test cannot read it); a password left out is kept
// as a PUT's is (manage.Webhooks.Update).
func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "webhookId")
	if !ok {
		return
	}
	rewind := replayBody(r)
	hook, err := s.Manage.Webhooks.Update(r.Context(), id, func(cur storage.Webhook) (storage.Webhook, error) {
		rewind()
		var req webhookRequest
		if err := decodeReplacement(r, webhookResponse{webhookView(cur)}, &req); err != nil {
			return cur, err
		}
		if req.Webhook == nil {
			return cur, missingWebhook()
		}
		return *req.Webhook, nil
	})
	s.writeWebhook(w, r, hook, err)
}

// deleteWebhook handles DELETE /api/webhook/{id}: deliveries still queued
// for it are dropped.
func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "webhookId")
	if !ok {
		return
	}
	if err := s.Manage.Webhooks.Delete(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}
