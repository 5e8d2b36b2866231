package server

import (
	"net/http"
	"net/url"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/hosted"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// oauthLogout handles GET and POST /oauth2/logout (OpenID Connect
// RP-Initiated Logout 1.0; FusionAuth endpoints.mdx Logout): it ends the
// browser's single sign-on session and the session named by the
// id_token_hint's sid, revoking the tokens issued under them (FusionAuth
// keeps them; latchkey does not, since the user asked to leave), clears the
// SSO cookie, and sends the browser to post_logout_redirect_uri (only a
// registered redirect URL of the client), else the application's
// logoutURL, else shows the signed-out page. An expired id_token_hint is
// accepted; one that does not verify, or names another client than
// client_id, is refused on the error page.
func (s *Server) oauthLogout(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			s.errorPage(w, r, http.StatusBadRequest, "invalid_request", "", "The form could not be read.", "")
			return
		}
		params = r.PostForm
	}
	locale := params.Get("ui_locales")
	clientID, hint := formValue(params, "client_id"), formValue(params, "id_token_hint")
	var hintSID string
	if hint != "" {
		claims, err := s.Keys.VerifyHint(r.Context(), hint)
		aud, _ := claims["aud"].(string)
		if err != nil || aud == "" || (clientID != "" && clientID != aud) {
			s.errorPage(w, r, http.StatusBadRequest, "invalid_request", "invalid_id_token_hint",
				"The id_token_hint is not valid for this client.", locale)
			return
		}
		clientID = aud
		hintSID, _ = claims["sid"].(string)
	}
	var app storage.Application
	if clientID != "" {
		var err error
		if app, err = s.clientApplication(r, clientID); err != nil {
			if !isNotFound(err) {
				s.writeInternal(w, r, err)
				return
			}
			s.errorPage(w, r, http.StatusBadRequest, "invalid_client", "invalid_client_id", "client_id: "+clientID+" is not valid.", locale)
			return
		}
	}
	next := formValue(params, "post_logout_redirect_uri")
	if next != "" {
		o := app.OAuthConfiguration
		if app.ID == "" || !auth.RedirectAllowed(o.AuthorizedRedirectURLs, o.AuthorizedURLValidationPolicy, next) {
			s.errorPage(w, r, http.StatusBadRequest, "invalid_request", "invalid_post_logout_redirect_uri",
				"The post_logout_redirect_uri is not a registered redirect URL of the client.", locale)
			return
		}
	} else {
		next = app.OAuthConfiguration.LogoutURL
	}
	if !s.endSessions(w, r, hintSID) {
		return
	}
	if s.NotifyOutbox != nil {
		s.NotifyOutbox(auth.BackchannelQueue)
	}
	if next == "" {
		s.renderPage(w, r, http.StatusOK, "logout", s.pages().Theme(app.ID, app.TenantID), pageCSP(), &hosted.Data{Lang: locale})
		return
	}
	if st := formValue(params, "state"); st != "" {
		next = appendQuery(next, url.Values{"state": {st}})
	}
	redirect(w, next)
}

// endSessions ends the SSO cookie's session and the hinted one, and clears
// the cookie. false after writing a failure.
func (s *Server) endSessions(w http.ResponseWriter, r *http.Request, hintSID string) bool {
	ids := []string{hintSID}
	if raw := singleCookie(r, s.ssoCookieName(r)); raw != "" {
		if ls, _, err := s.Auth.Session(r.Context(), raw); err == nil {
			ids = append(ids, ls.ID)
		}
		s.writeCookie(w, r, s.ssoCookieName(r), "", -1)
	}
	for _, id := range ids {
		if _, err := s.Auth.EndSession(r.Context(), id, s.clientIP(r)); err != nil {
			s.writeInternal(w, r, err)
			return false
		}
	}
	return true
}
