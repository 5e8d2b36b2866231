package server

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/go-webauthn/webauthn/protocol/webauthncose"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/mfa"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Passkeys (FusionAuth webauthn.mdx; accounts spec §11). The API-key forms
// are FusionAuth's; with the user's JWT a SPA registers, lists and deletes
// its user's own passkeys (latchkey's extension), and a keyless start is a
// usernameless login.

// credentialJSON is FusionAuth's WebAuthnCredential.
type credentialJSON struct {
	storage.WebAuthnCredential
	CredentialID string         `json:"credentialId"`
	PublicKeyPEM string         `json:"publicKey"`
	Data         map[string]any `json:"data"`
}

func credentialOut(c storage.WebAuthnCredential) credentialJSON {
	if c.Transports == nil {
		c.Transports = []string{} // FusionAuth's array, never null
	}
	return credentialJSON{WebAuthnCredential: c, CredentialID: base64.RawURLEncoding.EncodeToString(c.CredentialID),
		PublicKeyPEM: publicKeyPEM(c.PublicKey), Data: map[string]any{}}
}

// publicKeyPEM renders a COSE key as FusionAuth does, SPKI in PEM (the
// library's rendering); empty for a key it cannot express.
func publicKeyPEM(cose []byte) string {
	if p := webauthncose.DisplayPublicKey(cose); strings.HasPrefix(p, "-----BEGIN") {
		return p
	}
	return ""
}

// webAuthnRequest is the union of the WebAuthn request bodies.
type webAuthnRequest struct {
	UserID      string          `json:"userId"`
	LoginID     string          `json:"loginId"`
	DisplayName string          `json:"displayName"`
	Name        string          `json:"name"`
	UserAgent   string          `json:"userAgent"`
	Workflow    string          `json:"workflow"`
	Origin      string          `json:"origin"`
	RPID        string          `json:"rpId"`
	State       map[string]any  `json:"state"`
	Credential  json.RawMessage `json:"credential"`
	loginBody   `json:",inline"`
}

// requestOrigin is the page that runs the ceremony: the Origin header of a
// browser's call, else the body's origin (a server relaying for it).
func requestOrigin(r *http.Request, body string) string {
	if o := r.Header.Get("Origin"); o != "" {
		return o
	}
	return body
}

// startWebAuthnRegistration handles POST /api/webauthn/register/start.
func (s *Server) startWebAuthnRegistration(w http.ResponseWriter, r *http.Request) {
	var req webAuthnRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	sc := scope(r)
	if _, isKey := apiKeyFromContext(r.Context()); !isKey {
		req.UserID, sc = jwtUser(r)
	} else if !optionalID(w, "userId", req.UserID) {
		return
	}
	opts, err := s.MFA.StartRegistration(r.Context(), sc, mfa.RegisterStart{UserID: req.UserID, DisplayName: req.DisplayName,
		Name: req.Name, UserAgent: req.UserAgent, Workflow: req.Workflow, Origin: requestOrigin(r, req.Origin)})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"options": opts.Response})
}

// completeWebAuthnRegistration handles POST /api/webauthn/register/complete.
func (s *Server) completeWebAuthnRegistration(w http.ResponseWriter, r *http.Request) {
	var req webAuthnRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	if _, isKey := apiKeyFromContext(r.Context()); !isKey && claimsFromContext(r.Context()) != nil {
		req.UserID, _ = jwtUser(r)
	}
	if !validUUID(req.UserID) {
		writeFieldError(w, "missing", "userId", "You must specify the [userId] property.")
		return
	}
	c, err := s.MFA.CompleteRegistration(r.Context(), req.UserID, req.Credential)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"credential": credentialOut(c)})
}

