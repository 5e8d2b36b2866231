package server

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// consoleKeyManager is the console admin as the API-key use cases see
// their caller: an unrestricted key manager of every tenant. The audit
// entries name the admin (the request's Actor), not a key.
var consoleKeyManager = storage.APIKey{KeyManager: true}

// allMethods are the methods a key made in the console gets on each
// endpoint it is given.
var allMethods = []string{"DELETE", "GET", "PATCH", "POST", "PUT"}

// apiKeysData is the API keys page; Created is the key just made, whose
// value is shown this once.
type apiKeysData struct {
	Keys      []manage.APIKeyView
	Endpoints []string
	Created   string
	CreatedID string
}

// Summary lists a key's endpoints for the table.
func (apiKeysData) Summary(k manage.APIKeyView) string {
	if len(k.Permissions.Endpoints) == 0 {
		return "every endpoint"
	}
	names := make([]string, 0, len(k.Permissions.Endpoints))
	for e := range k.Permissions.Endpoints {
		names = append(names, e)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// consoleAPIKeys serves GET /admin/api-keys: every key (never a value) and
// the form to create one.
func (s *Server) consoleAPIKeys(w http.ResponseWriter, r *http.Request) {
	notice := map[string]string{"deleted": "The API key is deleted; it is refused from the next request on."}[r.URL.Query().Get("done")]
	s.renderAPIKeys(w, r, http.StatusOK, apiKeysData{}, consolePage{Notice: notice})
}

func (s *Server) renderAPIKeys(w http.ResponseWriter, r *http.Request, status int, d apiKeysData, p consolePage) {
	keys, err := s.Manage.APIKeys.List(r.Context(), consoleKeyManager)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	d.Keys, d.Endpoints = keys, manage.EndpointPermissions
	p.Title, p.Nav, p.Data = "API keys", "apikeys", d
	s.renderConsolePage(w, r, status, "apikeys", p)
}

// consoleAPIKeyCreate handles POST /admin/api-keys: a new key with the
// ticked endpoints (every method on each), or every endpoint when "all" is
// ticked explicitly; the value is shown on the answer page once and never
// again (only its hash is stored).
func (s *Server) consoleAPIKeyCreate(w http.ResponseWriter, r *http.Request) {
	endpoints := map[string][]string{}
	for _, e := range r.PostForm["endpoint"] {
		if !slices.Contains(manage.EndpointPermissions, e) {
			s.renderAPIKeys(w, r, http.StatusBadRequest, apiKeysData{}, consolePage{Fields: map[string]string{"endpoint": "Unknown endpoint."}})
			return
		}
		endpoints[e] = allMethods
	}
	all := r.PostFormValue("all") == "yes"
	if all == (len(endpoints) > 0) {
		s.renderAPIKeys(w, r, http.StatusBadRequest, apiKeysData{}, consolePage{Fields: map[string]string{
			"endpoint": "Tick the endpoints the key may call, or every endpoint (and no single one)."}})
		return
	}
	c, err := s.Manage.APIKeys.Create(r.Context(), consoleKeyManager, manage.NewAPIKey{Endpoints: endpoints,
		Description: strings.TrimSpace(r.PostFormValue("description")), KeyManager: r.PostFormValue("keyManager") == "yes"})
	var inv *manage.Invalid
	switch {
	case errors.As(err, &inv):
		s.renderAPIKeys(w, r, http.StatusBadRequest, apiKeysData{}, consolePage{Problem: problemText(inv)})
	case err != nil:
		s.consoleError(w, r, err)
	default:
		s.renderAPIKeys(w, r, http.StatusOK, apiKeysData{Created: c.Key, CreatedID: c.Record.ID}, consolePage{
			Notice: "The API key is created. Copy its value now: it is not shown again."})
	}
}

// consoleAPIKeyDelete handles POST /admin/api-keys/{id}/delete (confirmed).
func (s *Server) consoleAPIKeyDelete(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("confirm") != "yes" {
		s.renderAPIKeys(w, r, http.StatusBadRequest, apiKeysData{}, consolePage{Problem: "Tick the box next to the key to confirm its deletion."})
		return
	}
	err := s.Manage.APIKeys.Delete(r.Context(), consoleKeyManager, r.PathValue("id"))
	switch {
	case errors.Is(err, manage.ErrNotFound):
		s.consoleNotFound(w, r, "API key")
	case err != nil:
		s.consoleError(w, r, err)
	default:
		seeOther(w, r, consolePath+"/api-keys", "deleted")
	}
}
