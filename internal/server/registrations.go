package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"

	json "github.com/go-json-experiment/json"
	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

type registrationRequest struct {
	User         *userInput           `json:"user"`
	Registration storage.Registration `json:"registration"`
	// Flags FusionAuth accepts; latchkey sends no email and has no
	// verification flow, so they change nothing.
	SendSetPasswordEmail         bool `json:"sendSetPasswordEmail"`
	SkipRegistrationVerification bool `json:"skipRegistrationVerification"`
	SkipVerification             bool `json:"skipVerification"`
	GenerateAuthenticationToken  bool `json:"generateAuthenticationToken"`
}

// register handles POST /api/user/registration[/{userId}] (registrations.mdx):
// with a "user" member it creates the user and the registration in one call
// (the form Kickstart uses); without, it registers the existing {userId}.
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	var req registrationRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	ctx := r.Context()
	if req.User == nil {
		if r.PathValue("userId") == "" {
			writeFieldError(w, "blank", "userId", "Give the user to register: POST /api/user/registration/{userId}, or a [user] object to create one.")
			return
		}
		u, ok := s.loadUser(w, r, "userId")
		if !ok {
			return
		}
		reg, e, err := s.newRegistration(ctx, u.ID, req.Registration, true)
		if s.failed(w, r, e, err) || !s.storeRegistration(w, r, reg) {
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"registration": reg})
		return
	}
	id, ok := s.newUserID(w, r, "userId", req.User.ID)
	if !ok {
		return
	}
	u, e, err := s.newUser(ctx, id, *req.User)
	if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	reg, re, err := s.newRegistration(ctx, id, req.Registration, false)
	for k, v := range re.FieldErrors {
		e.FieldErrors = mergeFieldErrors(e.FieldErrors, k, v)
	}
	if s.failed(w, r, e, err) || !s.storeNewUser(w, r, u) {
		return
	}
	if !s.storeRegistration(w, r, reg) {
		// No transaction spans the two writes; undo the user so a retry of
		// the same request can succeed.
		if err := s.Store.DeleteUser(ctx, u.ID); err != nil {
			s.Logger.ErrorContext(ctx, "undo user create failed", "request_id", requestID(ctx), "user_id", u.ID, "error", err)
		}
		return
	}
	t, ok := s.issueCreated(w, r, auth.IssueRequest{UserID: u.ID, ApplicationID: reg.ApplicationID,
		AuthenticationType: auth.AuthRegistration, RefreshToken: true})
	if !ok {
		return
	}
	u.Registrations = []storage.Registration{reg}
	writeJSON(w, http.StatusOK, createdResponse{User: u, Registration: &reg, Token: t.AccessToken,
		TokenExpirationInstant: t.AccessTokenExpiresAt.UnixMilli(), RefreshToken: t.RefreshToken, RefreshTokenID: t.RefreshTokenID})
}

func mergeFieldErrors(m map[string][]Error, k string, v []Error) map[string][]Error {
	if m == nil {
		m = map[string][]Error{}
	}
	m[k] = append(m[k], v...)
	return m
}

// failed writes the response for a storage error or validation errors.
func (s *Server) failed(w http.ResponseWriter, r *http.Request, e *Errors, err error) bool {
	if err != nil {
		s.writeInternal(w, r, err)
		return true
	}
	if !e.Empty() {
		writeErrors(w, http.StatusBadRequest, e)
		return true
	}
	return false
}

// newRegistration validates a registration for userID: the application must
// exist and be active, roles must be the application's role names (its
// default roles when none are given), and the user must not be registered yet.
func (s *Server) newRegistration(ctx context.Context, userID string, in storage.Registration, userExists bool) (storage.Registration, *Errors, error) {
	e := &Errors{}
	now := s.Now().UnixMilli()
	reg := in
	reg.ID, reg.UserID, reg.Verified, reg.InsertInstant, reg.LastUpdateInstant, reg.LastLoginInstant = uuid.NewString(), userID, true, now, now, 0
	if reg.ApplicationID == "" {
		e.Field("blank", "registration.applicationId", "You must specify the [registration.applicationId] property.")
		return reg, e, nil
	}
	app, err := s.Store.GetApplication(ctx, reg.ApplicationID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !app.Active) || !validUUID(reg.ApplicationID) {
		e.Field("invalid", "registration.applicationId", "No active application exists with Id ["+truncate(reg.ApplicationID, 64)+"].")
		return reg, e, nil
	}
	if err != nil {
		return reg, nil, err
	}
	reg.Roles = checkRoles(e, app, reg.Roles, true)
	if userExists {
		if _, err := s.Store.GetRegistration(ctx, userID, app.ID); err == nil {
			e.Field("duplicate", "registration", "The user is already registered for application ["+app.ID+"].")
		} else if !errors.Is(err, storage.ErrNotFound) {
			return reg, nil, err
		}
	}
	return reg, e, nil
}

