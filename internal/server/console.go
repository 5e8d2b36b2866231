package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The admin console (docs/admin.md) is a set of server-rendered pages under
// /admin. Its session is a latchkey login to the built-in admin application
// (manage.AdminApplicationID): the login's refresh token, in a cookie of its
// own (HttpOnly, SameSite=Strict, Path=/admin, so it never reaches the API
// and never replaces an application's refresh_token cookie on the same
// host). Every console request reads that token and the user again, so a
// revoked session, a lock, a deactivation or a removed admin role ends
// console access on the next click, not when a JWT expires.
const (
	consoleCookie = "latchkey_console"
	consolePath   = "/admin"
	// Every console form carries the CSRF token in csrfField (csrf.go), as
	// the hosted pages' forms do.
)

// consoleSession is the signed-in admin of a console request.
type consoleSession struct {
	User  storage.User
	Token storage.RefreshToken
	// CSRF is the session's form token: a keyed hash of the session cookie,
	// which a cross-site page can neither read nor compute.
	CSRF string
}

type consoleKey struct{}

// consoleFrom returns the session authenticateConsole put in ctx.
func consoleFrom(ctx context.Context) consoleSession {
	c, _ := ctx.Value(consoleKey{}).(consoleSession)
	return c
}

// consoleCSRF derives the form token from the raw session cookie. The key
// only separates this use from every other hash of the token (the stored
// refresh-token hash is an unkeyed SHA-256, so the two never coincide).
func consoleCSRF(raw string) string {
	m := hmac.New(sha256.New, []byte("latchkey admin console csrf token"))
	m.Write([]byte(raw))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// setConsoleCookie stores the console session; until is when it expires
// (zero deletes the cookie).
func (s *Server) setConsoleCookie(w http.ResponseWriter, r *http.Request, raw string, until time.Time) {
	maxAge := -1
	if !until.IsZero() {
		maxAge = max(1, int(until.Sub(s.Now())/time.Second))
	}
	s.emitCookie(w, &http.Cookie{Name: consoleCookie, Value: raw, Path: consolePath, HttpOnly: true,
		Secure: s.isHTTPS(r), SameSite: http.SameSiteStrictMode}, maxAge)
}

// authenticateConsole admits a request of a signed-in console admin. No
// session (or an ended one): GET and POST alike are sent to the login page.
// A live session of a user who is not an admin (any more): the 403 page,
// nothing done. An unsafe request must carry the session's CSRF token
// besides passing the route's same-origin check (guard).
func (s *Server) authenticateConsole(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	sess, forbidden, err := s.consoleSessionOf(r)
	switch {
	case err != nil:
		s.consoleError(w, r, err)
		return nil, false
	case forbidden:
		s.consoleForbidden(w, r, "Your account is not an administrator of this latchkey.")
		return nil, false
	case sess.User.ID == "":
		if len(r.CookiesNamed(consoleCookie)) > 0 {
			s.setConsoleCookie(w, r, "", time.Time{})
		}
		consoleRedirect(w, consolePath+"/login")
		return nil, false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead &&
		!hmac.Equal([]byte(r.PostFormValue(csrfField)), []byte(sess.CSRF)) {
		s.consoleForbidden(w, r, "The form was not sent by this console page (or the page is too old). Reload the page and try again.")
		return nil, false
	}
	ctx := context.WithValue(r.Context(), consoleKey{}, sess)
	ctx = manage.WithActor(ctx, manage.Actor{UserID: sess.User.ID, Name: sess.User.Email})
	return r.WithContext(ctx), true
}

// consoleSessionOf finds the admin session among the console cookies sent
// (several values when a sibling subdomain planted one: each is tried, and
// only a live admin session of this server's admin application counts).
// forbidden: a live console session exists, but its user is not an admin.
func (s *Server) consoleSessionOf(r *http.Request) (sess consoleSession, forbidden bool, err error) {
	for _, raw := range cookieValues(r, consoleCookie) {
		rt, err := s.Auth.FindRefreshToken(r.Context(), raw)
		if errors.Is(err, auth.ErrRefreshNotFound) {
			continue
		}
		if err != nil {
			return sess, false, err
		}
		if rt.ApplicationID != manage.AdminApplicationID {
			continue
		}
		u, err := s.Manage.Users.Get(r.Context(), manage.Scope{}, rt.UserID)
		if errors.Is(err, manage.ErrNotFound) {
			continue
		}
		if err != nil {
			return sess, false, err
		}
		if !manage.IsAdmin(u) {
			forbidden = true
			continue
		}
		return consoleSession{User: u, Token: rt, CSRF: consoleCSRF(raw)}, false, nil
	}
	return sess, forbidden, nil
}

// refuseCrossSite is the console's same-origin rule (route.sameOrigin): an
// unsafe request must come from a page of this server. Browsers send
// Origin with every POST; a request without it passes only when Fetch
// Metadata says same-origin. Refused before the body is read or anything
// is looked up.
func (s *Server) refuseCrossSite(w http.ResponseWriter, r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin != "" && s.sameOrigin(r, origin) {
		return false
	}
	if origin == "" && r.Header.Get("Sec-Fetch-Site") == "same-origin" {
		return false
	}
	s.consoleForbidden(w, r, "This form can only be sent from the console's own pages.")
	return true
}

// readConsoleForm parses the form of an unsafe console request (every
// route.sameOrigin row) once, before the CSRF token or any field is read:
// a body over the route's bound is the 413 page and one that cannot be
// parsed the 400 page, with nothing done. Left to PostFormValue, either
// would read as a form without fields, so a large edit was answered as a
// forged one (no CSRF token). ok=false: the refusal is written.
func (s *Server) readConsoleForm(w http.ResponseWriter, r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	// ParseForm reads a urlencoded body; a multipart one (which
	// PostFormValue would read) is read by ParseMultipartForm, whose
	// ErrNotMultipart only says the form was urlencoded. The body is
	// already bounded, so it fits in memory.
	err := r.ParseForm()
	if err == nil {
		if err = r.ParseMultipartForm(maxBody); errors.Is(err, http.ErrNotMultipart) {
			err = nil
		}
	}
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return true
	case errors.As(err, &tooLarge):
		s.renderConsolePage(w, r, http.StatusRequestEntityTooLarge, "error", consolePage{Title: "Form too large",
			Problem: fmt.Sprintf("The form was too large (more than %d KiB); nothing was changed. Go back, shorten what you typed and send it again.", tooLarge.Limit>>10)})
	default:
		s.renderConsolePage(w, r, http.StatusBadRequest, "error", consolePage{Title: "Form not readable",
			Problem: "The form could not be read; nothing was changed. Reload the page and try again."})
	}
	return false
}
