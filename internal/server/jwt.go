package server

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/auth"
)

// maxBearer bounds the access token /api/jwt/validate will parse. Our tokens
// are well under 2 KiB; anything larger is refused before any base64 or
// signature work (security-bar.md J12).
const maxBearer = 16 << 10

// refreshRequest is FusionAuth's JWTRefreshRequest. ApplicationID is
// latchkey's addition: it selects the application's scoped refresh cookie and
// binds the refresh to that application.
type refreshRequest struct {
	RefreshToken  string `json:"refreshToken"`
	Token         string `json:"token"` // the expired access token; accepted, unused
	ApplicationID string `json:"applicationId"`
}

// refreshResponse is FusionAuth's JWTRefreshResponse (fusionauth-api.md §2.1):
// no tokenExpirationInstant.
type refreshResponse struct {
	Token          string `json:"token"`
	RefreshToken   string `json:"refreshToken,omitempty"`
	RefreshTokenID string `json:"refreshTokenId,omitempty"`
}

// refreshJWT handles POST /api/jwt/refresh. The refresh token comes from the
// cookie (which wins, FusionAuth behaviour) or the body. Unknown, expired,
// revoked and reused tokens, and no token at all, answer 404 (workflow.md
// step 11, latchkey's deliberate difference from FusionAuth's 400) so the
// answer is no oracle of the token's state (security-bar.md R11). Cross-origin requests
// from origins that are not allowed never reach this handler (cors.go).
func (s *Server) refreshJWT(w http.ResponseWriter, r *http.Request) {
	var req refreshRequest
	if !s.decodeJSON(w, r, &req, true) {
		return
	}
	if req.ApplicationID != "" && !validUUID(req.ApplicationID) {
		writeFieldError(w, "invalid", "applicationId", "The [applicationId] property is not a valid application id.")
		return
	}
	// An origin that belongs to exactly one application may refresh only
	// that application's tokens (security-bar.md R8): naming another one is
	// answered like a dead token, before any cookie is read, so nothing is
	// consumed. auth also refuses a token of another application.
	appID, ok := requestApplication(r.Context(), req.ApplicationID)
	if !ok {
		writeRefreshNotFound(w)
		return
	}
	// A token bound to a DPoP key refreshes only with a proof by that key
	// (RFC 9449 §5); auth refuses a missing or other key with the same 404
	// as any bad token, without consuming it.
	proof, _, err := s.dpopProof(r, "")
	if err != nil {
		writeDPoPFusion(w, err)
		return
	}
	raw, err := s.pickRefreshToken(r, req, appID, proof.JKT)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if raw == "" {
		// No token at all is what the SPA sends once the browser has
		// dropped the refresh cookie at its Max-Age (workflow.md step 11),
		// so it gets the same 404 as a dead token: one status means "log in
		// again". FusionAuth answers 400 here (docs/compatibility.md); the
		// [blank] code still tells a developer what was missing.
		var e Errors
		e.Field("blank", "refreshToken", "No session was presented: send the refresh_token cookie or the [refreshToken] property, or log in again.")
		writeErrors(w, http.StatusNotFound, &e)
		return
	}
	t, err := s.Auth.Refresh(r.Context(), auth.RefreshRequest{
		RefreshToken:  raw,
		ApplicationID: appID,
		IPAddress:     s.clientIP(r),
		UserAgent:     r.UserAgent(),
		DPoPJKT:       proof.JKT,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.setTokenCookies(w, r, t)
	writeJSON(w, http.StatusOK, refreshResponse{Token: t.AccessToken, RefreshToken: t.RefreshToken, RefreshTokenID: t.RefreshTokenID})
}

// validateJWT handles GET /api/jwt/validate: 200 {"jwt":{claims}} (fusionauth-api.md
// §2.2). Its route is authAccessToken, so the token (Bearer, DPoP with a
// proof, or the access_token cookie) was verified before this runs and every
// failure was the same empty 401 (authn.go).
func (s *Server) validateJWT(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"jwt": claimsFromContext(r.Context())})
}

// pickRefreshToken is the refresh token a refresh acts on: the cookie (which
// beats the body, as in FusionAuth), else the body's refreshToken. When
// several cookie values came (cookie tossing, cookies.go) auth picks one
// without consuming any, preferring the session named by the sid of the
// caller's own access token in the body's token member (FusionAuth's
// JWTRefreshRequest.token; the SDK sends its last JWT there). The hint is
// not verified: it can only choose among tokens the request presented.
func (s *Server) pickRefreshToken(r *http.Request, req refreshRequest, appID, jkt string) (string, error) {
	values := s.refreshCookies(r, appID)
	switch len(values) {
	case 0:
		return req.RefreshToken, nil
	case 1:
		return values[0], nil
	}
	return s.Auth.PickRefreshToken(r.Context(), auth.PickRequest{Values: values, ApplicationID: appID, DPoPJKT: jkt,
		SessionID: unverifiedSID(req.Token), IPAddress: s.clientIP(r)})
}

// unverifiedSID reads the sid claim of a JWT without verifying it ("" when
// it has none or is not a JWT).
func unverifiedSID(token string) string {
	parts := strings.Split(token, ".")
	if len(token) > maxBearer || len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		SID string `json:"sid"`
	}
	if json.Unmarshal(b, &c) != nil || !validUUID(c.SID) {
		return ""
	}
	return c.SID
}
