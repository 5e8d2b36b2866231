package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestCORSWithoutCredentials: an origin the system corsConfiguration
// allows with allowCredentials false gets CORS answers without
// Access-Control-Allow-Credentials, and can never spend a refresh cookie:
// refresh, logout and login from it are refused before the handler runs,
// with nothing set. An application's origin listed there too keeps its
// credentials (the application allows them).
func TestCORSWithoutCredentials(t *testing.T) {
	s, fs, _ := newUnitServer(t)
	const plain, app = "https://public.example.test", "https://store.example.test"
	fs.putSystem(storage.SystemConfiguration{CORSConfiguration: storage.CORSConfiguration{
		Enabled: true, AllowCredentials: false, AllowedOrigins: []string{plain, app}}})
	var reached atomic.Int32
	hdl := stubbed(s, func(w http.ResponseWriter, r *http.Request) { reached.Add(1); w.WriteHeader(200) })
	serve := func(method, path, origin string, hdr ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader("{}"))
		req.Header.Set("Origin", origin)
		req.Header.Set("Cookie", "refresh_token=victims-cookie")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		hdl.ServeHTTP(rec, req)
		return rec
	}

	t.Run("preflight has no credentials", func(t *testing.T) {
		rec := serve("OPTIONS", "/api/jwt/validate", plain, "Access-Control-Request-Method", "GET")
		if rec.Code != 204 || rec.Header().Get("Access-Control-Allow-Origin") != plain {
			t.Fatalf("preflight %d %v", rec.Code, rec.Header())
		}
		if v := rec.Header().Get("Access-Control-Allow-Credentials"); v != "" {
			t.Fatalf("Access-Control-Allow-Credentials %q for an origin configured without credentials", v)
		}
	})
	t.Run("simple request has no credentials", func(t *testing.T) {
		rec := serve("GET", "/api/jwt/validate", plain)
		if rec.Header().Get("Access-Control-Allow-Origin") != plain || rec.Header().Get("Access-Control-Allow-Credentials") != "" {
			t.Fatalf("headers %v", rec.Header())
		}
	})
	for _, path := range []string{"/api/jwt/refresh", "/api/logout", "/api/login"} {
		t.Run("cannot spend a cookie on "+path, func(t *testing.T) {
			before := reached.Load()
			rec := serve("POST", path, plain)
			if rec.Code != 403 || !strings.Contains(rec.Body.String(), "[invalidOrigin]") {
				t.Fatalf("status %d %s, want 403 [invalidOrigin]", rec.Code, rec.Body)
			}
			if reached.Load() != before || rec.Header().Get("Set-Cookie") != "" {
				t.Fatal("the handler ran or a cookie was set for an origin without credentials")
			}
		})
	}
	t.Run("an application's origin keeps its credentials", func(t *testing.T) {
		before := reached.Load()
		rec := serve("POST", "/api/jwt/refresh", app)
		if rec.Code != 200 || reached.Load() == before || rec.Header().Get("Access-Control-Allow-Credentials") != "true" {
			t.Fatalf("status %d, headers %v", rec.Code, rec.Header())
		}
	})
}
