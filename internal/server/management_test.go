package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

const (
	appID   = "7d9c2f0e-41b5-4c1e-9a1f-0c6a7b2d9e11"
	userID  = "2f1c7a3e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"
	user2ID = "3a2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d"
	missing = "00000000-0000-4000-8000-000000000000"
)

type step struct {
	name    string
	method  string
	path    string
	body    any
	status  int
	headers []string
}

// run executes steps in order against one instance and pins every response
// with a golden file.
func runSteps(t *testing.T, in *apptest.Instance, steps []step) {
	t.Helper()
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			resp, body := in.Do(t, s.method, s.path, s.body, s.headers...)
			if resp.StatusCode != s.status {
				t.Fatalf("%s %s = %d, want %d: %s", s.method, s.path, resp.StatusCode, s.status, body)
			}
			if len(body) > 0 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
			}
			golden(t, s.name, resp.StatusCode, body)
		})
	}
}

func TestApplications(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	app := map[string]any{"application": map[string]any{
		"name":               "Store",
		"loginConfiguration": map[string]any{"allowTokenRefresh": true, "generateRefreshTokens": true, "requireAuthentication": false},
		"jwtConfiguration": map[string]any{"enabled": true, "timeToLiveInSeconds": 300, "refreshTokenTimeToLiveInMinutes": 60,
			"refreshTokenUsagePolicy": "OneTimeUse", "refreshTokenOneTimeUseConfiguration": map[string]any{"gracePeriodInSeconds": 10}},
		"oauthConfiguration":  map[string]any{"enabledGrants": []string{"refresh_token"}, "authorizedOriginURLs": []string{"https://store.example.test"}},
		"roles":               []any{map[string]any{"name": "user", "isDefault": true}, map[string]any{"name": "admin"}},
		"cookieConfiguration": map[string]any{"scoped": true},
		"id":                  missing, "tenantId": missing, "insertInstant": 1, // server-owned: ignored
	}}
	runSteps(t, in, []step{
		{"app-create", "POST", "/api/application/" + appID, app, 200, nil},
		{"app-create-duplicate", "POST", "/api/application/" + appID, app, 400, nil},
		{"app-create-defaults", "POST", "/api/application", map[string]any{"application": map[string]any{"name": "Bare"}}, 200, nil},
		{"app-create-blank-name", "POST", "/api/application", map[string]any{"application": map[string]any{"name": ""}}, 400, nil},
		{"app-create-invalid-config", "POST", "/api/application", map[string]any{"application": map[string]any{"name": "x",
			"jwtConfiguration":   map[string]any{"enabled": true, "timeToLiveInSeconds": 0, "refreshTokenUsagePolicy": "Sometimes"},
			"oauthConfiguration": map[string]any{"enabledGrants": []string{"magic"}, "authorizedOriginURLs": []string{"https://a.test/path", "*"}}}}, 400, nil},
		{"app-get", "GET", "/api/application/" + appID, nil, 200, nil},
		{"app-patch-legacy-appends", "PATCH", "/api/application/" + appID,
			map[string]any{"application": map[string]any{"oauthConfiguration": map[string]any{"authorizedOriginURLs": []string{"https://store2.example.test"}}}}, 200, nil},
		{"app-patch-merge-replaces", "PATCH", "/api/application/" + appID,
			map[string]any{"application": map[string]any{"name": "Store 2", "oauthConfiguration": map[string]any{"authorizedOriginURLs": []string{"https://store.example.test"}}}},
			200, []string{"Content-Type", "application/merge-patch+json"}},
		{"app-put", "PUT", "/api/application/" + appID, map[string]any{"application": map[string]any{"name": "Store 3"}}, 200, nil},
		{"app-delete-soft", "DELETE", "/api/application/" + appID, nil, 200, nil},
		{"app-list-inactive", "GET", "/api/application?inactive=true", nil, 200, nil},
		{"app-reactivate", "PUT", "/api/application/" + appID + "?reactivate=true", nil, 200, nil},
		{"app-delete-hard", "DELETE", "/api/application/" + appID + "?hardDelete=true", nil, 200, nil},
		{"app-get-missing", "GET", "/api/application/" + appID, nil, 404, nil},
		{"app-get-not-uuid", "GET", "/api/application/nope", nil, 400, nil},
	})
}

