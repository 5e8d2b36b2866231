package server

import (
	"errors"
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// forgotPasswordRequest is FusionAuth's ForgotPasswordRequest (users.mdx;
// accounts spec §3.1). email and username are aliases of loginId (the Java
// setters; the TypeScript type still has both).
type forgotPasswordRequest struct {
	LoginID                   string         `json:"loginId"`
	Email                     string         `json:"email"`
	Username                  string         `json:"username"`
	ApplicationID             string         `json:"applicationId"`
	State                     map[string]any `json:"state"`
	SendForgotPasswordEmail   *bool          `json:"sendForgotPasswordEmail"`
	SendForgotPasswordMessage *bool          `json:"sendForgotPasswordMessage"`
	ChangePasswordID          string         `json:"changePasswordId"`
}

// send is sendForgotPasswordMessage, else the deprecated
// sendForgotPasswordEmail, else true.
func (req forgotPasswordRequest) send() bool {
	switch {
	case req.SendForgotPasswordMessage != nil:
		return *req.SendForgotPasswordMessage
	case req.SendForgotPasswordEmail != nil:
		return *req.SendForgotPasswordEmail
	}
	return true
}

// forgotPassword handles POST /api/user/forgot-password (users.mdx "Start
// Forgot Password Workflow"). With an API key: 200
// {"changePasswordId"}, 404 for an unknown login id, 422 for a user without
// an address. Without one it always answers 200 with no body and does the
// same work whatever the login id names (manage.Accounts.ForgotPassword),
// and it is rate-limited per address.
func (s *Server) forgotPassword(w http.ResponseWriter, r *http.Request) {
	var req forgotPasswordRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	loginID := firstOf(req.LoginID, req.Email, req.Username)
	_, withKey := apiKeyFromContext(r.Context())
	id, err := s.Manage.Accounts.ForgotPassword(r.Context(), scope(r), manage.ForgotPassword{LoginID: loginID,
		ApplicationID: req.ApplicationID, State: req.State, WithKey: withKey, SendEmail: !withKey || req.send(),
		ChangePasswordID: req.ChangePasswordID})
	switch {
	case errors.Is(err, manage.ErrNoAddress):
		writeEmpty(w, http.StatusUnprocessableEntity)
	case err != nil:
		s.writeError(w, r, err)
	case withKey:
		writeJSON(w, http.StatusOK, map[string]string{"changePasswordId": id})
	default:
		writeEmpty(w, http.StatusOK)
	}
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// changePasswordRequest is FusionAuth's ChangePasswordRequest (accounts
// spec §4.1).
type changePasswordRequest struct {
	ChangePasswordID string `json:"changePasswordId"`
	CurrentPassword  string `json:"currentPassword"`
	Password         string `json:"password"`
	LoginID          string `json:"loginId"`
	ApplicationID    string `json:"applicationId"`
	RefreshToken     string `json:"refreshToken"`
	TrustChallenge   string `json:"trustChallenge"`
	TrustToken       string `json:"trustToken"`
}

// changePasswordResponse is FusionAuth's ChangePasswordResponse.
type changePasswordResponse struct {
	OneTimePassword string         `json:"oneTimePassword"`
	State           map[string]any `json:"state,omitempty"`
}

// changePassword handles POST /api/user/change-password[/{changePasswordId}]
// (users.mdx "Change a User's Password") in FusionAuth's three modes: a
// changePasswordId (the body's wins over the path's; no authentication), an
// access token (Bearer, DPoP or the access_token cookie) with the current
// password, or an API key with a loginId. For a user with two-factor
// methods each mode also needs a trustToken (and its trustChallenge, when
// the step-up gave one): else 400 [TrustTokenRequired] and nothing changes
// (manage/accounts_trust.go). The first two answer
// {"oneTimePassword"} (and the forgot-password state); the third has no
// body. Everything it changes is one transaction (manage.Accounts).
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	var req changePasswordRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	in, r, ok := s.changePasswordMode(w, r, req.ChangePasswordID, req.LoginID)
	if !ok {
		return
	}
	in.CurrentPassword, in.Password, in.ApplicationID = req.CurrentPassword, req.Password, req.ApplicationID
	in.TrustToken, in.TrustChallenge = req.TrustToken, req.TrustChallenge
	if in.UserID != "" {
		// The caller's session continues after the change through the
		// oneTimePassword; the cookie wins over the body (accounts spec §4.3).
		in.RefreshToken = firstOf(s.sessionCookie(r, req.ApplicationID), req.RefreshToken)
	}
	res, err := s.Manage.Accounts.ChangePassword(r.Context(), scope(r), in)
	switch {
	case err != nil:
		s.writeError(w, r, err)
	case res.OneTimePassword == "":
		writeEmpty(w, http.StatusOK)
	default:
		writeJSON(w, http.StatusOK, changePasswordResponse{OneTimePassword: res.OneTimePassword, State: res.State})
	}
}

// checkChangePassword handles GET /api/user/change-password[/{changePasswordId}]
// (TS checkChangePasswordUsing{Id,JWT,LoginId}; accounts spec §4.2): 200
// when the change could go ahead, 404 for an unknown or expired id, 400
// [TrustTokenRequired] for a user with two-factor methods. It
// consumes nothing. ipAddress, loginIdTypes and the old clients' username
// are accepted and ignored.
func (s *Server) checkChangePassword(w http.ResponseWriter, r *http.Request) {
	in, r, ok := s.changePasswordMode(w, r, "", queryValue(r, "loginId"))
	if !ok {
		return
	}
	if err := s.Manage.Accounts.CheckChangePassword(r.Context(), scope(r), in); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}

// changePasswordMode picks the mode of a change-password call: the id
// (bodyID, else the path's), else the user of an access token (verified
// here: a bad one is an empty 401), else the login id with the API key the
// route authenticated. On failure the response is written.
func (s *Server) changePasswordMode(w http.ResponseWriter, r *http.Request, bodyID, loginID string) (manage.ChangePassword, *http.Request, bool) {
	_, withKey := apiKeyFromContext(r.Context())
	in := manage.ChangePassword{ChangePasswordID: firstOf(bodyID, r.PathValue("changePasswordId")), WithKey: withKey}
	if in.ChangePasswordID != "" {
		return in, r, true
	}
	r, sub, ok := s.optionalAccessToken(w, r)
	if !ok {
		return in, r, false
	}
	in.UserID, in.LoginID = sub, loginID
	return in, r, true
}

// optionalAccessToken verifies the request's access token (Authorization
// Bearer or DPoP, else the access_token cookie) when it has one and returns
// its subject; none is fine (""), a bad one is an empty 401.
func (s *Server) optionalAccessToken(w http.ResponseWriter, r *http.Request) (*http.Request, string, bool) {
	if tok, _ := accessCredential(r); tok == "" && len(cookieValues(r, s.accessCookieName())) == 0 {
		return r, "", true
	}
	r, ok := s.authenticateAccessToken(w, r)
	if !ok {
		return r, "", false
	}
	sub, _ := claimsFromContext(r.Context())["sub"].(string)
	return r, sub, true
}
