package server

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// webhookNotices are the messages after a webhook change (seeOther's done=).
var webhookNotices = map[string]string{
	"created": "The webhook is created; it receives the ticked events from now on.",
	"saved":   "The webhook is saved.",
	"deleted": "The webhook is deleted.",
}

// webhookForm is the webhook form as typed: a new webhook's or one being
// edited. Its headers, Basic credentials and signature stay as stored (the
// API edits them).
type webhookForm struct {
	Hook             storage.Webhook
	URL, Description string
	Connect, Read    string
	Events           []string
	AllEvents        []string
	Test             *manage.WebhookTest
	Webhooks         []storage.Webhook // the list page only
	New              bool
	Global           bool
	TenantIDs        []string
	Tenants          []storage.Tenant
}

// On reports whether the form has the event type ticked.
func (f webhookForm) On(t string) bool { return slices.Contains(f.Events, t) }

// TenantOn reports whether the form has the tenant ticked.
func (f webhookForm) TenantOn(id string) bool { return slices.Contains(f.TenantIDs, id) }

func newWebhookForm(w storage.Webhook) webhookForm {
	f := webhookForm{Hook: w, URL: w.URL, Description: w.Description, Connect: strconv.Itoa(w.ConnectTimeout),
		Read: strconv.Itoa(w.ReadTimeout), Global: w.Global, TenantIDs: slices.Clone(w.TenantIDs)}
	for t, on := range w.EventsEnabled {
		if on {
			f.Events = append(f.Events, t)
		}
	}
	return f
}

// webhookFields maps the webhook API's fields to the form's.
var webhookFields = map[string]string{"webhook.url": "url", "webhook.connectTimeout": "connect", "webhook.readTimeout": "read",
	"webhook.eventsEnabled": "events", "webhook.tenantIds": "tenants"}

func (s *Server) renderWebhooks(w http.ResponseWriter, r *http.Request, status int, page string, f webhookForm, p consolePage) {
	var err error
	f.AllEvents = events.Sent
	f.Tenants, err = s.Manage.Tenants.List(r.Context(), manage.Scope{})
	if err == nil && page == "webhooks" {
		f.Webhooks, err = s.Manage.Webhooks.List(r.Context())
	}
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	p.Nav, p.Data = "webhooks", f
	if p.Title == "" {
		p.Title = "Webhooks"
	}
	s.renderConsolePage(w, r, status, page, p)
}

// consoleWebhooks serves GET /admin/webhooks: every webhook and the form
// to create one.
func (s *Server) consoleWebhooks(w http.ResponseWriter, r *http.Request) {
	f := webhookForm{New: true, Connect: "1000", Read: "2000", Global: true}
	s.renderWebhooks(w, r, http.StatusOK, "webhooks", f, consolePage{Notice: webhookNotices[r.URL.Query().Get("done")]})
}

// consoleWebhook serves GET /admin/webhooks/{id}: the webhook's form, the
// test button and the delete form.
func (s *Server) consoleWebhook(w http.ResponseWriter, r *http.Request) {
	hook, err := s.Manage.Webhooks.Get(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, manage.ErrNotFound):
		s.consoleNotFound(w, r, "webhook")
	case err != nil:
		s.consoleError(w, r, err)
	default:
		s.renderWebhooks(w, r, http.StatusOK, "webhook", newWebhookForm(hook), consolePage{Title: hook.URL,
			Notice: webhookNotices[r.URL.Query().Get("done")]})
	}
}

// formWebhook reads the form into f and onto w, the webhook it changes.
func formWebhook(r *http.Request, w storage.Webhook) (webhookForm, storage.Webhook, map[string]string) {
	f := webhookForm{Hook: w, URL: strings.TrimSpace(r.PostFormValue("url")), Description: strings.TrimSpace(r.PostFormValue("description")),
		Connect: r.PostFormValue("connect"), Read: r.PostFormValue("read"), Events: r.PostForm["event"],
		Global: r.PostFormValue("global") == "on", TenantIDs: r.PostForm["tenant"]}
	fields := map[string]string{}
	num := func(name, v string) int {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			fields[name] = "Enter a whole number of milliseconds."
		}
		return n
	}
	w.URL, w.Description = f.URL, f.Description
	w.ConnectTimeout, w.ReadTimeout = num("connect", f.Connect), num("read", f.Read)
	w.EventsEnabled = map[string]bool{}
	for _, t := range f.Events {
		w.EventsEnabled[t] = true
	}
	w.Global, w.TenantIDs = f.Global, append([]string{}, f.TenantIDs...)
	if w.Global {
		w.TenantIDs = []string{}
	}
	return f, w, fields
}

