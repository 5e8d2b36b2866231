package server_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/loghygiene"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

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

// TestManagementKeyRefusals is security-bar.md A1 / §4.12: no key, a wrong
// key, an expired key, a Bearer-wrapped key, Basic with another user, and
// the right key in the query string all get the same 401 (same body, same
// headers but the request id), the user is not touched, and no key value
// reaches the log. The right key in the header then works, so the refusals
// were not an accident of the route.
func TestManagementKeyRefusals(t *testing.T) {
	var buf loghygiene.Buffer
	s := loggedStack(t, &buf)
	expired := "expired-api-key-0123456789abcdef0123456789"
	must(t, s.Store.CreateAPIKey(context.Background(), storage.APIKey{ID: uuid.NewString(), KeyHash: manage.HashAPIKey(expired),
		KeyManager: true, InsertInstant: s.Clock.Now().UnixMilli(), ExpirationInstant: s.Clock.Now().Add(-time.Minute).UnixMilli()}))
	path := "/api/user/" + aliceID
	patch := `{"user":{"firstName":"Eve"}}`
	tests := []struct {
		name string
		c    call
	}{
		{"no key", call{method: "PATCH", path: path, body: patch}},
		{"wrong key", call{method: "PATCH", path: path, body: patch, hdr: map[string]string{"Authorization": "not-the-key-0123456789"}}},
		{"expired key", call{method: "PATCH", path: path, body: patch, hdr: map[string]string{"Authorization": expired}}},
		{"bearer-wrapped key", call{method: "PATCH", path: path, body: patch, hdr: map[string]string{"Authorization": "Bearer " + apiKey}}},
		{"Basic with another user", call{method: "PATCH", path: path, body: patch,
			hdr: map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+apiKey))}}},
		{"key in the query", call{method: "PATCH", path: path + "?apiKey=" + apiKey, body: patch}},
		{"key in the query, GET", call{method: "GET", path: path + "?apiKey=" + apiKey}},
	}
	var first result
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.do(tt.c)
			if res.status != http.StatusUnauthorized {
				t.Fatalf("status %d %s, want 401", res.status, res.body)
			}
			if i == 0 {
				first = res
				return
			}
			if string(res.body) != string(first.body) || !reflect.DeepEqual(stripID(res.header), stripID(first.header)) {
				t.Fatalf("refusal differs from the no-key one:\n%v %q\n%v %q", res.header, res.body, first.header, first.body)
			}
		})
	}
	u, err := s.Store.GetUser(context.Background(), aliceID)
	must(t, err)
	if u.FirstName == "Eve" {
		t.Fatal("a refused request changed the user")
	}
	if res := s.do(call{method: "GET", path: path, hdr: map[string]string{"Authorization": apiKey}}); res.status != 200 {
		t.Fatalf("the right key in the header: %d", res.status)
	}
	if leaks := loghygiene.Leaks(buf.String(), apiKey, expired, "not-the-key-0123456789"); len(leaks) != 0 {
		t.Fatalf("API keys in the log: %v", leaks)
	}
	if n := strings.Count(buf.String(), "event=api_key_failure"); n != len(tests) {
		t.Fatalf("%d api_key_failure events for %d refusals", n, len(tests))
	}
}

func stripID(h http.Header) http.Header {
	c := h.Clone()
	c.Del("X-Request-Id")
	c.Del("Date")
	return c
}
