package server_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

const (
	malloryID    = "0f1a2b3c-0000-4000-8000-0000000000b9"
	malloryEmail = "mallory@example.test"
)

// tossingStack is newStack plus mallory, a second user of the Store and of
// the Forums (scoped cookie), and alice registered for the Forums too.
func tossingStack(t *testing.T) *stack {
	t.Helper()
	s := newStack(t)
	ctx := context.Background()
	ph, err := password.Hash(context.Background(), alicePass, "salted-pbkdf2-hmac-sha256", testFactor)
	must(t, err)
	must(t, s.Store.CreateUser(ctx, storage.User{ID: malloryID, TenantID: tenantID, Active: true, Email: malloryEmail,
		Verified: true, Password: ph}))
	for i, reg := range []storage.Registration{
		{ApplicationID: storeApp, UserID: malloryID}, {ApplicationID: forumsApp, UserID: malloryID},
		{ApplicationID: forumsApp, UserID: aliceID}} {
		reg.ID = "0f1a2b3c-0000-4000-8000-0000000000d" + string(rune('0'+i))
		reg.Roles = []string{"user"}
		must(t, s.Store.CreateRegistration(ctx, reg))
	}
	return s
}

// session logs email in to app and returns its refresh token, its access
// token and the refresh cookie's value.
func (s *stack) session(email, app string) (rt, jwt string) {
	s.t.Helper()
	res := s.do(call{method: "POST", path: "/api/login",
		body: `{"loginId":"` + email + `","password":"` + alicePass + `","applicationId":"` + app + `"}`})
	if res.status != 200 {
		s.t.Fatalf("login %s: %d %s", email, res.status, res.body)
	}
	return res.json(s.t)["refreshToken"].(string), res.json(s.t)["token"].(string)
}

// TestRefreshCookieTossing: a sibling subdomain can plant a second
// refresh_token cookie (Domain=.example.test, a more specific Path so that
// the browser sends it first). latchkey never answers with the planted
// session, a planted garbage value never logs the user out, and nothing is
// consumed by a refusal.
func TestRefreshCookieTossing(t *testing.T) {
	s := tossingStack(t)
	scoped := "refresh_token_" + forumsApp
	tests := []struct {
		name   string
		jar    func(victim, attacker string) string
		app    string
		origin string
		body   func(victimJWT string) string
		want   int // 200: the victim's session; 404: refused
	}{
		{"garbage planted first", func(v, a string) string { return "refresh_token=planted-garbage; refresh_token=" + v }, storeApp, storeSite, nil, 200},
		{"garbage planted last", func(v, a string) string { return "refresh_token=" + v + "; refresh_token=planted-garbage" }, storeApp, storeSite, nil, 200},
		{"attacker's session planted first", func(v, a string) string { return "refresh_token=" + a + "; refresh_token=" + v }, storeApp, storeSite, nil, 404},
		{"attacker's session planted last", func(v, a string) string { return "refresh_token=" + v + "; refresh_token=" + a }, storeApp, storeSite, nil, 404},
		{"attacker's session, the SPA names its token", func(v, a string) string { return "refresh_token=" + a + "; refresh_token=" + v }, storeApp, storeSite,
			func(jwt string) string { return `{"token":"` + jwt + `"}` }, 200},
		// More values than are looked up: the victim's, sent last as a
		// browser sends the Path=/ cookie after longer paths, must not be
		// the one left unread while the attacker's is picked.
		{"attacker's session and seven planted values before the victim's", func(v, a string) string {
			return "refresh_token=" + a + "; " + plantedValues("refresh_token", 7) + "; refresh_token=" + v
		}, storeApp, storeSite, nil, 404},
		{"the same, the SPA names its token", func(v, a string) string {
			return "refresh_token=" + a + "; " + plantedValues("refresh_token", 7) + "; refresh_token=" + v
		}, storeApp, storeSite, func(jwt string) string { return `{"token":"` + jwt + `"}` }, 404},
		{"seven planted values and the victim's: eight, all read", func(v, a string) string {
			return plantedValues("refresh_token", 7) + "; refresh_token=" + v
		}, storeApp, storeSite, nil, 200},
		{"scoped: garbage planted first", func(v, a string) string { return scoped + "=planted-garbage; " + scoped + "=" + v }, forumsApp, forumsSite, nil, 200},
		{"scoped: attacker's session planted first", func(v, a string) string { return scoped + "=" + a + "; " + scoped + "=" + v }, forumsApp, forumsSite, nil, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			victim, victimJWT := s.session(aliceEmail, tt.app)
			attacker, _ := s.session(malloryEmail, tt.app)
			body := ""
			if tt.body != nil {
				body = tt.body(victimJWT)
			}
			res := s.do(refreshCall(tt.jar(victim, attacker), body, tt.origin))
			if res.status != tt.want {
				t.Fatalf("status %d %s, want %d", res.status, res.body, tt.want)
			}
			if res.status == 200 {
				if sub := claims(t, res.json(t)["token"].(string))["sub"]; sub != aliceID {
					t.Fatalf("answered with the session of %v", sub)
				}
				return
			}
			if len(res.header.Values("Set-Cookie")) != 0 {
				t.Fatalf("a refusal wrote cookies: %q", res.header.Values("Set-Cookie"))
			}
			for who, rt := range map[string]string{"victim": victim, "attacker": attacker} {
				if r := s.do(refreshCall("", `{"refreshToken":"`+rt+`"}`, "")); r.status != 200 {
					t.Fatalf("the %s's token was consumed or revoked by the refusal: %d", who, r.status)
				}
			}
		})
	}
}

