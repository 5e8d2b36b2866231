package server

import (
	"errors"
	"net/http"
	"slices"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// rotatable are the algorithms the console offers to rotate (latchkey
// signs with ES256 by default, RS256 when a tenant or application asks).
var rotatable = []string{"ES256", "RS256"}

// consoleKeys serves GET /admin/keys: every key published in the JWKS (the
// active one per algorithm, a next one published ahead of signing, and
// retiring ones kept until the tokens they signed have expired).
func (s *Server) consoleKeys(w http.ResponseWriter, r *http.Request) {
	s.renderKeys(w, r, http.StatusOK, consolePage{Notice: map[string]string{
		"rotated": "Rotated. The new key is published now and signs once every resource server can have fetched it; the old one stays published until its tokens have expired.",
	}[r.URL.Query().Get("done")]})
}

func (s *Server) renderKeys(w http.ResponseWriter, r *http.Request, status int, p consolePage) {
	keys, err := s.Manage.Keys.List(r.Context())
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	p.Title, p.Nav, p.Data = "Signing keys", "keys", map[string]any{"Keys": keys, "Algorithms": rotatable}
	s.renderConsolePage(w, r, status, "keys", p)
}

// consoleRotateKey handles POST /admin/keys/rotate: a new key for the
// algorithm, through the key API's use case (audited).
func (s *Server) consoleRotateKey(w http.ResponseWriter, r *http.Request) {
	alg := r.PostFormValue("algorithm")
	switch {
	case !slices.Contains(rotatable, alg):
		s.renderKeys(w, r, http.StatusBadRequest, consolePage{Fields: map[string]string{"algorithm": "Choose ES256 or RS256."}})
		return
	case r.PostFormValue("confirm") != "yes":
		s.renderKeys(w, r, http.StatusBadRequest, consolePage{Fields: map[string]string{"confirm": "Tick the box to confirm."}})
		return
	}
	_, err := s.Manage.Keys.Rotate(r.Context(), manage.Scope{}, alg)
	var inv *manage.Invalid
	switch {
	case errors.As(err, &inv):
		s.renderKeys(w, r, http.StatusBadRequest, consolePage{Problem: problemText(inv)})
	case err != nil:
		s.consoleError(w, r, err)
	default:
		seeOther(w, r, consolePath+"/keys", "rotated")
	}
}
