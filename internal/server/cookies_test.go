package server

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestTokenCookiesExact pins every attribute of the Set-Cookie lines
// (security-bar.md §4.10, fusionauth-api.md §1.5).
func TestTokenCookiesExact(t *testing.T) {
	proxy := netip.MustParsePrefix("10.0.0.0/8")
	tests := []struct {
		name     string
		sameSite http.SameSite
		setup    func(r *http.Request)
		app      storage.Application
		want     []string
	}{
		{"plain HTTP, defaults", 0, func(*http.Request) {}, storage.Application{ID: storeAppID}, []string{
			"access_token=AT; Path=/; HttpOnly; SameSite=Lax",
			"refresh_token=RT; Path=/; Expires=Fri, 02 Jan 2026 04:04:05 GMT; Max-Age=3600; HttpOnly; SameSite=Lax",
		}},
		{"direct TLS, Strict", http.SameSiteStrictMode, func(r *http.Request) { r.TLS = &tls.ConnectionState{} }, storage.Application{ID: storeAppID}, []string{
			"access_token=AT; Path=/; HttpOnly; Secure; SameSite=Strict",
			"refresh_token=RT; Path=/; Expires=Fri, 02 Jan 2026 04:04:05 GMT; Max-Age=3600; HttpOnly; Secure; SameSite=Strict",
		}},
		{"trusted proxy says https", 0, func(r *http.Request) {
			r.RemoteAddr = "10.1.2.3:5555"
			r.Header.Set("X-Forwarded-Proto", "https")
		}, storage.Application{ID: storeAppID}, []string{
			"access_token=AT; Path=/; HttpOnly; Secure; SameSite=Lax",
			"refresh_token=RT; Path=/; Expires=Fri, 02 Jan 2026 04:04:05 GMT; Max-Age=3600; HttpOnly; Secure; SameSite=Lax",
		}},
		{"untrusted peer cannot claim https", 0, func(r *http.Request) {
			r.RemoteAddr = "192.0.2.9:5555"
			r.Header.Set("X-Forwarded-Proto", "https")
		}, storage.Application{ID: storeAppID}, []string{
			"access_token=AT; Path=/; HttpOnly; SameSite=Lax",
			"refresh_token=RT; Path=/; Expires=Fri, 02 Jan 2026 04:04:05 GMT; Max-Age=3600; HttpOnly; SameSite=Lax",
		}},
		// Browsers drop a SameSite=None cookie without Secure, so None is
		// always Secure (it then works only over HTTPS, as browsers require).
		{"None is always Secure, even over plain HTTP", http.SameSiteNoneMode, func(*http.Request) {}, storage.Application{ID: storeAppID}, []string{
			"access_token=AT; Path=/; HttpOnly; Secure; SameSite=None",
			"refresh_token=RT; Path=/; Expires=Fri, 02 Jan 2026 04:04:05 GMT; Max-Age=3600; HttpOnly; Secure; SameSite=None",
		}},
		{"scoped application", 0, func(*http.Request) {}, storage.Application{ID: forumsAppID, CookieConfiguration: storage.ApplicationCookieConfig{Scoped: true}}, []string{
			"access_token=AT; Path=/; HttpOnly; SameSite=Lax",
			"refresh_token_" + forumsAppID + "=RT; Path=/; Expires=Fri, 02 Jan 2026 04:04:05 GMT; Max-Age=3600; HttpOnly; SameSite=Lax",
		}},
		// __Host- names (RFC 6265bis §4.1.3.2): Secure, Path=/, no Domain,
		// whatever the request looked like.
		{"host prefix", 0, func(*http.Request) {}, storage.Application{ID: forumsAppID, CookieConfiguration: storage.ApplicationCookieConfig{Scoped: true}}, []string{
			"__Host-access_token=AT; Path=/; HttpOnly; Secure; SameSite=Lax",
			"__Host-refresh_token_" + forumsAppID + "=RT; Path=/; Expires=Fri, 02 Jan 2026 04:04:05 GMT; Max-Age=3600; HttpOnly; Secure; SameSite=Lax",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, c := newUnitServer(t)
			s.Config.CookieSameSite = tt.sameSite
			s.Config.TrustedProxies = []netip.Prefix{proxy}
			if strings.HasPrefix(tt.name, "host prefix") {
				s.Config.CookiePrefix = HostCookiePrefix
			}
			req := httptest.NewRequest("POST", "/api/login", nil)
			tt.setup(req)
			rec := httptest.NewRecorder()
			s.setTokenCookies(rec, req, auth.Tokens{AccessToken: "AT", RefreshToken: "RT",
				RefreshExpiresAt: c.Now().Add(time.Hour - 300*time.Millisecond), Application: tt.app})
			if got := rec.Header().Values("Set-Cookie"); !slices.Equal(got, tt.want) {
				t.Fatalf("Set-Cookie\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestTokenCookiesOnlyWhatWasIssued: no refresh token, no refresh cookie;
// nothing issued (noJWT), nothing written.
func TestTokenCookiesOnlyWhatWasIssued(t *testing.T) {
	s, _, _ := newUnitServer(t)
	for name, tc := range map[string]struct {
		tokens auth.Tokens
		n      int
	}{"access only": {auth.Tokens{AccessToken: "AT"}, 1}, "nothing": {auth.Tokens{}, 0}} {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.setTokenCookies(rec, httptest.NewRequest("POST", "/", nil), tc.tokens)
			if got := rec.Header().Values("Set-Cookie"); len(got) != tc.n {
				t.Fatalf("Set-Cookie %q, want %d lines", got, tc.n)
			}
		})
	}
}

// TestClearCookiesMirrorsAttributes is O1: deletion uses the same name, Path,
// Secure and SameSite as setting, with Max-Age=0.
func TestClearCookiesMirrorsAttributes(t *testing.T) {
	s, _, _ := newUnitServer(t)
	s.Config.CookieSameSite = http.SameSiteStrictMode
	req := httptest.NewRequest("POST", "/api/logout", nil)
	req.TLS = &tls.ConnectionState{}
	rec := httptest.NewRecorder()
	s.clearTokenCookies(rec, req, "refresh_token_"+forumsAppID)
	want := []string{
		"access_token=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Secure; SameSite=Strict",
		"refresh_token_" + forumsAppID + "=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Secure; SameSite=Strict",
	}
	if got := rec.Header().Values("Set-Cookie"); !slices.Equal(got, want) {
		t.Fatalf("Set-Cookie\n got %q\nwant %q", got, want)
	}
}

// TestRefreshCookies: which cookie values a refresh or logout considers:
// the named application's scoped cookie, else refresh_token; every distinct
// plausible value in the order sent (auth picks among several); with the
// __Host- prefix only the prefixed names.
func TestRefreshCookies(t *testing.T) {
	tests := []struct {
		name, prefix, cookie, appID string
		want                        []string
	}{
		{"plain", "", "refresh_token=abc", "", []string{"abc"}},
		{"scoped wins when named", "", "refresh_token=abc; refresh_token_" + forumsAppID + "=xyz", forumsAppID, []string{"xyz"}},
		{"scoped ignored when not named", "", "refresh_token_" + forumsAppID + "=xyz", "", nil},
		{"falls back to plain", "", "refresh_token=abc", forumsAppID, []string{"abc"}},
		{"all of duplicates, in order", "", "refresh_token=one; refresh_token=two; refresh_token=one", "", []string{"one", "two"}},
		{"empty value skipped", "", "refresh_token=; refresh_token=two", "", []string{"two"}},
		{"quoted value unquoted by net/http", "", `refresh_token="q"`, "", []string{"q"}},
		{"none", "", "other=1", "", nil},
		{"host prefix", HostCookiePrefix, "refresh_token=planted; __Host-refresh_token=mine", "", []string{"mine"}},
		{"host prefix ignores plain names", HostCookiePrefix, "refresh_token=planted", "", nil},
		{"host prefix, scoped", HostCookiePrefix, "__Host-refresh_token_" + forumsAppID + "=xyz; refresh_token_" + forumsAppID + "=p", forumsAppID, []string{"xyz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _ := newUnitServer(t)
			s.Config.CookiePrefix = tt.prefix
			r := httptest.NewRequest("POST", "/", nil)
			r.Header.Set("Cookie", tt.cookie)
			if got := s.refreshCookies(r, tt.appID); !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestMethodNotAllowed is R3: a GET (link, image) on a cookie endpoint never
// acts on the cookie. GET /api/logout is 405; GET /api/jwt/refresh is
// FusionAuth's API-key list endpoint, so without a key it is 401 and, like
// the 405s, neither reads nor rewrites the refresh cookie.
func TestMethodNotAllowed(t *testing.T) {
	s, _, _ := newUnitServer(t)
	hdl := s.Handler()
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/api/logout", http.StatusMethodNotAllowed},
		{"GET", "/api/login", http.StatusMethodNotAllowed},
		{"PUT", "/api/jwt/refresh", http.StatusMethodNotAllowed},
		{"GET", "/oauth2/token", http.StatusMethodNotAllowed},
		{"GET", "/api/jwt/refresh", http.StatusUnauthorized},
	} {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(tc.method, tc.path, nil)
			req.Header.Set("Cookie", "refresh_token=abc")
			hdl.ServeHTTP(rec, req)
			if rec.Code != tc.want || rec.Header().Get("Set-Cookie") != "" {
				t.Fatalf("status %d (want %d) Set-Cookie %q", rec.Code, tc.want, rec.Header().Get("Set-Cookie"))
			}
			if tc.want == http.StatusMethodNotAllowed && rec.Header().Get("Allow") == "" {
				t.Fatal("405 without Allow")
			}
		})
	}
}
