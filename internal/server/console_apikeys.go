package server

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// consoleKeyManager is the console admin as the API-key use cases see
// their caller: an unrestricted key manager of every tenant. The audit
// entries name the admin (the request's Actor), not a key.
var consoleKeyManager = storage.APIKey{KeyManager: true}

// allMethods are the methods the console offers on each endpoint.
var allMethods = []string{"DELETE", "GET", "PATCH", "POST", "PUT"} // sorted

// apiKeysData is the API keys page; Created is the key just made, whose
// value is shown this once.
type apiKeysData struct {
	Keys      []manage.APIKeyView
	Endpoints []string
	Methods   []string
	Tenants   []storage.Tenant
	Created   string
	CreatedID string
	// Form is the create form as typed (after a refusal).
	Form apiKeyForm
}

// apiKeyForm is the create form: the ticked endpoint methods ("endpoint
// METHOD"), the tenant, the expiry date (YYYY-MM-DD, UTC).
type apiKeyForm struct {
	Description, Tenant, Expires string
	Perms                        []string
	All, KeyManager              bool
}

// Ticked reports whether the form had endpoint's method ticked.
func (f apiKeyForm) Ticked(endpoint, method string) bool {
	return slices.Contains(f.Perms, endpoint+" "+method)
}

// Summary lists a key's endpoints and their methods for the table.
func (apiKeysData) Summary(k manage.APIKeyView) string {
	if len(k.Permissions.Endpoints) == 0 {
		return "every endpoint"
	}
	names := make([]string, 0, len(k.Permissions.Endpoints))
	for e, ms := range k.Permissions.Endpoints {
		if slices.Equal(slices.Sorted(slices.Values(ms)), allMethods) {
			names = append(names, e)
		} else {
			names = append(names, e+" ("+strings.Join(ms, ", ")+")")
		}
	}
	slices.Sort(names)
	return strings.Join(names, "; ")
}

// TenantName names a key's tenant ("every tenant" for a global key).
func (d apiKeysData) TenantName(id string) string {
	if id == "" {
		return "every tenant"
	}
	for _, t := range d.Tenants {
		if t.ID == id {
			return t.Name
		}
	}
	return id
}

// consoleAPIKeys serves GET /admin/api-keys: every key (never a value) and
// the form to create one.
func (s *Server) consoleAPIKeys(w http.ResponseWriter, r *http.Request) {
	notice := map[string]string{"deleted": "The API key is deleted; it is refused from the next request on."}[r.URL.Query().Get("done")]
	s.renderAPIKeys(w, r, http.StatusOK, apiKeysData{}, consolePage{Notice: notice})
}

func (s *Server) renderAPIKeys(w http.ResponseWriter, r *http.Request, status int, d apiKeysData, p consolePage) {
	keys, err := s.Manage.APIKeys.List(r.Context(), consoleKeyManager)
	if err == nil {
		d.Tenants, err = s.Manage.Tenants.List(r.Context(), manage.Scope{})
	}
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	d.Keys, d.Endpoints, d.Methods = keys, manage.EndpointPermissions, allMethods
	p.Title, p.Nav, p.Data = "API keys", "apikeys", d
	s.renderConsolePage(w, r, status, "apikeys", p)
}

// apiKeyFields maps the API-key use case's fields to the form's.
var apiKeyFields = map[string]string{"apiKey.tenantId": "tenant", "apiKey.expirationInstant": "expires",
	"apiKey.permissions.endpoints": "endpoint", "apiKey.permissions": "endpoint", "apiKey.keyManager": "keyManager"}

// consoleAPIKeyCreate handles POST /admin/api-keys: a new key with the
// ticked methods of each endpoint, or every endpoint when "all" is ticked
// explicitly; optionally locked to one tenant and expiring at the start of
// a day (UTC). The value is shown on the answer page once and never again
// (only its hash is stored).
func (s *Server) consoleAPIKeyCreate(w http.ResponseWriter, r *http.Request) {
	f := apiKeyForm{Description: strings.TrimSpace(r.PostFormValue("description")), Tenant: r.PostFormValue("tenant"),
		Expires: strings.TrimSpace(r.PostFormValue("expires")), Perms: r.PostForm["perm"], All: r.PostFormValue("all") == "yes",
		KeyManager: r.PostFormValue("keyManager") == "yes"}
	fields := map[string]string{}
	endpoints := map[string][]string{}
	for _, p := range f.Perms {
		e, m, ok := strings.Cut(p, " ")
		if !ok || !slices.Contains(manage.EndpointPermissions, e) || !slices.Contains(allMethods, m) {
			fields["endpoint"] = "Unknown endpoint or method."
			continue
		}
		if !slices.Contains(endpoints[e], m) {
			endpoints[e] = append(endpoints[e], m)
		}
	}
	if f.All == (len(f.Perms) > 0) {
		fields["endpoint"] = "Tick the methods of the endpoints the key may call, or every endpoint (and no single one)."
	}
	var expires int64
	if f.Expires != "" {
		day, err := time.Parse(time.DateOnly, f.Expires)
		if err != nil {
			fields["expires"] = "Enter a date as YYYY-MM-DD."
		}
		expires = day.UnixMilli()
	}
	if len(fields) > 0 {
		s.renderAPIKeys(w, r, http.StatusBadRequest, apiKeysData{Form: f}, consolePage{Fields: fields, Problem: "The key was not created."})
		return
	}
	c, err := s.Manage.APIKeys.Create(r.Context(), consoleKeyManager, manage.NewAPIKey{Endpoints: endpoints,
		Description: f.Description, KeyManager: f.KeyManager, TenantID: f.Tenant, ExpirationInstant: expires})
	var inv *manage.Invalid
	switch {
	case errors.As(err, &inv):
		for _, p := range inv.Problems {
			if ff, ok := apiKeyFields[p.Field]; ok {
				fields[ff] = p.Message
			}
		}
		s.renderAPIKeys(w, r, http.StatusBadRequest, apiKeysData{Form: f}, consolePage{Fields: fields, Problem: problemText(inv)})
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
		s.renderAPIKeys(w, r, http.StatusBadRequest, apiKeysData{}, consolePage{Problem: "Tick the box next to the key to confirm its deletion.",
			Fields: map[string]string{"delete-" + r.PathValue("id"): "Tick the box to confirm."}})
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
