package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// tokenResponse is the RFC 6749 §5.1 success body with FusionAuth's extras
// (fusionauth-api.md §4.4).
type tokenResponse struct {
	AccessToken    string `json:"access_token"`
	ExpiresIn      int64  `json:"expires_in"`
	TokenType      string `json:"token_type"`
	RefreshToken   string `json:"refresh_token,omitempty"`
	RefreshTokenID string `json:"refresh_token_id,omitempty"`
	IDToken        string `json:"id_token,omitempty"`
	Scope          string `json:"scope,omitempty"`
	UserID         string `json:"userId"`
}

// oauthToken handles POST /oauth2/token for grant_type=password and
// refresh_token (fusionauth-api.md §4). Both grants call the same auth use
// cases as /api/login and /api/jwt/refresh, so lockout, anti-enumeration and
// rotation rules are the same code.
func (s *Server) oauthToken(w http.ResponseWriter, r *http.Request) {
	form, ok := s.tokenForm(w, r)
	if !ok {
		return
	}
	grant := formValue(form, "grant_type")
	if grant == "" {
		writeOAuthError(w, http.StatusBadRequest, OAuthError{"invalid_request", "missing_grant_type", "The grant_type parameter is required."})
		return
	}
	if grant == "client_credentials" {
		s.clientCredentials(w, r, form) // the client is an entity, not an application
		return
	}
	app, secret, ok := s.authenticateClient(w, r, form, grant == "authorization_code" && formValue(form, "code_verifier") != "")
	if !ok {
		return
	}
	if grant != "password" && grant != "refresh_token" && grant != "authorization_code" {
		writeOAuthError(w, http.StatusBadRequest, OAuthError{"unsupported_grant_type", "invalid_grant_type", "Only the authorization_code, client_credentials, password and refresh_token grants are supported here."})
		return
	}
	if !slices.Contains(app.OAuthConfiguration.EnabledGrants, grant) {
		writeOAuthError(w, http.StatusBadRequest, OAuthError{"unauthorized_client", "grant_type_disabled", "The " + grant + " grant is not enabled for this application."})
		return
	}
	// RFC 9449 §5: with a valid proof the tokens are bound to its key and
	// the token_type is DPoP; a bad proof is 400 invalid_dpop_proof.
	proof, bound, err := s.dpopProof(r, "")
	if err != nil {
		writeDPoPOAuth(w, err)
		return
	}
	scopes := strings.Fields(formValue(form, "scope"))
	var t auth.Tokens
	if grant == "authorization_code" {
		if t, ok = s.exchangeCode(w, r, form, app, secret, proof.JKT); !ok {
			return
		}
	} else if grant == "password" {
		username, password := formValue(form, "username"), formValue(form, "password")
		if username == "" || password == "" {
			writeOAuthError(w, http.StatusBadRequest, OAuthError{"invalid_request", "invalid_user_credentials", "The username and password parameters are required."})
			return
		}
		// As the authorization request: an unknown scope is refused before
		// the password is checked (RFC 6749 §3.3, §5.2).
		var unknown []string
		if scopes, unknown = auth.SplitScopes(formValue(form, "scope")); len(unknown) > 0 {
			writeOAuthError(w, http.StatusBadRequest, OAuthError{"invalid_scope", "unknown_scope", auth.UnknownScopesMessage(unknown)})
			return
		}
		t, err = s.Auth.Login(r.Context(), auth.LoginRequest{
			LoginID: username, Password: password, ApplicationID: app.ID,
			IPAddress: s.clientIP(r), UserAgent: r.UserAgent(), OAuth: true, Scopes: scopes, DPoPJKT: proof.JKT,
			Device: storage.DeviceInfo{
				Description: formValue(form, "metaData.device.description"),
				Name:        formValue(form, "metaData.device.name"),
				Type:        formValue(form, "metaData.device.type"),
			},
		})
	} else {
		rt := formValue(form, "refresh_token")
		if rt == "" {
			writeOAuthError(w, http.StatusBadRequest, OAuthError{"invalid_request", "missing_refresh_token", "The refresh_token parameter is required."})
			return
		}
		t, err = s.Auth.Refresh(r.Context(), auth.RefreshRequest{
			RefreshToken: rt, ApplicationID: app.ID, OAuth: true, PublicClient: !secret, Scopes: scopes, IPAddress: s.clientIP(r),
			UserAgent: r.UserAgent(), DPoPJKT: proof.JKT,
		})
	}
	if grant != "authorization_code" && err == nil && !t.Registered {
		// RFC 6749 §5.1 requires an access_token in every success, and the
		// only one auth can mint for an unregistered user names the client
		// as its audience (see login.go's 202). So the grant is refused as
		// with requireRegistration, whatever that setting says.
		err = auth.ErrRegistrationRequired
	}
	if err != nil {
		s.writeGrantError(w, r, err)
		return
	}
	tokenType := "Bearer"
	if bound {
		tokenType = "DPoP" // RFC 9449 §5: the access token carries cnf.jkt
	}
	expiresIn := int64(t.AccessTokenExpiresAt.Sub(s.Now()) / time.Second)
	w.Header().Set("Pragma", "no-cache") // RFC 6749 §5.1, next to Cache-Control: no-store
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: t.AccessToken, ExpiresIn: max(expiresIn, 0), TokenType: tokenType,
		RefreshToken: t.RefreshToken, RefreshTokenID: t.RefreshTokenID, IDToken: t.IDToken,
		Scope: strings.Join(t.Scopes, " "), UserID: t.User.ID,
	})
}

