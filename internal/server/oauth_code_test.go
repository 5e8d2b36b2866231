package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestCodeFlowWithGoOIDC is the authorization code flow with PKCE as a Go
// relying party runs it: golang.org/x/oauth2 builds the request and
// exchanges the code, coreos/go-oidc discovers the provider and verifies
// the id token (signature, issuer, audience, expiry, nonce, at_hash), the
// user info endpoint answers for the access token, and the refresh token
// refreshes into an id token of the same session (sid).
func TestCodeFlowWithGoOIDC(t *testing.T) {
	s := newOAuthStack(t)
	ctx := oidc.ClientContext(context.Background(), http.DefaultClient)
	p, err := oidc.NewProvider(ctx, s.URL)
	must(t, err)
	cfg := oauth2.Config{ClientID: storeApp, ClientSecret: secret, Endpoint: p.Endpoint(), RedirectURL: storeCallback,
		Scopes: []string{oidc.ScopeOpenID, oidc.ScopeOfflineAccess, "email", "profile"}}
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL("state-123", oauth2.S256ChallengeOption(verifier), oidc.Nonce("nonce-456"))

	b := newBrowser(s)
	page := b.get(authURL)
	q := redirectQuery(t, b.submitLogin(page, aliceEmail, alicePass), storeCallback)
	if q.Get("state") != "state-123" || q.Get("iss") != s.URL || q.Get("code") == "" {
		t.Fatalf("authorization response %v: want state, iss = %s (RFC 9207) and a code", q, s.URL)
	}
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	must(t, err)
	raw, _ := tok.Extra("id_token").(string)
	v := p.Verifier(&oidc.Config{ClientID: storeApp, Now: s.Clock.Now})
	idt, err := v.Verify(ctx, raw)
	must(t, err)
	if idt.Subject != aliceID || idt.Nonce != "nonce-456" {
		t.Fatalf("id token sub %q nonce %q", idt.Subject, idt.Nonce)
	}
	must(t, idt.VerifyAccessToken(tok.AccessToken)) // at_hash
	var claims struct {
		SID      string `json:"sid"`
		CHash    string `json:"c_hash"`
		AuthTime int64  `json:"auth_time"`
	}
	must(t, idt.Claims(&claims))
	if claims.SID == "" || claims.CHash == "" || claims.AuthTime != s.Clock.Now().Unix() {
		t.Fatalf("id token sid %q c_hash %q auth_time %d", claims.SID, claims.CHash, claims.AuthTime)
	}
	if tok.RefreshToken == "" {
		t.Fatal("offline_access with generateRefreshTokens gave no refresh token")
	}

	ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	must(t, err)
	if ui.Subject != aliceID || ui.Email != aliceEmail {
		t.Fatalf("userinfo %+v", ui)
	}

	// Refresh: x/oauth2 refreshes a token it considers expired.
	s.Clock.Advance(time.Minute)
	old := *tok
	old.Expiry = time.Now().Add(-time.Hour)
	fresh, err := cfg.TokenSource(ctx, &old).Token()
	must(t, err)
	if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken == "" {
		t.Fatal("refresh returned no new access token")
	}
	refreshed, err := v.Verify(ctx, fresh.Extra("id_token").(string))
	if err != nil {
		t.Fatalf("refreshed id token: %v", err)
	}
	// OIDC Core §12.2: the refreshed id token keeps the login's session and
	// time, so back-channel logout by sid still finds it.
	var again struct {
		SID      string `json:"sid"`
		AuthTime int64  `json:"auth_time"`
	}
	must(t, refreshed.Claims(&again))
	if again.SID != claims.SID || again.AuthTime != claims.AuthTime {
		t.Fatalf("refreshed id token sid %q auth_time %d, want the login's %q %d", again.SID, again.AuthTime, claims.SID, claims.AuthTime)
	}
}

