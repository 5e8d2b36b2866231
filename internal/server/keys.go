package server

import (
	"errors"
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/keys"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// rotateKeyRequest names the algorithm whose active key is replaced. An
// empty body rotates the default algorithm (ES256).
type rotateKeyRequest struct {
	Algorithm string `json:"algorithm"`
}

// keyView is the public part of a key: never the private material.
type keyView struct {
	ID        string `json:"id"`
	Algorithm string `json:"algorithm"`
}

// rotateKey handles POST /api/key/rotate (API key required): a new active
// key for the algorithm; the previous one stays published in the JWKS until
// keys.Options.RetireAfter, so tokens it signed keep verifying. Other nodes
// pick the new key up within keys.DefaultRefreshInterval (they reload the
// key set from the shared database), and an unknown kid on their side
// triggers an immediate reload, so a token signed here verifies there at once.
func (s *Server) rotateKey(w http.ResponseWriter, r *http.Request) {
	var req rotateKeyRequest
	if !s.decodeJSON(w, r, &req, true) {
		return
	}
	if req.Algorithm == "" {
		req.Algorithm = keys.ES256
	}
	if req.Algorithm != keys.ES256 && req.Algorithm != keys.RS256 {
		writeFieldError(w, "invalid", "algorithm", "The [algorithm] property must be ES256 or RS256.")
		return
	}
	k, err := s.Manage.Keys.Rotate(r.Context(), scope(r), req.Algorithm)
	if errors.Is(err, storage.ErrConflict) {
		// Another rotation of the same algorithm committed first (the unique
		// "one active key per algorithm" index); this one changed nothing.
		var e Errors
		e.General("RotationConflict", "Another rotation of this algorithm happened at the same time. Retry if a new key is still wanted.")
		writeErrors(w, http.StatusConflict, &e)
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.Logger.InfoContext(r.Context(), "signing key rotated", "request_id", requestID(r.Context()),
		"kid", k.ID, "algorithm", k.Algorithm)
	writeJSON(w, http.StatusOK, map[string]keyView{"key": {ID: k.ID, Algorithm: k.Algorithm}})
}

// getKeys handles GET /api/key (keys.mdx "Retrieve all Keys") and GET
// /api/key/{id}: the signing keys in use, active and retiring, public parts
// only. The id is the key's kid.
func (s *Server) getKeys(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") == "" {
		keys, err := s.Manage.Keys.List(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
		return
	}
	k, err := s.Manage.Keys.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"key": k})
}
