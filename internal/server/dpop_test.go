package server_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/jwtverify/dpop"
)

func newDPoPKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	return k
}

// proof signs a DPoP proof for method and path on the stack, at its clock.
func (s *stack) proof(key crypto.Signer, method, path, accessToken string) string {
	s.t.Helper()
	p, err := dpop.NewProof(key, method, s.URL+path, accessToken, s.Clock.Now())
	must(s.t, err)
	return p
}

func thumb(t testing.TB, key crypto.Signer) string {
	t.Helper()
	j, err := dpop.KeyThumbprint(key)
	must(t, err)
	return j
}

// jwtClaims decodes a JWT's payload without verifying it (the server did).
func jwtClaims(t testing.TB, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	must(t, err)
	var m map[string]any
	must(t, json.Unmarshal(b, &m))
	return m
}

func cnfOf(t testing.TB, tok string) string {
	cnf, _ := jwtClaims(t, tok)["cnf"].(map[string]any)
	s, _ := cnf["jkt"].(string)
	return s
}

// A DPoP login binds both tokens to the key; refreshing the bound token
// without a proof, or with another key's proof, is the same 404 as a bad
// token and consumes nothing; the right key still refreshes afterwards.
func TestDPoPLoginAndRefresh(t *testing.T) {
	s := newStack(t)
	key, other := newDPoPKey(t), newDPoPKey(t)
	res := s.login(storeApp, map[string]string{"DPoP": s.proof(key, "POST", "/api/login", "")})
	if res.status != 200 {
		t.Fatalf("login: %d %s", res.status, res.body)
	}
	body := res.json(t)
	if got := cnfOf(t, body["token"].(string)); got != thumb(t, key) {
		t.Fatalf("cnf.jkt = %q, want the key's thumbprint", got)
	}
	rt := body["refreshToken"].(string)
	refresh := func(hdr string) result {
		return s.do(call{method: "POST", path: "/api/jwt/refresh", body: `{"refreshToken":"` + rt + `"}`,
			hdr: map[string]string{"DPoP": hdr}})
	}
	for _, tc := range []struct{ name, proof string }{
		{"no proof", ""},
		{"proof by another key", s.proof(other, "POST", "/api/jwt/refresh", "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := refresh(tc.proof); res.status != 404 {
				t.Fatalf("status %d %s, want 404", res.status, res.body)
			}
		})
	}
	res = refresh(s.proof(key, "POST", "/api/jwt/refresh", ""))
	if res.status != 200 {
		t.Fatalf("refresh with the right key after refusals: %d %s (token consumed?)", res.status, res.body)
	}
	if got := cnfOf(t, res.json(t)["token"].(string)); got != thumb(t, key) {
		t.Fatalf("refreshed cnf.jkt = %q", got)
	}
}

// Bad proofs are 400 with a FusionAuth field error on DPoP and change nothing.
func TestDPoPBadProofOnAPI(t *testing.T) {
	s := newStack(t)
	key := newDPoPKey(t)
	replayed := s.proof(key, "POST", "/api/login", "")
	if res := s.login(storeApp, map[string]string{"DPoP": replayed}); res.status != 200 {
		t.Fatalf("first use: %d", res.status)
	}
	for _, tc := range []struct{ name, proof string }{
		{"wrong htm", s.proof(key, "GET", "/api/login", "")},
		{"wrong htu", s.proof(key, "POST", "/api/jwt/refresh", "")},
		{"replayed jti", replayed},
		{"garbage", "not.a.proof"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.login(storeApp, map[string]string{"DPoP": tc.proof})
			if res.status != 400 || !strings.Contains(string(res.body), `"[invalid]DPoP"`) {
				t.Fatalf("status %d %s, want 400 [invalid]DPoP", res.status, res.body)
			}
			if cookieValue(res, "refresh_token") != "" {
				t.Fatal("a refused login set a refresh cookie")
			}
		})
	}
	t.Run("stale iat", func(t *testing.T) {
		p := s.proof(key, "POST", "/api/login", "")
		s.Clock.Advance(2 * time.Minute)
		if res := s.login(storeApp, map[string]string{"DPoP": p}); res.status != 400 {
			t.Fatalf("status %d, want 400", res.status)
		}
	})
}

func TestDPoPOAuthToken(t *testing.T) {
	s := newStack(t)
	key, other := newDPoPKey(t), newDPoPKey(t)
	post := func(form url.Values, proof string) result {
		form.Set("client_id", storeApp)
		form.Set("client_secret", secret)
		return s.do(call{method: "POST", path: "/oauth2/token", body: form.Encode(),
			hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "DPoP": proof}})
	}
	pw := url.Values{"grant_type": {"password"}, "username": {aliceEmail}, "password": {alicePass}, "scope": {"offline_access"}}
	res := post(pw, s.proof(key, "POST", "/oauth2/token", ""))
	body := res.json(t)
	if res.status != 200 || body["token_type"] != "DPoP" || cnfOf(t, body["access_token"].(string)) != thumb(t, key) {
		t.Fatalf("password grant with DPoP: %d %s", res.status, res.body)
	}
	rt := body["refresh_token"].(string)
	grant := func() url.Values { return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}} }
	for _, tc := range []struct {
		name, proof, code string
		status            int
	}{
		{"no proof", "", "invalid_grant", 400},
		{"other key", s.proof(other, "POST", "/oauth2/token", ""), "invalid_grant", 400},
		{"bad proof", s.proof(key, "POST", "/api/login", ""), "invalid_dpop_proof", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := post(grant(), tc.proof)
			if res.status != tc.status || res.json(t)["error"] != tc.code {
				t.Fatalf("%d %s, want %d %s", res.status, res.body, tc.status, tc.code)
			}
		})
	}
	res = post(grant(), s.proof(key, "POST", "/oauth2/token", ""))
	if res.status != 200 || res.json(t)["token_type"] != "DPoP" {
		t.Fatalf("refresh with the right key: %d %s", res.status, res.body)
	}
	res = post(url.Values{"grant_type": {"password"}, "username": {aliceEmail}, "password": {alicePass}}, "")
	if res.json(t)["token_type"] != "Bearer" {
		t.Fatalf("unbound grant: %s", res.body)
	}
}

