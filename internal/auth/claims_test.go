package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// decodeJWT splits a compact JWS into its header and payload (no
// verification: Validate does that; this reads what was signed).
func decodeJWT(t *testing.T, tok string) (header, payload map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %d parts", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &payload} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		must(t, err)
		must(t, json.Unmarshal(b, dst))
	}
	return header, payload
}

// The signing algorithm follows the resolved settings: ES256 by default,
// RS256 when the application's enabled jwtConfiguration selects it.
func TestSigningAlgorithm(t *testing.T) {
	tests := []struct {
		name  string
		world func(*world)
		want  string
	}{
		{"default", func(*world) {}, "ES256"},
		{"tenant RS256", func(w *world) { w.tenant.JWTConfiguration.SigningAlgorithm = "RS256" }, "RS256"},
		{"app RS256", func(w *world) { w.app.JWTConfiguration = appJWT(true, 300, 60, policyFixed, usageReusable, "RS256") }, "RS256"},
		{"app RS256 ignored while disabled", func(w *world) {
			w.app.JWTConfiguration = appJWT(false, 300, 60, policyFixed, usageReusable, "RS256")
		}, "ES256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.world)
			tok := e.login()
			for _, at := range []string{tok.AccessToken, mustRefresh(e, tok.RefreshToken).AccessToken} {
				h, _ := decodeJWT(t, at)
				if h["alg"] != tc.want || h["kid"] == nil {
					t.Fatalf("header %v, want alg %s with a kid", h, tc.want)
				}
				e.claims(at) // and it verifies
			}
		})
	}
}

func mustRefresh(e *env, raw string) Tokens {
	e.t.Helper()
	got, err := e.refresh(raw)
	must(e.t, err)
	return got
}

// OIDC Core §3.1.3.6 / §2: the ID token's aud is the client, at_hash binds it
// to the access token, and it carries no roles (FusionAuth 1.24+).
func TestIDToken(t *testing.T) {
	e := newEnv(t)
	tok, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID,
		OAuth: true, Scopes: []string{"openid"}})
	must(t, err)
	if tok.RefreshToken != "" {
		t.Fatal("refresh token without offline_access")
	}
	_, c := decodeJWT(t, tok.IDToken)
	sum := sha256.Sum256([]byte(tok.AccessToken))
	want := map[string]any{"aud": appID, "sub": userID, "iss": issuer, "email": userEmail,
		"at_hash": base64.RawURLEncoding.EncodeToString(sum[:16]), "auth_time": float64(e.clock.Now().Unix())}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("id token %s = %v, want %v", k, c[k], v)
		}
	}
	for _, k := range []string{"roles", "applicationId"} {
		if _, ok := c[k]; ok {
			t.Errorf("id token carries %s", k)
		}
	}
}

// Only the SHA-256 of a refresh token is stored; the value carries 256
// random bits (refresh_value.go).
func TestRefreshTokenStoredAsHash(t *testing.T) {
	e := newEnv(t)
	tok := e.login()
	raw, err := base64.RawURLEncoding.DecodeString(tok.RefreshToken)
	if err != nil || len(raw) != valueBytes || len(raw[21:53]) != 32 {
		t.Fatalf("refresh token is not %d base64url bytes: %v, %d", valueBytes, err, len(raw))
	}
	sum := sha256.Sum256([]byte(tok.RefreshToken))
	rec := e.record(tok.RefreshTokenID)
	if string(rec.Hash) != string(sum[:]) || strings.Contains(string(rec.Hash), tok.RefreshToken) {
		t.Fatal("stored hash is not SHA-256 of the value")
	}
}