// tokenForm reads the form-encoded body; parameters in the query string are
// ignored (RFC 6749 §3.2 says POST body). Bad media types answer 400
// invalid_request.
func (s *Server) tokenForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		writeOAuthError(w, http.StatusBadRequest, OAuthError{"invalid_request", "", "Send the parameters as application/x-www-form-urlencoded."})
		return nil, false
	}
	body, err := readBody(r)
	if err == nil {
		var form url.Values
		if form, err = url.ParseQuery(string(body)); err == nil {
			return form, true
		}
	}
	var tooLarge tooLargeError
	if errors.As(err, &tooLarge) {
		writeOAuthError(w, http.StatusRequestEntityTooLarge, OAuthError{"invalid_request", "", tooLarge.message()})
		return nil, false
	}
	writeOAuthError(w, http.StatusBadRequest, OAuthError{"invalid_request", "", "The request body is not a valid form."})
	return nil, false
}

// formValue treats the TS client's "undefined"/"null" literals as absent
// (fusionauth-api.md §0.3).
func formValue(f url.Values, name string) string {
	switch v := f.Get(name); v {
	case "undefined", "null":
		return ""
	default:
		return v
	}
}

// authenticateClient identifies the client by HTTP Basic or client_id /
// client_secret (RFC 6749 §2.3.1) and applies clientAuthenticationPolicy
// (fusionauth-api.md §4.1): a secret that is sent is always checked, and is
// required unless the policy is NotRequired. The password and refresh_token
// grants carry no PKCE, so NotRequiredWhenUsingPKCE requires the secret
// unless pkce (an authorization_code exchange with a code_verifier). secret
// reports whether a secret was presented and verified.
func (s *Server) authenticateClient(w http.ResponseWriter, r *http.Request, form url.Values, pkce bool) (storage.Application, bool, bool) {
	clientID, secret := formValue(form, "client_id"), formValue(form, "client_secret")
	if hdr := r.Header.Get("Authorization"); hdr != "" {
		user, pass, ok := r.BasicAuth()
		if !ok {
			return s.clientFailure(w, "invalid_client_authentication_scheme", "Only HTTP Basic client authentication is supported.")
		}
		// RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
		u, err1 := url.QueryUnescape(user)
		p, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return s.clientFailure(w, "invalid_client_authentication", "The client credentials are not valid.")
		}
		if clientID != "" && clientID != u {
			writeOAuthError(w, http.StatusBadRequest, OAuthError{"invalid_request", "client_id_mismatch", "The client_id parameter does not match the Authorization header."})
			return storage.Application{}, false, false
		}
		clientID, secret = u, p
	}
	if clientID == "" {
		writeOAuthError(w, http.StatusBadRequest, OAuthError{"invalid_request", "missing_client_id", "The client_id parameter is required."})
		return storage.Application{}, false, false
	}
	app, err := s.clientApplication(r, clientID)
	if err != nil {
		if !errors.Is(err, storage.ErrNotFound) {
			s.writeGrantError(w, r, err) // OAuth's format: 503 temporarily_unavailable when transient
			return storage.Application{}, false, false
		}
		return s.clientFailure(w, "invalid_client_id", "The client could not be verified.")
	}
	policy := app.OAuthConfiguration.ClientAuthenticationPolicy
	switch {
	case secret != "":
		if !secretsEqual(secret, app.OAuthConfiguration.ClientSecret) {
			return s.clientFailure(w, "invalid_client_authentication", "The client could not be verified.")
		}
		return app, true, true
	case policy == "NotRequired", policy == "NotRequiredWhenUsingPKCE" && pkce:
		return app, false, true
	}
	return s.clientFailure(w, "client_authentication_missing", "The client must authenticate with its secret.")
}

