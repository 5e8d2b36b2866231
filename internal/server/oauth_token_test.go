package server_test

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

func oauthConfig(s *stack, style oauth2.AuthStyle, sec string) *oauth2.Config {
	return &oauth2.Config{ClientID: storeApp, ClientSecret: sec, Scopes: []string{"offline_access", "openid"},
		Endpoint: oauth2.Endpoint{TokenURL: s.URL + "/oauth2/token", AuthStyle: style}}
}

// TestOAuthWithRealClient drives /oauth2/token with golang.org/x/oauth2:
// the password grant, then a TokenSource refresh once the access token has
// expired (injected clock), which must return the rotated refresh token.
func TestOAuthWithRealClient(t *testing.T) {
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		t.Run(map[oauth2.AuthStyle]string{oauth2.AuthStyleInHeader: "basic", oauth2.AuthStyleInParams: "post"}[style], func(t *testing.T) {
			s := newStack(t)
			ctx := context.Background()
			cfg := oauthConfig(s, style, secret)
			tok, err := cfg.PasswordCredentialsToken(ctx, aliceEmail, alicePass)
			must(t, err)
			if tok.TokenType != "Bearer" || tok.RefreshToken == "" || tok.Extra("id_token") == nil || tok.Extra("userId") != aliceID {
				t.Fatalf("token %+v extras id_token=%v userId=%v", tok, tok.Extra("id_token") != nil, tok.Extra("userId"))
			}
			if got := tok.Extra("scope"); got != "offline_access openid" && got != "openid offline_access" {
				t.Fatalf("scope %v", got)
			}
			tok.Expiry = time.Now().Add(-time.Minute) // make the client refresh
			next, err := cfg.TokenSource(ctx, tok).Token()
			must(t, err)
			if next.AccessToken == tok.AccessToken || next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
				t.Fatalf("refresh did not rotate: %q -> %q", tok.RefreshToken, next.RefreshToken)
			}
			if claims(t, next.AccessToken)["authenticationType"] != "REFRESH_TOKEN" {
				t.Fatalf("claims %v", claims(t, next.AccessToken))
			}
		})
	}
}