func TestUsersAndRegistrations(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	in.Do(t, "POST", "/api/application/"+appID, map[string]any{"application": map[string]any{"name": "Store",
		"roles": []any{map[string]any{"name": "user", "isDefault": true}, map[string]any{"name": "admin"}}}})
	user := func(email, pw string) map[string]any {
		return map[string]any{"user": map[string]any{"email": email, "password": pw, "firstName": "Ada", "data": map[string]any{"k": "v"}}}
	}
	runSteps(t, in, []step{
		{"user-create", "POST", "/api/user/" + userID, user("Ada@Example.COM", "correct horse"), 200, nil},
		{"user-create-duplicate-email-case", "POST", "/api/user", user("ada@example.com", "correct horse"), 400, nil},
		{"user-create-blank", "POST", "/api/user", map[string]any{"user": map[string]any{}}, 400, nil},
		{"user-create-not-email", "POST", "/api/user", user("not an email", "correct horse"), 400, nil},
		{"user-create-short-password", "POST", "/api/user", user("b@example.com", "short"), 400, nil},
		{"user-create-long-password", "POST", "/api/user", user("b@example.com", strings.Repeat("x", 257)), 400, nil},
		{"user-create-bcrypt-73-bytes", "POST", "/api/user", map[string]any{"user": map[string]any{"email": "b@example.com",
			"password": strings.Repeat("x", 73), "encryptionScheme": "bcrypt"}}, 400, nil},
		{"user-create-bad-path-id", "POST", "/api/user/123", user("b@example.com", "correct horse"), 400, nil},
		{"user-get", "GET", "/api/user/" + userID, nil, 200, nil},
		{"user-find-email-any-case", "GET", "/api/user?email=ADA@example.com", nil, 200, nil},
		{"user-find-missing", "GET", "/api/user?email=nobody@example.com", nil, 404, nil},
		{"user-find-no-query", "GET", "/api/user?email=undefined", nil, 400, nil},
		{"user-put", "PUT", "/api/user/" + userID, map[string]any{"user": map[string]any{"email": "ada@example.com", "username": "ada"}}, 200, nil},
		{"user-find-login-id", "GET", "/api/user?loginId=ada", nil, 200, nil},
		{"user-patch", "PATCH", "/api/user/" + userID, map[string]any{"user": map[string]any{"lastName": "Lovelace", "data": map[string]any{"x": 1}}}, 200, nil},
		{"reg-combined", "POST", "/api/user/registration/" + user2ID, map[string]any{
			"user": map[string]any{"email": "grace@example.com", "password": "correct horse"}, "registration": map[string]any{"applicationId": appID}}, 200, nil},
		{"reg-existing-user", "POST", "/api/user/registration/" + userID, map[string]any{"registration": map[string]any{"applicationId": appID, "roles": []string{"admin"}}}, 200, nil},
		{"reg-duplicate", "POST", "/api/user/registration/" + userID, map[string]any{"registration": map[string]any{"applicationId": appID}}, 400, nil},
		{"reg-invalid-role", "POST", "/api/user/registration", map[string]any{"user": map[string]any{"email": "c@example.com", "password": "correct horse"},
			"registration": map[string]any{"applicationId": appID, "roles": []string{"root"}}}, 400, nil},
		{"reg-invalid-app", "POST", "/api/user/registration/" + userID, map[string]any{"registration": map[string]any{"applicationId": missing}}, 400, nil},
		{"reg-unknown-user", "POST", "/api/user/registration/" + missing, map[string]any{"registration": map[string]any{"applicationId": appID}}, 404, nil},
		{"reg-get", "GET", "/api/user/registration/" + userID + "/" + appID, nil, 200, nil},
		{"reg-put", "PUT", "/api/user/registration/" + userID + "/" + appID, map[string]any{"registration": map[string]any{"roles": []string{"user", "admin"}}}, 200, nil},
		{"user-get-with-registrations", "GET", "/api/user/" + userID, nil, 200, nil},
		{"reg-delete", "DELETE", "/api/user/registration/" + userID + "/" + appID, nil, 200, nil},
		{"reg-get-missing", "GET", "/api/user/registration/" + userID + "/" + appID, nil, 404, nil},
		{"user-delete-soft", "DELETE", "/api/user/" + userID, nil, 200, nil},
		{"user-get-inactive", "GET", "/api/user/" + userID, nil, 200, nil},
		{"user-reactivate", "PUT", "/api/user/" + userID + "?reactivate=true", nil, 200, nil},
		{"user-delete-hard", "DELETE", "/api/user/" + userID + "?hardDelete=true", nil, 200, nil},
		{"user-get-missing", "GET", "/api/user/" + userID, nil, 404, nil},
	})
}

