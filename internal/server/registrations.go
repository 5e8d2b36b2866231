package server

import (
	"bytes"
	"io"
	"net/http"

	json "github.com/go-json-experiment/json"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

type registrationRequest struct {
	User         *userInput           `json:"user"`
	Registration storage.Registration `json:"registration"`
	// SkipVerification creates the user verified without a mail (an API
	// key's choice), SkipRegistrationVerification likewise the registration
	// (registrations_verify.go); SendSetPasswordEmail mails a changePasswordId instead
	// of requiring user.password (manage.UserInput); the other flags are
	// accepted and change nothing (docs/compatibility.md).
	SendSetPasswordEmail         bool `json:"sendSetPasswordEmail"`
	SkipRegistrationVerification bool `json:"skipRegistrationVerification"`
	SkipVerification             bool `json:"skipVerification"`
	GenerateAuthenticationToken  bool `json:"generateAuthenticationToken"`
}

type registrationResponse struct {
	Registration storage.Registration `json:"registration"`
	// The verification of a registration that starts unverified, for the
	// API key that made it (FusionAuth's RegistrationResponse).
	RegistrationVerificationID          string `json:"registrationVerificationId,omitempty"`
	RegistrationVerificationOneTimeCode string `json:"registrationVerificationOneTimeCode,omitempty"`
}

// register handles POST /api/user/registration[/{userId}] (registrations.mdx):
// with a "user" member it creates the user and the registration in one call
// (the form Kickstart uses, manage.Registrations.RegisterNew); without, it
// registers the existing {userId} (Register).
//
// Without an API key (only POST /api/user/registration) it is latchkey's
// self-service sign-up (signup.go).
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	if _, withKey := apiKeyFromContext(r.Context()); !withKey {
		s.signUp(w, r)
		return
	}
	var req registrationRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	if req.User == nil {
		if r.PathValue("userId") == "" {
			writeFieldError(w, "blank", "userId", "Give the user to register: POST /api/user/registration/{userId}, or a [user] object to create one.")
			return
		}
		userID, ok := pathID(w, r, "userId", "userId")
		if !ok {
			return
		}
		reg, err := s.Manage.Registrations.Register(r.Context(), scope(r), userID, req.Registration, req.SkipRegistrationVerification)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, registrationResponse{Registration: reg.Registration,
			RegistrationVerificationID: reg.VerificationID, RegistrationVerificationOneTimeCode: reg.OneTimeCode})
		return
	}
	id, ok := newUserID(w, r, "userId", req.User.ID)
	if !ok {
		return
	}
	in := req.User.input()
	in.SkipVerification, in.SendSetPasswordEmail = req.SkipVerification, req.SendSetPasswordEmail
	c, err := s.Manage.Registrations.RegisterNew(r.Context(), manage.NewRegistration{UserID: id, User: in,
		Registration: req.Registration, IPAddress: s.clientIP(r), SkipRegistrationVerification: req.SkipRegistrationVerification})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, createdResponse{User: c.User, Registration: &c.Registration, Token: c.Tokens.AccessToken,
		TokenExpirationInstant: c.Tokens.AccessTokenExpiresAt.UnixMilli(), RefreshToken: c.Tokens.RefreshToken,
		RefreshTokenID: c.Tokens.RefreshTokenID, RegistrationVerificationID: c.RegistrationVerificationID,
		RegistrationVerificationOneTimeCode: c.RegistrationOneTimeCode})
}

// writeRegistration answers {"registration":{...}}, or the use case's error.
func (s *Server) writeRegistration(w http.ResponseWriter, r *http.Request, reg storage.Registration, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, registrationResponse{Registration: reg})
}

// getRegistration handles GET /api/user/registration/{userId}/{applicationId}.
func (s *Server) getRegistration(w http.ResponseWriter, r *http.Request) {
	userID, ok := pathID(w, r, "userId", "userId")
	if !ok {
		return
	}
	reg, err := s.Manage.Registrations.Get(r.Context(), scope(r), userID, r.PathValue("applicationId"))
	s.writeRegistration(w, r, reg, err)
}

// updateRegistration handles PUT and PATCH of a registration
// (manage.Registrations.Update).
func (s *Server) updateRegistration(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("applicationId") == "" && !appIDFromBody(w, r) {
		return
	}
	userID, ok := pathID(w, r, "userId", "userId")
	if !ok {
		return
	}
	rewind := replayBody(r)
	reg, err := s.Manage.Registrations.Update(r.Context(), scope(r), userID, r.PathValue("applicationId"),
		func(cur storage.Registration) (storage.Registration, error) {
			var req registrationRequest
			rewind()
			err := decodeReplacement(r, registrationResponse{Registration: cur}, &req)
			return req.Registration, err
		})
	s.writeRegistration(w, r, reg, err)
}

// appIDFromBody serves PUT/PATCH /api/user/registration/{userId}, the form
// FusionAuth's clients use (updateRegistration, patchRegistration): the
// application is registration.applicationId in the body. It becomes the
// {applicationId} path value and the body is put back for the real decode,
// which reports any JSON error. On failure the response is written.
func appIDFromBody(w http.ResponseWriter, r *http.Request) bool {
	body, err := readBody(r)
	if err != nil {
		writeDecodeError(w, err)
		return false
	}
	var probe struct {
		Registration struct {
			ApplicationID string `json:"applicationId"`
		} `json:"registration"`
	}
	_ = json.Unmarshal(body, &probe) // malformed JSON is reported by the real decode
	id := probe.Registration.ApplicationID
	if id == "" {
		writeFieldError(w, "blank", "registration.applicationId", "You must specify the [registration.applicationId] property.")
		return false
	}
	r.SetPathValue("applicationId", id)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return true
}

// deleteRegistration handles DELETE of a registration; the user's refresh
// tokens for that application are revoked with it.
func (s *Server) deleteRegistration(w http.ResponseWriter, r *http.Request) {
	userID, ok := pathID(w, r, "userId", "userId")
	if !ok {
		return
	}
	if err := s.Manage.Registrations.Delete(r.Context(), scope(r), userID, r.PathValue("applicationId")); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}
