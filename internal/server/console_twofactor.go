package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/mfa"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// twoFactorForm is the console's second sign-in step: the pending login's
// id (FusionAuth's twoFactorId, as its hosted page carries it in the form)
// and the user's methods.
type twoFactorForm struct {
	TwoFactorID string
	Methods     []storage.TwoFactorMethod
	// Sent: a code was just mailed (the page then says so instead of
	// naming the methods).
	Sent bool
}

func (s *Server) renderTwoFactor(w http.ResponseWriter, r *http.Request, status int, f twoFactorForm, p consolePage) {
	p.Title, p.Data = "Two-factor code", f
	s.renderConsolePage(w, r, status, "twofactor", p)
}

// consoleTwoFactorSend handles POST /admin/login/two-factor/send: a code
// for the pending sign-in by its email method (latchkey's own
// /api/two-factor/send/{twoFactorId}), then the code form again.
func (s *Server) consoleTwoFactorSend(w http.ResponseWriter, r *http.Request) {
	id, methodID := r.PostFormValue("twoFactorId"), r.PostFormValue("methodId")
	f := twoFactorForm{TwoFactorID: id, Methods: []storage.TwoFactorMethod{{ID: methodID, Method: "email"}}, Sent: true}
	err := s.MFA.SendLoginCode(r.Context(), s.Mailer, id, methodID)
	var inv *manage.Invalid
	switch {
	case errors.Is(err, auth.ErrTwoFactorNotFound):
		s.renderConsolePage(w, r, http.StatusBadRequest, "login", consolePage{Title: "Sign in",
			Problem: "That sign-in has expired or was already used. Sign in again."})
	case errors.As(err, &inv):
		f.Sent = false
		s.renderTwoFactor(w, r, http.StatusBadRequest, f, consolePage{Problem: problemText(inv)})
	case errors.Is(err, mfa.ErrMailUnavailable):
		f.Sent = false
		s.renderTwoFactor(w, r, http.StatusServiceUnavailable, f, consolePage{Problem: "latchkey cannot send mail: no mail server is configured."})
	case err != nil:
		s.consoleError(w, r, err)
	default:
		s.renderTwoFactor(w, r, http.StatusOK, f, consolePage{Notice: "A code is on its way to your email address."})
	}
}

// consoleTwoFactor handles POST /admin/login/two-factor: the code of the
// second factor for a login the password step answered 242, through
// latchkey's own second step (auth.TwoFactorLogin: a wrong code counts
// toward the lockout and the id's attempt cap; the id is single use).
func (s *Server) consoleTwoFactor(w http.ResponseWriter, r *http.Request) {
	f := twoFactorForm{TwoFactorID: r.PostFormValue("twoFactorId")}
	code := strings.TrimSpace(r.PostFormValue("code"))
	if code == "" {
		s.renderTwoFactor(w, r, http.StatusBadRequest, f, consolePage{Fields: map[string]string{"code": "Enter the code."}})
		return
	}
	t, err := s.Auth.TwoFactorLogin(r.Context(), auth.TwoFactorLoginRequest{TwoFactorID: f.TwoFactorID, Code: code,
		IPAddress: s.clientIP(r), UserAgent: r.UserAgent()})
	var locked *auth.LockedError
	switch {
	case errors.Is(err, auth.ErrInvalidTwoFactorCode):
		s.renderTwoFactor(w, r, http.StatusBadRequest, f, consolePage{Fields: map[string]string{"code": "That code is not right. Try the current one."}})
	case errors.Is(err, auth.ErrTwoFactorNotFound):
		s.renderConsolePage(w, r, http.StatusBadRequest, "login", consolePage{Title: "Sign in",
			Problem: "That sign-in has expired or was already used. Sign in again."})
	case errors.As(err, &locked):
		s.renderConsolePage(w, r, http.StatusConflict, "login", consolePage{Title: "Sign in",
			Problem: "Too many failed attempts: this account is locked for a while."})
	case err != nil:
		s.consoleLoginRefused(w, r, "", err)
	default:
		s.consoleSignedIn(w, r, t)
	}
}