// TestCodeFlowPublicClient: a public SPA client exchanges with client_id and
// code_verifier only, and gets exactly FusionAuth's token response fields.
func TestCodeFlowPublicClient(t *testing.T) {
	s := newOAuthStack(t)
	verifier, challenge := pkce("forums-verifier-")
	q := newBrowser(s).login(authzQuery(forumsApp, forumsCallback, challenge))
	res := s.exchange(forumsApp, q.Get("code"), forumsCallback, verifier)
	if res.status != http.StatusOK {
		t.Fatalf("exchange: %d %s", res.status, res.body)
	}
	body := res.json(t)
	for _, k := range []string{"access_token", "id_token", "refresh_token", "refresh_token_id", "expires_in", "token_type", "scope", "userId"} {
		if _, ok := body[k]; !ok {
			t.Errorf("token response lacks %s: %v", k, body)
		}
	}
	if body["scope"] != "openid offline_access" || body["userId"] != aliceID || body["token_type"] != "Bearer" {
		t.Errorf("token response %v", body)
	}
	if res.header.Get("Cache-Control") != "no-store" || res.header.Get("Pragma") != "no-cache" {
		t.Errorf("token response cacheable: %v", res.header)
	}
}

// TestAuthorizationCodeLifetime: a code is good for 30 seconds
// (FusionAuth's default): of two codes issued at once, one exchanged at
// 29 s gets its tokens, the other, at 31 s, is refused.
func TestAuthorizationCodeLifetime(t *testing.T) {
	s := newOAuthStack(t)
	verifier, challenge := pkce("lifetime-")
	q := newBrowser(s).login(authzQuery(forumsApp, forumsCallback, challenge))
	earlyVerifier, earlyChallenge := pkce("lifetime-early-")
	early := newBrowser(s).login(authzQuery(forumsApp, forumsCallback, earlyChallenge))
	s.Clock.Advance(29 * time.Second)
	if res := s.exchange(forumsApp, early.Get("code"), forumsCallback, earlyVerifier); res.status != http.StatusOK {
		t.Fatalf("a code exchanged at 29 s: %d %s, want 200", res.status, res.body)
	}
	s.Clock.Advance(2 * time.Second)
	res := s.exchange(forumsApp, q.Get("code"), forumsCallback, verifier)
	wantOAuthError(t, res, http.StatusBadRequest, "invalid_request", "auth_code_not_found")
}

func wantOAuthError(t testing.TB, res result, status int, code, reason string) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status %d, want %d: %s", res.status, status, res.body)
	}
	b := res.json(t)
	if b["error"] != code || (reason != "" && b["error_reason"] != reason) {
		t.Fatalf("error %v, want %s/%s", b, code, reason)
	}
}

// wantRedirectError checks an error sent back to the client (RFC 6749
// §4.1.2.1) with state and iss.
func wantRedirectError(t testing.TB, s *stack, res result, redirectURI, code, reason, state string) {
	t.Helper()
	q := redirectQuery(t, res, redirectURI)
	if q.Get("error") != code || q.Get("error_reason") != reason || q.Get("state") != state || q.Get("iss") != s.URL {
		t.Fatalf("redirected error %v, want %s/%s state %q iss %s", q, code, reason, state, s.URL)
	}
	if q.Get("code") != "" {
		t.Fatal("an error carried a code")
	}
}

// introspectActive asks /oauth2/introspect as client about tok.
func introspectActive(t testing.TB, s *stack, client, tok string) bool {
	t.Helper()
	f := url.Values{"client_id": {client}, "token": {tok}}
	if client == storeApp {
		f.Set("client_secret", secret)
	}
	res := s.do(call{method: "POST", path: "/oauth2/introspect", body: f.Encode(),
		hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	if res.status != http.StatusOK {
		t.Fatalf("introspect: %d %s", res.status, res.body)
	}
	return res.json(t)["active"] == true
}

// idTokenClaims decodes (without verifying: other tests do) the id token of
// a token response.
func idTokenClaims(t testing.TB, res result) map[string]any {
	t.Helper()
	if res.status != http.StatusOK {
		t.Fatalf("token response %d %s", res.status, res.body)
	}
	parts := strings.Split(res.json(t)["id_token"].(string), ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	must(t, err)
	var c map[string]any
	must(t, json.Unmarshal(b, &c))
	return c
}
