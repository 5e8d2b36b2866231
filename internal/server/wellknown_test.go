package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

// TestOIDCDiscoveryWithGoOIDC: go-oidc's NewProvider accepts the discovery
// document (issuer must equal the URL it was fetched from), and its verifier
// verifies an id_token from the password grant against our JWKS.
func TestOIDCDiscoveryWithGoOIDC(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	p, err := oidc.NewProvider(ctx, s.URL)
	must(t, err)
	if p.Endpoint().TokenURL != s.URL+"/oauth2/token" {
		t.Fatalf("token endpoint %q", p.Endpoint().TokenURL)
	}
	cfg := oauth2.Config{ClientID: storeApp, ClientSecret: secret, Endpoint: p.Endpoint(), Scopes: []string{"openid"}}
	tok, err := cfg.PasswordCredentialsToken(ctx, aliceEmail, alicePass)
	must(t, err)
	raw, _ := tok.Extra("id_token").(string)
	// The injected clock is in 2026-03; go-oidc checks expiry against its own.
	v := p.Verifier(&oidc.Config{ClientID: storeApp, Now: s.Clock.Now})
	idt, err := v.Verify(ctx, raw)
	must(t, err)
	if idt.Subject != aliceID {
		t.Fatalf("id_token subject %q", idt.Subject)
	}
}

// TestOIDCDiscoveryAdvertisesOnlyWhatExists pins the discovery document to
// what latchkey implements (the code flow with PKCE S256, query response
// mode, the client_credentials grant, revocation, introspection,
// RP-initiated and back-channel logout, no implicit or device flow), and
// every endpoint it names answers something other than 404.
func TestOIDCDiscoveryAdvertisesOnlyWhatExists(t *testing.T) {
	s := newStack(t)
	doc := s.do(call{method: "GET", path: "/.well-known/openid-configuration"}).json(t)
	for key, want := range map[string]string{
		"response_types_supported":                       "[code]",
		"response_modes_supported":                       "[query]",
		"grant_types_supported":                          "[authorization_code client_credentials password refresh_token]",
		"code_challenge_methods_supported":               "[S256]",
		"authorization_endpoint":                         s.URL + "/oauth2/authorize",
		"token_endpoint":                                 s.URL + "/oauth2/token",
		"userinfo_endpoint":                              s.URL + "/oauth2/userinfo",
		"introspection_endpoint":                         s.URL + "/oauth2/introspect",
		"revocation_endpoint":                            s.URL + "/oauth2/revoke",
		"end_session_endpoint":                           s.URL + "/oauth2/logout",
		"jwks_uri":                                       s.URL + "/.well-known/jwks.json",
		"authorization_response_iss_parameter_supported": "true",
	} {
		if got := fmt.Sprint(doc[key]); got != want {
			t.Errorf("%s = %s, want %s", key, got, want)
		}
	}
	if _, ok := doc["device_authorization_endpoint"]; ok {
		t.Error("device_authorization_endpoint advertised: there is no device flow")
	}
	for key, v := range doc {
		u, ok := v.(string)
		if !ok || !strings.HasSuffix(key, "_endpoint") && !strings.HasSuffix(key, "_uri") {
			continue
		}
		method := "GET"
		if key == "token_endpoint" || key == "introspection_endpoint" || key == "revocation_endpoint" {
			method = "POST"
		}
		if res := s.do(call{method: method, path: strings.TrimPrefix(u, s.URL)}); res.status == 404 || res.status == 405 {
			t.Errorf("%s %s answers %d", key, u, res.status)
		}
	}
}

// TestPublicKeys: JWKS, /api/jwt/public-key in its three forms, and that the
// key the access token names is published in both.
func TestPublicKeys(t *testing.T) {
	s := newStack(t)
	at := s.login(storeApp, nil).json(t)["token"].(string)
	var hdr struct{ Kid, Alg string }
	b, _ := jsonPart(at, 0)
	must(t, json.Unmarshal(b, &hdr))

	res := s.do(call{method: "GET", path: "/.well-known/jwks.json"})
	var set jose.JSONWebKeySet
	must(t, json.Unmarshal(res.body, &set))
	if res.status != 200 || len(set.Key(hdr.Kid)) != 1 || !set.Key(hdr.Kid)[0].IsPublic() {
		t.Fatalf("JWKS %d lacks public kid %s: %s", res.status, hdr.Kid, res.body)
	}
	all := s.do(call{method: "GET", path: "/api/jwt/public-key"}).json(t)["publicKeys"].(map[string]any)
	pem, _ := all[hdr.Kid].(string)
	if !strings.HasPrefix(pem, "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("publicKeys %v", all)
	}
	tests := []struct {
		name, query string
		want        int
	}{
		{"by kid", "?kid=" + hdr.Kid, 200},
		{"by application", "?applicationId=" + storeApp, 200},
		{"unknown kid", "?kid=nope", 404},
		{"unknown application", "?applicationId=0f1a2b3c-0000-4000-8000-0000000000ff", 404},
		{"TS client literal", "?kid=undefined", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.do(call{method: "GET", path: "/api/jwt/public-key" + tt.query})
			if res.status != tt.want {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			if tt.want == 200 && strings.Contains(tt.query, "=0f1a") && res.json(t)["publicKey"] != pem {
				t.Fatalf("application key is not the signing key: %s", res.body)
			}
		})
	}
}

func jsonPart(jwt string, i int) ([]byte, error) {
	return b64(strings.Split(jwt, ".")[i])
}
