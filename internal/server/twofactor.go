package server

import (
	"net/http"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/mfa"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Two-factor enrolment (FusionAuth two-factor.mdx; accounts spec §10). The
// API-key forms name the user in the path; the JWT forms act on the
// token's subject, so a SPA lets a user manage their own methods.

// trustCookie is FusionAuth's "remember this device" cookie.
const trustCookie = "fusionauth.trust"

// trustCookieName is fusionauth.trust with Config.CookiePrefix in front, like
// the token cookies: with __Host- only the prefixed name is written and read.
func (s *Server) trustCookieName() string { return s.Config.CookiePrefix + trustCookie }

// methodJSON is FusionAuth's user.twoFactor.methods[x]: never the secret.
type methodJSON struct {
	Authenticator *authenticatorJSON `json:"authenticator,omitempty"`
	Email         string             `json:"email,omitempty"`
	ID            string             `json:"id"`
	LastUsed      bool               `json:"lastUsed,omitempty"`
	Method        string             `json:"method"`
	Name          string             `json:"name,omitempty"`
}

type authenticatorJSON struct {
	Algorithm  string `json:"algorithm"`
	CodeLength int    `json:"codeLength"`
	TimeStep   int    `json:"timeStep"`
}

// methodsJSON renders methods; the most recently used one is lastUsed.
func methodsJSON(ms []storage.TwoFactorMethod) []methodJSON {
	out := make([]methodJSON, 0, len(ms))
	last := -1
	for i, m := range ms {
		if !m.LastUsedAt.IsZero() && (last < 0 || m.LastUsedAt.After(ms[last].LastUsedAt)) {
			last = i
		}
	}
	for i, m := range ms {
		j := methodJSON{ID: m.ID, Method: m.Method, Email: m.Email, Name: m.Name, LastUsed: i == last}
		if m.Method == auth.MethodAuthenticator {
			j.Authenticator = &authenticatorJSON{Algorithm: "HmacSHA1", CodeLength: 6, TimeStep: 30}
		}
		out = append(out, j)
	}
	return out
}

// jwtUser is the subject and tenant of the access token that authenticated
// r (accessToken routes).
func jwtUser(r *http.Request) (userID string, sc manage.Scope) {
	c := claimsFromContext(r.Context())
	sub, _ := c["sub"].(string)
	tid, _ := c["tid"].(string)
	return sub, manage.Scope{TenantID: tid}
}

// twoFactorSecret handles GET /api/two-factor/secret (API key or JWT):
// {"secret","secretBase32Encoded"}. Nothing is stored. With a JWT latchkey
// adds the otpauth URI for the user and its QR code as a PNG data URL
// (otpauthURI, qrCode: docs/compatibility.md), so a SPA can show it
// without sending the secret anywhere else.
func (s *Server) twoFactorSecret(w http.ResponseWriter, r *http.Request) {
	secret, b32 := s.MFA.Secret()
	out := map[string]string{"secret": secret, "secretBase32Encoded": b32}
	if c := claimsFromContext(r.Context()); c != nil {
		account, _ := c["email"].(string)
		if account == "" {
			account, _ = c["preferred_username"].(string)
		}
		issuer := "latchkey"
		if t, err := s.Store.GetTenant(r.Context(), manage.DefaultTenantID); err == nil && t.Name != "" {
			issuer = t.Name
		}
		out["otpauthURI"] = mfa.OTPAuthURI(issuer, account, secret)
		if png, err := mfa.QRCode(out["otpauthURI"]); err == nil {
			out["qrCode"] = png
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// twoFactorRequest is FusionAuth's TwoFactorRequest.
type twoFactorRequest struct {
	Code                string `json:"code"`
	Method              string `json:"method"`
	Secret              string `json:"secret"`
	SecretBase32Encoded string `json:"secretBase32Encoded"`
	Email               string `json:"email"`
	Name                string `json:"name"`
	MethodID            string `json:"methodId"`
	UserID              string `json:"userId"`
	ApplicationID       string `json:"applicationId"`
}

// enableTwoFactor handles POST /api/user/two-factor/{userId} (API key) and
// POST /api/user/two-factor (JWT): 200 {"recoveryCodes":[…]} for the
// user's first method, {} after; 421 for a wrong code.
func (s *Server) enableTwoFactor(w http.ResponseWriter, r *http.Request) {
	userID, sc, ok := s.twoFactorUser(w, r)
	if !ok {
		return
	}
	var req twoFactorRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	out, err := s.MFA.Enable(r.Context(), sc, mfa.EnableRequest{UserID: userID, Method: req.Method, Code: req.Code,
		Secret: req.Secret, SecretBase32: req.SecretBase32Encoded, Email: req.Email, Name: req.Name})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	resp := map[string]any{}
	if out.RecoveryCodes != nil {
		resp["recoveryCodes"] = out.RecoveryCodes
	}
	writeJSON(w, http.StatusOK, resp)
}

// twoFactorUser is the user a two-factor route acts on: the path's userId
// (API key) or the JWT's subject.
func (s *Server) twoFactorUser(w http.ResponseWriter, r *http.Request) (string, manage.Scope, bool) {
	if r.PathValue("userId") == "" {
		id, sc := jwtUser(r)
		return id, sc, true
	}
	id, ok := pathID(w, r, "userId", "userId")
	return id, scope(r), ok
}

// disableTwoFactor handles DELETE /api/user/two-factor[/{userId}] with
// methodId and code in the query or a JSON body: a current code removes
// that method, a recovery code removes all. With an API key (the userId
// form) and no code, the method is removed without one (mfa.AdminRemove).
// With the user's JWT a wrong code counts toward the user's lockout and a
// locked account is refused (409, as /api/two-factor/login answers it).
func (s *Server) disableTwoFactor(w http.ResponseWriter, r *http.Request) {
	userID, sc, ok := s.twoFactorUser(w, r)
	if !ok {
		return
	}
	req := twoFactorRequest{MethodID: queryValue(r, "methodId"), Code: queryValue(r, "code")}
	if !s.decodeJSON(w, r, &req, true) {
		return
	}
	var err error
	if r.PathValue("userId") != "" && req.MethodID != "" && strings.TrimSpace(req.Code) == "" {
		// An API key without a code: the administrator's override (FusionAuth's
		// admin removing a user's method), audited with the key as the actor.
		err = s.MFA.AdminRemove(r.Context(), sc, mfa.RemoveRequest{UserID: userID, MethodID: req.MethodID})
	} else {
		// The user's own JWT: its codes count toward the user's lockout, by
		// the connection's address (a token holder does not choose it).
		byUser := r.PathValue("userId") == ""
		err = s.MFA.Disable(r.Context(), sc, mfa.DisableRequest{UserID: userID, MethodID: req.MethodID, Code: req.Code,
			ByUser: byUser, IPAddress: s.clientIP(r)})
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}

// renameTwoFactor handles PUT /api/user/two-factor/{userId} {methodId, name}.
func (s *Server) renameTwoFactor(w http.ResponseWriter, r *http.Request) {
	userID, ok := pathID(w, r, "userId", "userId")
	if !ok {
		return
	}
	var req twoFactorRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	if err := s.MFA.Rename(r.Context(), scope(r), userID, req.MethodID, req.Name); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}

// twoFactorMethods handles GET /api/user/two-factor (JWT, latchkey's
// extension): the caller's own methods, {"twoFactor":{"methods":[…]}},
// the shape user.twoFactor has in FusionAuth.
func (s *Server) twoFactorMethods(w http.ResponseWriter, r *http.Request) {
	userID, _ := jwtUser(r)
	ms, err := s.MFA.Methods(r.Context(), userID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"twoFactor": map[string]any{"methods": methodsJSON(ms)}})
}

// retrieveRecoveryCodes handles GET /api/user/two-factor/recovery-code/{userId}:
// always {"recoveryCodes":[]}, as current FusionAuth answers — codes are
// stored as hashes and shown only when made (accounts spec §10.5).
func (s *Server) retrieveRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "userId", "userId")
	if !ok {
		return
	}
	if _, err := s.Manage.Users.Get(r.Context(), scope(r), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"recoveryCodes": []string{}})
}

// generateRecoveryCodes handles POST /api/user/two-factor/recovery-code/{userId}
// (the TS client sends no body, as text/plain): a new set replaces the old.
func (s *Server) generateRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "userId", "userId")
	if !ok {
		return
	}
	codes, err := s.MFA.RecoveryCodes(r.Context(), scope(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"recoveryCodes": codes})
}

