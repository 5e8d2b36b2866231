package server_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
)

const clearedAT = "access_token=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; SameSite=Lax"
const clearedRT = "refresh_token=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; SameSite=Lax"

// TestLogout covers both request shapes (fusionauth-api.md §3), the explicit
// token beating the cookie, global logout, cookie clearing and the 403 for a
// foreign origin (which revokes nothing).
func TestLogout(t *testing.T) {
	s := newStack(t)
	// live asks auth without spending the token (a refresh would rotate it).
	live := func(rt string) bool {
		_, err := s.Srv.Auth.FindRefreshToken(context.Background(), rt)
		return err == nil
	}
	newRT := func() string { return s.login(storeApp, nil).json(t)["refreshToken"].(string) }

	t.Run("foreign origin refused, nothing revoked", func(t *testing.T) {
		rt := newRT()
		res := s.do(call{method: "POST", path: "/api/logout", hdr: map[string]string{"Cookie": "refresh_token=" + rt, "Origin": "https://evil.test"}})
		if res.status != 403 || len(res.header.Values("Set-Cookie")) != 0 {
			t.Fatalf("status %d cookies %q", res.status, res.header.Values("Set-Cookie"))
		}
		if !live(rt) {
			t.Fatal("a refused logout revoked the token")
		}
	})
	t.Run("query form, TS client literals", func(t *testing.T) {
		rt := newRT()
		other := newRT()
		res := s.do(call{method: "POST", path: "/api/logout?global=false&refreshToken=" + url.QueryEscape(rt),
			hdr: map[string]string{"Content-Type": "text/plain", "Cookie": "refresh_token=" + other, "Origin": storeSite}})
		if res.status != 200 || len(res.body) != 0 {
			t.Fatalf("status %d body %q", res.status, res.body)
		}
		if got := res.header.Values("Set-Cookie"); !slices.Equal(got, []string{clearedAT, clearedRT}) {
			t.Fatalf("Set-Cookie %q", got)
		}
		if live(rt) || !live(other) {
			t.Fatal("the explicit token must be revoked and the cookie's left alone")
		}
		if res := s.do(call{method: "POST", path: "/api/logout?global=undefined&refreshToken=undefined",
			hdr: map[string]string{"Content-Type": "text/plain", "Cookie": "refresh_token=" + other}}); res.status != 200 || live(other) {
			t.Fatalf("literal undefined must fall back to the cookie: %d", res.status)
		}
	})
	t.Run("JSON form, global", func(t *testing.T) {
		a, b := newRT(), newRT()
		res := s.do(call{method: "POST", path: "/api/logout", body: `{"global":true,"refreshToken":"` + a + `"}`})
		if res.status != 200 || live(a) || live(b) {
			t.Fatalf("global logout: %d, a live %v, b live %v", res.status, live(a), live(b))
		}
	})
	t.Run("nothing to revoke is still 200", func(t *testing.T) {
		for _, c := range []call{
			{method: "POST", path: "/api/logout"},
			{method: "POST", path: "/api/logout", body: `{"refreshToken":"unknown"}`},
		} {
			if res := s.do(c); res.status != 200 || len(res.header.Values("Set-Cookie")) != 2 {
				t.Fatalf("%s: %d %q", c.body, res.status, res.header.Values("Set-Cookie"))
			}
		}
	})
	// "Always 200" (issue #3): a body that does not decode is no
	// parameters, so the cookie still logs out and both cookies are
	// cleared; only a body over the limit is refused, and then nothing is
	// revoked.
	t.Run("bad bodies still log the cookie out", func(t *testing.T) {
		for _, body := range []string{"", "{", "not json", `{"global":"yes"}`, `{"refreshToken":7}`,
			`{"refreshToken":"a","refreshToken":"b"}`, `{"applicationId":"not-a-uuid"}`, "[]", "null", "\xff"} {
			rt := newRT()
			res := s.do(call{method: "POST", path: "/api/logout", body: body,
				hdr: map[string]string{"Content-Type": "application/json", "Cookie": "refresh_token=" + rt, "Origin": storeSite}})
			if res.status != 200 || len(res.body) != 0 || !slices.Equal(res.header.Values("Set-Cookie"), []string{clearedAT, clearedRT}) {
				t.Fatalf("body %q: %d %q %q", body, res.status, res.body, res.header.Values("Set-Cookie"))
			}
			if live(rt) {
				t.Fatalf("body %q: the cookie's token is still live", body)
			}
		}
		rt := newRT()
		res := s.do(call{method: "POST", path: "/api/logout", body: `{"x":"` + strings.Repeat("a", 65<<10) + `"}`,
			hdr: map[string]string{"Cookie": "refresh_token=" + rt}})
		if res.status != 413 || len(res.header.Values("Set-Cookie")) != 0 || !live(rt) {
			t.Fatalf("oversized body: %d %q, live %v", res.status, res.header.Values("Set-Cookie"), live(rt))
		}
	})
	t.Run("GET is 405", func(t *testing.T) {
		rt := newRT()
		if res := s.do(call{method: "GET", path: "/api/logout", hdr: map[string]string{"Cookie": "refresh_token=" + rt}}); res.status != 405 || !live(rt) {
			t.Fatalf("GET logout: %d", res.status)
		}
	})
}

// TestCookieGETsChangeNothing is R3 full stack: with alice's real refresh
// cookie, GET /api/logout (405) and GET /api/jwt/refresh without a key (401)
// neither revoke, rotate nor rewrite it: it still refreshes afterwards.
func TestCookieGETsChangeNothing(t *testing.T) {
	s := newStack(t)
	rt := cookieValue(s.login(storeApp, nil), "refresh_token")
	if rt == "" {
		t.Fatal("login set no refresh cookie")
	}
	cookie := map[string]string{"Cookie": "refresh_token=" + rt, "Origin": storeSite}
	for path, want := range map[string]int{"/api/logout": 405, "/api/jwt/refresh": 401, "/api/logout?global=true": 405} {
		if res := s.do(call{method: "GET", path: path, hdr: cookie}); res.status != want || len(res.header.Values("Set-Cookie")) != 0 {
			t.Fatalf("GET %s: %d (want %d), Set-Cookie %q", path, res.status, want, res.header.Values("Set-Cookie"))
		}
	}
	if res := s.do(call{method: "POST", path: "/api/jwt/refresh", hdr: cookie}); res.status != 200 {
		t.Fatalf("refresh after the GETs: %d %s", res.status, res.body)
	}
}
