package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// authKind is who may call a route; authenticate applies it.
type authKind int

const (
	// authUnset is the zero value: a row without an auth class is refused
	// by TestRouteTable, and answered with a 500 should one slip through.
	authUnset authKind = iota
	// authNone: public, nobody is authenticated.
	authNone
	// authAPIKey: a management API key holding the route's permission
	// (FusionAuth's Authorization: <key>). Anything else is an empty 401.
	authAPIKey
	// authOptionalAPIKey: a valid key, if one is sent, is put in the
	// context; none, or a bad one, is not an error (POST /api/login, where
	// loginConfiguration.requireAuthentication decides).
	authOptionalAPIKey
	// authAccessToken: an access token, as Bearer, as DPoP with a proof by
	// its key (RFC 9449 §7.1), or in the access_token cookie; its claims are
	// put in the context. Anything else is an empty 401.
	authAccessToken
	// authRefreshToken: the credential is a refresh token (cookie or body)
	// that the handler hands to internal/auth to spend.
	authRefreshToken
	// authOAuthClient: the handler authenticates the OAuth client
	// (RFC 6749 §2.3) and answers failures in OAuth's error format.
	authOAuthClient
	// authClientOrAPIKey: an OAuth client by HTTP Basic client_id:secret
	// (put in the context), or an API key holding the route's permission.
	// Anything else is an empty 401.
	authClientOrAPIKey
	// authAPIKeyOrAccessToken: an access token (Bearer, DPoP or the cookie),
	// whose claims are put in the context, when one is presented; otherwise
	// an API key holding the route's permission (FusionAuth's endpoints a
	// user may call about themselves, e.g. GET /api/two-factor/secret).
	authAPIKeyOrAccessToken
	// authKeyOrAnonymous: FusionAuth's endpoints that serve anonymous
	// callers and API keys differently (forgot password, change password,
	// verify email, sign-up). No Authorization header passes, and so does a
	// Bearer or DPoP access token, which the handler verifies itself (the
	// access-token mode of change password); an API key must hold the
	// route's permission (put in the context), anything else is an empty 401.
	authKeyOrAnonymous
)

// authClass is a route's authentication: its kind and, for the API-key
// kinds, the endpoint permission the key must hold.
type authClass struct {
	kind       authKind
	permission string
}

var (
	public         = authClass{kind: authNone}
	optionalAPIKey = authClass{kind: authOptionalAPIKey}
	accessToken    = authClass{kind: authAccessToken}
	refreshToken   = authClass{kind: authRefreshToken}
	oauthClient    = authClass{kind: authOAuthClient}
)

// apiKey requires a key holding permission, FusionAuth's endpoint name
// (the path prefix an API key's permissions.endpoints map lists).
func apiKey(permission string) authClass {
	return authClass{kind: authAPIKey, permission: permission}
}

// keyOrAnonymous lets anonymous callers through to the handler and
// requires an API key that is sent to hold permission.
func keyOrAnonymous(permission string) authClass {
	return authClass{kind: authKeyOrAnonymous, permission: permission}
}

// clientOrAPIKey accepts the OAuth client itself or an API key holding
// permission.
func clientOrAPIKey(permission string) authClass {
	return authClass{kind: authClientOrAPIKey, permission: permission}
}

// apiKeyOrAccessToken accepts the user's access token or an API key
// holding permission.
func apiKeyOrAccessToken(permission string) authClass {
	return authClass{kind: authAPIKeyOrAccessToken, permission: permission}
}

// keyFailureEvent: a 401 on such a route means an API key was missing or
// refused, which is logged as a security event (middleware.go).
func (a authClass) keyFailureEvent() bool {
	return a.kind == authAPIKey || a.kind == authOptionalAPIKey || a.kind == authClientOrAPIKey || a.kind == authKeyOrAnonymous ||
		a.kind == authAPIKeyOrAccessToken
}

// authenticate applies a to r. It returns the request carrying what was
// authenticated, or false after writing the refusal.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, a authClass) (*http.Request, bool) {
	switch a.kind {
	case authNone, authRefreshToken, authOAuthClient:
		return r, true
	case authAPIKey, authOptionalAPIKey:
		k, ok, err := s.lookupAPIKey(r)
		switch {
		case err != nil:
			s.writeInternal(w, r, err)
			return nil, false
		case ok && (a.kind == authOptionalAPIKey || manage.Permits(k, a.permission, r.Method)):
			return withAPIKey(r, k), true
		case a.kind == authOptionalAPIKey:
			return r, true
		}
		writeEmpty(w, http.StatusUnauthorized)
		return nil, false
	case authKeyOrAnonymous:
		raw := strings.TrimSpace(r.Header.Get("Authorization"))
		if raw == "" || hasScheme(raw, "Bearer") || hasScheme(raw, "DPoP") {
			return r, true
		}
		return s.authenticate(w, r, apiKey(a.permission))
	case authAccessToken:
		return s.authenticateAccessToken(w, r)
	case authClientOrAPIKey:
		return s.authenticateClientOrKey(w, r, a.permission)
	case authAPIKeyOrAccessToken:
		if tok, _ := accessCredential(r); tok != "" || (r.Header.Get("Authorization") == "" && len(cookieValues(r, s.accessCookieName())) > 0) {
			return s.authenticateAccessToken(w, r)
		}
		return s.authenticate(w, r, apiKey(a.permission))
	}
	s.writeInternal(w, r, fmt.Errorf("route %s has no authentication class", r.Pattern))
	return nil, false
}