// /api/jwt/validate: a bound token only as DPoP with a proof by its key
// for this request and this token; unbound tokens stay Bearer.
func TestDPoPValidate(t *testing.T) {
	s := newStack(t)
	key, other := newDPoPKey(t), newDPoPKey(t)
	bound := s.login(storeApp, map[string]string{"DPoP": s.proof(key, "POST", "/api/login", "")}).json(t)["token"].(string)
	plain := s.login(storeApp, nil).json(t)["token"].(string)
	const path = "/api/jwt/validate"
	tests := []struct {
		name, auth, proof string
		want              int
	}{
		{"bound as DPoP with proof", "DPoP " + bound, s.proof(key, "GET", path, bound), 200},
		{"bound as Bearer", "Bearer " + bound, "", 401},
		{"bound as Bearer with proof", "Bearer " + bound, s.proof(key, "GET", path, bound), 401},
		{"bound as DPoP without proof", "DPoP " + bound, "", 401},
		{"proof by another key", "DPoP " + bound, s.proof(other, "GET", path, bound), 401},
		{"proof for a different token", "DPoP " + bound, s.proof(key, "GET", path, plain), 401},
		{"proof without ath", "DPoP " + bound, s.proof(key, "GET", path, ""), 401},
		{"proof for another URL", "DPoP " + bound, s.proof(key, "GET", "/api/jwt/refresh", bound), 401},
		{"unbound as Bearer", "Bearer " + plain, "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := s.do(call{method: "GET", path: path, hdr: map[string]string{"Authorization": tc.auth, "DPoP": tc.proof}})
			if res.status != tc.want {
				t.Fatalf("status %d %s, want %d", res.status, res.body, tc.want)
			}
			if tc.want == 401 && !strings.HasPrefix(res.header.Get("WWW-Authenticate"), `DPoP error="invalid_token"`) {
				t.Fatalf("WWW-Authenticate = %q", res.header.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestDiscoveryAdvertisesDPoP(t *testing.T) {
	s := newStack(t)
	doc := s.do(call{method: "GET", path: "/.well-known/openid-configuration"}).json(t)
	algs, _ := doc["dpop_signing_alg_values_supported"].([]any)
	if len(algs) != 2 || algs[0] != "ES256" || algs[1] != "RS256" {
		t.Fatalf("dpop_signing_alg_values_supported = %v", doc["dpop_signing_alg_values_supported"])
	}
}

func dpopNewProof(k any, method, url, tok string, at time.Time) (string, error) {
	return dpop.NewProof(k.(crypto.Signer), method, url, tok, at)
}

// A DPoP-bound refresh token is ended by a logout only with a proof by its
// key (RFC 9449 §5): whoever holds the token without the key (a leaked
// cookie, a log line) cannot log its owner out, globally or not; the
// owner's proof can. Each refusal is an ordinary 200 that changed nothing.
func TestDPoPLogoutNeedsTheKey(t *testing.T) {
	s := newStack(t)
	key, other := newDPoPKey(t), newDPoPKey(t)
	res := s.login(storeApp, map[string]string{"DPoP": s.proof(key, "POST", "/api/login", "")})
	if res.status != 200 {
		t.Fatalf("login: %d %s", res.status, res.body)
	}
	rt := res.json(t)["refreshToken"].(string)
	// alive refreshes with the key; the stack rotates (OneTimeUse), so rt
	// follows.
	alive := func() bool {
		res := s.do(call{method: "POST", path: "/api/jwt/refresh", body: `{"refreshToken":"` + rt + `"}`,
			hdr: map[string]string{"DPoP": s.proof(key, "POST", "/api/jwt/refresh", "")}})
		if res.status != 200 {
			return false
		}
		rt = res.json(t)["refreshToken"].(string)
		return true
	}
	for _, tc := range []struct{ name, body, cookie, proof string }{
		{"body, no proof", `{"refreshToken":"` + rt + `"}`, "", ""},
		{"cookie, no proof", "", "refresh_token=" + rt, ""},
		{"global, no proof", `{"refreshToken":"` + rt + `","global":true}`, "", ""},
		{"proof by another key", `{"refreshToken":"` + rt + `"}`, "", s.proof(other, "POST", "/api/logout", "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.do(call{method: "POST", path: "/api/logout", body: tc.body,
				hdr: map[string]string{"Cookie": tc.cookie, "DPoP": tc.proof}})
			if res.status != 200 {
				t.Fatalf("logout: %d %s", res.status, res.body)
			}
			if !alive() {
				t.Fatal("the bound session was ended without its key")
			}
		})
	}
	res = s.do(call{method: "POST", path: "/api/logout", body: `{"refreshToken":"` + rt + `"}`,
		hdr: map[string]string{"DPoP": s.proof(key, "POST", "/api/logout", "")}})
	if res.status != 200 {
		t.Fatalf("logout with the key: %d %s", res.status, res.body)
	}
	if alive() {
		t.Fatal("the session survived a logout with its key's proof")
	}
}
