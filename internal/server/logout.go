package server

import (
	"errors"
	"net/http"

	json "github.com/go-json-experiment/json"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// logoutRequest is FusionAuth's LogoutRequest. ApplicationID is latchkey's
// addition: it names the application whose scoped refresh cookie to use and
// clear.
type logoutRequest struct {
	Global        bool   `json:"global"`
	RefreshToken  string `json:"refreshToken"`
	ApplicationID string `json:"applicationId"`
}

// logout handles POST /api/logout in both shapes FusionAuth clients send
// (fusionauth-api.md §3): the TS client's query form
// (?global=&refreshToken=, Content-Type text/plain, no body) and the JSON
// form. An explicit refresh token beats the cookie; an unknown token, an
// empty or undecodable body and a malformed applicationId are not errors
// (200, only a body over the size limit is 413); both cookies are cleared
// with the attributes they were set with.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	req, ok := logoutParams(w, r)
	if !ok {
		return
	}
	appID, ok := requestApplication(r.Context(), req.ApplicationID)
	if !ok {
		// A page of app A naming app B: B's session and cookie are not A's to
		// end (security-bar.md R8). Logout is always 200, so nothing happens.
		writeEmpty(w, http.StatusOK)
		return
	}
	req.ApplicationID = appID
	values := []string{req.RefreshToken}
	if req.RefreshToken == "" {
		// Every presented cookie value is ended, so a cookie planted in
		// front of the user's own (cookie tossing) cannot keep the user's
		// session alive through a logout; ending the planter's session
		// is no harm to anyone but the planter.
		values = s.refreshCookies(r, req.ApplicationID)
		if len(values) > maxLogoutCookies {
			values = values[:maxLogoutCookies]
		}
	}
	proof, _, err := s.dpopProof(r, "")
	if err != nil {
		proof.JKT = "" // a bad proof proves no key: bound tokens stay alive
	}
	for _, raw := range values {
		if raw == "" {
			continue
		}
		// From an origin of one application only that application's token
		// is revoked, whichever token the body or an unscoped cookie holds.
		if err := s.Auth.Logout(r.Context(), auth.LogoutRequest{RefreshToken: raw, Global: req.Global,
			ApplicationID: originApplication(r.Context()), IPAddress: s.clientIP(r), UserAgent: r.UserAgent(), DPoPJKT: proof.JKT}); err != nil {
			s.writeInternal(w, r, err)
			return
		}
	}
	name, err := s.refreshCookieFor(r, req.ApplicationID)
	if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	s.clearTokenCookies(w, r, name)
	writeEmpty(w, http.StatusOK)
}

// maxLogoutCookies bounds the refresh cookie values one logout ends (each
// costs a lookup; a 32 KiB Cookie header holds about 350). A sibling
// subdomain can put only a few cookies of one name ahead of the identity
// server's own (one per longer path that matches /api/logout, and its
// Partitioned twin), far fewer than this.
const maxLogoutCookies = 32

// logoutParams reads the query form and, for a JSON body, the JSON form
// over it. FusionAuth's logout is always 200: a body that is empty or does
// not decode (syntax, types, duplicate names) counts as no parameters, so the
// cookie still logs the browser out. The decoder is the shared strict one and
// a failed decode changes nothing. Only a body over the route's bound is refused
// (413, written here, ok false). A malformed applicationId is absent.
func logoutParams(w http.ResponseWriter, r *http.Request) (logoutRequest, bool) {
	req := logoutRequest{
		Global:        queryValue(r, "global") == "true",
		RefreshToken:  queryValue(r, "refreshToken"),
		ApplicationID: queryValue(r, "applicationId"),
	}
	if isJSON(r.Header.Get("Content-Type")) {
		body, err := readBody(r)
		if err != nil {
			writeDecodeError(w, err)
			return logoutRequest{}, false
		}
		if parsed := req; len(body) > 0 && json.Unmarshal(body, &parsed) == nil {
			req = parsed
		}
	}
	if !validUUID(req.ApplicationID) {
		req.ApplicationID = ""
	}
	return req, true
}

// refreshCookieFor is the refresh cookie name of the application with id
// appID, refresh_token when none is named or it does not exist.
func (s *Server) refreshCookieFor(r *http.Request, appID string) (string, error) {
	if appID == "" {
		return s.Config.CookiePrefix + refreshCookie, nil
	}
	app, err := s.Store.GetApplication(r.Context(), appID)
	switch {
	case err == nil:
		return s.refreshCookieName(app), nil
	case isNotFound(err):
		return s.Config.CookiePrefix + refreshCookie, nil
	}
	return "", err
}

func isNotFound(err error) bool { return err != nil && errors.Is(err, storage.ErrNotFound) }