// checkRoles keeps roles to the application's role names: an unknown name is
// [invalid]registration.roles, never silently granted.
func checkRoles(e *Errors, app storage.Application, roles []string, useDefaults bool) []string {
	if len(roles) == 0 && useDefaults {
		roles = []string{}
		for _, r := range app.Roles {
			if r.IsDefault {
				roles = append(roles, r.Name)
			}
		}
		return roles
	}
	out := []string{}
	for _, name := range roles {
		if !slices.ContainsFunc(app.Roles, func(r storage.ApplicationRole) bool { return r.Name == name }) {
			e.Field("invalid", "registration.roles", "The role ["+truncate(name, 64)+"] does not exist in the application.")
		} else if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

func (s *Server) storeRegistration(w http.ResponseWriter, r *http.Request, reg storage.Registration) bool {
	err := s.Store.CreateRegistration(r.Context(), reg)
	if errors.Is(err, storage.ErrConflict) {
		writeFieldError(w, "duplicate", "registration", "The user is already registered for this application.")
		return false
	}
	if err != nil {
		s.writeInternal(w, r, err)
		return false
	}
	return true
}

// loadRegistration reads /api/user/registration/{userId}/{applicationId}.
func (s *Server) loadRegistration(w http.ResponseWriter, r *http.Request) (storage.Registration, bool) {
	u, ok := s.loadUser(w, r, "userId")
	if !ok {
		return storage.Registration{}, false
	}
	appID, ok := pathID(w, r, "applicationId", "applicationId")
	if !ok {
		return storage.Registration{}, false
	}
	reg, err := s.Store.GetRegistration(r.Context(), u.ID, appID)
	if errors.Is(err, storage.ErrNotFound) {
		writeEmpty(w, http.StatusNotFound)
		return reg, false
	}
	if err != nil {
		s.writeInternal(w, r, err)
		return reg, false
	}
	return reg, true
}

// getRegistration handles GET /api/user/registration/{userId}/{applicationId}.
func (s *Server) getRegistration(w http.ResponseWriter, r *http.Request) {
	if reg, ok := s.loadRegistration(w, r); ok {
		writeJSON(w, http.StatusOK, map[string]any{"registration": reg})
	}
}

// updateRegistration handles PUT and PATCH of a registration: roles, data,
// username, timezone, preferredLanguages.
func (s *Server) updateRegistration(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("applicationId") == "" && !appIDFromBody(w, r) {
		return
	}
	cur, ok := s.loadRegistration(w, r)
	if !ok {
		return
	}
	var req registrationRequest
	if r.Method == http.MethodPatch {
		if !s.decodePatchWrite(w, r, map[string]any{"registration": cur}, &req) {
			return
		}
	} else if !s.decodeJSON(w, r, &req, false) {
		return
	}
	app, err := s.Store.GetApplication(r.Context(), cur.ApplicationID)
	if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	reg, e := req.Registration, &Errors{}
	reg.ID, reg.UserID, reg.ApplicationID, reg.Verified = cur.ID, cur.UserID, cur.ApplicationID, cur.Verified
	reg.InsertInstant, reg.LastLoginInstant, reg.LastUpdateInstant = cur.InsertInstant, cur.LastLoginInstant, s.Now().UnixMilli()
	reg.Roles = checkRoles(e, app, reg.Roles, false)
	if s.failed(w, r, e, nil) {
		return
	}
	if err := s.Store.UpdateRegistration(r.Context(), reg); err != nil {
		s.writeInternal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"registration": reg})
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
	reg, ok := s.loadRegistration(w, r)
	if !ok {
		return
	}
	err := s.Store.DeleteRegistration(r.Context(), reg.UserID, reg.ApplicationID)
	if err == nil {
		_, err = s.Store.RevokeRefreshTokens(r.Context(), storage.RefreshTokenFilter{UserID: reg.UserID, ApplicationID: reg.ApplicationID}, s.Now(), "registration_deleted")
	}
	if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}
