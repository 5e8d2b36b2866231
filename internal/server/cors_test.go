package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestCORSMatrix is security-bar.md H1 / §4.6: exact echo with credentials
// and Vary for allowed origins, nothing for look-alikes.
func TestCORSMatrix(t *testing.T) {
	s, _, _ := newUnitServer(t)
	var reached atomic.Int32
	hdl := stubbed(s, func(w http.ResponseWriter, r *http.Request) { reached.Add(1); w.WriteHeader(200) })
	tests := []struct {
		name, method, path, origin string
		wantACAO                   bool
	}{
		{"allowed app origin", "POST", "/api/login", "https://store.example.test", true},
		{"allowed app origin with port", "POST", "/api/login", "https://forums.example.test:8443", true},
		{"GET validate", "GET", "/api/jwt/validate", "https://store.example.test", true},
		{"null origin", "GET", "/api/jwt/validate", "null", false},
		{"suffix trick", "GET", "/api/jwt/validate", "https://store.example.test.evil.test", false},
		{"prefix trick", "GET", "/api/jwt/validate", "https://evilstore.example.test", false},
		{"other scheme", "GET", "/api/jwt/validate", "http://store.example.test", false},
		{"other port", "GET", "/api/jwt/validate", "https://store.example.test:8443", false},
		{"forums without its port", "GET", "/api/jwt/validate", "https://forums.example.test", false},
		{"upper case is not what a browser sends", "GET", "/api/jwt/validate", "https://STORE.example.test", false},
		{"trailing slash", "GET", "/api/jwt/validate", "https://store.example.test/", false},
		{"management endpoint", "GET", "/api/user", "https://store.example.test", false},
		{"refresh list is management", "GET", "/api/jwt/refresh", "https://store.example.test", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			req.Header.Set("Origin", tt.origin)
			rec := httptest.NewRecorder()
			hdl.ServeHTTP(rec, req)
			acao, acac := rec.Header().Get("Access-Control-Allow-Origin"), rec.Header().Get("Access-Control-Allow-Credentials")
			if tt.wantACAO {
				if acao != tt.origin || acac != "true" {
					t.Fatalf("ACAO %q ACAC %q, want exact echo of %q with credentials", acao, acac, tt.origin)
				}
				if !strings.Contains(strings.Join(rec.Header().Values("Vary"), ","), "Origin") {
					t.Fatalf("Vary %q lacks Origin", rec.Header().Values("Vary"))
				}
				return
			}
			if acao != "" || acac != "" {
				t.Fatalf("got ACAO %q ACAC %q for a disallowed origin", acao, acac)
			}
		})
	}
}

// TestCORSPreflight: allowed origins get 204 with methods, headers and
// max-age; others 403 without CORS headers; management paths are untouched
// (OPTIONS is not one of their methods: 405, no CORS header).
func TestCORSPreflight(t *testing.T) {
	s, fs, _ := newUnitServer(t)
	fs.putSystem(storage.SystemConfiguration{CORSConfiguration: storage.CORSConfiguration{
		Enabled: true, AllowCredentials: true, AllowedOrigins: []string{"https://admin.example.test", "*", "null"},
		AllowedHeaders: []string{"X-Custom"}, PreflightMaxAgeInSeconds: 600}})
	hdl := s.Handler()
	tests := []struct {
		name, path, origin, method string
		want                       int
	}{
		{"app origin refresh", "/api/jwt/refresh", "https://store.example.test", "POST", 204},
		{"system origin", "/api/login", "https://admin.example.test", "POST", 204},
		{"star does not allow everyone", "/api/login", "https://evil.test", "POST", 403},
		{"null configured is still refused", "/api/login", "null", "POST", 403},
		{"wrong method", "/api/jwt/refresh", "https://store.example.test", "DELETE", 403},
		{"unknown origin", "/api/jwt/refresh", "https://evil.test", "POST", 403},
		{"management path", "/api/user", "https://store.example.test", "POST", 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodOptions, tt.path, nil)
			req.Header.Set("Origin", tt.origin)
			req.Header.Set("Access-Control-Request-Method", tt.method)
			rec := httptest.NewRecorder()
			hdl.ServeHTTP(rec, req)
			h := rec.Header()
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
			if tt.want != 204 {
				if h.Get("Access-Control-Allow-Origin") != "" || h.Get("Access-Control-Allow-Methods") != "" {
					t.Fatalf("refused preflight carries CORS headers: %v", h)
				}
				return
			}
			if h.Get("Access-Control-Allow-Origin") != tt.origin || h.Get("Access-Control-Allow-Credentials") != "true" ||
				h.Get("Access-Control-Allow-Methods") != "POST" || h.Get("Access-Control-Max-Age") != "600" ||
				!strings.Contains(h.Get("Access-Control-Allow-Headers"), "X-Custom") ||
				!strings.Contains(h.Get("Access-Control-Allow-Headers"), "DPoP") {
				t.Fatalf("preflight headers %v", h)
			}
		})
	}
}

