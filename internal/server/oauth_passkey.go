package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/mfa"
)

// Passkeys on the hosted login page. When the tenant's passkey login
// (webAuthnConfiguration, bootstrap workflow) allows the page's origin,
// the login page carries a small nonce-allowed script: it starts a
// usernameless ceremony through POST /api/webauthn/start, asks the browser
// for an assertion (navigator.credentials.get) and posts it, in a form
// with the page's CSRF token, back to /oauth2/authorize. There the use
// case behind POST /api/webauthn/login (mfa.Service.Login: challenge
// consumed once, origin, RP id, signature, counter, the same lockout and
// second-factor rule as a password) proves the user, and the login ends
// as a password login does: a login session and a code. Without script
// the page is the password form alone.

// passkeyField is the form field carrying the assertion (the credential
// JSON /api/webauthn/login takes).
const passkeyField = "webauthnCredential"

// hostedPasskeyLogin handles the passkey form. The route's guard already
// checked the form's origin and CSRF token.
func (s *Server) hostedPasskeyLogin(w http.ResponseWriter, r *http.Request, params url.Values) {
	a, err := s.Auth.CheckAuthorize(r.Context(), authorizeRequest(params))
	if err != nil {
		s.authorizeFailure(w, r, a, params, err)
		return
	}
	cred := json.RawMessage(params.Get(passkeyField))
	if s.MFA == nil || !json.Valid(cred) {
		s.loginPage(w, r, a, params, http.StatusBadRequest, "", "login.error.passkey")
		return
	}
	// The challenge names the application it was started for; Login
	// refuses an assertion for another one.
	t, err := s.MFA.Login(r.Context(), mfa.PasskeyLogin{Credential: cred, ApplicationID: a.App.ID, IPAddress: s.clientIP(r),
		NoJWT: true, OAuth: true, TwoFactorTrustID: s.trustID(r, "")})
	var inv *manage.Invalid
	switch {
	case errors.Is(err, mfa.ErrChallengeNotFound) || errors.As(err, &inv):
		// Replayed, expired, another application's, another origin's, a
		// bad signature or a passkey that is not its user's: one message.
		s.loginPage(w, r, a, params, http.StatusBadRequest, "", "login.error.passkey")
		return
	case err != nil:
		s.hostedLoginFailure(w, r, a, params, "", err)
		return
	}
	s.startHostedSession(w, r, a, params, t, auth.AuthWebAuthn)
}
