package server

import (
	"errors"
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// twoFactorStartRequest is FusionAuth's TwoFactorStartRequest
// (two-factor.mdx "Start Multi-Factor"). loginIdTypes is accepted and
// ignored: a login id is an email or a username here.
type twoFactorStartRequest struct {
	ApplicationID  string         `json:"applicationId"`
	Code           string         `json:"code"`
	LoginID        string         `json:"loginId"`
	LoginIDTypes   []string       `json:"loginIdTypes"`
	State          map[string]any `json:"state"`
	TrustChallenge string         `json:"trustChallenge"`
	UserID         string         `json:"userId"`
}

// twoFactorStartResponse is FusionAuth's TwoFactorStartResponse: methods
// is left out for a user without any.
type twoFactorStartResponse struct {
	Code        string       `json:"code"`
	Methods     []methodJSON `json:"methods,omitempty"`
	TwoFactorID string       `json:"twoFactorId"`
}

// startTwoFactor handles POST /api/two-factor/start (API key; TS
// startTwoFactorLogin): a step-up for the user named by userId, else
// loginId (FusionAuth: userId wins), answered 200 {code, methods,
// twoFactorId}; 404 with no body for a user the key does not see. The
// user completes it at POST /api/two-factor/login, which answers a
// trustToken (auth.StartStepUp).
func (s *Server) startTwoFactor(w http.ResponseWriter, r *http.Request) {
	var req twoFactorStartRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	var u storage.User
	var err error
	switch {
	case req.UserID != "":
		u, err = s.Manage.Users.Get(r.Context(), scope(r), req.UserID)
	case req.LoginID != "":
		u, err = s.Manage.Users.Find(r.Context(), scope(r), manage.UserQuery{LoginID: req.LoginID})
	default:
		writeFieldError(w, "blank", "loginId", "You must specify the [loginId] or the [userId] property.")
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	up, err := s.Auth.StartStepUp(r.Context(), auth.StepUpRequest{User: u, ApplicationID: req.ApplicationID, Code: req.Code,
		TrustChallenge: req.TrustChallenge, State: req.State})
	if errors.Is(err, auth.ErrStepUpCode) {
		writeFieldError(w, "tooLong", "code", "The [code] property is longer than 64 characters.")
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, twoFactorStartResponse{Code: up.Code, Methods: methodsJSON(up.Methods), TwoFactorID: up.TwoFactorID})
}