// clientApplication loads the active application whose client id (= its id,
// FusionAuth convention) is clientID. Inactive reads as unknown.
func (s *Server) clientApplication(r *http.Request, clientID string) (storage.Application, error) {
	if !validUUID(clientID) {
		return storage.Application{}, storage.ErrNotFound
	}
	// Through the application cache: reading and decoding the application
	// on every token request was a tenth of a refresh's CPU (issue 13).
	get := s.Store.GetApplication
	if s.Auth != nil {
		get = s.Auth.Application
	}
	app, err := get(r.Context(), clientID)
	if err != nil {
		return app, err
	}
	if !app.Active || (app.OAuthConfiguration.ClientID != "" && app.OAuthConfiguration.ClientID != clientID) {
		return storage.Application{}, storage.ErrNotFound
	}
	return app, nil
}

// secretsEqual compares in constant time. Hashing first makes the comparison
// independent of both lengths too.
func secretsEqual(got, want string) bool {
	if want == "" {
		return false
	}
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func (s *Server) clientFailure(w http.ResponseWriter, reason, desc string) (storage.Application, bool, bool) {
	writeOAuthError(w, http.StatusUnauthorized, OAuthError{"invalid_client", reason, desc})
	return storage.Application{}, false, false
}

// writeGrantError maps auth outcomes to RFC 6749 §5.2 errors with
// FusionAuth's error_reason values. Credential failures stay one answer.
func (s *Server) writeGrantError(w http.ResponseWriter, r *http.Request, err error) {
	var locked *auth.LockedError
	var held *auth.Withheld
	bad := func(code, reason, desc string) {
		writeOAuthError(w, http.StatusBadRequest, OAuthError{code, reason, desc})
	}
	switch {
	case errors.As(err, &held):
		s.writeWithheldGrant(w, r, held)
	case errors.Is(err, auth.ErrInvalidCredentials):
		bad("invalid_grant", "invalid_user_credentials", "The user credentials are invalid.")
	case errors.As(err, &locked):
		bad("invalid_grant", "user_locked", "The account is locked after too many failed login attempts.")
	case errors.Is(err, auth.ErrExpiredUser):
		bad("invalid_grant", "user_expired", "The user account has expired.")
	case errors.Is(err, auth.ErrRefreshNotFound):
		bad("invalid_grant", "refresh_token_not_found", "The refresh token is unknown, expired or revoked.")
	case errors.Is(err, auth.ErrRegistrationRequired):
		// FusionAuth error_reason registration_required (OAuthErrorReason).
		bad("invalid_grant", "registration_required", "The user is not registered for this application.")
	case errors.Is(err, auth.ErrInvalidScope):
		// RFC 6749 §5.2 invalid_scope: "exceeds the scope granted by the
		// resource owner"; FusionAuth's nearest error_reason is unknown_scope.
		bad("invalid_scope", "unknown_scope", "The requested scope exceeds the scope originally granted.")
	case errors.Is(err, auth.ErrRefreshNotAllowed):
		bad("unauthorized_client", "grant_type_disabled", "Token refresh is not allowed for this application.")
	case errors.Is(err, auth.ErrUnknownApplication), errors.Is(err, auth.ErrAPIKeyRequired):
		writeOAuthError(w, http.StatusUnauthorized, OAuthError{"invalid_client", "invalid_client_id", "The client could not be verified."})
	case errors.Is(err, auth.ErrInvalidCode):
		// FusionAuth's answer for every unusable code (DefaultOAuthService),
		// not RFC 6749's invalid_grant; clients treat any 400 as failure.
		bad("invalid_request", "auth_code_not_found", "Invalid Authorization Code")
	case errors.Is(err, auth.ErrVerifierRequired):
		bad("invalid_request", "missing_code_verifier", "The code_verifier parameter is required.")
	case errors.Is(err, auth.ErrInvalidVerifier):
		bad("invalid_request", "invalid_pkce_code_verifier", "The code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~].")
	case errors.Is(err, password.ErrBusy):
		s.noteBusy(r, nil)
		writeBusyOAuth(w)
	case storage.Transient(err):
		w.Header().Set("Retry-After", "1")
		writeOAuthError(w, http.StatusServiceUnavailable, OAuthError{"temporarily_unavailable", "", "The database is unavailable. Try again shortly."})
	case errors.Is(err, auth.ErrVetoed):
		// A transactional webhook refused the login or refresh (504 on
		// /api/*; here OAuth's nearest error, RFC 6749 §5.2 has no 504).
		writeOAuthError(w, http.StatusGatewayTimeout, OAuthError{"temporarily_unavailable", "webhook_transaction", "The webhooks this login requires did not accept it."})
	case s.clientGone(w, r, err):
	default:
		s.Logger.ErrorContext(r.Context(), "oauth token: internal error", "request_id", requestID(r.Context()), "error", err.Error())
		writeOAuthError(w, http.StatusInternalServerError, OAuthError{"server_error", "unknown", "An internal error occurred. Request id " + requestID(r.Context()) + "."})
	}
}
