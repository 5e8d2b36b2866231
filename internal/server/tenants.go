package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

type tenantRequest struct {
	Tenant storage.Tenant `json:"tenant"`
}

// publicTenant is t as the API shows it: the SMTP password is stored (the
// mail worker needs it) but never returned (tenants.mdx lists it; latchkey
// does not echo a secret, docs/compatibility.md).
func publicTenant(t storage.Tenant) storage.Tenant {
	t.EmailConfiguration.Password = ""
	return t
}

// listTenants handles GET /api/tenant.
func (s *Server) listTenants(w http.ResponseWriter, r *http.Request) {
	ts, err := s.Manage.Tenants.List(r.Context(), scope(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for i := range ts {
		ts[i] = publicTenant(ts[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"tenants": ts})
}

// getTenant handles GET /api/tenant/{id}.
func (s *Server) getTenant(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "tenantId")
	if !ok {
		return
	}
	t, err := s.Manage.Tenants.Get(r.Context(), scope(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tenantRequest{publicTenant(t)})
}

// updateTenant handles PUT and PATCH /api/tenant/{id} (manage.Tenants.Update;
// TS updateTenant, patchTenant). A PATCH applies to the tenant as GET shows
// it (no SMTP password: a JSON Patch copy, move or test cannot read it);
// an SMTP password left out of either is kept (manage's keepSMTPPassword).
func (s *Server) updateTenant(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "tenantId")
	if !ok {
		return
	}
	rewind := replayBody(r)
	t, err := s.Manage.Tenants.Update(r.Context(), scope(r), id, func(cur storage.Tenant) (storage.Tenant, error) {
		rewind()
		var req tenantRequest
		err := decodeReplacement(r, tenantRequest{publicTenant(cur)}, &req)
		return req.Tenant, err
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tenantRequest{publicTenant(t)})
}

// passwordValidationRules handles GET
// /api/tenant/password-validation-rules[/{tenantId}] without
// authentication, for sign-up forms (TS retrievePasswordValidationRules
// [WithTenantId]; accounts spec §9.1): the tenant's rules without
// breachDetection. The tenant is the path's, else the default (named by
// the header, if one is sent); an unknown one is an empty 404.
func (s *Server) passwordValidationRules(w http.ResponseWriter, r *http.Request) {
	id, ok := optionalPathID(w, r, "tenantId", "tenantId")
	if !ok {
		return
	}
	if id == "" {
		id = manage.DefaultTenantID // the header, when sent, was checked to name it (tenant.go)
	}
	t, err := s.Manage.Tenants.Get(r.Context(), scope(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"passwordValidationRules": password.TenantRules(t).Public()})
}