// sendTwoFactorCode handles POST /api/two-factor/send (API key with userId
// in the body, or JWT): a code for enabling the email method, or for
// disabling an email method.
func (s *Server) sendTwoFactorCode(w http.ResponseWriter, r *http.Request) {
	var req twoFactorRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	userID, sc := req.UserID, scope(r)
	if _, isKey := apiKeyFromContext(r.Context()); !isKey {
		userID, sc = jwtUser(r)
	} else if userID == "" {
		writeFieldError(w, "missing", "userId", "You must specify the [userId] property with an API key.")
		return
	} else if !optionalID(w, "userId", userID) {
		return
	}
	err := s.MFA.SendMethodCode(r.Context(), sc, s.Mailer, mfa.SendRequest{UserID: userID, Method: req.Method,
		Email: req.Email, MethodID: req.MethodID, ApplicationID: req.ApplicationID})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}

// twoFactorLoginRequest is FusionAuth's TwoFactorLoginRequest.
type twoFactorLoginRequest struct {
	TwoFactorID   string `json:"twoFactorId"`
	Code          string `json:"code"`
	TrustComputer bool   `json:"trustComputer"`
	IPAddress     string `json:"ipAddress"`
	MetaData      struct {
		Device storage.DeviceInfo `json:"device"`
	} `json:"metaData"`
}

