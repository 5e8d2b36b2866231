package server_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestTenantHeader: X-FusionAuth-TenantId naming the (only) default tenant
// is accepted, anything else is refused without effect (fusionauth-api.md
// §0.5), and a tenant-scoped key cannot be pointed at another tenant.
func TestTenantHeader(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	other := uuid.NewString()
	scopedKey := "tenant-scoped-key-" + uuid.NewString()
	resp, body := in.Do(t, "POST", "/api/api-key", map[string]any{"apiKey": map[string]any{
		"key": scopedKey, "tenantId": manage.DefaultTenantID}})
	if resp.StatusCode != 200 {
		t.Fatalf("scoped key: %d %s", resp.StatusCode, body)
	}
	tests := []struct {
		name, header, key string
		status            int
		code              string
	}{
		{"no header", "", "", 200, ""},
		{"default tenant", manage.DefaultTenantID, "", 200, ""},
		{"default tenant, upper case", strings.ToUpper(manage.DefaultTenantID), "", 200, ""},
		{"unknown tenant", other, "", 400, "[invalid]tenantId"},
		{"not a uuid", "acme", "", 400, "[invalid]tenantId"},
		{"scoped key, own tenant", manage.DefaultTenantID, scopedKey, 200, ""},
		{"scoped key, other tenant", other, scopedKey, 401, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			email := "tenant" + string(rune('a'+i)) + "@example.com"
			headers := []string{"X-FusionAuth-TenantId", tt.header}
			if tt.key != "" {
				headers = append(headers, "Authorization", tt.key)
			}
			resp, body := in.Do(t, "POST", "/api/user", map[string]any{"user": map[string]any{"email": email, "password": "a good password"}}, headers...)
			if resp.StatusCode != tt.status {
				t.Fatalf("%d %s, want %d", resp.StatusCode, body, tt.status)
			}
			if tt.code != "" && !strings.Contains(string(body), `"code":"`+tt.code+`"`) {
				t.Fatalf("body %s, want code %s", body, tt.code)
			}
			_, err := in.Store.FindUser(t.Context(), storage.UserFilter{TenantID: manage.DefaultTenantID, Email: email})
			if created := err == nil; created != (tt.status == 200) {
				t.Fatalf("user created=%v after status %d (err %v)", created, resp.StatusCode, err)
			}
		})
	}
}

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
