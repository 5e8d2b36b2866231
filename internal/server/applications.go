package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

type applicationRequest struct {
	Application storage.Application `json:"application"`
}

// createApplication handles POST /api/application[/{id}] (applications.mdx).
// Omitted fields take manage.ApplicationDefaults.
func (s *Server) createApplication(w http.ResponseWriter, r *http.Request) {
	id, ok := optionalPathID(w, r, "id", "applicationId")
	if !ok {
		return
	}
	req := applicationRequest{Application: manage.ApplicationDefaults()}
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	a, err := s.Manage.Applications.Create(r.Context(), id, req.Application)
	s.ForgetOrigins() // its authorizedOriginURLs apply on this node's next request
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, applicationRequest{a})
}

// listApplications handles GET /api/application (active ones) and
// GET /api/application?inactive=true.
func (s *Server) listApplications(w http.ResponseWriter, r *http.Request) {
	inactive, ok := queryFlag(w, r, "inactive")
	if !ok {
		return
	}
	as, err := s.Manage.Applications.List(r.Context(), scope(r), inactive)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"applications": as})
}

// getApplication handles GET /api/application/{id} (inactive ones too).
func (s *Server) getApplication(w http.ResponseWriter, r *http.Request) {
	if a, ok := s.loadApplication(w, r); ok {
		writeJSON(w, http.StatusOK, applicationRequest{a})
	}
}

// getOAuthConfiguration handles GET /api/application/{id}/oauth-configuration
// (applications.mdx, TS retrieveOauthConfiguration). Only API-key callers
// reach it, so the client secret is included, as FusionAuth does for them.
func (s *Server) getOAuthConfiguration(w http.ResponseWriter, r *http.Request) {
	if a, ok := s.loadApplication(w, r); ok {
		writeJSON(w, http.StatusOK, map[string]any{"oauthConfiguration": a.OAuthConfiguration})
	}
}

func (s *Server) loadApplication(w http.ResponseWriter, r *http.Request) (storage.Application, bool) {
	id, ok := pathID(w, r, "id", "applicationId")
	if !ok {
		return storage.Application{}, false
	}
	a, err := s.Manage.Applications.Get(r.Context(), scope(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return a, false
	}
	return a, true
}

// updateApplication handles PUT and PATCH /api/application/{id} and PUT
// ?reactivate=true.
func (s *Server) updateApplication(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "applicationId")
	if !ok {
		return
	}
	reactivate, ok := queryFlag(w, r, "reactivate")
	if !ok {
		return
	}
	var a storage.Application
	var err error
	if r.Method == http.MethodPut && reactivate {
		a, err = s.Manage.Applications.Reactivate(r.Context(), scope(r), id)
	} else {
		rewind := replayBody(r)
		a, err = s.Manage.Applications.Update(r.Context(), scope(r), id, func(cur storage.Application) (storage.Application, error) {
			rewind()
			req := applicationRequest{Application: manage.ApplicationDefaults()}
			err := decodeReplacement(r, applicationRequest{cur}, &req)
			return req.Application, err
		})
	}
	s.ForgetOrigins()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, applicationRequest{a})
}

// deleteApplication handles DELETE /api/application/{id}: soft by default
// (manage.Applications.Deactivate), gone when hardDelete=true.
func (s *Server) deleteApplication(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "applicationId")
	if !ok {
		return
	}
	hard, ok := queryFlag(w, r, "hardDelete")
	if !ok {
		return
	}
	del := s.Manage.Applications.Deactivate
	if hard {
		del = s.Manage.Applications.Delete
	}
	err := del(r.Context(), scope(r), id)
	s.ForgetOrigins()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}