// startWebAuthnLogin handles POST /api/webauthn/start: FusionAuth's with
// an API key; without one, a usernameless login only.
func (s *Server) startWebAuthnLogin(w http.ResponseWriter, r *http.Request) {
	var req webAuthnRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	_, hasKey := apiKeyFromContext(r.Context())
	opts, err := s.MFA.StartLogin(r.Context(), scope(r), mfa.LoginStart{ApplicationID: req.ApplicationID, UserID: req.UserID,
		LoginID: req.LoginID, Workflow: req.Workflow, Origin: requestOrigin(r, req.Origin), State: req.State, HasAPIKey: hasKey})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"options": opts.Response})
}

// webAuthnLogin handles POST /api/webauthn/login: the answer, the JWT and
// the refresh cookie exactly as /api/login's.
func (s *Server) webAuthnLogin(w http.ResponseWriter, r *http.Request) {
	var req webAuthnRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	jkt, ip, ok := s.loginCaller(w, r, req.IPAddress)
	if !ok {
		return
	}
	t, err := s.MFA.Login(r.Context(), mfa.PasskeyLogin{Credential: req.Credential, ApplicationID: req.ApplicationID,
		IPAddress: ip, LockoutIP: s.lockoutIP(r, req.IPAddress), UserAgent: r.UserAgent(), Device: req.MetaData.Device,
		NoJWT: req.NoJWT, DPoPJKT: jkt, TwoFactorTrustID: s.trustID(r, req.TwoFactorTrustID)})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeLogin(w, r, t, req.NoJWT)
}

// webAuthnAssert handles POST /api/webauthn/assert: a verified assertion
// answers {"credential":…}, nothing is issued.
func (s *Server) webAuthnAssert(w http.ResponseWriter, r *http.Request) {
	var req webAuthnRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	a, err := s.MFA.Assert(r.Context(), req.Credential)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"credential": credentialOut(a.Credential)})
}

// owner is the user a passkey-management call is limited to: the JWT's
// subject, or nobody (an API key sees the tenant).
func owner(r *http.Request) (string, manage.Scope) {
	if _, isKey := apiKeyFromContext(r.Context()); isKey {
		return "", scope(r)
	}
	return jwtUser(r)
}

// getWebAuthnCredential handles GET /api/webauthn/{id}.
func (s *Server) getWebAuthnCredential(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "id")
	if !ok {
		return
	}
	who, sc := owner(r)
	c, err := s.MFA.Credential(r.Context(), sc, who, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"credential": credentialOut(c)})
}

// listWebAuthnCredentials handles GET /api/webauthn?userId= (with a JWT:
// the caller's own).
func (s *Server) listWebAuthnCredentials(w http.ResponseWriter, r *http.Request) {
	who, sc := owner(r)
	userID := queryValue(r, "userId")
	if who != "" {
		userID = who
	}
	if userID == "" {
		writeFieldError(w, "invalid", "userId", "You must specify the [userId] parameter.")
		return
	}
	if !optionalID(w, "userId", userID) {
		return
	}
	cs, err := s.MFA.Credentials(r.Context(), sc, userID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]credentialJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, credentialOut(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"credentials": out})
}

// deleteWebAuthnCredential handles DELETE /api/webauthn/{id}.
func (s *Server) deleteWebAuthnCredential(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "id")
	if !ok {
		return
	}
	who, sc := owner(r)
	if err := s.MFA.DeleteCredential(r.Context(), sc, who, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}

// deleteWebAuthnCredentials handles DELETE /api/webauthn?userId= (API key).
func (s *Server) deleteWebAuthnCredentials(w http.ResponseWriter, r *http.Request) {
	userID := queryValue(r, "userId")
	if userID == "" {
		writeFieldError(w, "invalid", "userId", "You must specify the [userId] parameter.")
		return
	}
	if !optionalID(w, "userId", userID) {
		return
	}
	if err := s.MFA.DeleteCredentials(r.Context(), scope(r), userID); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}

// isChallengeNotFound: FusionAuth answers an unknown, expired or used
// challenge with an empty 404.
func isChallengeNotFound(err error) bool { return errors.Is(err, mfa.ErrChallengeNotFound) }
