package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// jwksKids lists the published kids with their algorithms.
func jwksKids(t *testing.T, in *apptest.Instance) map[string]string {
	t.Helper()
	res, body := in.Do(t, "GET", "/.well-known/jwks.json", nil, "Authorization", "")
	if res.StatusCode != 200 {
		t.Fatalf("jwks: %d %s", res.StatusCode, body)
	}
	var set struct{ Keys []struct{ Kid, Alg string } }
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range set.Keys {
		out[k.Kid] = k.Alg
	}
	return out
}

// tokenKid logs the seeded user in and returns the kid of the access token
// and the token.
func tokenKid(t *testing.T, in *apptest.Instance, appID string) (string, string) {
	t.Helper()
	res, body := in.Do(t, "POST", "/api/login", map[string]any{
		"loginId": "rotate@example.com", "password": "rotate-password", "applicationId": appID}, "Authorization", "")
	if res.StatusCode != 200 {
		t.Fatalf("login: %d %s", res.StatusCode, body)
	}
	var lr struct{ Token string }
	_ = json.Unmarshal(body, &lr)
	hdr, err := base64.RawURLEncoding.DecodeString(strings.Split(lr.Token, ".")[0])
	if err != nil {
		t.Fatalf("token header: %v", err)
	}
	var h struct{ Kid string }
	_ = json.Unmarshal(hdr, &h)
	return h.Kid, lr.Token
}

func seedRotateUser(t *testing.T, in *apptest.Instance) string {
	t.Helper()
	appID := uuid.NewString()
	if res, b := in.Do(t, "POST", "/api/application/"+appID, map[string]any{"application": map[string]any{
		"name": "rotate", "loginConfiguration": map[string]any{"requireAuthentication": false}}}); res.StatusCode != 200 {
		t.Fatalf("create application: %d %s", res.StatusCode, b)
	}
	if res, b := in.Do(t, "POST", "/api/user/registration", map[string]any{
		"user":         map[string]any{"email": "rotate@example.com", "password": "rotate-password"},
		"registration": map[string]any{"applicationId": appID}}); res.StatusCode != 200 {
		t.Fatalf("register: %d %s", res.StatusCode, b)
	}
	return appID
}

// TestRotateKey: POST /api/key/rotate publishes the next key of the named
// algorithm at once, keeps the old one published (tokens it signed stay
// valid) and signing until the new key's activation.
func TestRotateKey(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	appID := seedRotateUser(t, in)
	oldKid, oldToken := tokenKid(t, in, appID)

	tests := []struct {
		name, body, alg string
	}{
		{"empty body rotates ES256", "", "ES256"},
		{"ES256", `{"algorithm":"ES256"}`, "ES256"},
		{"RS256", `{"algorithm":"RS256"}`, "RS256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := jwksKids(t, in)
			res, body := in.Do(t, "POST", "/api/key/rotate", tc.body)
			if res.StatusCode != 200 {
				t.Fatalf("rotate: %d %s", res.StatusCode, body)
			}
			var out struct{ Key map[string]string }
			if err := json.Unmarshal(body, &out); err != nil || len(out.Key) != 2 {
				t.Fatalf("body %s: want exactly {key:{id,algorithm}}", body)
			}
			if out.Key["algorithm"] != tc.alg || before[out.Key["id"]] != "" {
				t.Fatalf("rotate answered %v; want a new %s kid", out.Key, tc.alg)
			}
			after := jwksKids(t, in)
			if after[out.Key["id"]] != tc.alg || len(after) != len(before)+1 {
				t.Fatalf("JWKS after rotate %v, before %v: want the new key added, none dropped", after, before)
			}
		})
	}
	// The new key is published first and signs only PublishAhead (10 min)
	// later (keys.TestRotationPublishesBeforeSigning), so resource servers
	// have it before they meet it: right after the rotation the old one signs.
	if kid, _ := tokenKid(t, in, appID); kid != oldKid {
		t.Fatalf("right after the rotation tokens are signed with kid %s, want the old %s until the new key's activation", kid, oldKid)
	}
	res, _ := in.Do(t, "GET", "/api/jwt/validate", nil, "Authorization", "Bearer "+oldToken)
	if res.StatusCode != 200 {
		t.Fatalf("a token signed before the rotation no longer validates: %d", res.StatusCode)
	}
}

// TestRotateKeyRefusals: without the right key, with a bad algorithm or
// body, or with the wrong method nothing rotates and the answer is a clear
// 4xx (never a 500).
func TestRotateKeyRefusals(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	limited := "limited-" + uuid.NewString()
	err := in.Store.CreateAPIKey(context.Background(), storage.APIKey{ID: uuid.NewString(), KeyHash: manage.HashAPIKey(limited),
		Endpoints: map[string][]string{"/api/user": {"GET"}}, InsertInstant: time.Now().UnixMilli()})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		method  string
		body    string
		headers []string
		status  int
		errCode string
	}{
		{"no API key", "POST", `{"algorithm":"ES256"}`, []string{"Authorization", ""}, 401, ""},
		{"wrong API key", "POST", `{"algorithm":"ES256"}`, []string{"Authorization", "not-a-key"}, 401, ""},
		{"key without /api/key permission", "POST", `{"algorithm":"ES256"}`, []string{"Authorization", limited}, 401, ""},
		{"bearer token instead of API key", "POST", `{"algorithm":"ES256"}`, []string{"Authorization", "Bearer x.y.z"}, 401, ""},
		{"HS256 refused", "POST", `{"algorithm":"HS256"}`, nil, 400, "[invalid]algorithm"},
		{"none refused", "POST", `{"algorithm":"none"}`, nil, 400, "[invalid]algorithm"},
		{"lower-case alg refused", "POST", `{"algorithm":"es256"}`, nil, 400, "[invalid]algorithm"},
		{"algorithm of wrong type", "POST", `{"algorithm":256}`, nil, 400, "[invalid]algorithm"},
		{"invalid JSON", "POST", `{"algorithm":`, nil, 400, "[invalid]"},
		{"duplicate member", "POST", `{"algorithm":"ES256","algorithm":"RS256"}`, nil, 400, "[invalid]"},
		{"not JSON", "POST", `algorithm=ES256`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "[invalidContentType]"},
		{"GET", "GET", "", nil, 405, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := jwksKids(t, in)
			var body any
			if tc.body != "" {
				body = tc.body
			}
			res, b := in.Do(t, tc.method, "/api/key/rotate", body, tc.headers...)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, b)
			}
			if tc.errCode != "" && !strings.Contains(string(b), `"code":"`+tc.errCode) {
				t.Fatalf("body %s lacks error code %s", b, tc.errCode)
			}
			after := jwksKids(t, in)
			if len(after) != len(before) || !slices.Equal(sortedKeys(after), sortedKeys(before)) {
				t.Fatalf("a refused rotation changed the JWKS: %v -> %v", before, after)
			}
		})
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
