package server_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/manage"
)

// TestTokenEndpointsTenantHeader: /api/login and /api/jwt/* take
// X-FusionAuth-TenantId like the management API: the one tenant is accepted,
// any other is refused before credentials are looked at, and the refused login
// is not counted as a failure.
func TestTokenEndpointsTenantHeader(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	if resp, body := in.Do(t, "POST", "/api/user", map[string]any{"user": map[string]any{"email": "tenant@example.com", "password": "a good password"}}); resp.StatusCode != 200 {
		t.Fatalf("create user: %d %s", resp.StatusCode, body)
	}
	login := func(header, password string) int {
		t.Helper()
		resp, _ := in.Do(t, "POST", "/api/login", map[string]any{"loginId": "tenant@example.com", "password": password},
			"Authorization", in.APIKey, "X-FusionAuth-TenantId", header)
		return resp.StatusCode
	}
	other := uuid.NewString()
	for range 10 { // more than the lockout threshold: refused requests must not count
		resp, body := in.Do(t, "POST", "/api/login", map[string]any{"loginId": "tenant@example.com", "password": "wrong password"},
			"Authorization", in.APIKey, "X-FusionAuth-TenantId", other)
		if resp.StatusCode != 400 || !strings.Contains(string(body), "[invalid]tenantId") {
			t.Fatalf("login with another tenant: %d %s, want 400 [invalid]tenantId", resp.StatusCode, body)
		}
	}
	if got := login(manage.DefaultTenantID, "a good password"); got != 200 {
		t.Fatalf("login with the default tenant after refused attempts: %d, want 200", got)
	}
	if got := login(strings.ToUpper(manage.DefaultTenantID), "a good password"); got != 200 {
		t.Fatalf("login with the default tenant in upper case: %d, want 200", got)
	}
	resp, _ := in.Do(t, "GET", "/api/jwt/public-key", nil, "X-FusionAuth-TenantId", other)
	if resp.StatusCode != 400 {
		t.Fatalf("public-key with another tenant: %d, want 400", resp.StatusCode)
	}
}

// TestTenantPatchAppliesAtOnce: a tenant change made through this node is in
// force for the very next login, not after the tenant cache's second.
func TestTenantPatchAppliesAtOnce(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	if resp, body := in.Do(t, "POST", "/api/user", map[string]any{"user": map[string]any{"email": "cache@example.com", "password": "a good password"}}); resp.StatusCode != 200 {
		t.Fatalf("create user: %d %s", resp.StatusCode, body)
	}
	login := func() int {
		resp, _ := in.Do(t, "POST", "/api/login", map[string]any{"loginId": "cache@example.com", "password": "a good password"},
			"Authorization", "") // an empty value removes the default API key
		return resp.StatusCode
	}
	if got := login(); got != 401 {
		t.Fatalf("login without API key while the tenant requires one: %d, want 401", got)
	}
	resp, body := in.Do(t, "PATCH", "/api/tenant/"+manage.DefaultTenantID,
		map[string]any{"tenant": map[string]any{"loginConfiguration": map[string]any{"requireAuthentication": false}}})
	if resp.StatusCode != 200 {
		t.Fatalf("patch tenant: %d %s", resp.StatusCode, body)
	}
	if got := login(); got != 200 {
		t.Fatalf("login right after the tenant stopped requiring an API key: %d, want 200", got)
	}
}