// A password change and a deactivation end the user's sessions: every live
// refresh token is revoked.
func TestPasswordChangeAndDeactivationRevokeRefreshTokens(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	ctx := context.Background()
	in.Do(t, "POST", "/api/application/"+appID, map[string]any{"application": map[string]any{"name": "Store"}})
	mint := func(id string) {
		now := time.Now()
		err := in.Store.CreateRefreshToken(ctx, storage.RefreshToken{ID: id, TenantID: "b54ca84b-aceb-4215-9678-473afdeaabed", UserID: userID,
			ApplicationID: appID, Hash: []byte(id), StartInstant: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour), AuthTime: now, InsertedAt: now})
		if err != nil {
			t.Fatal(err)
		}
	}
	live := func() int {
		ts, err := in.Store.ListRefreshTokens(ctx, userID)
		if err != nil {
			t.Fatal(err)
		}
		return len(ts)
	}
	resp, body := in.Do(t, "POST", "/api/user/"+userID, map[string]any{"user": map[string]any{"email": "a@example.com", "password": "first password"}})
	if resp.StatusCode != 200 {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	tests := []struct {
		name   string
		method string
		path   string
		body   any
	}{
		{"profile edit keeps sessions", "PATCH", "/api/user/" + userID, map[string]any{"user": map[string]any{"firstName": "A"}}},
		{"password change revokes", "PATCH", "/api/user/" + userID, map[string]any{"user": map[string]any{"password": "second password"}}},
		{"deactivation revokes", "DELETE", "/api/user/" + userID, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mint(uuidFor(i))
			before := live()
			resp, body := in.Do(t, tt.method, tt.path, tt.body)
			if resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if strings.Contains(string(body), "password") && strings.Contains(string(body), "second") {
				t.Fatalf("password echoed: %s", body)
			}
			after := live()
			if i == 0 && after != before {
				t.Fatalf("profile edit revoked tokens: %d -> %d", before, after)
			}
			if i > 0 && after != 0 {
				t.Fatalf("%d refresh tokens still live", after)
			}
		})
	}
}

func uuidFor(i int) string { return "aaaaaaaa-0000-4000-8000-00000000000" + string(rune('0'+i)) }

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

