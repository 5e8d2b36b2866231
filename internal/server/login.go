package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// loginRequest is FusionAuth's LoginRequest (fusionauth-api.md §1.1), the
// fields latchkey uses. Unknown members are ignored by the decoder.
type loginRequest struct {
	LoginID  string `json:"loginId"`
	Password string `json:"password"`
	// OneTimePassword replaces loginId and password: a change-password
	// answer's oneTimePassword (login.mdx; accounts spec §4.3).
	OneTimePassword string `json:"oneTimePassword"`
	ApplicationID   string `json:"applicationId"`
	IPAddress       string `json:"ipAddress"`
	NoJWT           bool   `json:"noJWT"`
	MetaData        struct {
		Device storage.DeviceInfo `json:"device"`
	} `json:"metaData"`
}

// validate reports FusionAuth's field errors for a login body.
func (req *loginRequest) validate() *Errors {
	var e Errors
	if req.LoginID == "" && req.OneTimePassword == "" {
		e.Field("blank", "loginId", "You must specify the [loginId] property.")
	}
	if req.Password == "" && req.OneTimePassword == "" {
		e.Field("blank", "password", "You must specify the [password] property.")
	}
	if req.ApplicationID != "" && !validUUID(req.ApplicationID) {
		e.Field("invalid", "applicationId", "The [applicationId] property is not a valid application id.")
	}
	return &e
}

// loginResponse is FusionAuth's LoginResponse (fusionauth-api.md §1.4).
type loginResponse struct {
	Token                  string `json:"token,omitempty"`
	TokenExpirationInstant int64  `json:"tokenExpirationInstant,omitempty"`
	RefreshToken           string `json:"refreshToken,omitempty"`
	RefreshTokenID         string `json:"refreshTokenId,omitempty"`
	// State is forgot password's state on a one-time-password login.
	State map[string]any `json:"state,omitempty"`
	User  storage.User   `json:"user"`
}

// login handles POST /api/login. The API key is optional (authOptionalAPIKey):
// auth decides with loginConfiguration.requireAuthentication whether its
// absence is a 401.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	if e := req.validate(); !e.Empty() {
		writeErrors(w, http.StatusBadRequest, e)
		return
	}
	// RFC 9449 §5: a valid DPoP proof binds the refresh token to the key
	// and the access token gets cnf.jkt; a bad one is refused before any
	// credential is looked at.
	proof, _, err := s.dpopProof(r, "")
	if err != nil {
		writeDPoPFusion(w, err)
		return
	}
	// The route is authOptionalAPIKey (authn.go): a valid key is in the context.
	_, hasKey := apiKeyFromContext(r.Context())
	ip := req.IPAddress // the body wins over the socket (fusionauth-api.md §1.1)
	if ip == "" {
		ip = s.clientIP(r)
	}
	t, err := s.Auth.Login(r.Context(), auth.LoginRequest{
		LoginID:         req.LoginID,
		Password:        req.Password,
		ApplicationID:   req.ApplicationID,
		IPAddress:       ip,
		NoJWT:           req.NoJWT,
		Device:          req.MetaData.Device,
		HasAPIKey:       hasKey,
		DPoPJKT:         proof.JKT,
		OneTimePassword: req.OneTimePassword,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if req.ApplicationID != "" && !t.Registered {
		// Authenticated, not registered: 202 with the user and no tokens.
		// FusionAuth also returns an access token here whose aud is the
		// application (without applicationId/roles); a resource server that
		// checks aud, as RFC 7519 §4.1.3 asks, would then serve every user
		// of the tenant. latchkey hands out no token at all instead
		// (docs/compatibility.md), and no cookie either.
		status = http.StatusAccepted
		t.AccessToken, t.RefreshToken, t.RefreshTokenID = "", "", ""
	}
	if req.NoJWT {
		t.AccessToken, t.RefreshToken, t.RefreshTokenID = "", "", ""
	}
	resp := loginResponse{
		Token:          t.AccessToken,
		RefreshToken:   t.RefreshToken,
		RefreshTokenID: t.RefreshTokenID,
		State:          t.State,
		User:           t.User,
	}
	if t.AccessToken != "" {
		resp.TokenExpirationInstant = t.AccessTokenExpiresAt.UnixMilli()
	}
	s.setTokenCookies(w, r, t)
	writeJSON(w, status, resp)
}
