package server_test

import (
	"strings"
	"testing"
)

// TestSecurityHeadersEveryResponse is security-bar.md H3 / §4.11 on the real
// App: JSON, JavaScript, empty and error responses all carry nosniff, a CSP
// that forbids framing, plugins and <base>, X-Frame-Options DENY and
// Referrer-Policy; JSON says its charset; HSTS is absent over plain HTTP
// from a direct client, even one claiming X-Forwarded-Proto: https (only a
// trusted proxy is believed: TestHSTSOnlyOverHTTPS).
func TestSecurityHeadersEveryResponse(t *testing.T) {
	s := newStack(t)
	login := `{"loginId":"` + aliceEmail + `","password":"` + alicePass + `","applicationId":"` + storeApp + `"}`
	tests := []struct {
		name       string
		c          call
		wantStatus int
		wantType   string // "" = no body
	}{
		{"status", call{method: "GET", path: "/api/status"}, 200, "application/json;charset=UTF-8"},
		{"login ok", call{method: "POST", path: "/api/login", body: login}, 200, "application/json;charset=UTF-8"},
		{"login failed", call{method: "POST", path: "/api/login",
			body: `{"loginId":"nobody@example.test","password":"x","applicationId":"` + storeApp + `"}`}, 404, ""},
		{"login bad JSON", call{method: "POST", path: "/api/login", body: `{"loginId":`}, 400, "application/json;charset=UTF-8"},
		{"jwks", call{method: "GET", path: "/.well-known/jwks.json"}, 200, "application/json;charset=UTF-8"},
		{"oauth error", call{method: "POST", path: "/oauth2/token", body: "grant_type=password",
			hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 400, "application/json;charset=UTF-8"},
		{"sdk", call{method: "GET", path: "/sdk/latchkey.js"}, 200, "text/javascript"},
		{"management without key", call{method: "GET", path: "/api/user/" + aliceID}, 401, ""},
		{"unknown path", call{method: "GET", path: "/no/such/page"}, 404, "application/json;charset=UTF-8"},
		{"spoofed https", call{method: "GET", path: "/api/status", hdr: map[string]string{"X-Forwarded-Proto": "https"}}, 200, "application/json;charset=UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.do(tt.c)
			h := res.header
			if res.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", res.status, tt.wantStatus, res.body)
			}
			csp := h.Get("Content-Security-Policy")
			for _, d := range []string{"frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
				if !strings.Contains(csp, d) {
					t.Errorf("CSP %q lacks %s", csp, d)
				}
			}
			for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
				"Referrer-Policy": "no-referrer", "Strict-Transport-Security": ""} {
				if h.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, h.Get(k), v)
				}
			}
			if tt.wantType != "" && h.Get("Content-Type") != tt.wantType {
				t.Errorf("Content-Type %q, want %q", h.Get("Content-Type"), tt.wantType)
			}
			if tt.wantType == "" && len(res.body) != 0 {
				t.Errorf("expected an empty body, got %q", res.body)
			}
			if strings.HasPrefix(tt.wantType, "application/json") && h.Get("Cache-Control") != "no-store" &&
				tt.c.path != "/.well-known/jwks.json" {
				t.Errorf("API JSON without Cache-Control: no-store: %q", h.Get("Cache-Control"))
			}
		})
	}
	// The headers must not hide an HTML page anywhere: outside the hosted
	// pages (TestHostedPageHeaders) and the admin console's templates (html
	// routes with their own CSP: TestConsole*) the identity server serves
	// none, so any other text/html answer would be a page without review;
	// /admin itself only redirects, with no body.
	for _, p := range []string{"/", "/index.html", "/admin", "/oauth2", "/login"} {
		res := s.do(call{method: "GET", path: p})
		if ct := res.header.Get("Content-Type"); strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s serves HTML (%s)", p, ct)
		}
	}
}
