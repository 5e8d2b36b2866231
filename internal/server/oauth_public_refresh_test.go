package server_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// refreshAs redeems rt at /oauth2/token for client (with the Store's secret
// when the client is the Store).
func refreshAs(s *stack, client, rt string) result {
	s.t.Helper()
	f := url.Values{"grant_type": {"refresh_token"}, "client_id": {client}, "refresh_token": {rt}}
	if client == storeApp {
		f.Set("client_secret", secret)
	}
	return s.token(f)
}

// TestPublicClientRefreshTokensRotate (adversarial): under the tenant's
// default Reusable policy, a public client's refresh token (Forums: no
// secret, PKCE) still rotates on every /oauth2/token refresh (RFC 9700
// §4.14.2: rotated or sender-constrained), so a copy stolen from the
// browser is caught: its reuse after the retry window revokes the family,
// the thief's value and the client's alike. A confidential client (the
// Store, which authenticates with its secret) keeps the Reusable value the
// policy promises. Before, the public client's value never changed and a
// stolen copy worked as long as the session did.
func TestPublicClientRefreshTokensRotate(t *testing.T) {
	s := newOAuthStack(t, func(_ map[string]*storage.Application, tn *storage.Tenant) {
		tn.JWTConfiguration.RefreshTokenUsagePolicy = "Reusable" // FusionAuth's default and latchkey's
	})
	verifier, challenge := pkce("public-rotation-")
	b := newBrowser(s)
	first := s.exchange(forumsApp, b.login(authzQuery(forumsApp, forumsCallback, challenge)).Get("code"), forumsCallback, verifier).json(t)
	r0, _ := first["refresh_token"].(string)
	if r0 == "" {
		t.Fatalf("no refresh token: %v", first)
	}
	res := refreshAs(s, forumsApp, r0)
	r1, _ := res.json(t)["refresh_token"].(string)
	if res.status != http.StatusOK || r1 == "" || r1 == r0 {
		t.Fatalf("a public client's refresh did not rotate: %d %s", res.status, res.body)
	}
	res = refreshAs(s, forumsApp, r1)
	r2, _ := res.json(t)["refresh_token"].(string)
	if res.status != http.StatusOK || r2 == r1 {
		t.Fatalf("the successor: %d %s", res.status, res.body)
	}
	s.Clock.Advance(2 * time.Minute) // past the retry window
	if res := refreshAs(s, forumsApp, r0); res.status != http.StatusBadRequest || res.json(t)["error"] != "invalid_grant" {
		t.Fatalf("a stolen earlier value: %d %s", res.status, res.body)
	}
	if res := refreshAs(s, forumsApp, r2); res.status != http.StatusBadRequest {
		t.Fatalf("the family survived the reuse: %d %s", res.status, res.body)
	}

	// The confidential Store client, same tenant policy: the value stays.
	store := s.exchange(storeApp, newBrowser(s).login(authzQuery(storeApp, storeCallback, challenge)).Get("code"), storeCallback, verifier).json(t)
	sr, _ := store["refresh_token"].(string)
	for range 2 {
		res := refreshAs(s, storeApp, sr)
		if got, _ := res.json(t)["refresh_token"].(string); res.status != http.StatusOK || got != sr {
			t.Fatalf("the confidential client's Reusable token changed: %d %s", res.status, res.body)
		}
	}
}