// plantedValues is n cookies of name whose values have a refresh token's
// shape (92 base64url characters) and name no session.
func plantedValues(name string, n int) string {
	var out []string
	for i := range n {
		out = append(out, name+"="+strings.Repeat(string(rune('A'+i)), 92))
	}
	return strings.Join(out, "; ")
}

// TestLogoutCookieTossing: a planted cookie cannot keep the user's session
// alive through a logout: every presented session is ended.
func TestLogoutCookieTossing(t *testing.T) {
	s := tossingStack(t)
	victim, _ := s.session(aliceEmail, storeApp)
	res := s.do(call{method: "POST", path: "/api/logout", hdr: map[string]string{"Cookie": "refresh_token=planted-garbage; refresh_token=" + victim}})
	if res.status != 200 {
		t.Fatalf("logout: %d %s", res.status, res.body)
	}
	if r := s.do(refreshCall("", `{"refreshToken":"`+victim+`"}`, "")); r.status != 404 {
		t.Fatalf("the session survived its logout behind a planted cookie: %d", r.status)
	}
}

// TestAccessCookieTossing: with two access_token cookies, a planted garbage
// one is ignored and another user's token is never taken for the victim's.
func TestAccessCookieTossing(t *testing.T) {
	s := tossingStack(t)
	_, victim := s.session(aliceEmail, storeApp)
	_, attacker := s.session(malloryEmail, storeApp)
	for _, tc := range []struct {
		name, jar string
		want      int
	}{
		{"garbage first", "access_token=planted-garbage; access_token=" + victim, 200},
		{"attacker's first", "access_token=" + attacker + "; access_token=" + victim, 401},
		{"attacker's last", "access_token=" + victim + "; access_token=" + attacker, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.do(call{method: "GET", path: "/api/jwt/validate", hdr: map[string]string{"Cookie": tc.jar}})
			if res.status != tc.want {
				t.Fatalf("status %d, want %d", res.status, tc.want)
			}
			if tc.want == 200 {
				if sub := res.json(t)["jwt"].(map[string]any)["sub"]; sub != aliceID {
					t.Fatalf("validated as %v", sub)
				}
			}
		})
	}
}

// TestHostPrefixedCookies: with LATCHKEY_COOKIE_PREFIX=__Host- the token
// cookies are __Host-access_token and __Host-refresh_token (Secure, Path=/,
// no Domain: a browser keeps them only as this host set them), and the
// plain names, which any sibling subdomain can set, are not read at all.
func TestHostPrefixedCookies(t *testing.T) {
	s := newConfiguredStack(t, func(c *config.Config) {
		c.CookiePrefix = "__Host-"
		c.Issuer = "https://login.example.test"
	})
	res := s.login(storeApp, nil)
	rt := cookieValue(res, "__Host-refresh_token")
	if res.status != 200 || rt == "" || cookieValue(res, "__Host-access_token") == "" || cookieValue(res, "refresh_token") != "" {
		t.Fatalf("login cookies: %d %q", res.status, res.header.Values("Set-Cookie"))
	}
	for _, line := range res.header.Values("Set-Cookie") {
		if !strings.Contains(line, "; Secure") || !strings.Contains(line, "; Path=/") || strings.Contains(line, "Domain=") {
			t.Fatalf("not a valid __Host- cookie: %s", line)
		}
	}
	planted := s.do(refreshCall("refresh_token="+rt, "", storeSite))
	if planted.status != 404 {
		t.Fatalf("a plain refresh_token cookie was read: %d", planted.status)
	}
	ok := s.do(refreshCall("refresh_token=planted-garbage; __Host-refresh_token="+rt, "", storeSite))
	if ok.status != 200 || cookieValue(ok, "__Host-refresh_token") == "" {
		t.Fatalf("refresh with the __Host- cookie: %d %s", ok.status, ok.body)
	}
	out := s.do(call{method: "POST", path: "/api/logout", hdr: map[string]string{"Cookie": "__Host-refresh_token=" + cookieValue(ok, "__Host-refresh_token")}})
	if out.status != 200 || !slices.Contains(out.header.Values("Set-Cookie"),
		"__Host-refresh_token=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Secure; SameSite=Lax") {
		t.Fatalf("logout does not clear the __Host- cookie: %d %q", out.status, out.header.Values("Set-Cookie"))
	}
}
