package server_test

import (
	"strings"
	"testing"
)

// TestLoginRefreshTokenRateLimits: /api/login, /api/jwt/refresh (by body
// and by cookie, one budget) and /oauth2/token are limited per client
// address (here 2 a minute each, set with LATCHKEY_RATE_LIMITS): the next
// request from that address is answered 429 with Retry-After and
// FusionAuth's error body (OAuth's on /oauth2/token) without running;
// another address, and a login with an API key, are not counted.
func TestLoginRefreshTokenRateLimits(t *testing.T) {
	s := behindProxy(t, "login=2/1m,refresh=2/1m,token=2/1m")
	const a, b = "203.0.113.5", "198.51.100.6"
	from := func(addr string) map[string]string { return map[string]string{"X-Forwarded-For": addr} }
	limited := func(what string, r result, oauth bool) {
		t.Helper()
		wantStatus(t, r, 429)
		if r.header.Get("Retry-After") == "" {
			t.Fatalf("%s: 429 without Retry-After", what)
		}
		want := `"code":"[RateLimitedException]"`
		if oauth {
			want = `"error":"temporarily_unavailable"`
		}
		if !strings.Contains(string(r.body), want) {
			t.Fatalf("%s: 429 body %s, want %s", what, r.body, want)
		}
	}

	// Login: two from a, the third refused; b and a keyed call still pass.
	tok := s.loginFrom(a, alicePass, "").json(t)
	wantStatus(t, s.loginFrom(a, "wrong", ""), 404)
	limited("login", s.loginFrom(a, alicePass, ""), false)
	wantStatus(t, s.loginFrom(b, alicePass, ""), 200)
	keyed := from(a)
	keyed["Authorization"] = apiKey
	wantStatus(t, s.do(call{method: "POST", path: "/api/login", hdr: keyed,
		body: `{"loginId":"` + aliceEmail + `","password":"` + alicePass + `","applicationId":"` + storeApp + `"}`}), 200)

	// Refresh: by body, then by cookie, then refused.
	rt := tok["refreshToken"].(string)
	r := s.do(call{method: "POST", path: "/api/jwt/refresh", hdr: from(a), body: `{"refreshToken":"` + rt + `"}`})
	wantStatus(t, r, 200)
	rt = r.json(t)["refreshToken"].(string)
	c := from(a)
	c["Cookie"] = "refresh_token=" + rt
	wantStatus(t, s.do(call{method: "POST", path: "/api/jwt/refresh", hdr: c}), 200)
	limited("cookie refresh", s.do(call{method: "POST", path: "/api/jwt/refresh", hdr: c}), false)

	// The token endpoint.
	form := func(addr string) call {
		h := from(addr)
		h["Content-Type"] = "application/x-www-form-urlencoded"
		return call{method: "POST", path: "/oauth2/token", hdr: h,
			body: "grant_type=password&client_id=" + storeApp + "&client_secret=" + secret + "&username=" + aliceEmail + "&password=" + alicePass}
	}
	wantStatus(t, s.do(form(a)), 200)
	wantStatus(t, s.do(form(a)), 200)
	limited("token", s.do(form(a)), true)
	wantStatus(t, s.do(form(b)), 200)
}
