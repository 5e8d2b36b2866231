package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/mfa"
)

// Passwordless login (FusionAuth passwordless.mdx; accounts spec §12).

type passwordlessRequest struct {
	LoginID       string         `json:"loginId"`
	LoginStrategy string         `json:"loginStrategy"`
	State         map[string]any `json:"state"`
	Code          string         `json:"code"`
	OneTimeCode   string         `json:"oneTimeCode"`
	loginBody     `json:",inline"`
}

// startPasswordless handles POST /api/passwordless/start: with an API key
// 200 {"code"} (+ oneTimeCode for FormField), as FusionAuth; without one
// (latchkey's extension) the request stores a job that emails the code and
// answers 200 {}, with the same work whether or not the login id names
// anyone (mfa.Service.StartPasswordless).
func (s *Server) startPasswordless(w http.ResponseWriter, r *http.Request) {
	var req passwordlessRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	_, hasKey := apiKeyFromContext(r.Context())
	out, err := s.MFA.StartPasswordless(r.Context(), scope(r), s.Mailer, mfa.PasswordlessStart{ApplicationID: req.ApplicationID,
		LoginID: req.LoginID, LoginStrategy: req.LoginStrategy, State: req.State, HasAPIKey: hasKey})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	resp := map[string]string{}
	if out.Code != "" {
		resp["code"] = out.Code
	}
	if out.OneTimeCode != "" {
		resp["oneTimeCode"] = out.OneTimeCode
	}
	writeJSON(w, http.StatusOK, resp)
}

// sendPasswordless handles POST /api/passwordless/send {code}: 200 for any
// well-formed request.
func (s *Server) sendPasswordless(w http.ResponseWriter, r *http.Request) {
	var req passwordlessRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	if err := s.MFA.SendPasswordless(r.Context(), s.Mailer, req.Code); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}

// passwordlessLogin handles POST /api/passwordless/login: the answer, the
// JWT and the refresh cookie exactly as /api/login's; 404 for a code that
// is unknown, expired or used.
func (s *Server) passwordlessLogin(w http.ResponseWriter, r *http.Request) {
	var req passwordlessRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	if req.Code == "" {
		writeFieldError(w, "blank", "code", "You must specify the [code] property.")
		return
	}
	jkt, ip, ok := s.loginCaller(w, r, req.IPAddress)
	if !ok {
		return
	}
	t, err := s.MFA.LoginPasswordless(r.Context(), mfa.PasswordlessLogin{Code: req.Code, OneTimeCode: req.OneTimeCode,
		ApplicationID: req.ApplicationID, IPAddress: ip, LockoutIP: s.lockoutIP(r, req.IPAddress), UserAgent: r.UserAgent(), DPoPJKT: jkt, TwoFactorTrustID: s.trustID(r, req.TwoFactorTrustID),
		Device: req.MetaData.Device, NoJWT: req.NoJWT})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeLogin(w, r, t, req.NoJWT)
}