// TestCookieEndpointsRefuseForeignOrigin is R2: refresh, logout and login
// from an origin that is not allowed, or without Origin from a browser on
// another site (Sec-Fetch-Site: cross-site), answer 403 and never reach the
// handler (so nothing is rotated, revoked or issued); without Origin from a
// server (no Sec-Fetch-Site), this site or a sibling subdomain, or from the
// identity host itself or an allowed origin, they pass.
func TestCookieEndpointsRefuseForeignOrigin(t *testing.T) {
	s, _, _ := newUnitServer(t)
	var reached atomic.Int32
	hdl := stubbed(s, func(w http.ResponseWriter, r *http.Request) { reached.Add(1) })
	tests := []struct {
		name, path, origin, site string // site: Sec-Fetch-Site
		want                     int
	}{
		{"refresh from evil", "/api/jwt/refresh", "https://evil.test", "", 403},
		{"logout from evil", "/api/logout", "https://evil.test", "", 403},
		{"login from evil", "/api/login", "https://evil.test", "", 403},
		{"refresh from null", "/api/jwt/refresh", "null", "", 403},
		{"refresh without origin", "/api/jwt/refresh", "", "", 200},
		{"refresh without origin, cross-site", "/api/jwt/refresh", "", "cross-site", 403},
		{"logout without origin, cross-site", "/api/logout", "", "cross-site", 403},
		{"login without origin, cross-site", "/api/login", "", "cross-site", 403},
		{"refresh without origin, same-site", "/api/jwt/refresh", "", "same-site", 200},
		{"refresh without origin, same-origin", "/api/jwt/refresh", "", "same-origin", 200},
		{"refresh without origin, user-initiated", "/api/jwt/refresh", "", "none", 200},
		{"refresh from the identity host", "/api/jwt/refresh", "https://login.example.test", "", 200},
		{"refresh from an app", "/api/jwt/refresh", "https://store.example.test", "", 200},
		{"refresh from an app on another site", "/api/jwt/refresh", "https://store.example.test", "cross-site", 200},
		{"oauth token from evil is not cookie-based", "/oauth2/token", "https://evil.test", "", 200},
		{"oauth token cross-site is not cookie-based", "/oauth2/token", "", "cross-site", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := reached.Load()
			req := httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader("{}"))
			req.Header.Set("Cookie", "refresh_token=abc")
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.site != "" {
				req.Header.Set("Sec-Fetch-Site", tt.site)
			}
			rec := httptest.NewRecorder()
			hdl.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
			if hit := reached.Load() != before; hit != (tt.want == 200) {
				t.Fatalf("handler reached = %v for status %d", hit, rec.Code)
			}
			if tt.want == 403 && (rec.Header().Get("Set-Cookie") != "" || !strings.Contains(rec.Body.String(), "[invalidOrigin]")) {
				t.Fatalf("403 must carry the error body and no cookie: %q %v", rec.Body, rec.Header())
			}
		})
	}
}

// TestCORSCacheFollowsChanges: a new authorized origin applies once the
// one-second cache has aged (injected clock, no sleeping), and the store is
// not read on every request.
func TestCORSCacheFollowsChanges(t *testing.T) {
	s, fs, c := newUnitServer(t)
	s.originClock = c.Now // the cache ages on the clock the test moves
	hdl := stubbed(s, func(w http.ResponseWriter, r *http.Request) {})
	allowed := func() bool {
		req := httptest.NewRequest("GET", "/api/jwt/validate", nil)
		req.Header.Set("Origin", "https://new.example.test")
		rec := httptest.NewRecorder()
		hdl.ServeHTTP(rec, req)
		return rec.Header().Get("Access-Control-Allow-Origin") != ""
	}
	if allowed() {
		t.Fatal("origin allowed before it was configured")
	}
	// Changed in the store directly, not through a handler that would
	// forget the cached set: within its lifetime the set is not reloaded.
	fs.updateApplication(storeAppID, func(a *storage.Application) {
		a.OAuthConfiguration.AuthorizedOriginURLs = append(a.OAuthConfiguration.AuthorizedOriginURLs, "https://NEW.example.test:443/app")
	})
	if allowed() {
		t.Fatal("store read again within the cache lifetime")
	}
	c.Advance(originTTL)
	if !allowed() {
		t.Fatal("configured origin (normalised) not allowed after the cache aged")
	}
}