// consoleWebhookSave handles POST /admin/webhooks (create) and POST
// /admin/webhooks/{id} (save), through the webhook API's use cases (their
// validation and audit entries).
func (s *Server) consoleWebhookSave(w http.ResponseWriter, r *http.Request) {
	ctx, id := r.Context(), r.PathValue("id")
	cur := storage.Webhook{}
	var rev int64 // the revision the edit form was opened from
	if id != "" {
		var err error
		if cur, err = s.Manage.Webhooks.Get(ctx, id); errors.Is(err, manage.ErrNotFound) {
			s.consoleNotFound(w, r, "webhook")
			return
		} else if err != nil {
			s.consoleError(w, r, err)
			return
		}
		var ok bool
		if rev, ok = formRevision(r); !ok {
			s.renderWebhooks(w, r, http.StatusBadRequest, "webhook", newWebhookForm(cur), consolePage{Title: cur.URL, Problem: badRevision("webhook")})
			return
		}
		if cur.Revision != rev {
			s.webhookChanged(w, r, cur)
			return
		}
	}
	f, hook, fields := formWebhook(r, cur)
	f.New = id == ""
	page, title := "webhook", cur.URL
	if f.New {
		page, title = "webhooks", ""
	}
	if len(fields) > 0 {
		s.renderWebhooks(w, r, http.StatusBadRequest, page, f, consolePage{Title: title, Fields: fields, Problem: "The webhook was not saved."})
		return
	}
	var err error
	notice := "saved"
	if f.New {
		hook, err = s.Manage.Webhooks.Create(ctx, "", hook)
		notice = "created"
	} else {
		// The form's fields onto the webhook as it is now (its headers,
		// credentials, signing and data stay), while it is the form's.
		hook, err = s.Manage.Webhooks.Update(ctx, id, func(now storage.Webhook) (storage.Webhook, error) {
			if err := sameRevision(now.Revision, rev); err != nil {
				return now, err
			}
			_, h, _ := formWebhook(r, now)
			return h, nil
		})
	}
	var inv *manage.Invalid
	switch {
	case errors.Is(err, errChangedSinceOpened):
		s.webhookChanged(w, r, storage.Webhook{})
	case errors.As(err, &inv):
		for _, p := range inv.Problems {
			if ff, ok := webhookFields[p.Field]; ok {
				fields[ff] = strings.TrimSpace(fields[ff] + " " + p.Message)
			}
		}
		s.renderWebhooks(w, r, http.StatusBadRequest, page, f, consolePage{Title: title, Fields: fields, Problem: problemText(inv)})
	case errors.Is(err, manage.ErrNotFound):
		s.consoleNotFound(w, r, "webhook")
	case err != nil:
		s.consoleError(w, r, err)
	default:
		seeOther(w, r, consolePath+"/webhooks/"+hook.ID, notice)
	}
}

// webhookChanged answers an edit form opened from an older revision of the
// webhook: nothing saved, 409, the form again with the current values (cur
// when already read, else read now).
func (s *Server) webhookChanged(w http.ResponseWriter, r *http.Request, cur storage.Webhook) {
	if cur.ID == "" {
		var err error
		if cur, err = s.Manage.Webhooks.Get(r.Context(), r.PathValue("id")); errors.Is(err, manage.ErrNotFound) {
			s.consoleNotFound(w, r, "webhook")
			return
		} else if err != nil {
			s.consoleError(w, r, err)
			return
		}
	}
	s.renderWebhooks(w, r, http.StatusConflict, "webhook", newWebhookForm(cur), consolePage{Title: cur.URL, Problem: changedSinceOpened("webhook")})
}

// consoleWebhookAction handles POST /admin/webhooks/{id}/{action}: test
// (a test event sent at once, the receiver's answer shown) and delete
// (confirmed).
func (s *Server) consoleWebhookAction(w http.ResponseWriter, r *http.Request) {
	ctx, id := r.Context(), r.PathValue("id")
	hook, err := s.Manage.Webhooks.Get(ctx, id)
	switch {
	case errors.Is(err, manage.ErrNotFound):
		s.consoleNotFound(w, r, "webhook")
		return
	case err != nil:
		s.consoleError(w, r, err)
		return
	}
	f := newWebhookForm(hook)
	p := consolePage{Title: hook.URL}
	switch r.PathValue("action") {
	case "test":
		res, err := s.Manage.Webhooks.Test(ctx, id)
		if err != nil {
			s.consoleError(w, r, err)
			return
		}
		f.Test = &res
		s.renderWebhooks(w, r, http.StatusOK, "webhook", f, p)
	case "delete":
		if r.PostFormValue("confirm") != "yes" {
			p.Fields = map[string]string{"delete": "Tick the box to confirm."}
			s.renderWebhooks(w, r, http.StatusBadRequest, "webhook", f, p)
			return
		}
		if err := s.Manage.Webhooks.Delete(ctx, id); errors.Is(err, manage.ErrNotFound) {
			s.consoleNotFound(w, r, "webhook")
		} else if err != nil {
			s.consoleError(w, r, err)
		} else {
			seeOther(w, r, consolePath+"/webhooks", "deleted")
		}
	default:
		s.consoleNotFound(w, r, "action")
	}
}
