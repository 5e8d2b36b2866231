package server

import (
	"net/http"
	"net/url"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// exchangeCode is POST /oauth2/token with grant_type=authorization_code
// (RFC 6749 §4.1.3, RFC 7636 §4.5; FusionAuth endpoints.mdx): the client is
// authenticated and the grant enabled (oauthToken), the code and
// redirect_uri present, then auth.ExchangeCode applies the PKCE policy and
// redeems the code once.
func (s *Server) exchangeCode(w http.ResponseWriter, r *http.Request, form url.Values, app storage.Application, secret bool, jkt string) (auth.Tokens, bool) {
	code, uri := formValue(form, "code"), formValue(form, "redirect_uri")
	switch {
	case code == "":
		writeOAuthError(w, http.StatusBadRequest, OAuthError{"invalid_request", "missing_code", "The code parameter is required."})
		return auth.Tokens{}, false
	case uri == "":
		writeOAuthError(w, http.StatusBadRequest, OAuthError{"invalid_request", "missing_redirect_uri", "The redirect_uri parameter is required."})
		return auth.Tokens{}, false
	}
	t, err := s.Auth.ExchangeCode(r.Context(), auth.ExchangeRequest{App: app, ClientAuthenticated: secret, Code: code,
		RedirectURI: uri, Verifier: formValue(form, "code_verifier"), DPoPJKT: jkt, IPAddress: s.clientIP(r)})
	if err != nil {
		s.writeGrantError(w, r, err)
		return auth.Tokens{}, false
	}
	return t, true
}
