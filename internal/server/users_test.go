package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestUsersAndRegistrations pins the user and registration endpoints with
// golden files: creates (and their refusals), reads, finds, PUT, PATCH,
// registrations of new and existing users, soft and hard delete.
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

// TestUserBirthDateAndBodyID: birthDate must be a calendar date (it is
// copied into every token's birthdate claim), and a user.id in the body must
// be a UUID, the path's id winning over the body's; refused creates store
// nothing.
func TestUserBirthDateAndBodyID(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	create := func(t *testing.T, path string, user map[string]any) (int, string) {
		t.Helper()
		user["password"] = "correct horse"
		resp, body := in.Do(t, "POST", path, map[string]any{"user": user})
		return resp.StatusCode, string(body)
	}
	refused := []struct {
		name, path string
		user       map[string]any
		want       string
	}{
		{"birthDate not a date", "/api/user", map[string]any{"email": "a@example.com", "birthDate": "notadate"}, "[invalid]user.birthDate"},
		{"birthDate impossible day", "/api/user", map[string]any{"email": "a@example.com", "birthDate": "1990-02-30"}, "[invalid]user.birthDate"},
		{"birthDate with time", "/api/user", map[string]any{"email": "a@example.com", "birthDate": "1990-02-03T00:00:00Z"}, "[invalid]user.birthDate"},
		{"body id not a UUID", "/api/user", map[string]any{"email": "a@example.com", "id": "nope"}, "[couldNotConvert]user.id"},
		{"body id not a UUID with path id", "/api/user/" + userID, map[string]any{"email": "a@example.com", "id": "nope"}, "[couldNotConvert]user.id"},
		{"combined registration, body id not a UUID", "/api/user/registration", map[string]any{"email": "a@example.com", "id": "123"}, "[couldNotConvert]user.id"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			status, body := create(t, tt.path, tt.user)
			if status != 400 || !strings.Contains(body, tt.want) {
				t.Fatalf("status %d %s; want 400 %s", status, body, tt.want)
			}
			if resp, _ := in.Do(t, "GET", "/api/user?email=a@example.com", nil); resp.StatusCode != 404 {
				t.Fatalf("refused user stored: lookup = %d", resp.StatusCode)
			}
		})
	}
	t.Run("valid birthDate and body id honoured", func(t *testing.T) {
		status, body := create(t, "/api/user", map[string]any{"email": "b@example.com", "birthDate": "1990-02-28", "id": strings.ToUpper(user2ID)})
		if status != 200 || !strings.Contains(body, `"id":"`+user2ID+`"`) || !strings.Contains(body, `"birthDate":"1990-02-28"`) {
			t.Fatalf("create = %d %s; want id %s and the birthDate", status, body, user2ID)
		}
	})
	t.Run("path id wins over body id", func(t *testing.T) {
		status, body := create(t, "/api/user/"+userID, map[string]any{"email": "c@example.com", "id": missing})
		if status != 200 || !strings.Contains(body, `"id":"`+userID+`"`) {
			t.Fatalf("create = %d %s; want the path id", status, body)
		}
	})
	t.Run("update refuses a bad birthDate", func(t *testing.T) {
		_, before := in.Do(t, "GET", "/api/user/"+userID, nil)
		for _, m := range []string{"PUT", "PATCH"} {
			resp, body := in.Do(t, m, "/api/user/"+userID, map[string]any{"user": map[string]any{"email": "c@example.com", "birthDate": "31/12/1990"}})
			if resp.StatusCode != 400 || !strings.Contains(string(body), "[invalid]user.birthDate") {
				t.Fatalf("%s = %d %s", m, resp.StatusCode, body)
			}
		}
		if _, after := in.Do(t, "GET", "/api/user/"+userID, nil); !bytes.Equal(before, after) {
			t.Fatalf("user changed by refused updates:\n%s\n%s", before, after)
		}
	})
}

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
