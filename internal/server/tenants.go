package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

type tenantRequest struct {
	Tenant storage.Tenant `json:"tenant"`
}

// listTenants handles GET /api/tenant.
func (s *Server) listTenants(w http.ResponseWriter, r *http.Request) {
	ts, err := s.Manage.Tenants.List(r.Context(), scope(r))
	if err != nil {
		s.writeError(w, r, err)
		return
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
	writeJSON(w, http.StatusOK, tenantRequest{t})
}

// patchTenant handles PATCH /api/tenant/{id} (manage.Tenants.Update).
func (s *Server) patchTenant(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "tenantId")
	if !ok {
		return
	}
	t, err := s.Manage.Tenants.Update(r.Context(), scope(r), id, func(cur storage.Tenant) (storage.Tenant, error) {
		var req tenantRequest
		err := decodePatch(r, tenantRequest{cur}, &req)
		return req.Tenant, err
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tenantRequest{t})
}
