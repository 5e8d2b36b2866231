package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/manage"
)

// issueJWT handles GET /api/jwt/issue?applicationId= (FusionAuth
// apis/jwt/issue-a-jwt.mdx, TS issueJWT): the caller's access token buys one
// for another application of the tenant. 200 {"token"}; 202 with no token
// when the user is not registered for it (latchkey issues no token naming
// an application to a user it does not know; FusionAuth sends one without
// roles); 400 for a missing or unknown applicationId; 401 for a bad token.
// The refreshToken parameter is not supported (no refresh token is issued).
func (s *Server) issueJWT(w http.ResponseWriter, r *http.Request) {
	target := queryValue(r, "applicationId")
	switch {
	case target == "":
		writeFieldError(w, "missing", "applicationId", "The [applicationId] parameter is required.")
		return
	case !validUUID(target):
		writeFieldError(w, "invalid", "applicationId", "The [applicationId] parameter must be an application id.")
		return
	}
	claims := claimsFromContext(r.Context())
	t, err := s.Auth.IssueForApplication(r.Context(), claims, target, s.clientIP(r))
	switch {
	case errors.Is(err, auth.ErrInvalidToken):
		writeEmpty(w, http.StatusUnauthorized)
	case err != nil:
		s.writeError(w, r, err)
	case !t.Registered:
		writeJSON(w, http.StatusAccepted, map[string]any{})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"token": t.AccessToken})
	}
}

// vendJWT handles POST /api/jwt/vend (FusionAuth apis/jwt/vend-a-jwt.mdx, TS
// vendJWT): an API key holding /api/jwt/vend signs the claims it sends.
// Such a key can mint tokens resource servers accept, so give it sparingly.
func (s *Server) vendJWT(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Claims              map[string]any `json:"claims"`
		KeyID               string         `json:"keyId"`
		TimeToLiveInSeconds int            `json:"timeToLiveInSeconds"`
	}
	if !s.decodeJSON(w, r, &req, true) {
		return
	}
	if req.TimeToLiveInSeconds < 0 || req.TimeToLiveInSeconds > 366*24*3600 {
		writeFieldError(w, "invalid", "timeToLiveInSeconds", "The [timeToLiveInSeconds] must be from 0 (the tenant's) to a year.")
		return
	}
	tid := scope(r).TenantID
	if tid == "" {
		tid = manage.DefaultTenantID
	}
	tok, err := s.Auth.Vend(r.Context(), auth.VendRequest{Claims: req.Claims, KeyID: req.KeyID,
		TTL: time.Duration(req.TimeToLiveInSeconds) * time.Second, TenantID: tid})
	switch {
	case errors.Is(err, auth.ErrInvalidKey):
		writeFieldError(w, "invalid", "keyId", "The [keyId] does not name an active signing key.")
	case err != nil:
		s.writeError(w, r, err)
	default:
		writeJSON(w, http.StatusOK, map[string]string{"token": tok})
	}
}
