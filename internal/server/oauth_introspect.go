package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/auth"
)

// introspect handles POST /oauth2/introspect (RFC 7662; FusionAuth
// endpoints.mdx Introspect): the client identifies itself (client_id, and
// its secret when its clientAuthenticationPolicy is Required); an active
// access token issued to it answers {"active":true} with every claim, a
// live refresh token of it answers its expiry, subject and scope, anything
// else {"active":false}. A valid access token issued to another client is
// FusionAuth's 401. "Active" includes "its session was not revoked"
// (auth.Active), so a logout shows here at once.
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	form, ok := s.tokenForm(w, r)
	if !ok {
		return
	}
	token := formValue(form, "token")
	if formValue(form, "client_id") == "" && r.Header.Get("Authorization") == "" && s.introspectMachineToken(w, r, token) {
		return
	}
	app, _, ok := s.authenticateClient(w, r, form, true)
	if !ok {
		return
	}
	if token == "" {
		writeOAuthError(w, http.StatusBadRequest, OAuthError{"invalid_request", "missing_token", "The token parameter is required."})
		return
	}
	if strings.Count(token, ".") == 2 {
		claims, err := s.Auth.Active(r.Context(), token)
		switch {
		case errors.Is(err, auth.ErrInvalidToken):
			writeJSON(w, http.StatusOK, map[string]any{"active": false})
		case err != nil:
			s.writeInternal(w, r, err)
		case claims["aud"] != app.ID:
			writeOAuthError(w, http.StatusUnauthorized, OAuthError{"invalid_client", "client_id_mismatch",
				"The token was not issued to the client_id of the request."})
		default:
			claims["active"] = true
			writeJSON(w, http.StatusOK, claims)
		}
		return
	}
	rt, err := s.Auth.FindRefreshToken(r.Context(), token)
	switch {
	case errors.Is(err, auth.ErrRefreshNotFound) || (err == nil && rt.ApplicationID != app.ID):
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
	case err != nil:
		s.writeInternal(w, r, err)
	default:
		writeJSON(w, http.StatusOK, map[string]any{"active": true, "token_type": "refresh_token", "client_id": app.ID,
			"sub": rt.UserID, "exp": rt.ExpiresAt.Unix(), "iat": rt.StartInstant.Unix(),
			"scope": strings.Join(rt.Scopes, " "), "tid": rt.TenantID})
	}
}

// revoke handles POST /oauth2/revoke (RFC 7009; a latchkey extension,
// FusionAuth has none): the client authenticates as at introspection, and
// a refresh token of its own, or the session of an access token issued to
// it, is revoked with everything issued under it. The answer is 200 with no
// body whatever the token was (§2.2).
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	form, ok := s.tokenForm(w, r)
	if !ok {
		return
	}
	app, _, ok := s.authenticateClient(w, r, form, true)
	if !ok {
		return
	}
	token := formValue(form, "token")
	if token == "" {
		writeOAuthError(w, http.StatusBadRequest, OAuthError{"invalid_request", "missing_token", "The token parameter is required."})
		return
	}
	if err := s.Auth.RevokeToken(r.Context(), app.ID, token, s.clientIP(r)); err != nil {
		s.writeInternal(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}

// introspectMachineToken answers, without client authentication, for a
// client_credentials token (FusionAuth's introspectClientCredentialsAccessToken
// sends only the token): its claims name entities and permissions, no user.
// Any other token is left to the client-authenticated path (false).
func (s *Server) introspectMachineToken(w http.ResponseWriter, r *http.Request, token string) bool {
	claims, err := s.Auth.Active(r.Context(), token)
	if errors.Is(err, auth.ErrInvalidToken) && strings.Count(token, ".") == 2 {
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
		return true
	}
	if err != nil {
		return false
	}
	if gty, _ := claims["gty"].([]any); len(gty) != 1 || gty[0] != "client_credentials" {
		return false
	}
	claims["active"] = true
	writeJSON(w, http.StatusOK, claims)
	return true
}
