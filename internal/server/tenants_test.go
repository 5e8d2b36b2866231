package server_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/manage"
)

// TestTenantAndSystemConfiguration pins the tenant and system-configuration
// endpoints with golden files: list, patch, refused patch, and the system
// configuration's defaults, PUT and PATCH.
func TestTenantAndSystemConfiguration(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	const tenant = "/api/tenant/b54ca84b-aceb-4215-9678-473afdeaabed"
	runSteps(t, in, []step{
		{"tenant-list", "GET", "/api/tenant", nil, 200, nil},
		{"tenant-patch", "PATCH", tenant, map[string]any{"tenant": map[string]any{
			"jwtConfiguration":                  map[string]any{"timeToLiveInSeconds": 600, "refreshTokenUsagePolicy": "OneTimeUse"},
			"failedAuthenticationConfiguration": map[string]any{"tooManyAttempts": 3},
			"passwordEncryptionConfiguration":   map[string]any{"encryptionScheme": "bcrypt", "encryptionSchemeFactor": 12},
			"passwordValidationRules":           map[string]any{"minLength": 10}}}, 200, nil},
		{"tenant-patch-invalid", "PATCH", tenant, map[string]any{"tenant": map[string]any{
			"jwtConfiguration":                map[string]any{"timeToLiveInSeconds": -1, "refreshTokenOneTimeUseConfiguration": map[string]any{"gracePeriodInSeconds": 86400}},
			"passwordEncryptionConfiguration": map[string]any{"encryptionScheme": "md5"},
			"passwordValidationRules":         map[string]any{"maxLength": 100000}}}, 400, nil},
		{"tenant-get", "GET", tenant, nil, 200, nil},
		{"tenant-get-missing", "GET", "/api/tenant/" + missing, nil, 404, nil},
		{"sysconfig-get-default", "GET", "/api/system-configuration", nil, 200, nil},
		{"sysconfig-patch", "PATCH", "/api/system-configuration", map[string]any{"systemConfiguration": map[string]any{"corsConfiguration": map[string]any{
			"enabled": true, "allowCredentials": true, "allowedOrigins": []string{"https://app.example.test"}, "allowedMethods": []string{"POST"}}}}, 200, nil},
		{"sysconfig-wildcard-with-credentials", "PATCH", "/api/system-configuration", map[string]any{"systemConfiguration": map[string]any{"corsConfiguration": map[string]any{
			"allowedOrigins": []string{"*"}}}}, 400, []string{"Content-Type", "application/merge-patch+json"}},
		{"sysconfig-put-needs-timezone", "PUT", "/api/system-configuration", map[string]any{"systemConfiguration": map[string]any{}}, 400, nil},
		{"sysconfig-put", "PUT", "/api/system-configuration", map[string]any{"systemConfiguration": map[string]any{"reportTimezone": "UTC"}}, 200, nil},
	})
}

const tenantPath = "/api/tenant/b54ca84b-aceb-4215-9678-473afdeaabed"

// TestTenantFactorWithinHasherRange: a tenant's encryptionSchemeFactor is
// checked against what the hasher accepts, since a stored out-of-range
// factor would make every later user create fail with a misleading
// [invalid]user.factor. A refused patch leaves the tenant as it was.
func TestTenantFactorWithinHasherRange(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	_, before := in.Do(t, "GET", tenantPath, nil)
	tests := []struct {
		name, scheme string
		factor       int64
		want         string
	}{
		{"bcrypt 40", "bcrypt", 40, "from 4 to 15"},
		{"bcrypt 3", "bcrypt", 3, "from 4 to 15"},
		{"pbkdf2 2e9", "salted-pbkdf2-hmac-sha256", 2_000_000_000, "from 1 to 10000000"},
		{"argon2id 0", "argon2id", 0, "from 1 to 64"},
		{"argon2id 65", "argon2id", 65, "from 1 to 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := in.Do(t, "PATCH", tenantPath, map[string]any{"tenant": map[string]any{
				"passwordEncryptionConfiguration": map[string]any{"encryptionScheme": tt.scheme, "encryptionSchemeFactor": tt.factor}}})
			if resp.StatusCode != 400 || !strings.Contains(string(body), "[invalid]tenant.passwordEncryptionConfiguration.encryptionSchemeFactor") ||
				!strings.Contains(string(body), tt.want) {
				t.Fatalf("PATCH = %d %s; want 400 naming the factor and %q", resp.StatusCode, body, tt.want)
			}
			if _, after := in.Do(t, "GET", tenantPath, nil); !bytes.Equal(before, after) {
				t.Fatalf("tenant changed by a refused PATCH:\n%s\n%s", before, after)
			}
		})
	}
	t.Run("users can still be created", func(t *testing.T) {
		resp, body := in.Do(t, "POST", "/api/user", map[string]any{"user": map[string]any{"email": "f@example.com", "password": "correct horse"}})
		if resp.StatusCode != 200 {
			t.Fatalf("create user after refused factors = %d %s", resp.StatusCode, body)
		}
	})
	t.Run("in-range factor accepted", func(t *testing.T) {
		resp, body := in.Do(t, "PATCH", tenantPath, map[string]any{"tenant": map[string]any{
			"passwordEncryptionConfiguration": map[string]any{"encryptionScheme": "bcrypt", "encryptionSchemeFactor": 4}}})
		if resp.StatusCode != 200 {
			t.Fatalf("bcrypt 4 = %d %s", resp.StatusCode, body)
		}
		if resp, body := in.Do(t, "POST", "/api/user", map[string]any{"user": map[string]any{"email": "g@example.com", "password": "correct horse"}}); resp.StatusCode != 200 {
			t.Fatalf("create user with bcrypt 4 = %d %s", resp.StatusCode, body)
		}
	})
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
