package server

import (
	"net/http"
	"time"

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
	loginBody       `json:",inline"`
}

// loginBody is what the login request bodies (login, passwordless and
// passkey logins) carry besides the credential.
type loginBody struct {
	ApplicationID string `json:"applicationId"`
	IPAddress     string `json:"ipAddress"`
	NoJWT         bool   `json:"noJWT"`
	// TwoFactorTrustID: a trusted device skips the second factor; the
	// fusionauth.trust cookie wins over the body (accounts spec §10.9).
	TwoFactorTrustID string `json:"twoFactorTrustId"`
	MetaData         struct {
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
	jkt, ip, ok := s.loginCaller(w, r, req.IPAddress)
	if !ok {
		return
	}
	// The route is authOptionalAPIKey (authn.go): a valid key is in the context.
	_, hasKey := apiKeyFromContext(r.Context())
	t, err := s.Auth.Login(r.Context(), auth.LoginRequest{
		LoginID:          req.LoginID,
		Password:         req.Password,
		ApplicationID:    req.ApplicationID,
		IPAddress:        ip,
		LockoutIP:        s.lockoutIP(r, req.IPAddress),
		UserAgent:        r.UserAgent(),
		NoJWT:            req.NoJWT,
		Device:           req.MetaData.Device,
		HasAPIKey:        hasKey,
		DPoPJKT:          jkt,
		OneTimePassword:  req.OneTimePassword,
		TwoFactorTrustID: s.trustID(r, req.TwoFactorTrustID),
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeLogin(w, r, t, req.NoJWT)
}

// loginAnswer is loginResponse with what the logins of issue 10 add:
// the trusted device's id and the flow's state.
type loginAnswer struct {
	loginResponse
	State            map[string]any `json:"state,omitempty"`
	TwoFactorTrustID string         `json:"twoFactorTrustId,omitempty"`
	// TrustToken: a completed second factor's (POST /api/two-factor/login).
	TrustToken string `json:"trustToken,omitempty"`
}

// writeLogin is the one answer of a successful login, whatever proved the
// user (/api/login, /api/two-factor/login, /api/webauthn/login,
// /api/passwordless/login): the status, the body and the cookies.
func (s *Server) writeLogin(w http.ResponseWriter, r *http.Request, t auth.Tokens, noJWT bool) {
	status := http.StatusOK
	if t.Application.ID != "" && !t.Registered {
		// Authenticated, not registered: 202 with the user and no tokens.
		// FusionAuth also returns an access token here whose aud is the
		// application (without applicationId/roles); a resource server that
		// checks aud, as RFC 7519 §4.1.3 asks, would then serve every user
		// of the tenant. latchkey hands out no token at all instead
		// (docs/compatibility.md), and no cookie either.
		status = http.StatusAccepted
		t.AccessToken, t.RefreshToken, t.RefreshTokenID = "", "", ""
	}
	if noJWT {
		t.AccessToken, t.RefreshToken, t.RefreshTokenID = "", "", ""
	}
	resp := loginAnswer{loginResponse: loginResponse{
		Token:          t.AccessToken,
		RefreshToken:   t.RefreshToken,
		RefreshTokenID: t.RefreshTokenID,
		State:          t.State,
		User:           t.User,
	}, State: t.State, TwoFactorTrustID: t.TwoFactorTrustID, TrustToken: t.TrustToken}
	if t.AccessToken != "" {
		resp.TokenExpirationInstant = t.AccessTokenExpiresAt.UnixMilli()
	}
	s.setTokenCookies(w, r, t)
	if t.TwoFactorTrustID != "" {
		s.writeCookie(w, r, s.trustCookieName(), t.TwoFactorTrustID, int(t.TrustExpiresAt.Sub(s.Now())/time.Second))
	}
	writeJSON(w, status, resp)
}

// trustID is the twoFactorTrustId a login presents: the fusionauth.trust
// cookie, else the body's (accounts spec §10.9: the cookie wins). Of several
// cookie values the first is taken: a planted one can at worst cost its
// victim the skipped step, never skip it for another user (auth checks the
// trust's user).
func (s *Server) trustID(r *http.Request, body string) string {
	return firstOf(append(cookieValues(r, s.trustCookieName()), body)...)
}
