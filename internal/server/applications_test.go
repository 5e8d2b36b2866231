package server_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/apptest"
)

// TestApplications pins the application endpoints with golden files:
// create (with defaults, duplicates, invalid settings), read, list, PUT,
// both PATCH forms, soft and hard delete, reactivate.
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

// TestApplicationJWTSettingsCheckedWhenDisabled: an application's
// jwtConfiguration is validated whatever its enabled flag says, so enabling
// it later with a PATCH of just "enabled" cannot activate a stored bad value;
// a refused request leaves the application as it was.
func TestApplicationJWTSettingsCheckedWhenDisabled(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	bad := map[string]any{"enabled": false, "timeToLiveInSeconds": -5, "refreshTokenUsagePolicy": "Bogus"}
	wants := []string{"[invalid]application.jwtConfiguration.timeToLiveInSeconds", "[invalid]application.jwtConfiguration.refreshTokenUsagePolicy"}
	check := func(t *testing.T, status int, body []byte) {
		t.Helper()
		if status != 400 {
			t.Fatalf("status %d, want 400: %s", status, body)
		}
		for _, w := range wants {
			if !strings.Contains(string(body), w) {
				t.Errorf("body lacks %s: %s", w, body)
			}
		}
	}
	t.Run("create", func(t *testing.T) {
		resp, body := in.Do(t, "POST", "/api/application/"+appID, map[string]any{"application": map[string]any{"name": "x", "jwtConfiguration": bad}})
		check(t, resp.StatusCode, body)
		if resp, _ := in.Do(t, "GET", "/api/application/"+appID, nil); resp.StatusCode != 404 {
			t.Fatalf("refused application stored: GET = %d", resp.StatusCode)
		}
	})
	t.Run("patch and put", func(t *testing.T) {
		if resp, body := in.Do(t, "POST", "/api/application/"+appID, map[string]any{"application": map[string]any{"name": "x"}}); resp.StatusCode != 200 {
			t.Fatalf("create = %d %s", resp.StatusCode, body)
		}
		_, before := in.Do(t, "GET", "/api/application/"+appID, nil)
		for _, m := range []string{"PATCH", "PUT"} {
			resp, body := in.Do(t, m, "/api/application/"+appID, map[string]any{"application": map[string]any{"name": "x", "jwtConfiguration": bad}})
			check(t, resp.StatusCode, body)
		}
		if _, after := in.Do(t, "GET", "/api/application/"+appID, nil); !bytes.Equal(before, after) {
			t.Fatalf("application changed by refused updates:\n%s\n%s", before, after)
		}
	})
}

// TestOAuthConfigurationRoute: GET /api/application/{id}/oauth-configuration
// (TS retrieveOauthConfiguration) answers the configuration with its secret
// to an API key, 404 for an unknown application and 401 without a key.
func TestOAuthConfigurationRoute(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	_, created := in.Do(t, "POST", "/api/application/"+appID, map[string]any{"application": map[string]any{"name": "Store",
		"oauthConfiguration": map[string]any{"enabledGrants": []string{"password"}}}})
	var app struct {
		Application struct {
			OAuthConfiguration map[string]any `json:"oauthConfiguration"`
		} `json:"application"`
	}
	if err := json.Unmarshal(created, &app); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		headers    []string
		status     int
	}{
		{"with key", "/api/application/" + appID + "/oauth-configuration", nil, 200},
		{"unknown app", "/api/application/" + missing + "/oauth-configuration", nil, 404},
		{"no key", "/api/application/" + appID + "/oauth-configuration", []string{"Authorization", ""}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := in.Do(t, "GET", tt.path, nil, tt.headers...)
			if resp.StatusCode != tt.status {
				t.Fatalf("%d %s, want %d", resp.StatusCode, body, tt.status)
			}
			if tt.status != 200 {
				return
			}
			var got struct {
				OAuthConfiguration map[string]any `json:"oauthConfiguration"`
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			want := app.Application.OAuthConfiguration
			if got.OAuthConfiguration["clientSecret"] == nil || got.OAuthConfiguration["clientSecret"] != want["clientSecret"] ||
				got.OAuthConfiguration["clientId"] != appID {
				t.Fatalf("got %v, want %v", got.OAuthConfiguration, want)
			}
		})
	}
}
