package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/apptest"
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
			managementGolden(t, s.name, resp.StatusCode, body)
		})
	}
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

// TestManagementNotCORS is A4 / §4.6: even from an application's own
// authorized origin, a preflight or a request to a management endpoint gets
// no Access-Control-Allow-Origin, so a page there cannot read management
// answers or send a key from the browser. The login endpoint from the same
// origin does get CORS, so the origin really is allowed.
func TestManagementNotCORS(t *testing.T) {
	s := newStack(t)
	tests := []struct {
		name     string
		c        call
		wantACAO bool
	}{
		{"preflight user PATCH", call{method: "OPTIONS", path: "/api/user/" + aliceID,
			hdr: map[string]string{"Origin": storeSite, "Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "authorization,content-type"}}, false},
		{"preflight api key create", call{method: "OPTIONS", path: "/api/api-key",
			hdr: map[string]string{"Origin": storeSite, "Access-Control-Request-Method": "POST"}}, false},
		{"preflight application list", call{method: "OPTIONS", path: "/api/application",
			hdr: map[string]string{"Origin": storeSite, "Access-Control-Request-Method": "GET"}}, false},
		{"simple GET with the key", call{method: "GET", path: "/api/user/" + aliceID,
			hdr: map[string]string{"Origin": storeSite, "Authorization": apiKey}}, false},
		{"preflight login (control)", call{method: "OPTIONS", path: "/api/login",
			hdr: map[string]string{"Origin": storeSite, "Access-Control-Request-Method": "POST"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.do(tt.c)
			acao := res.header.Get("Access-Control-Allow-Origin")
			if (acao != "") != tt.wantACAO {
				t.Fatalf("Access-Control-Allow-Origin %q (status %d), want present=%v", acao, res.status, tt.wantACAO)
			}
			if !tt.wantACAO && (res.header.Get("Access-Control-Allow-Credentials") != "" || res.header.Get("Access-Control-Allow-Methods") != "") {
				t.Fatalf("CORS headers on a management answer: %v", res.header)
			}
		})
	}
}
