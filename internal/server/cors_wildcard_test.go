package server_test

import (
	"bytes"
	"strings"
	"testing"
)

// TestCORSWildcardWithoutCredentials: a system corsConfiguration with "*"
// alone and allowCredentials false (as FusionAuth allows it) lets any origin
// call the CORS surface without credentials: the simple request and the
// preflight are answered "*" with no Access-Control-Allow-Credentials, while
// an application's origin keeps its exact echo with credentials. Such an
// origin is still foreign to the cookie-spending routes: refresh, logout and
// login with the cookie answer 403 [invalidOrigin], set no cookie, and the
// refresh token is neither rotated nor revoked (it still works afterwards).
func TestCORSWildcardWithoutCredentials(t *testing.T) {
	s := newStack(t)
	rt := s.login(storeApp, nil).json(t)["refreshToken"].(string)
	res := s.do(call{method: "PATCH", path: "/api/system-configuration", hdr: map[string]string{"Authorization": apiKey},
		body: `{"systemConfiguration":{"corsConfiguration":{"enabled":true,"allowCredentials":false,"allowedOrigins":["*"]}}}`})
	if res.status != 200 {
		t.Fatalf("PATCH with a lone wildcard: %d %s", res.status, res.body)
	}
	foreign := []string{"http://evil.example", "null"}
	for _, origin := range foreign {
		t.Run("simple request from "+origin, func(t *testing.T) {
			res := s.do(call{method: "GET", path: "/api/tenant/password-validation-rules", hdr: map[string]string{"Origin": origin}})
			if res.status != 200 || res.header.Get("Access-Control-Allow-Origin") != "*" ||
				res.header.Get("Access-Control-Allow-Credentials") != "" || !strings.Contains(strings.Join(res.header.Values("Vary"), ","), "Origin") {
				t.Fatalf("status %d, headers %v; want ACAO * without credentials, Vary: Origin", res.status, res.header)
			}
		})
		t.Run("preflight from "+origin, func(t *testing.T) {
			for _, p := range []struct{ path, method string }{{"/api/tenant/password-validation-rules", "GET"}, {"/api/jwt/refresh", "POST"}} {
				res := s.do(call{method: "OPTIONS", path: p.path, hdr: map[string]string{"Origin": origin, "Access-Control-Request-Method": p.method}})
				if res.status != 204 || res.header.Get("Access-Control-Allow-Origin") != "*" ||
					res.header.Get("Access-Control-Allow-Credentials") != "" || res.header.Get("Access-Control-Allow-Methods") != p.method {
					t.Fatalf("%s: status %d, headers %v; want 204, ACAO * without credentials", p.path, res.status, res.header)
				}
			}
		})
	}
	t.Run("an application's origin keeps its credentials", func(t *testing.T) {
		res := s.do(call{method: "GET", path: "/api/tenant/password-validation-rules", hdr: map[string]string{"Origin": storeSite}})
		if res.header.Get("Access-Control-Allow-Origin") != storeSite || res.header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Fatalf("headers %v; want the exact echo with credentials", res.header)
		}
	})
	cookie := "refresh_token=" + rt
	for _, origin := range foreign {
		for _, c := range []call{
			refreshCall(cookie, "", origin),
			{method: "POST", path: "/api/logout?global=true", hdr: map[string]string{"Cookie": cookie, "Origin": origin}},
			{method: "POST", path: "/api/login", hdr: map[string]string{"Cookie": cookie, "Origin": origin},
				body: `{"loginId":"` + aliceEmail + `","password":"` + alicePass + `","applicationId":"` + storeApp + `"}`},
		} {
			t.Run(c.path+" with the cookie from "+origin, func(t *testing.T) {
				res := s.do(c)
				if res.status != 403 || !strings.Contains(string(res.body), "[invalidOrigin]") {
					t.Fatalf("status %d %s; want 403 [invalidOrigin]", res.status, res.body)
				}
				if len(res.header.Values("Set-Cookie")) != 0 || res.header.Get("Access-Control-Allow-Credentials") != "" ||
					strings.Contains(string(res.body), "token") {
					t.Fatalf("a refused request set a cookie, allowed credentials or issued a token: %v %s", res.header, res.body)
				}
			})
		}
	}
	if res := s.do(refreshCall(cookie, "", storeSite)); res.status != 200 {
		t.Fatalf("the refresh token was rotated or revoked by a refused request: %d %s", res.status, res.body)
	}
}

// TestCORSWildcardRefusedBesideOriginsOrWithCredentials: "*" next to other
// origins, or with allowCredentials true, is a 400 fieldError on
// allowedOrigins in FusionAuth's shape, by PATCH and by PUT, and nothing is
// written: the configuration reads as before and a foreign origin is still
// refused.
func TestCORSWildcardRefusedBesideOriginsOrWithCredentials(t *testing.T) {
	s := newStack(t)
	key := map[string]string{"Authorization": apiKey}
	before := s.do(call{method: "GET", path: "/api/system-configuration", hdr: key})
	for _, tc := range []struct{ name, method, cors string }{
		{"PATCH beside another origin", "PATCH", `"allowCredentials":false,"allowedOrigins":["*","https://app.example.test"]`},
		{"PATCH with credentials", "PATCH", `"allowCredentials":true,"allowedOrigins":["*"]`},
		{"PUT beside another origin", "PUT", `"allowCredentials":false,"allowedOrigins":["https://app.example.test","*"]`},
		{"PUT with credentials", "PUT", `"allowCredentials":true,"allowedOrigins":["*"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.do(call{method: tc.method, path: "/api/system-configuration", hdr: key,
				body: `{"systemConfiguration":{"reportTimezone":"UTC","corsConfiguration":{"enabled":true,` + tc.cors + `}}}`})
			fe, _ := res.json(t)["fieldErrors"].(map[string]any)
			errs, _ := fe["systemConfiguration.corsConfiguration.allowedOrigins"].([]any)
			if res.status != 400 || len(errs) != 1 ||
				errs[0].(map[string]any)["code"] != "[invalid]systemConfiguration.corsConfiguration.allowedOrigins" {
				t.Fatalf("status %d %s; want 400 with one [invalid] allowedOrigins field error", res.status, res.body)
			}
			if after := s.do(call{method: "GET", path: "/api/system-configuration", hdr: key}); !bytes.Equal(before.body, after.body) {
				t.Fatalf("a refused %s changed the configuration:\n%s\n%s", tc.method, before.body, after.body)
			}
			pre := s.do(call{method: "OPTIONS", path: "/api/jwt/refresh",
				hdr: map[string]string{"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}})
			if pre.status != 403 || pre.header.Get("Access-Control-Allow-Origin") != "" {
				t.Fatalf("foreign preflight after a refused write: %d %v", pre.status, pre.header)
			}
		})
	}
}
