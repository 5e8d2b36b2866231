package server

import (
	"net/http"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// withheldAnswer is FusionAuth's LoginResponse for a login whose password
// verified but that ends without tokens (auth.Withheld; login.mdx,
// _login-response-codes.mdx): never a token, a refresh token or a cookie.
type withheldAnswer struct {
	ChangePasswordID     string `json:"changePasswordId,omitempty"`
	ChangePasswordReason string `json:"changePasswordReason,omitempty"`
	EmailVerificationID  string `json:"emailVerificationId,omitempty"`
	// RegistrationVerificationID: 213 with the FormField strategy.
	RegistrationVerificationID string        `json:"registrationVerificationId,omitempty"`
	User                       *storage.User `json:"user,omitempty"`
	// The 242 answer (accounts spec §10.8): the pending login and the
	// methods to choose from.
	Methods     []methodJSON `json:"methods,omitempty"`
	TwoFactorID string       `json:"twoFactorId,omitempty"`
}

// withheldStatus is the status of each auth.Withheld kind: 203 change
// password (§9.4), 212 email not verified (§5.4). A kind added in
// internal/auth gets its row here and in writeWithheldGrant.
var withheldStatus = map[string]int{
	auth.WithheldChangePassword:         203,
	auth.WithheldEmailUnverified:        212,
	auth.WithheldRegistrationUnverified: 213,
	auth.WithheldTwoFactor:              242,
	auth.WithheldLoginPrevented:         409,
}

// writeWithheld answers /api/login for w: 203 carries only the
// changePasswordId and its reason (no user, as FusionAuth), 212 the user
// (and the emailVerificationId of the FormField strategy).
func (s *Server) writeWithheld(w http.ResponseWriter, r *http.Request, held *auth.Withheld) {
	status, ok := withheldStatus[held.Kind]
	if !ok {
		s.writeInternal(w, r, held) // a kind without its row: a bug, never the caller's input
		return
	}
	if held.Kind == auth.WithheldLoginPrevented {
		writeJSON(w, status, preventedAnswer(held.Actions))
		return
	}
	a := withheldAnswer{ChangePasswordID: held.ChangePasswordID, ChangePasswordReason: held.ChangePasswordReason,
		EmailVerificationID: held.EmailVerificationID, RegistrationVerificationID: held.RegistrationVerificationID}
	switch held.Kind {
	case auth.WithheldTwoFactor:
		// FusionAuth's 242: {twoFactorId, methods}, no user, no token, and
		// the fusionauth.trust cookie cleared (it did not spare the step).
		a.TwoFactorID, a.Methods = held.TwoFactorID, methodsJSON(held.Methods)
		if len(cookieValues(r, s.trustCookieName())) > 0 {
			s.writeCookie(w, r, s.trustCookieName(), "", -1)
		}
	case auth.WithheldChangePassword:
	default:
		a.User = &held.User
	}
	writeJSON(w, status, a)
}

// grantWithheld is the password grant's answer for a withheld login
// (FusionAuth TokenAction; accounts spec §9.4): OAuth has no 203, so a
// 400 whose error names what is required, with the changePasswordId.
type grantWithheld struct {
	Error            string `json:"error"`
	Reason           string `json:"error_reason"`
	Description      string `json:"error_description"`
	ChangePasswordID string `json:"change_password_id,omitempty"`
}

// grantTwoFactor is the password grant's answer for a user with a second
// factor (FusionAuth TokenAction, accounts spec §10.10): no error_reason.
type grantTwoFactor struct {
	Error       string       `json:"error"`
	Description string       `json:"error_description"`
	TwoFactorID string       `json:"two_factor_id"`
	Methods     []methodJSON `json:"two_factor_methods"`
}

// writeWithheldGrant answers the password grant for a withheld login.
func (s *Server) writeWithheldGrant(w http.ResponseWriter, r *http.Request, held *auth.Withheld) {
	switch held.Kind {
	case auth.WithheldChangePassword:
		writeJSON(w, http.StatusBadRequest, grantWithheld{Error: "change_password_required",
			Reason:           "change_password_" + strings.ToLower(held.ChangePasswordReason),
			Description:      "The user is required to change their password.",
			ChangePasswordID: held.ChangePasswordID})
	case auth.WithheldTwoFactor:
		writeJSON(w, http.StatusBadRequest, grantTwoFactor{Error: "two_factor_required",
			Description: "The user has enabled two factor authentication.", TwoFactorID: held.TwoFactorID,
			Methods: methodsJSON(held.Methods)})
	case auth.WithheldEmailUnverified:
		writeJSON(w, http.StatusBadRequest, grantWithheld{Error: "invalid_grant", Reason: "email_verification_required",
			Description: "The user's email address must be verified before they can log in."})
	case auth.WithheldRegistrationUnverified:
		writeJSON(w, http.StatusBadRequest, grantWithheld{Error: "invalid_grant", Reason: "registration_verification_required",
			Description: "The user's registration must be verified before they can log in."})
	case auth.WithheldLoginPrevented:
		writeJSON(w, http.StatusBadRequest, grantWithheld{Error: "invalid_grant", Reason: "login_prevented",
			Description: "A user action prevents this user from logging in."})
	default:
		writeOAuthError(w, http.StatusInternalServerError, OAuthError{"server_error", "unknown", "An internal error occurred. Request id " + requestID(r.Context()) + "."})
	}
}