func TestAPIKeys(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	const readUsers = "read-only-users-key-0123456789"
	runSteps(t, in, []step{
		{"apikey-create", "POST", "/api/api-key/" + appID, map[string]any{"apiKey": map[string]any{"key": readUsers,
			"permissions": map[string]any{"endpoints": map[string]any{"/api/user": []string{"GET"}}}, "metaData": map[string]any{"attributes": map[string]any{"description": "reader"}}}}, 200, nil},
		{"apikey-create-generated", "POST", "/api/api-key", map[string]any{"apiKey": map[string]any{}}, 200, nil},
		{"apikey-create-duplicate", "POST", "/api/api-key", map[string]any{"apiKey": map[string]any{"key": readUsers}}, 400, nil},
		{"apikey-create-short", "POST", "/api/api-key", map[string]any{"apiKey": map[string]any{"key": "short"}}, 400, nil},
		{"apikey-non-manager", "POST", "/api/api-key", map[string]any{"apiKey": map[string]any{}}, 401, []string{"Authorization", readUsers}},
		{"apikey-restricted-reads", "GET", "/api/user?email=x@example.com", nil, 404, []string{"Authorization", readUsers}},
		{"apikey-restricted-cannot-write", "POST", "/api/user", map[string]any{"user": map[string]any{}}, 401, []string{"Authorization", readUsers}},
		{"apikey-missing", "GET", "/api/tenant", nil, 401, []string{"Authorization", ""}},
		{"apikey-wrong", "GET", "/api/tenant", nil, 401, []string{"Authorization", "wrong-key-wrong-key"}},
		{"apikey-bearer-is-not-a-key", "GET", "/api/tenant", nil, 401, []string{"Authorization", "Bearer " + in.APIKey}},
	})
}

func TestBadInputNeverA500(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	big := `{"user":{"email":"a@example.com","data":{"x":"` + strings.Repeat("a", 70<<10) + `"}}}`
	tests := []struct {
		name, method, path string
		body               any
		status             int
		headers            []string
	}{
		{"malformed JSON", "POST", "/api/user", `{"user":`, 400, nil},
		{"trailing garbage", "POST", "/api/user", `{"user":{}}xyz`, 400, nil},
		{"wrong type", "POST", "/api/user", `{"user":{"email":42}}`, 400, nil},
		{"invalid UTF-8", "POST", "/api/user", "{\"user\":{\"email\":\"a\xff@example.com\",\"password\":\"correct horse\"}}", 400, nil},
		{"duplicate member", "POST", "/api/application", `{"application":{"name":"a","name":"b"}}`, 400, nil},
		{"body over 64 KiB", "POST", "/api/user", big, 413, nil},
		{"empty body", "POST", "/api/application", "", 400, nil},
		{"wrong content type", "POST", "/api/application", `{"application":{"name":"a"}}`, 415, []string{"Content-Type", "text/plain"}},
		{"patch wrong type", "PATCH", "/api/tenant/b54ca84b-aceb-4215-9678-473afdeaabed", `{"tenant":{"jwtConfiguration":{"timeToLiveInSeconds":"soon"}}}`, 400, nil},
		{"unknown user", "PUT", "/api/user/" + missing, `{"user":{}}`, 404, nil},
		{"unknown application", "DELETE", "/api/application/" + missing, nil, 404, nil},
		{"non-UUID user", "DELETE", "/api/user/not-a-uuid", nil, 400, nil},
		{"non-UUID registration app", "GET", "/api/user/registration/" + missing + "/x", nil, 404, nil},
		{"array instead of object", "POST", "/api/user", `[]`, 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := in.Do(t, tt.method, tt.path, tt.body, tt.headers...)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if resp.StatusCode == http.StatusNotFound && len(body) != 0 {
				t.Fatalf("404 with a body: %s", body)
			}
			if resp.StatusCode >= 400 && resp.StatusCode != 404 && !strings.Contains(string(body), `"code"`) {
				t.Fatalf("error without a FusionAuth error body: %s", body)
			}
			if strings.Contains(string(body), "Go ") || strings.Contains(string(body), "server.") {
				t.Fatalf("error names Go internals: %s", body)
			}
		})
	}
	// Nothing above created anything.
	_, body := in.Do(t, "GET", "/api/user?email=a@example.com", nil)
	if len(body) != 0 {
		t.Fatalf("a refused request created a user: %s", body)
	}
}
