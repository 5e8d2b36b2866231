package server

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
)

// The hosted login form's CSRF defence (security-bar.md §4.7, O6): a form
// POST must come from this origin (Origin, when the browser sends it, and
// Sec-Fetch-Site), and carry in its csrf field the random value of the
// csrf cookie set when the form was rendered (double submit). A page on
// another site can neither read the cookie nor set it: it is HttpOnly and,
// over HTTPS, __Host- prefixed, so a sibling subdomain cannot plant one
// either. Together they stop login CSRF (signing the victim into the
// attacker's account) even from an application's own, CORS-allowed origin.
const (
	csrfCookie = "latchkey_csrf"
	csrfField  = "csrf"
)

// csrfCookieName is __Host-latchkey_csrf over HTTPS (RFC 6265bis §4.1.3.2:
// Secure, Path=/, no Domain, so only this host can set it).
func (s *Server) csrfCookieName(r *http.Request) string { return s.hostCookieName(r, csrfCookie) }

// hostCookieName is base with the __Host- prefix over HTTPS or when the
// deployment prefixes its cookies (Config.CookiePrefix): such a cookie is
// Secure, Path=/ and host-only, so no sibling subdomain can set it (cookie
// tossing).
func (s *Server) hostCookieName(r *http.Request, base string) string {
	if s.isHTTPS(r) || s.Config.CookiePrefix != "" {
		return "__Host-" + base
	}
	return base
}

// singleCookie is the named cookie's value when the browser sent exactly
// one, else "": several values mean one was planted (tossed), and the
// hosted flows' cookies (SSO, federation state) must not pick among them.
func singleCookie(r *http.Request, name string) string {
	if v := cookieValues(r, name); len(v) == 1 {
		return v[0]
	}
	return ""
}

// csrfToken returns the form token for r, reusing the browser's cookie so
// that two tabs showing the form both work, else setting a new one.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if v := singleCookie(r, s.csrfCookieName(r)); len(v) >= 32 && len(v) <= 64 {
		return v
	}
	v := rand.Text() + rand.Text()
	s.writeCookie(w, r, s.csrfCookieName(r), v, 0)
	return v
}

// checkHostedForm is the guard of a route marked hostedForm: for a POST it
// refuses, with 403 and before the handler runs, a cross-origin request or
// one whose csrf field does not equal the cookie.
func (s *Server) checkHostedForm(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost {
		return true
	}
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "invalid_request", "", "The form could not be read.", "")
		return false
	}
	if r.URL.Path == "/oauth2/authorize" && !r.PostForm.Has("loginId") && !r.PostForm.Has("password") && !r.PostForm.Has(passkeyField) {
		// A POST authorization request (RFC 6749 §3.1), not the login form:
		// a relying party's own page (another origin) may send it, as it may
		// link to the GET form. It carries no credential, so it can do
		// nothing a GET cannot: show the login page, or answer a live SSO
		// session with a code for the client's registered redirect_uri.
		return true
	}
	origin := r.Header.Get("Origin")
	crossSite := r.Header.Get("Sec-Fetch-Site") == "cross-site" || r.Header.Get("Sec-Fetch-Site") == "same-site"
	if (origin != "" && !s.sameOrigin(r, origin)) || crossSite {
		s.errorPage(w, r, http.StatusForbidden, "invalid_request", "invalid_origin",
			"This form can only be submitted from its own page.", "")
		return false
	}
	got, want := r.PostForm.Get(csrfField), singleCookie(r, s.csrfCookieName(r))
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		s.errorPage(w, r, http.StatusForbidden, "invalid_request", "invalid_csrf_token",
			"The sign-in form expired or was not sent from its page. Go back to the application and sign in again.", "")
		return false
	}
	return true
}
