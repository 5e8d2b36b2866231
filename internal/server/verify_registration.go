package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// resendRegistrationVerification handles PUT
// /api/user/verify-registration?email=&applicationId=[&sendVerifyPasswordEmail=false]
// (users.mdx "Resend a User Registration Verification Email"; TS
// resendRegistrationVerification, generateRegistrationVerificationId, whose
// parameter really is sendVerifyPasswordEmail). API key only: 200
// {"verificationId", "oneTimeCode"?}, 400 for a missing parameter or an
// unknown application, 403 when the application does not verify
// registrations, 404 for an unknown user or a registration that is
// verified or missing.
func (s *Server) resendRegistrationVerification(w http.ResponseWriter, r *http.Request) {
	b, ok := queryBool(w, r, "sendVerifyPasswordEmail")
	if !ok {
		return
	}
	id, code, err := s.Manage.Accounts.ResendRegistrationVerification(r.Context(), scope(r), manage.ResendRegistrationVerification{
		Email: queryValue(r, "email"), ApplicationID: queryValue(r, "applicationId"), Send: b == nil || *b})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, verifyEmailResponse{VerificationID: id, OneTimeCode: code})
}

// verifyRegistration handles POST /api/user/verify-registration and the
// deprecated POST /api/user/verify-registration/{verificationId} (users.mdx
// "Verify a User Registration"; TS verifyUserRegistration,
// verifyRegistration): 200 with no body, 404 for an unknown, used or
// expired id (nothing changed), 400 for a missing or wrong oneTimeCode of
// the FormField strategy. No key is needed: the id is the proof.
func (s *Server) verifyRegistration(w http.ResponseWriter, r *http.Request) {
	var req verifyEmailRequest // FusionAuth's VerifyRegistrationRequest has the same two fields
	if !s.decodeJSON(w, r, &req, true) {
		return
	}
	err := s.Manage.Accounts.VerifyRegistration(r.Context(), scope(r), manage.VerifyRegistration{
		VerificationID: firstOf(req.VerificationID, r.PathValue("verificationId")), OneTimeCode: req.OneTimeCode})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}
