package server_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// createdBody is the part of a create response these tests read.
type createdBody struct {
	Token                  string `json:"token"`
	TokenExpirationInstant int64  `json:"tokenExpirationInstant"`
	RefreshToken           string `json:"refreshToken"`
	RefreshTokenID         string `json:"refreshTokenId"`
	User                   struct {
		ID string `json:"id"`
	} `json:"user"`
}

func decodeCreated(t *testing.T, resp *http.Response, body []byte) createdBody {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var c createdBody
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return c
}

// claimsOf reads a JWT payload without verifying it; the signature is
// checked separately through /api/jwt/validate.
func claimsOf(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", jwt)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil {
		t.Fatalf("payload: %v", err)
	}
	return c
}

// TestCreateResponsesCarryTokens: FusionAuth answers POST /api/user with a
// USER_CREATE token and the combined registration with a REGISTRATION token
// plus a refresh token when the application generates them (users.mdx,
// registrations.mdx). The tokens must be real: validate accepts them and the
// refresh token refreshes.
func TestCreateResponsesCarryTokens(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	resp, body := in.Do(t, "POST", "/api/application/"+appID, map[string]any{"application": map[string]any{
		"name":               "Store",
		"roles":              []any{map[string]any{"name": "user", "isDefault": true}},
		"loginConfiguration": map[string]any{"allowTokenRefresh": true, "generateRefreshTokens": true, "requireAuthentication": false},
	}})
	if resp.StatusCode != 200 {
		t.Fatalf("app: %d %s", resp.StatusCode, body)
	}
	tests := []struct {
		name, path, authType string
		body                 map[string]any
		wantAud, wantRefresh bool
	}{
		{"user create", "/api/user", "USER_CREATE",
			map[string]any{"user": map[string]any{"email": "u1@example.com", "password": "a good password"}}, false, false},
		{"user create for an application", "/api/user", "USER_CREATE",
			map[string]any{"applicationId": appID, "user": map[string]any{"email": "u2@example.com", "password": "a good password"}}, true, false},
		{"combined registration", "/api/user/registration", "REGISTRATION",
			map[string]any{"user": map[string]any{"email": "u3@example.com", "password": "a good password"},
				"registration": map[string]any{"applicationId": appID}}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := in.Do(t, "POST", tt.path, tt.body)
			c := decodeCreated(t, resp, body)
			claims := claimsOf(t, c.Token)
			if claims["authenticationType"] != tt.authType || claims["sub"] != c.User.ID {
				t.Fatalf("claims %v, want authenticationType %s sub %s", claims, tt.authType, c.User.ID)
			}
			if exp, _ := claims["exp"].(float64); int64(exp)*1000 != c.TokenExpirationInstant {
				t.Fatalf("tokenExpirationInstant %d is not exp %v in ms", c.TokenExpirationInstant, claims["exp"])
			}
			if _, has := claims["aud"]; has != tt.wantAud {
				t.Fatalf("aud present=%v, want %v: %v", has, tt.wantAud, claims)
			}
			if resp, body := in.Do(t, "GET", "/api/jwt/validate", nil, "Authorization", "Bearer "+c.Token); resp.StatusCode != 200 {
				t.Fatalf("validate: %d %s", resp.StatusCode, body)
			}
			if (c.RefreshToken != "") != tt.wantRefresh || (c.RefreshTokenID != "") != tt.wantRefresh {
				t.Fatalf("refreshToken %q id %q, want one: %v", c.RefreshToken, c.RefreshTokenID, tt.wantRefresh)
			}
			if !tt.wantRefresh {
				return
			}
			if claims["sid"] != c.RefreshTokenID {
				t.Fatalf("sid %v, want refreshTokenId %s", claims["sid"], c.RefreshTokenID)
			}
			resp, body = in.Do(t, "POST", "/api/jwt/refresh", map[string]any{"refreshToken": c.RefreshToken}, "Authorization", "")
			if resp.StatusCode != 200 {
				t.Fatalf("refresh with the registration's token: %d %s", resp.StatusCode, body)
			}
		})
	}
}

// TestCreateUserUnknownApplicationCreatesNothing: a bad applicationId is
// refused before anything is stored.
func TestCreateUserUnknownApplicationCreatesNothing(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	for _, id := range []string{missing, "not-a-uuid"} {
		t.Run(id, func(t *testing.T) {
			resp, body := in.Do(t, "POST", "/api/user", map[string]any{"applicationId": id,
				"user": map[string]any{"email": "ghost@example.com", "password": "a good password"}})
			if resp.StatusCode != 400 || !strings.Contains(string(body), `"[invalid]applicationId"`) {
				t.Fatalf("%d %s, want 400 [invalid]applicationId", resp.StatusCode, body)
			}
			if resp, _ := in.Do(t, "GET", "/api/user?email=ghost@example.com", nil); resp.StatusCode != 404 {
				t.Fatalf("user exists after a refused create: %d", resp.StatusCode)
			}
		})
	}
}

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

// TestRegistrationUpdateWithApplicationInBody: the TS client's
// updateRegistration/patchRegistration send PUT/PATCH
// /api/user/registration/{userId} with the application in the body.
func TestRegistrationUpdateWithApplicationInBody(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	in.Do(t, "POST", "/api/application/"+appID, map[string]any{"application": map[string]any{"name": "Store",
		"roles": []any{map[string]any{"name": "user", "isDefault": true}, map[string]any{"name": "admin"}}}})
	resp, body := in.Do(t, "POST", "/api/user/registration/"+userID, map[string]any{
		"user": map[string]any{"email": "r@example.com", "password": "a good password"}, "registration": map[string]any{"applicationId": appID}})
	if resp.StatusCode != 200 {
		t.Fatalf("register: %d %s", resp.StatusCode, body)
	}
	tests := []struct {
		name, method string
		body         any
		status       int
		wantRoles    string
	}{
		{"put", "PUT", map[string]any{"registration": map[string]any{"applicationId": appID, "roles": []string{"admin"}}}, 200, `["admin"]`},
		{"patch appends", "PATCH", map[string]any{"registration": map[string]any{"applicationId": appID, "roles": []string{"user"}}}, 200, `["admin","user"]`},
		{"no application", "PUT", map[string]any{"registration": map[string]any{"roles": []string{"user"}}}, 400, `["admin","user"]`},
		{"unknown application", "PUT", map[string]any{"registration": map[string]any{"applicationId": missing}}, 404, `["admin","user"]`},
		{"application not a uuid", "PATCH", map[string]any{"registration": map[string]any{"applicationId": "x"}}, 400, `["admin","user"]`},
		{"malformed JSON", "PUT", `{"registration":`, 400, `["admin","user"]`},
		{"unknown role", "PUT", map[string]any{"registration": map[string]any{"applicationId": appID, "roles": []string{"root"}}}, 400, `["admin","user"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := in.Do(t, tt.method, "/api/user/registration/"+userID, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("%d %s, want %d", resp.StatusCode, body, tt.status)
			}
			reg, err := in.Store.GetRegistration(t.Context(), userID, appID)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := json.Marshal(reg.Roles); string(got) != tt.wantRoles {
				t.Fatalf("stored roles %s, want %s", got, tt.wantRoles)
			}
		})
	}
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
