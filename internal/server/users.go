package server

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// userInput is the user object of a create or update request: the profile
// fields of storage.User plus the plain-text password, which is hashed and
// never stored or echoed.
type userInput struct {
	storage.User
	Password         string `json:"password"`
	EncryptionScheme string `json:"encryptionScheme"`
	Factor           int    `json:"factor"`
}

type userRequest struct {
	User                 userInput `json:"user"`
	ApplicationID        string    `json:"applicationId"`
	SendSetPasswordEmail bool      `json:"sendSetPasswordEmail"`
	SkipVerification     bool      `json:"skipVerification"`
}

// createUser handles POST /api/user and POST /api/user/{id} (users.mdx).
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var req userRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	id, ok := s.newUserID(w, r, "id", req.User.ID)
	if !ok {
		return
	}
	u, e, err := s.newUser(r.Context(), id, req.User)
	if err == nil && req.ApplicationID != "" {
		err = s.checkApplication(r.Context(), e, "applicationId", req.ApplicationID)
	}
	if s.failed(w, r, e, err) || !s.storeNewUser(w, r, u) {
		return
	}
	t, ok := s.issueCreated(w, r, auth.IssueRequest{UserID: u.ID, ApplicationID: req.ApplicationID,
		AuthenticationType: auth.AuthUserCreate})
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, createdResponse{User: u, Token: t.AccessToken,
		TokenExpirationInstant: t.AccessTokenExpiresAt.UnixMilli()})
}

// createdResponse is FusionAuth's UserResponse / RegistrationResponse after a
// create: the records plus the token FusionAuth issues for the new user
// (users.mdx: USER_CREATE; registrations.mdx: REGISTRATION, refreshToken
// since 1.17.0, refreshTokenId since 1.37.0).
type createdResponse struct {
	Registration           *storage.Registration `json:"registration,omitempty"`
	RefreshToken           string                `json:"refreshToken,omitempty"`
	RefreshTokenID         string                `json:"refreshTokenId,omitempty"`
	Token                  string                `json:"token,omitempty"`
	TokenExpirationInstant int64                 `json:"tokenExpirationInstant,omitempty"`
	User                   storage.User          `json:"user"`
}

// issueCreated mints the token of a create response. The user is already
// stored; if minting fails (a signing or storage failure, never bad input)
// the user is removed again so the request can simply be retried, as
// FusionAuth's single transaction would leave nothing behind.
func (s *Server) issueCreated(w http.ResponseWriter, r *http.Request, req auth.IssueRequest) (auth.Tokens, bool) {
	req.IPAddress = s.clientIP(r)
	t, err := s.Auth.Issue(r.Context(), req)
	if err == nil {
		return t, true
	}
	if derr := s.Store.DeleteUser(r.Context(), req.UserID); derr != nil {
		s.Logger.ErrorContext(r.Context(), "undo user create failed", "request_id", requestID(r.Context()), "user_id", req.UserID, "error", derr)
	}
	s.writeInternal(w, r, err)
	return auth.Tokens{}, false
}

// storeNewUser creates u, mapping a lost uniqueness race to the duplicate
// error the pre-check would have given.
func (s *Server) storeNewUser(w http.ResponseWriter, r *http.Request, u storage.User) bool {
	err := s.Store.CreateUser(r.Context(), u)
	if errors.Is(err, storage.ErrConflict) {
		writeFieldError(w, "duplicate", "user.email", "A user with this email, username or id already exists.")
		return false
	}
	if err != nil {
		s.writeInternal(w, r, err)
		return false
	}
	return true
}

// newUser validates a create request and builds the record. Server-owned
// fields (id, tenant, instants, active, verified) are never taken from the
// body (mass assignment, security-bar.md §4.12).
func (s *Server) newUser(ctx context.Context, id string, in userInput) (storage.User, *Errors, error) {
	e := &Errors{}
	tenant, err := s.Store.GetTenant(ctx, manage.DefaultTenantID)
	if err != nil {
		return storage.User{}, nil, err
	}
	if _, err := s.Store.GetUser(ctx, id); err == nil {
		e.Field("duplicate", "user.id", "A user with Id ["+id+"] already exists.")
	} else if !errors.Is(err, storage.ErrNotFound) {
		return storage.User{}, nil, err
	}
	u := in.User
	now := s.Now().UnixMilli()
	u.ID, u.TenantID, u.Active, u.Verified = id, tenant.ID, true, true
	u.InsertInstant, u.LastUpdateInstant, u.LastLoginInstant, u.Registrations = now, now, 0, nil
	if err := s.checkIdentity(ctx, e, &u, ""); err != nil {
		return storage.User{}, nil, err
	}
	checkBirthDate(e, u.BirthDate)
	if in.Password == "" {
		e.Field("blank", "user.password", "You must specify the [user.password] property.")
	} else if err := s.setPassword(e, &u, in, tenant); err != nil {
		return storage.User{}, nil, err
	}
	return u, e, nil
}

// loadUser reads the {id} user; 404 (empty body) when unknown or outside the
// calling key's tenant.
func (s *Server) loadUser(w http.ResponseWriter, r *http.Request, name string) (storage.User, bool) {
	id, ok := pathID(w, r, name, "userId")
	if !ok {
		return storage.User{}, false
	}
	u, err := s.Store.GetUser(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !inTenant(r, u.TenantID)) {
		writeEmpty(w, http.StatusNotFound)
		return storage.User{}, false
	}
	if err != nil {
		s.writeInternal(w, r, err)
		return storage.User{}, false
	}
	return u, true
}

