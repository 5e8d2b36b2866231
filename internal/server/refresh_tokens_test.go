package server_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestRefreshTokenAdmin covers the API-key refresh-token endpoints
// (fusionauth-api.md §2.3-§2.4): list, get (no secret in the view), every
// DELETE form, 401 without a key.
func TestRefreshTokenAdmin(t *testing.T) {
	s := newStack(t)
	key := map[string]string{"Authorization": apiKey}
	login := func() (string, string) {
		m := s.login(storeApp, nil).json(t)
		return m["refreshToken"].(string), m["refreshTokenId"].(string)
	}
	rt1, id1 := login()
	res := s.do(call{method: "GET", path: "/api/jwt/refresh?userId=" + aliceID, hdr: key})
	if res.status != 200 || len(res.json(t)["refreshTokens"].([]any)) != 1 {
		t.Fatalf("list: %d %s", res.status, res.body)
	}
	res = s.do(call{method: "GET", path: "/api/jwt/refresh/" + id1, hdr: key})
	if res.status != 200 || strings.Contains(string(res.body), rt1) {
		t.Fatalf("get: %d %s", res.status, res.body)
	}
	tokenGolden(t, "refresh_token_get", res.body)
	if res := s.do(call{method: "GET", path: "/api/jwt/refresh/" + id1}); res.status != 401 {
		t.Fatalf("get without key: %d", res.status)
	}
	if res := s.do(call{method: "DELETE", path: "/api/jwt/refresh/" + id1}); res.status != 401 {
		t.Fatalf("delete without key: %d", res.status)
	}

	tests := []struct {
		name string
		c    func(rt, id string) call
	}{
		{"by id", func(_, id string) call { return call{method: "DELETE", path: "/api/jwt/refresh/" + id} }},
		{"by token query", func(rt, _ string) call {
			return call{method: "DELETE", path: "/api/jwt/refresh?token=" + url.QueryEscape(rt) + "&userId=null&applicationId=undefined"}
		}},
		{"by token form", func(rt, _ string) call {
			return call{method: "DELETE", path: "/api/jwt/refresh", body: "token=" + url.QueryEscape(rt),
				hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}
		}},
		{"by user", func(_, _ string) call { return call{method: "DELETE", path: "/api/jwt/refresh?userId=" + aliceID} }},
		{"by application", func(_, _ string) call {
			return call{method: "DELETE", path: "/api/jwt/refresh?applicationId=" + storeApp}
		}},
		{"by user and application", func(_, _ string) call {
			return call{method: "DELETE", path: "/api/jwt/refresh?userId=" + aliceID + "&applicationId=" + storeApp}
		}},
		{"JSON body", func(rt, _ string) call {
			return call{method: "DELETE", path: "/api/jwt/refresh", body: `{"token":"` + rt + `"}`}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, id := login()
			c := tt.c(rt, id)
			if c.hdr == nil {
				c.hdr = map[string]string{}
			}
			c.hdr["Authorization"] = apiKey
			if res := s.do(c); res.status != 200 || len(res.body) != 0 {
				t.Fatalf("status %d body %q", res.status, res.body)
			}
			if res := s.do(call{method: "GET", path: "/api/jwt/refresh/" + id, hdr: key}); res.status != 404 {
				t.Fatalf("token still live: %d", res.status)
			}
		})
	}
	for name, c := range map[string]call{
		"unknown id":    {method: "DELETE", path: "/api/jwt/refresh/0f1a2b3c-0000-4000-8000-0000000000ff", hdr: key},
		"unknown token": {method: "DELETE", path: "/api/jwt/refresh?token=nope", hdr: key},
	} {
		if res := s.do(c); res.status != 404 {
			t.Fatalf("%s: %d", name, res.status)
		}
	}
	if res := s.do(call{method: "DELETE", path: "/api/jwt/refresh", hdr: key}); res.status != 400 {
		t.Fatalf("no selector: %d", res.status)
	}
}
