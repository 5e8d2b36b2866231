package server

import (
	"net/http"
	"strings"

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

func (in userInput) input() manage.UserInput {
	return manage.UserInput{User: in.User, Password: in.Password, EncryptionScheme: in.EncryptionScheme, Factor: in.Factor}
}

type userRequest struct {
	User                 userInput `json:"user"`
	ApplicationID        string    `json:"applicationId"`
	SendSetPasswordEmail bool      `json:"sendSetPasswordEmail"`
	SkipVerification     bool      `json:"skipVerification"`
}

// createdResponse is FusionAuth's UserResponse / RegistrationResponse after a
// create: the records plus the token FusionAuth issues for the new user
// (users.mdx: USER_CREATE; registrations.mdx: REGISTRATION, refreshToken
// since 1.17.0, refreshTokenId since 1.37.0).
type createdResponse struct {
	Registration   *storage.Registration `json:"registration,omitempty"`
	RefreshToken   string                `json:"refreshToken,omitempty"`
	RefreshTokenID string                `json:"refreshTokenId,omitempty"`
	// The verification of a registration that starts unverified
	// (FusionAuth's RegistrationResponse; only ever to an API key).
	RegistrationVerificationID          string       `json:"registrationVerificationId,omitempty"`
	RegistrationVerificationOneTimeCode string       `json:"registrationVerificationOneTimeCode,omitempty"`
	Token                               string       `json:"token,omitempty"`
	TokenExpirationInstant              int64        `json:"tokenExpirationInstant,omitempty"`
	User                                storage.User `json:"user"`
}

// createUser handles POST /api/user and POST /api/user/{id} (users.mdx).
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var req userRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	id, ok := newUserID(w, r, "id", req.User.ID)
	if !ok {
		return
	}
	in := req.User.input()
	in.SkipVerification, in.SendSetPasswordEmail = req.SkipVerification, req.SendSetPasswordEmail
	c, err := s.Manage.Users.Create(r.Context(), manage.NewUser{ID: id, User: in,
		ApplicationID: req.ApplicationID, IPAddress: s.clientIP(r)})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, createdResponse{User: c.User, Token: c.Tokens.AccessToken,
		TokenExpirationInstant: c.Tokens.AccessTokenExpiresAt.UnixMilli()})
}

// newUserID is the id of a user being created: the path's (which must be a
// UUID), else the body's user.id, else "" for the use case to generate. A
// body id that is not a UUID is refused rather than silently replaced, so a
// client relying on it learns at once; when the path has an id too, the path
// wins.
func newUserID(w http.ResponseWriter, r *http.Request, name, bodyID string) (string, bool) {
	if bodyID != "" && !validUUID(bodyID) {
		writeFieldError(w, "couldNotConvert", "user.id", "Invalid [user.id] ["+truncate(bodyID, 64)+"]. It must be a UUID.")
		return "", false
	}
	if r.PathValue(name) == "" && bodyID != "" {
		return strings.ToLower(bodyID), true
	}
	return optionalPathID(w, r, name, "userId")
}

// getUser handles GET /api/user/{id}.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "userId")
	if !ok {
		return
	}
	u, err := s.Manage.Users.Get(r.Context(), scope(r), id)
	s.writeUser(w, r, u, err)
}

// writeUser answers {"user":{...}} with user.twoFactor
// (user_twofactor.go), or the use case's error.
func (s *Server) writeUser(w http.ResponseWriter, r *http.Request, u storage.User, err error) {
	var out userJSON
	if err == nil {
		out, err = s.withTwoFactor(r.Context(), u)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": out})
}

// findUser handles GET /api/user?email=, ?loginId= and ?username=
// (manage.UserQuery).
//
// ?changePasswordId= and ?verificationId= find the user a live identifier
// belongs to without consuming it (TS retrieveUserByChangePasswordId,
// retrieveUserByVerificationId; accounts spec §4.4).
func (s *Server) findUser(w http.ResponseWriter, r *http.Request) {
	for param, kind := range map[string]string{"changePasswordId": storage.IdentifierChangePassword, "verificationId": storage.IdentifierEmailVerification} {
		if v := queryValue(r, param); v != "" {
			u, err := s.Manage.Accounts.UserByIdentifier(r.Context(), scope(r), kind, v)
			s.writeUser(w, r, u, err)
			return
		}
	}
	u, err := s.Manage.Users.Find(r.Context(), scope(r), manage.UserQuery{
		Email: queryValue(r, "email"), LoginID: queryValue(r, "loginId"), Username: queryValue(r, "username")})
	s.writeUser(w, r, u, err)
}

// updateUser handles PUT and PATCH /api/user/{id}, and PUT
// /api/user/{id}?reactivate=true (manage.Users.Update, Reactivate).
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "userId")
	if !ok {
		return
	}
	reactivate, ok := queryFlag(w, r, "reactivate")
	if !ok {
		return
	}
	if r.Method == http.MethodPut && reactivate {
		u, err := s.Manage.Users.Reactivate(r.Context(), scope(r), id)
		s.writeUser(w, r, u, err)
		return
	}
	rewind := replayBody(r)
	u, err := s.Manage.Users.Update(r.Context(), scope(r), id, func(cur storage.User) (manage.UserInput, error) {
		var req userRequest
		rewind()
		cur.Registrations = nil
		err := decodeReplacement(r, map[string]any{"user": cur}, &req)
		return req.User.input(), err
	})
	s.writeUser(w, r, u, err)
}

// userDeleteRequest is FusionAuth's UserDeleteSingleRequest, the body the
// clients' deleteUserWithRequest sends (eventInfo is not used).
type userDeleteRequest struct {
	HardDelete bool `json:"hardDelete"`
}

// deleteUser handles DELETE /api/user/{id}: a soft delete
// (manage.Users.Deactivate) unless hardDelete is true, in the query or in
// the body (UserDeleteSingleRequest), and removes the user.
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "userId")
	if !ok {
		return
	}
	hard, ok := queryFlag(w, r, "hardDelete")
	if !ok {
		return
	}
	var req userDeleteRequest
	if !s.decodeJSON(w, r, &req, true) {
		return
	}
	del := s.Manage.Users.Deactivate
	if hard || req.HardDelete {
		del = s.Manage.Users.Delete
	}
	if err := del(r.Context(), scope(r), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}
