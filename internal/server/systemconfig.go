package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

type systemConfigRequest struct {
	SystemConfiguration storage.SystemConfiguration `json:"systemConfiguration"`
}

// getSystemConfiguration handles GET /api/system-configuration.
func (s *Server) getSystemConfiguration(w http.ResponseWriter, r *http.Request) {
	c, err := s.Manage.SystemConfig.Get(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, systemConfigRequest{c})
}

// updateSystemConfiguration handles PUT and PATCH /api/system-configuration.
// A PUT replaces the object (omitted fields: manage.ForPut).
func (s *Server) updateSystemConfiguration(w http.ResponseWriter, r *http.Request) {
	rewind := replayBody(r)
	c, err := s.Manage.SystemConfig.Update(r.Context(), func(cur storage.SystemConfiguration) (storage.SystemConfiguration, error) {
		rewind()
		var req systemConfigRequest // a PATCH merges into the current object
		if r.Method == http.MethodPut {
			req.SystemConfiguration = manage.ForPut()
		}
		err := decodeReplacement(r, systemConfigRequest{cur}, &req)
		return req.SystemConfiguration, err
	})
	s.ForgetOrigins() // its corsConfiguration applies on this node's next request
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, systemConfigRequest{c})
}
