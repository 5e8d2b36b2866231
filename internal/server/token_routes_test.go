package server_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tokenGolden compares body, normalised (tokens, ids and instants replaced), with
// testdata/token/name.json; -update rewrites it.
func tokenGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("golden %s: body %q: %v", name, body, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	must(t, enc.Encode(normalise("", v)))
	got := buf.Bytes()
	path := filepath.Join("testdata", "token", name+".json")
	if updating() {
		must(t, os.MkdirAll(filepath.Dir(path), 0o755))
		must(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s differs from golden file:\n got %s\nwant %s", name, got, want)
	}
}

var volatile = map[string]bool{"token": true, "refreshToken": true, "refreshTokenId": true, "access_token": true,
	"refresh_token": true, "refresh_token_id": true, "id_token": true, "jti": true, "sid": true, "id": true, "kid": true,
	"x": true, "y": true, "n": true, "e": true, "publicKey": true, "iss": true}

func normalise(key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalise(k, e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalise(key, e)
		}
		return x
	case string:
		if volatile[key] && x != "" {
			return "<" + key + ">"
		}
	case float64:
		if strings.HasSuffix(key, "Instant") || key == "exp" || key == "iat" || key == "auth_time" {
			return "<" + key + ">"
		}
	}
	return v
}

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
