package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/manage"
)

// consoleLoginPage serves GET /admin/login: the sign-in form, or the
// console itself for an admin already signed in.
func (s *Server) consoleLoginPage(w http.ResponseWriter, r *http.Request) {
	if sess, _, err := s.consoleSessionOf(r); err == nil && sess.User.ID != "" {
		consoleRedirect(w, consolePath+"/")
		return
	}
	s.renderConsolePage(w, r, http.StatusOK, "login", consolePage{Title: "Sign in"})
}

// consoleLogin handles POST /admin/login: latchkey's own login (the
// password, lockout, user actions, login records, events of /api/login) to
// the admin application. Only an admin gets the session cookie; anyone
// else gets the 403 page and the session the login created is ended at
// once. Every refusal is re-rendered with its message next to the form.
func (s *Server) consoleLogin(w http.ResponseWriter, r *http.Request) {
	loginID := strings.TrimSpace(r.PostFormValue("loginId"))
	password := r.PostFormValue("password")
	fields := map[string]string{}
	if loginID == "" {
		fields["loginId"] = "Enter your email or username."
	}
	if password == "" {
		fields["password"] = "Enter your password."
	}
	if len(fields) > 0 {
		s.renderConsolePage(w, r, http.StatusBadRequest, "login", consolePage{Title: "Sign in", Fields: fields, Data: loginID})
		return
	}
	// The console is this server itself: it is trusted like an API key
	// holder (the admin application requires authentication on /api/login,
	// so the admin application's tokens cannot be had there without a key).
	t, err := s.Auth.Login(r.Context(), auth.LoginRequest{LoginID: loginID, Password: password,
		ApplicationID: manage.AdminApplicationID, IPAddress: s.clientIP(r), UserAgent: r.UserAgent(), HasAPIKey: true})
	if err != nil {
		s.consoleLoginRefused(w, r, loginID, err)
		return
	}
	s.consoleSignedIn(w, r, t)
}

// consoleSignedIn ends a login that issued tokens: the session cookie for
// an admin, the 403 page (and the session revoked) for anyone else.
func (s *Server) consoleSignedIn(w http.ResponseWriter, r *http.Request, t auth.Tokens) {
	if t.Registered && manage.IsAdmin(t.User) && t.RefreshToken == "" {
		// The session is the refresh token: without one there is none.
		s.renderConsolePage(w, r, http.StatusConflict, "login", consolePage{Title: "Sign in", Problem: "The console's application " +
			"issues no refresh tokens, so no console session can start: turn its loginConfiguration.generateRefreshTokens " +
			"back on through the API."})
		return
	}
	if !t.Registered || !manage.IsAdmin(t.User) {
		if t.RefreshToken != "" {
			if err := s.Auth.Logout(r.Context(), auth.LogoutRequest{RefreshToken: t.RefreshToken, IPAddress: s.clientIP(r)}); err != nil {
				s.consoleError(w, r, err)
				return
			}
		}
		s.consoleForbidden(w, r, "Your account is not an administrator of this latchkey.")
		return
	}
	s.setConsoleCookie(w, r, t.RefreshToken, t.RefreshExpiresAt)
	consoleRedirect(w, consolePath+"/")
}

// consoleLoginRefused re-renders the form with why the login failed, in
// the words of /api/login's answers (no more detail than they give).
func (s *Server) consoleLoginRefused(w http.ResponseWriter, r *http.Request, loginID string, err error) {
	var locked *auth.LockedError
	var held *auth.Withheld
	msg, status := "", http.StatusBadRequest
	switch {
	case errors.Is(err, auth.ErrInvalidCredentials), errors.Is(err, auth.ErrExpiredUser):
		msg = "The email or password is not correct."
	case errors.As(err, &locked):
		msg, status = "Too many failed attempts: this account is locked for a while.", http.StatusConflict
	case errors.As(err, &held) && held.Kind == auth.WithheldLoginPrevented:
		msg, status = "This account is locked by an administrator.", http.StatusConflict
	case errors.As(err, &held) && held.Kind == auth.WithheldTwoFactor:
		// The password was right: the second step (console_twofactor.go).
		s.renderTwoFactor(w, r, http.StatusOK, twoFactorForm{TwoFactorID: held.TwoFactorID, Methods: held.Methods}, consolePage{})
		return
	case errors.As(err, &held):
		msg = "This account cannot sign in to the console yet (" + held.Kind + "); finish that step in your application first."
	case errors.Is(err, auth.ErrUnknownApplication):
		msg = "The console is not set up yet: create the first administrator with `latchkey admin --email you@example.com`."
	default:
		s.consoleError(w, r, err)
		return
	}
	s.renderConsolePage(w, r, status, "login", consolePage{Title: "Sign in", Problem: msg, Data: loginID})
}

// consoleLogout handles POST /admin/logout: the session's refresh token is
// revoked and the cookie deleted.
func (s *Server) consoleLogout(w http.ResponseWriter, r *http.Request) {
	for _, raw := range cookieValues(r, consoleCookie) {
		if err := s.Auth.Logout(r.Context(), auth.LogoutRequest{RefreshToken: raw, IPAddress: s.clientIP(r)}); err != nil {
			s.consoleError(w, r, err)
			return
		}
	}
	s.setConsoleCookie(w, r, "", time.Time{})
	consoleRedirect(w, consolePath+"/login")
}