// twoFactorLogin handles POST /api/two-factor/login: the answer, the JWT
// and the refresh cookie exactly as /api/login's (login.go), plus
// twoFactorTrustId and the fusionauth.trust cookie with trustComputer;
// 404 for an unknown, expired or used twoFactorId, 421 for a wrong code.
func (s *Server) twoFactorLogin(w http.ResponseWriter, r *http.Request) {
	var req twoFactorLoginRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	var e Errors
	if req.TwoFactorID == "" {
		e.Field("blank", "twoFactorId", "You must specify the [twoFactorId] property.")
	}
	if strings.TrimSpace(req.Code) == "" {
		e.Field("blank", "code", "You must specify the [code] property.")
	}
	if !e.Empty() {
		writeErrors(w, http.StatusBadRequest, &e)
		return
	}
	jkt, ip, ok := s.loginCaller(w, r, req.IPAddress)
	if !ok {
		return
	}
	t, err := s.Auth.TwoFactorLogin(r.Context(), auth.TwoFactorLoginRequest{TwoFactorID: req.TwoFactorID, Code: req.Code,
		TrustComputer: req.TrustComputer, IPAddress: ip, LockoutIP: s.lockoutIP(r, req.IPAddress), UserAgent: r.UserAgent(),
		Device: req.MetaData.Device, DPoPJKT: jkt, TrustToken: true})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeLogin(w, r, t, false)
}

// sendTwoFactorLoginCode handles POST /api/two-factor/send/{twoFactorId}
// {methodId} (no auth; the TS client's sendTwoFactorCodeForLogin sends no
// body, as text/plain): a new code for the pending login, by email.
func (s *Server) sendTwoFactorLoginCode(w http.ResponseWriter, r *http.Request) {
	var req twoFactorRequest
	if !s.decodeJSON(w, r, &req, true) {
		return
	}
	if err := s.MFA.SendLoginCode(r.Context(), s.Mailer, r.PathValue("twoFactorId"), req.MethodID); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}
