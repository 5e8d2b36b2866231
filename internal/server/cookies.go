package server

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Cookie names FusionAuth writes (fusionauth-api.md §1.5). The access token
// cookie is shared by every application on the host; the refresh cookie is
// per application when the application opts in (scopedRefreshPrefix).
const (
	accessCookie        = "access_token"
	refreshCookie       = "refresh_token"
	scopedRefreshPrefix = "refresh_token_"
	// maxCookieToken bounds a cookie value we are willing to treat as a
	// token: refresh tokens are short opaque strings and a JWT fits in 8 KiB.
	maxCookieToken = 8 << 10
)

// refreshCookieName is the refresh cookie of app: refresh_token, or
// refresh_token_<applicationId> when cookieConfiguration.scoped is set, so
// that logging in to a second application on the same identity host does not
// clobber the first one's cookie (workflow.md step 14, security-bar.md §4.10);
// with Config.CookiePrefix in front.
func (s *Server) refreshCookieName(app storage.Application) string {
	if app.CookieConfiguration.Scoped && app.ID != "" {
		return s.Config.CookiePrefix + scopedRefreshPrefix + app.ID
	}
	return s.Config.CookiePrefix + refreshCookie
}

// accessCookieName is access_token with Config.CookiePrefix in front.
func (s *Server) accessCookieName() string { return s.Config.CookiePrefix + accessCookie }

// writeCookie writes the token cookies (emitCookie is the only place that
// emits Set-Cookie). Every token cookie is
// HttpOnly, host-only (no Domain), Path=/, SameSite from configuration
// (default Lax) and Secure when the request came over HTTPS, directly or via
// a trusted proxy. maxAge > 0 makes a persistent cookie, 0 a session cookie,
// < 0 deletes it (Max-Age=0 plus an Expires in the past for old agents).
// Deletion uses the same attributes as setting, so the browser matches and
// drops the cookie (security-bar.md §4.10, O1).
func (s *Server) writeCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	s.emitCookie(w, &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		// SameSite=None without Secure is dropped by browsers (RFC 6265bis
		// §5.4.7), so None always sets Secure: such a deployment must be HTTPS.
		// So does a __Host- name, which browsers accept only with Secure.
		Secure:   s.isHTTPS(r) || s.sameSite() == http.SameSiteNoneMode || s.Config.CookiePrefix != "",
		SameSite: s.sameSite(),
	}, maxAge)
}

// emitCookie adds c with its lifetime: maxAge > 0 persistent, 0 a session
// cookie, < 0 a deletion (writeCookie; the console's cookie, console.go).
func (s *Server) emitCookie(w http.ResponseWriter, c *http.Cookie, maxAge int) {
	switch {
	case maxAge > 0:
		c.MaxAge = maxAge
		c.Expires = s.Now().Add(storage.Lifetime(maxAge, time.Second)).UTC()
	case maxAge < 0:
		c.MaxAge = -1 // net/http renders Max-Age=0
		c.Expires = time.Unix(0, 0).UTC()
	}
	w.Header().Add("Set-Cookie", c.String())
}

// sameSite is the configured SameSite policy; Lax unless set (FusionAuth's
// global default, fusionauth-api.md §1.5).
func (s *Server) sameSite() http.SameSite {
	switch s.Config.CookieSameSite {
	case http.SameSiteStrictMode, http.SameSiteNoneMode, http.SameSiteLaxMode:
		return s.Config.CookieSameSite
	}
	return http.SameSiteLaxMode
}

// setTokenCookies writes access_token (session) and the application's refresh
// cookie (Max-Age = remaining refresh lifetime) for what a login or refresh
// issued. Nothing is written for a value that was not issued.
func (s *Server) setTokenCookies(w http.ResponseWriter, r *http.Request, t auth.Tokens) {
	if t.AccessToken != "" {
		s.writeCookie(w, r, s.accessCookieName(), t.AccessToken, 0)
	}
	if t.RefreshToken == "" {
		return
	}
	maxAge := 0
	if !t.RefreshExpiresAt.IsZero() {
		remaining := t.RefreshExpiresAt.Sub(s.Now())
		// Round up: a token valid for 0.4 s more must not become a session
		// cookie (0) or a deletion (< 0). Divided first, so that the
		// longest lifetime (a Duration near its maximum) cannot wrap.
		maxAge = int(remaining / time.Second)
		if remaining%time.Second > 0 {
			maxAge++
		}
		if maxAge <= 0 {
			maxAge = 1
		}
	}
	s.writeCookie(w, r, s.refreshCookieName(t.Application), t.RefreshToken, maxAge)
}

// clearTokenCookies deletes access_token and the named refresh cookie.
func (s *Server) clearTokenCookies(w http.ResponseWriter, r *http.Request, refreshName string) {
	s.writeCookie(w, r, s.accessCookieName(), "", -1)
	s.writeCookie(w, r, refreshName, "", -1)
}

// refreshCookies returns the values of the refresh cookie to use: the
// scoped cookie of applicationID when one is named and present, else
// refresh_token (with Config.CookiePrefix). A browser sends several values
// of one name when cookies of other domains or paths share it (RFC 6265
// §5.4), which is how a sibling subdomain plants one (cookie tossing): all
// are returned, distinct, in the order sent, and auth.PickRefreshToken
// decides between them. Values that cannot be tokens (too long, control
// bytes) are left out.
func (s *Server) refreshCookies(r *http.Request, applicationID string) []string {
	if applicationID != "" {
		if v := cookieValues(r, s.Config.CookiePrefix+scopedRefreshPrefix+applicationID); len(v) > 0 {
			return v
		}
	}
	return cookieValues(r, s.Config.CookiePrefix+refreshCookie)
}

// sessionCookie is the caller's own refresh cookie, for an endpoint the
// access token authenticated: the one value, or of several (cookie tossing)
// the one auth picks for the access token's session (its sid); "" when none
// is usable.
func (s *Server) sessionCookie(r *http.Request, applicationID string) string {
	values := s.refreshCookies(r, applicationID)
	if len(values) < 2 {
		return firstOf(values...)
	}
	sid, _ := claimsFromContext(r.Context())["sid"].(string)
	v, err := s.Auth.PickRefreshToken(r.Context(), auth.PickRequest{Values: values, ApplicationID: applicationID,
		SessionID: sid, IPAddress: s.clientIP(r)})
	if err != nil {
		return ""
	}
	return v
}

// cookieValues returns the distinct plausible values of the named cookie.
func cookieValues(r *http.Request, name string) []string {
	var out []string
	for _, c := range r.CookiesNamed(name) {
		if plausibleToken(c.Value) && !slices.Contains(out, c.Value) {
			out = append(out, c.Value)
		}
	}
	return out
}

// plausibleToken accepts non-empty printable ASCII without spaces up to
// maxCookieToken bytes.
func plausibleToken(v string) bool {
	if v == "" || len(v) > maxCookieToken {
		return false
	}
	return !strings.ContainsFunc(v, func(c rune) bool { return c <= ' ' || c >= 0x7f })
}
