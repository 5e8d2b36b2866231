package server_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/apptest"
)

// Review of issue #2: settings and profile fields that were stored
// unchecked. Each refused request must leave the stored record as it was.

const tenantPath = "/api/tenant/b54ca84b-aceb-4215-9678-473afdeaabed"

func TestReviewTenantFactorOutsideHasherRange(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	_, before := in.Do(t, "GET", tenantPath, nil)
	tests := []struct {
		name, scheme string
		factor       int64
		want         string
	}{
		{"bcrypt 40", "bcrypt", 40, "from 4 to 31"},
		{"bcrypt 3", "bcrypt", 3, "from 4 to 31"},
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

func TestReviewApplicationSettingsValidatedWhenDisabled(t *testing.T) {
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

func TestReviewUserBirthDateAndBodyID(t *testing.T) {
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