// writeUser answers {"user":{...}} with the user's registrations filled in.
func (s *Server) writeUser(w http.ResponseWriter, r *http.Request, u storage.User) {
	regs, err := s.Store.ListRegistrations(r.Context(), u.ID)
	if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	u.Registrations = regs
	writeJSON(w, http.StatusOK, map[string]any{"user": u})
}

// getUser handles GET /api/user/{id}.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	if u, ok := s.loadUser(w, r, "id"); ok {
		s.writeUser(w, r, u)
	}
}

// findUser handles GET /api/user?email=, ?loginId= and ?username=. Email
// matching is case-insensitive; loginId tries the email, then the username
// (FusionAuth's default loginIdTypes order).
func (s *Server) findUser(w http.ResponseWriter, r *http.Request) {
	email, loginID, username := queryValue(r, "email"), queryValue(r, "loginId"), queryValue(r, "username")
	var filters []storage.UserFilter
	switch {
	case email != "":
		filters = []storage.UserFilter{{Email: email}}
	case loginID != "":
		filters = []storage.UserFilter{{Email: loginID}, {Username: loginID}}
	case username != "":
		filters = []storage.UserFilter{{Username: username}}
	default:
		var e Errors
		e.General("missing", "Specify the user by email, loginId or username, or use GET /api/user/{userId}.")
		writeErrors(w, http.StatusBadRequest, &e)
		return
	}
	for _, f := range filters {
		f.TenantID = manage.DefaultTenantID
		f.Email = strings.ToLower(f.Email)
		u, err := s.Store.FindUser(r.Context(), f)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && !inTenant(r, u.TenantID)) {
			continue
		}
		if err != nil {
			s.writeInternal(w, r, err)
			return
		}
		s.writeUser(w, r, u)
		return
	}
	writeEmpty(w, http.StatusNotFound)
}

// updateUser handles PUT and PATCH /api/user/{id}, and PUT
// /api/user/{id}?reactivate=true. A PUT replaces the profile; the password is
// kept when omitted. Setting a password revokes the user's refresh tokens and
// clears their lockout.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	cur, ok := s.loadUser(w, r, "id")
	if !ok {
		return
	}
	if r.Method == http.MethodPut && isFlag(r, "reactivate") {
		cur.Active, cur.LastUpdateInstant = true, s.Now().UnixMilli()
		if err := s.Store.UpdateUser(r.Context(), cur); err != nil {
			s.writeInternal(w, r, err)
			return
		}
		s.writeUser(w, r, cur)
		return
	}
	var req userRequest
	if r.Method == http.MethodPatch {
		view := cur
		view.Registrations = nil
		if !s.decodePatchWrite(w, r, map[string]any{"user": view}, &req) {
			return
		}
	} else if !s.decodeJSON(w, r, &req, false) {
		return
	}
	tenant, err := s.Store.GetTenant(r.Context(), cur.TenantID)
	if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	u := req.User.User
	u.ID, u.TenantID, u.Active, u.Verified, u.Password = cur.ID, cur.TenantID, cur.Active, cur.Verified, cur.Password
	u.InsertInstant, u.LastLoginInstant, u.PasswordLastUpdateInstant = cur.InsertInstant, cur.LastLoginInstant, cur.PasswordLastUpdateInstant
	u.LastUpdateInstant, u.Registrations = s.Now().UnixMilli(), nil
	e := &Errors{}
	if err := s.checkIdentity(r.Context(), e, &u, cur.ID); err != nil {
		s.writeInternal(w, r, err)
		return
	}
	checkBirthDate(e, u.BirthDate)
	changed := req.User.Password != ""
	if changed {
		if err := s.setPassword(e, &u, req.User, tenant); err != nil {
			s.writeInternal(w, r, err)
			return
		}
	}
	if !e.Empty() {
		writeErrors(w, http.StatusBadRequest, e)
		return
	}
	if err := s.Store.UpdateUser(r.Context(), u); errors.Is(err, storage.ErrConflict) {
		writeFieldError(w, "duplicate", "user.email", "A user with this email or username already exists.")
		return
	} else if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	if changed && tenant.JWTConfiguration.RefreshTokenRevocationPolicy.OnPasswordChanged {
		if err := s.revokeSessions(r.Context(), u.ID, "password_changed"); err != nil {
			s.writeInternal(w, r, err)
			return
		}
	}
	s.writeUser(w, r, u)
}

// deleteUser handles DELETE /api/user/{id}: a soft delete (active=false, the
// user's refresh tokens revoked at once) unless hardDelete=true removes the
// user with their registrations and tokens.
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	u, ok := s.loadUser(w, r, "id")
	if !ok {
		return
	}
	var err error
	if isFlag(r, "hardDelete") {
		err = s.Store.DeleteUserAt(r.Context(), u.ID, s.Now())
	} else {
		u.Active, u.LastUpdateInstant = false, s.Now().UnixMilli()
		if err = s.Store.UpdateUser(r.Context(), u); err == nil {
			err = s.revokeSessions(r.Context(), u.ID, "user_deactivated")
		}
	}
	if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}