// authenticateAccessToken verifies the Bearer or DPoP credential or, failing
// that, the access_token cookie. A DPoP-bound token (cnf.jkt) is valid only
// as Authorization: DPoP with a matching proof for this request (RFC 9449
// §7.1). Every failure is the same empty 401 (fusionauth-api.md §2.2).
func (s *Server) authenticateAccessToken(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	tok, scheme := accessCredential(r)
	var claims map[string]any
	var err error
	if tok == "" {
		tok, claims, err = s.accessFromCookies(r)
	} else if len(tok) <= maxBearer {
		claims, err = s.Auth.Validate(r.Context(), tok)
	}
	if tok == "" || len(tok) > maxBearer {
		writeEmpty(w, http.StatusUnauthorized)
		return nil, false
	}
	switch {
	case storage.Transient(err):
		s.writeInternal(w, r, err) // 503: the key set cannot be read
		return nil, false
	case err != nil:
		// Whatever else failed, the token was not proven valid: refuse it
		// the same way, never with a 500 for attacker input. An error other
		// than ErrInvalidToken is logged so a bug does not hide behind 401.
		if !errors.Is(err, auth.ErrInvalidToken) {
			s.Logger.WarnContext(r.Context(), "validate: unexpected error", "request_id", requestID(r.Context()), "error", err.Error())
		}
		writeEmpty(w, http.StatusUnauthorized)
		return nil, false
	case !s.checkBinding(r, tok, scheme, claims):
		if boundKey(claims) != "" {
			w.Header().Set("WWW-Authenticate", `DPoP error="invalid_token", algs="ES256 RS256"`)
		}
		writeEmpty(w, http.StatusUnauthorized)
		return nil, false
	}
	return withValue(r, claimsKey{}, claims), true
}

// accessFromCookies validates the access_token cookie. When several values
// came (a cookie planted by a sibling subdomain: cookie tossing), each is
// validated: invalid ones are ignored, so planted garbage logs nobody out,
// and valid ones of different users are refused together (ErrInvalidToken),
// so the request never runs as the planter.
func (s *Server) accessFromCookies(r *http.Request) (string, map[string]any, error) {
	values := cookieValues(r, s.accessCookieName())
	if len(values) > maxAccessCookies {
		values = values[:maxAccessCookies]
	}
	var tok string
	var claims map[string]any
	var lastErr error = auth.ErrInvalidToken
	for _, v := range values {
		if len(v) > maxBearer {
			continue
		}
		c, err := s.Auth.Validate(r.Context(), v)
		if err != nil {
			if storage.Transient(err) {
				return v, nil, err
			}
			lastErr = err
			continue
		}
		if claims != nil && c["sub"] != claims["sub"] {
			s.Logger.WarnContext(r.Context(), "security event", "event", "access_cookie_conflict", "outcome", "refused",
				"request_id", requestID(r.Context()), "ip", s.clientIP(r))
			return v, nil, auth.ErrInvalidToken
		}
		if claims == nil {
			tok, claims = v, c
		}
	}
	if claims == nil {
		if len(values) == 0 {
			return "", nil, auth.ErrInvalidToken
		}
		return values[0], nil, lastErr
	}
	return tok, claims, nil
}

// maxAccessCookies bounds the signature checks one request can cause.
const maxAccessCookies = 4

// authenticateClientOrKey accepts an application by HTTP Basic
// client_id:client_secret, or an API key holding permission (as
// Authorization: <key> or Basic apikey:<key>).
func (s *Server) authenticateClientOrKey(w http.ResponseWriter, r *http.Request, permission string) (*http.Request, bool) {
	if user, pass, ok := r.BasicAuth(); ok && user != "apikey" {
		app, err := s.clientApplication(r, user)
		if err != nil && !isNotFound(err) {
			s.writeInternal(w, r, err)
			return nil, false
		}
		if err != nil || !secretsEqual(pass, app.OAuthConfiguration.ClientSecret) {
			writeEmpty(w, http.StatusUnauthorized)
			return nil, false
		}
		return withValue(r, clientKey{}, app), true
	}
	return s.authenticate(w, r, apiKey(permission))
}

// withAPIKey puts the key that authenticated r in its context, and names it
// as the actor of any management change r makes (its audit entries).
func withAPIKey(r *http.Request, k storage.APIKey) *http.Request {
	r = withValue(r, apiKeyKey{}, k)
	return r.WithContext(manage.WithActor(r.Context(), manage.Actor{APIKeyID: k.ID}))
}

// hasScheme reports whether an Authorization value uses scheme
// (case-insensitive, RFC 9110 §11.1).
func hasScheme(v, scheme string) bool {
	return len(v) > len(scheme) && strings.EqualFold(v[:len(scheme)], scheme) && v[len(scheme)] == ' '
}
