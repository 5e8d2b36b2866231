package server

import (
	"errors"
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/auth"
)

// userinfo handles GET and POST /oauth2/userinfo (OIDC Core §5.3,
// FusionAuth endpoints.mdx UserInfo): the claims of the user behind a
// Bearer (or DPoP-bound) access token that is still active, in FusionAuth's
// shape (scopeHandlingPolicy Compatibility: the profile and email claims it
// knows, applicationId and roles when registered). Failures are 401 with
// FusionAuth's OAuth error body and RFC 6750's WWW-Authenticate.
func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	tok, scheme := accessCredential(r)
	if tok == "" || len(tok) > maxBearer {
		bearerError(w, "invalid_request", "access_token_required", "The Authorization header with an access token is required.")
		return
	}
	claims, err := s.Auth.Active(r.Context(), tok)
	if err == nil && !s.checkBinding(r, tok, scheme, claims) {
		err = auth.ErrInvalidToken
	}
	if err != nil {
		s.bearerFailure(w, r, err)
		return
	}
	u, reg, err := s.Auth.UserInfo(r.Context(), claims)
	if err != nil {
		s.bearerFailure(w, r, err)
		return
	}
	out := map[string]any{"sub": u.ID, "email_verified": u.Verified}
	for k, v := range map[string]string{"email": u.Email, "preferred_username": u.Username, "name": u.FullName,
		"given_name": u.FirstName, "middle_name": u.MiddleName, "family_name": u.LastName, "birthdate": u.BirthDate,
		"picture": u.ImageURL, "phone_number": u.MobilePhone, "zoneinfo": u.Timezone} {
		if v != "" {
			out[k] = v
		}
	}
	if len(u.PreferredLanguages) > 0 {
		out["locale"] = u.PreferredLanguages[0]
	}
	if reg != nil {
		roles := reg.Roles
		if roles == nil {
			roles = []string{}
		}
		out["applicationId"], out["roles"] = reg.ApplicationID, roles
	}
	writeJSON(w, http.StatusOK, out)
}

// bearerFailure answers a refused access token: 401 invalid_token, or the
// server's fault.
func (s *Server) bearerFailure(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, auth.ErrInvalidToken) {
		s.writeInternal(w, r, err)
		return
	}
	bearerError(w, "invalid_token", "access_token_invalid", "The access token is invalid, expired or revoked.")
}

// bearerError is RFC 6750 §3's 401 with FusionAuth's OAuth error body.
func bearerError(w http.ResponseWriter, code, reason, desc string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="`+code+`"`)
	writeJSON(w, http.StatusUnauthorized, OAuthError{code, reason, desc})
}
