package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// verifyEmailResponse is FusionAuth's VerifyEmailResponse: the wire names
// are verificationId and oneTimeCode (Java/TS; accounts spec §5.1).
type verifyEmailResponse struct {
	VerificationID string `json:"verificationId"`
	OneTimeCode    string `json:"oneTimeCode,omitempty"`
}

// generateEmailVerification handles PUT
// /api/user/verify-email?email=&applicationId=&sendVerifyEmail= (users.mdx
// "Resend Verification Email"; TS generateEmailVerificationId,
// resendEmailVerification[WithApplicationTemplate]). With an API key: 200
// {"verificationId", "oneTimeCode"?}, 403 when the tenant does not verify
// addresses, 404 for an unknown or verified address. Without one: always
// 200 with no body, the same work whatever the address names, rate-limited.
func (s *Server) generateEmailVerification(w http.ResponseWriter, r *http.Request) {
	_, withKey := apiKeyFromContext(r.Context())
	send := true
	if withKey {
		// Without a key the answer never depends on the parameters.
		b, ok := queryBool(w, r, "sendVerifyEmail")
		if !ok {
			return
		}
		send = b == nil || *b
	}
	id, code, err := s.Manage.Accounts.GenerateVerification(r.Context(), scope(r), manage.GenerateVerification{
		Email: queryValue(r, "email"), ApplicationID: queryValue(r, "applicationId"), WithKey: withKey, Send: send})
	switch {
	case err != nil:
		s.writeError(w, r, err)
	case withKey:
		writeJSON(w, http.StatusOK, verifyEmailResponse{VerificationID: id, OneTimeCode: code})
	default:
		writeEmpty(w, http.StatusOK)
	}
}

// verifyEmailRequest is FusionAuth's VerifyEmailRequest.
type verifyEmailRequest struct {
	VerificationID string `json:"verificationId"`
	OneTimeCode    string `json:"oneTimeCode"`
	UserID         string `json:"userId"`
}

// verifyEmail handles POST /api/user/verify-email and the deprecated
// POST /api/user/verify-email/{verificationId} (users.mdx "Verify a
// User's Email"): 200 with no body, 404 for an unknown, used or expired id.
// The body's id wins over the path's; the TypeScript client's verifyEmail(id)
// sends no body with Content-Type text/plain, which is accepted. userId
// verifies administratively with an API key (and is ignored without one).
func (s *Server) verifyEmail(w http.ResponseWriter, r *http.Request) {
	var req verifyEmailRequest
	if !s.decodeJSON(w, r, &req, true) {
		return
	}
	_, withKey := apiKeyFromContext(r.Context())
	in := manage.VerifyEmail{VerificationID: firstOf(req.VerificationID, r.PathValue("verificationId")),
		OneTimeCode: req.OneTimeCode, WithKey: withKey}
	if withKey {
		if !optionalID(w, "userId", req.UserID) {
			return
		}
		in.UserID = req.UserID
	}
	if err := s.Manage.Accounts.VerifyEmail(r.Context(), scope(r), in); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}
