package server

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/latchkeyhq/latchkey/internal/auth"
)

// clientCredentials is POST /oauth2/token with
// grant_type=client_credentials (RFC 6749 §4.4; FusionAuth endpoints.mdx):
// the client is an entity (its clientId and clientSecret, by HTTP Basic or
// in the form), scope names target entities. FusionAuth's response: no
// refresh token, no id token, no userId.
func (s *Server) clientCredentials(w http.ResponseWriter, r *http.Request, form url.Values) {
	id, secret := formValue(form, "client_id"), formValue(form, "client_secret")
	if user, pass, ok := r.BasicAuth(); ok {
		u, err1 := url.QueryUnescape(user)
		p, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil || (id != "" && id != u) {
			writeOAuthError(w, http.StatusBadRequest, OAuthError{"invalid_request", "client_id_mismatch", "The client credentials are not valid."})
			return
		}
		id, secret = u, p
	}
	switch {
	case id == "":
		writeOAuthError(w, http.StatusBadRequest, OAuthError{"invalid_request", "missing_client_id", "The client_id parameter is required."})
		return
	case secret == "":
		writeOAuthError(w, http.StatusBadRequest, OAuthError{"invalid_request", "missing_client_secret", "The client_secret parameter is required."})
		return
	}
	cc, err := s.Auth.ClientCredentialsGrant(r.Context(), id, secret, formValue(form, "scope"), s.clientIP(r))
	switch {
	case errors.Is(err, auth.ErrUnknownEntity):
		writeOAuthError(w, http.StatusUnauthorized, OAuthError{"invalid_client", "invalid_client_id", "The client could not be verified."})
	case errors.Is(err, auth.ErrEntitySecret):
		writeOAuthError(w, http.StatusUnauthorized, OAuthError{"invalid_client", "invalid_client_authentication", "Invalid client authentication credentials."})
	case errors.Is(err, auth.ErrTargetEntityScope):
		writeOAuthError(w, http.StatusBadRequest, OAuthError{"invalid_scope", "invalid_target_entity_scope", "A target-entity scope names no entity that grants this client access."})
	case errors.Is(err, auth.ErrEntityPermissionScope):
		writeOAuthError(w, http.StatusBadRequest, OAuthError{"invalid_scope", "invalid_entity_permission_scope", "A requested permission is not granted to this client."})
	case err != nil:
		s.writeGrantError(w, r, err)
	default:
		w.Header().Set("Pragma", "no-cache")
		writeJSON(w, http.StatusOK, map[string]any{"access_token": cc.AccessToken, "expires_in": cc.ExpiresIn,
			"scope": cc.Scope, "token_type": "Bearer"})
	}
}