// TestOAuthErrors pins the RFC 6749 §5.2 error bodies (FusionAuth's
// error_reason) and statuses, including the password grant sharing
// /api/login's anti-enumeration.
func TestOAuthErrors(t *testing.T) {
	s := newStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		apps[forumsApp].OAuthConfiguration.EnabledGrants = []string{"authorization_code"}
	})
	basic := func(id, sec string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(sec)))
	}
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	pw := func(user, pass string) string {
		return form("grant_type", "password", "username", user, "password", pass, "client_id", storeApp, "client_secret", secret)
	}
	tests := []struct {
		name, body, auth string
		want             int
		reason           string
	}{
		{"wrong password", pw(aliceEmail, "nope"), "", 400, "invalid_user_credentials"},
		{"unknown user", pw("nobody@example.test", "nope"), "", 400, "invalid_user_credentials"},
		{"missing grant", form("client_id", storeApp), "", 400, "missing_grant_type"},
		{"unsupported grant", form("grant_type", "urn:ietf:params:oauth:grant-type:device_code", "client_id", storeApp, "client_secret", secret), "", 400, "invalid_grant_type"},
		// client_credentials authenticates an entity, not an application.
		{"application as a machine client", form("grant_type", "client_credentials", "client_id", storeApp, "client_secret", secret), "", 401, "invalid_client_id"},
		{"grant disabled", form("grant_type", "password", "username", "alice", "password", alicePass, "client_id", forumsApp, "client_secret", secret), "", 400, "grant_type_disabled"},
		{"missing secret", form("grant_type", "password", "username", "alice", "password", alicePass, "client_id", storeApp), "", 401, "client_authentication_missing"},
		{"wrong secret in body", form("grant_type", "password", "username", "alice", "password", alicePass, "client_id", storeApp, "client_secret", "x"), "", 401, "invalid_client_authentication"},
		{"wrong secret in header", form("grant_type", "password", "username", "alice", "password", alicePass), basic(storeApp, "x"), 401, "invalid_client_authentication"},
		{"unknown client", form("grant_type", "password", "username", "alice", "password", alicePass), basic("0f1a2b3c-0000-4000-8000-0000000000ff", secret), 401, "invalid_client_id"},
		{"client_id mismatch", form("grant_type", "password", "client_id", forumsApp), basic(storeApp, secret), 400, "client_id_mismatch"},
		{"no client", form("grant_type", "password"), "", 400, "missing_client_id"},
		{"bearer is not client auth", form("grant_type", "password"), "Bearer abc", 401, "invalid_client_authentication_scheme"},
		{"unknown refresh token", form("grant_type", "refresh_token", "refresh_token", "nope", "client_id", storeApp, "client_secret", secret), "", 400, "refresh_token_not_found"},
		{"missing refresh token", form("grant_type", "refresh_token", "refresh_token", "undefined", "client_id", storeApp, "client_secret", secret), "", 400, "missing_refresh_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.do(call{method: "POST", path: "/oauth2/token", body: tt.body,
				hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": tt.auth}})
			if res.status != tt.want || res.json(t)["error_reason"] != tt.reason {
				t.Fatalf("status %d body %s, want %d %s", res.status, res.body, tt.want, tt.reason)
			}
			if res.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("Cache-Control %q", res.header.Get("Cache-Control"))
			}
			if tt.want == 401 && !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Basic") {
				t.Fatalf("401 without WWW-Authenticate")
			}
		})
	}
	res := s.do(call{method: "POST", path: "/oauth2/token", body: pw(aliceEmail, "nope"), hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	tokenGolden(t, "oauth_400_invalid_grant", res.body)
}

// TestOAuthRefreshOtherClient is R8: a token of Store presented by Forums is
// invalid_grant and is not consumed: the stored token did not move, and
// Store still refreshes the value once the grace period of a rotated-out
// value is over.
func TestOAuthRefreshOtherClient(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	tok, err := oauthConfig(s, oauth2.AuthStyleInHeader, secret).PasswordCredentialsToken(ctx, aliceEmail, alicePass)
	must(t, err)
	before := refreshRecord(t, s, tok.RefreshToken)
	forums := oauthConfig(s, oauth2.AuthStyleInHeader, secret)
	forums.ClientID = forumsApp
	if _, err := forums.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("other client's refresh: %v", err)
	}
	requireUntouched(t, s, before)
	s.Clock.Advance(auth.DefaultRetryWindow + time.Second)
	if _, err := oauthConfig(s, oauth2.AuthStyleInHeader, secret).TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
		t.Fatalf("token consumed by the refused attempt: %v", err)
	}
}

// TestOAuthRegistrationAndScope: oauthConfiguration.requireRegistration
// refuses the password grant for an unregistered user with FusionAuth's
// registration_required (and issues nothing); a refresh asking for more
// than was granted is invalid_scope (RFC 6749 §6) and does not consume the
// token.
func TestOAuthRegistrationAndScope(t *testing.T) {
	s := newStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		apps[forumsApp].OAuthConfiguration.RequireRegistration = true
	})
	post := func(body url.Values) result {
		return s.do(call{method: "POST", path: "/oauth2/token", body: body.Encode(),
			hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	}
	pw := func(app string) url.Values {
		return url.Values{"grant_type": {"password"}, "username": {aliceEmail}, "password": {alicePass},
			"client_id": {app}, "client_secret": {secret}, "scope": {"offline_access"}}
	}
	res := post(pw(forumsApp))
	if res.status != 400 || res.json(t)["error"] != "invalid_grant" || res.json(t)["error_reason"] != "registration_required" {
		t.Fatalf("unregistered, registration required: %d %s", res.status, res.body)
	}
	if live, err := s.Store.ListRefreshTokens(context.Background(), aliceID); err != nil || len(live) != 0 {
		t.Fatalf("refused grant left refresh tokens: %v %v", live, err)
	}

	res = post(pw(storeApp))
	if res.status != 200 {
		t.Fatalf("registered: %d %s", res.status, res.body)
	}
	rt := res.json(t)["refresh_token"].(string)
	refresh := func(scope string) result {
		return post(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {storeApp},
			"client_secret": {secret}, "scope": {scope}})
	}
	res = refresh("offline_access openid")
	if m := res.json(t); res.status != 400 || m["error"] != "invalid_scope" || m["error_reason"] != "unknown_scope" {
		t.Fatalf("widened scope: %d %s", res.status, res.body)
	}
	if res := refresh("offline_access"); res.status != 200 {
		t.Fatalf("token consumed by the refused refresh: %d %s", res.status, res.body)
	}
}
