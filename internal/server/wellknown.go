package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// jwks handles GET /.well-known/jwks.json (fusionauth-api.md §2.8): every key
// that is active or still within its retirement overlap, so tokens signed
// before a rotation keep verifying. A short public cache lets resource
// servers share it; they refetch once on an unknown kid anyway.
func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	set, err := s.Keys.JWKS(r.Context())
	if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(set)
}

// publicKey handles GET /api/jwt/public-key (fusionauth-api.md §2.7): all
// published keys as {"publicKeys":{kid:pem}}, or one as {"publicKey":pem}
// with ?kid= or ?applicationId=. Unknown kid or application: empty 404;
// an applicationId that is not a UUID: 400 [couldNotConvert]applicationId.
func (s *Server) publicKey(w http.ResponseWriter, r *http.Request) {
	pems, err := s.Keys.PublicKeyPEMs(r.Context())
	if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	kid, appID := queryValue(r, "kid"), queryValue(r, "applicationId")
	if !optionalID(w, "applicationId", appID) {
		return
	}
	if appID != "" && kid == "" {
		if kid, err = s.applicationKeyID(r, appID); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				writeEmpty(w, http.StatusNotFound)
				return
			}
			s.writeInternal(w, r, err)
			return
		}
	}
	if kid == "" {
		writeJSON(w, http.StatusOK, map[string]any{"publicKeys": pems})
		return
	}
	pem, ok := pems[kid]
	if !ok {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"publicKey": pem})
}

// applicationKeyID is the kid that signs the application's access tokens:
// its own accessTokenKeyId, else the one published key of its algorithm.
// While a rotation overlaps two keys of that algorithm the answer would be
// ambiguous, so it is ErrNotFound and callers should use the JWKS.
func (s *Server) applicationKeyID(r *http.Request, appID string) (string, error) {
	if !validUUID(appID) {
		return "", storage.ErrNotFound
	}
	app, err := s.Store.GetApplication(r.Context(), appID)
	if err != nil {
		return "", err
	}
	if app.JWTConfiguration.Enabled && app.JWTConfiguration.AccessTokenKeyID != "" {
		return app.JWTConfiguration.AccessTokenKeyID, nil
	}
	alg := "ES256"
	if app.JWTConfiguration.Enabled && app.JWTConfiguration.SigningAlgorithm != "" {
		alg = app.JWTConfiguration.SigningAlgorithm
	} else if t, err := s.Store.GetTenant(r.Context(), app.TenantID); err == nil {
		if t.JWTConfiguration.AccessTokenKeyID != "" {
			return t.JWTConfiguration.AccessTokenKeyID, nil
		}
		if t.JWTConfiguration.SigningAlgorithm != "" {
			alg = t.JWTConfiguration.SigningAlgorithm
		}
	}
	set, err := s.Keys.JWKS(r.Context())
	if err != nil {
		return "", err
	}
	var kid string
	for _, k := range set.Keys {
		if k.Algorithm == alg {
			if kid != "" {
				return "", storage.ErrNotFound
			}
			kid = k.KeyID
		}
	}
	if kid == "" {
		return "", storage.ErrNotFound
	}
	return kid, nil
}

// openIDConfiguration handles GET /.well-known/openid-configuration
// (OpenID Connect Discovery 1.0 §3, RFC 8414; fusionauth-api.md §2.9). The
// issuer is the configured one verbatim: go-oidc and every conforming
// client require it to equal the URL the document was fetched from
// (Discovery §4.3). It lists exactly what latchkey implements: the code flow
// with PKCE S256 (no implicit, no device flow, query response mode only),
// the client_credentials grant (for entities),
// RFC 7009 revocation and RFC 7662 introspection (neither is in FusionAuth),
// RP-initiated logout, and RFC 9207's iss in the authorization response.
func (s *Server) openIDConfiguration(w http.ResponseWriter, r *http.Request) {
	base := s.publicBase(r)
	issuer := s.Config.Issuer
	if issuer == "" {
		issuer = base
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                issuer,
		"authorization_endpoint":                base + "/oauth2/authorize",
		"token_endpoint":                        base + "/oauth2/token",
		"userinfo_endpoint":                     base + "/oauth2/userinfo",
		"introspection_endpoint":                base + "/oauth2/introspect",
		"revocation_endpoint":                   base + "/oauth2/revoke",
		"end_session_endpoint":                  base + "/oauth2/logout",
		"jwks_uri":                              base + "/.well-known/jwks.json",
		"grant_types_supported":                 []string{"authorization_code", "client_credentials", "password", "refresh_token"},
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"code_challenge_methods_supported":      []string{"S256"},
		"prompt_values_supported":               []string{"none", "login"},
		"scopes_supported":                      []string{"openid", "offline_access", "email", "profile", "phone", "address"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"ES256", "RS256"},
		// RFC 9449 §5.1: the proof algorithms /oauth2/token accepts.
		"dpop_signing_alg_values_supported":              []string{"ES256", "RS256"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic", "client_secret_post", "none"},
		"introspection_endpoint_auth_methods_supported":  []string{"client_secret_basic", "client_secret_post", "none"},
		"revocation_endpoint_auth_methods_supported":     []string{"client_secret_basic", "client_secret_post", "none"},
		"authorization_response_iss_parameter_supported": true,
		"claims_parameter_supported":                     false,
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
		"claims_supported": []string{"applicationId", "at_hash", "aud", "auth_time", "authenticationType", "birthdate",
			"c_hash", "email", "email_verified", "exp", "family_name", "given_name", "iat", "iss", "jti", "locale",
			"middle_name", "name", "nonce", "phone_number", "picture", "preferred_username", "roles", "sid", "sub",
			"tid", "zoneinfo"},
		// OpenID Connect Back-Channel Logout 1.0 §2.1 (latchkey extension):
		// logout tokens carry sid, to applications that register a
		// backchannelLogoutURL.
		"backchannel_logout_supported":         true,
		"backchannel_logout_session_supported": true,
		"frontchannel_logout_supported":        false,
	})
}

// publicBase is the issuer when it is an absolute http(s) URL (the normal
// case), else the scheme and host the request came in on. FusionAuth allows
// a non-URL issuer such as "acme.com"; endpoints must still be URLs.
func (s *Server) publicBase(r *http.Request) string {
	if u, err := url.Parse(s.Config.Issuer); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		return strings.TrimSuffix(s.Config.Issuer, "/")
	}
	scheme := "http"
	if s.isHTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
