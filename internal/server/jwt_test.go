package server_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

func refreshCall(cookie, body, origin string) call {
	return call{method: "POST", path: "/api/jwt/refresh", body: body,
		hdr: map[string]string{"Cookie": cookie, "Origin": origin, "Content-Type": "application/json"}}
}

// refreshRecord is the stored record of a live refresh value.
func refreshRecord(t testing.TB, s *stack, value string) storage.RefreshToken {
	t.Helper()
	rt, err := s.Srv.Auth.FindRefreshToken(context.Background(), value)
	must(t, err)
	rec, err := s.Store.GetRefreshToken(context.Background(), rt.ID)
	must(t, err)
	return rec
}

// requireUntouched fails t when the record read as before has moved since:
// a refused request must not rotate, touch or revoke the token. An
// immediate retry cannot show that, since a rotated-out value is still
// answered within the grace period; with requireRefreshesPastGrace it can.
func requireUntouched(t testing.TB, s *stack, before storage.RefreshToken) {
	t.Helper()
	after, err := s.Store.GetRefreshToken(context.Background(), before.ID)
	must(t, err)
	if after.Generation != before.Generation || !bytes.Equal(after.Hash, before.Hash) ||
		!after.LastUsedAt.Equal(before.LastUsedAt) || !after.ExpiresAt.Equal(before.ExpiresAt) ||
		!after.RevokedAt.Equal(before.RevokedAt) {
		t.Fatalf("a refused request changed the token: generation %d -> %d, last used %v -> %v, revoked %v -> %v (%s)",
			before.Generation, after.Generation, before.LastUsedAt, after.LastUsedAt, before.RevokedAt, after.RevokedAt, after.RevokeReason)
	}
}

// requireRefreshesPastGrace moves the clock past the grace period of a
// rotated-out value and refreshes the original value with c: a value a
// refused request had rotated would now be reuse (404, family revoked).
func requireRefreshesPastGrace(t testing.TB, s *stack, c call) {
	t.Helper()
	s.Clock.Advance(auth.DefaultRetryWindow + time.Second)
	if res := s.do(c); res.status != 200 {
		t.Fatalf("the token no longer refreshes after the refused attempts: %d %s", res.status, res.body)
	}
}

// TestRefresh covers /api/jwt/refresh: cookie and body sources, rotation
// (OneTimeUse), the deliberate 404 for every dead or missing token, golden
// bodies.
func TestRefresh(t *testing.T) {
	s := newStack(t)
	first := s.login(storeApp, nil).json(t)["refreshToken"].(string)

	res := s.do(refreshCall("refresh_token="+first, "", storeSite))
	if res.status != 200 {
		t.Fatalf("cookie refresh: %d %s", res.status, res.body)
	}
	tokenGolden(t, "refresh_200", res.body)
	second := res.json(t)["refreshToken"].(string)
	s.Clock.Advance(auth.DefaultRetryWindow + time.Second) // past the default grace period
	if second == first || cookieValue(res, "refresh_token") != second || cookieValue(res, "access_token") != res.json(t)["token"] {
		t.Fatalf("cookies not rewritten with the rotated token: %q", res.header.Values("Set-Cookie"))
	}
	if res.header.Get("Access-Control-Allow-Origin") != storeSite || res.header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("CORS headers missing: %v", res.header)
	}

	tests := []struct {
		name   string
		c      call
		want   int
		golden string
	}{
		{"body token", refreshCall("", `{"refreshToken":"`+second+`"}`, ""), 200, ""},
		// Workflow step 11: the browser dropped the cookie at its Max-Age,
		// so the SPA's refresh presents nothing; 404 like a dead token.
		{"missing", refreshCall("", `{}`, ""), 404, "refresh_404_blank"},
		{"missing, empty body", refreshCall("", "", storeSite), 404, "refresh_404_blank"},
		{"missing, only another cookie", refreshCall("access_token=x; refresh_token_"+forumsApp+"=", "", storeSite), 404, "refresh_404_blank"},
		{"missing, empty body value", refreshCall("", `{"refreshToken":""}`, ""), 404, "refresh_404_blank"},
		{"unknown", refreshCall("refresh_token=not-a-token", "", ""), 404, "refresh_404"},
		{"reused after rotation", refreshCall("refresh_token="+first, "", ""), 404, ""},
		{"not JSON", call{method: "POST", path: "/api/jwt/refresh", body: "refreshToken=x", hdr: map[string]string{"Content-Type": "text/plain"}}, 415, ""},
		{"GET without key is the management list", call{method: "GET", path: "/api/jwt/refresh", hdr: map[string]string{"Cookie": "refresh_token=" + second}}, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.do(tt.c)
			if res.status != tt.want {
				t.Fatalf("status %d, want %d: %s", res.status, tt.want, res.body)
			}
			if tt.golden != "" {
				tokenGolden(t, tt.golden, res.body)
			}
		})
	}
}

// TestRefreshCookieWinsOverBody: a valid cookie is used even when the body
// names another token (FusionAuth precedence).
func TestRefreshCookieWinsOverBody(t *testing.T) {
	s := newStack(t)
	rt := s.login(storeApp, nil).json(t)["refreshToken"].(string)
	if res := s.do(refreshCall("refresh_token="+rt, `{"refreshToken":"garbage"}`, "")); res.status != 200 {
		t.Fatalf("status %d %s", res.status, res.body)
	}
}

// TestRefreshExpiredAndNotAllowed: past the Fixed lifetime (injected clock)
// 404; an application without allowTokenRefresh 400.
func TestRefreshExpiredAndNotAllowed(t *testing.T) {
	s := newStack(t)
	rt := s.login(storeApp, nil).json(t)["refreshToken"].(string)
	s.Clock.Advance(61 * time.Minute)
	if res := s.do(refreshCall("refresh_token="+rt, "", "")); res.status != 404 {
		t.Fatalf("expired: %d", res.status)
	}
	s = newStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		apps[storeApp].LoginConfiguration.AllowTokenRefresh = false
	})
	rt = s.login(storeApp, nil).json(t)["refreshToken"].(string)
	res := s.do(refreshCall("refresh_token="+rt, "", ""))
	if res.status != 400 {
		t.Fatalf("not allowed: %d %s", res.status, res.body)
	}
	tokenGolden(t, "refresh_400_not_allowed", res.body)
}

// TestRefreshForeignOriginChangesNothing is R2/R8: from an origin that is not
// allowed 403; from another application's origin the token is refused; in
// both cases the stored token did not move, and the value still refreshes
// once the grace period of a rotated-out value is over.
func TestRefreshForeignOriginChangesNothing(t *testing.T) {
	s := newStack(t)
	rt := s.login(storeApp, nil).json(t)["refreshToken"].(string)
	before := refreshRecord(t, s, rt)
	for _, origin := range []string{"https://evil.test", "null", "https://store.example.test.evil.test", "http://store.example.test"} {
		res := s.do(refreshCall("refresh_token="+rt, "", origin))
		if res.status != 403 || len(res.header.Values("Set-Cookie")) != 0 || res.header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("origin %s: %d %v", origin, res.status, res.header)
		}
	}
	if res := s.do(refreshCall("refresh_token="+rt, "", forumsSite)); res.status != 404 || len(res.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("forums origin spent the store's token: %d %v", res.status, res.header)
	}
	requireUntouched(t, s, before)
	requireRefreshesPastGrace(t, s, refreshCall("refresh_token="+rt, "", storeSite))
}

// TestCrossSiteFetchWithoutOriginChangesNothing is R2: a browser request
// from another site that carries no Origin (Sec-Fetch-Site: cross-site) is
// refused like a foreign origin on refresh and logout, with the cookie or
// the token in the body: 403 [invalidOrigin], no cookie set or cleared, the
// stored token unmoved, and the value still refreshes past the grace period
// from a sibling subdomain's page that sends no Origin (same-site), which
// keeps working.
func TestCrossSiteFetchWithoutOriginChangesNothing(t *testing.T) {
	s := newStack(t)
	rt := s.login(storeApp, nil).json(t)["refreshToken"].(string)
	before := refreshRecord(t, s, rt)
	crossSite := func(path, cookie, body string) call {
		return call{method: "POST", path: path, body: body,
			hdr: map[string]string{"Cookie": cookie, "Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}}
	}
	login := `{"loginId":"` + aliceEmail + `","password":"` + alicePass + `","applicationId":"` + storeApp + `"}`
	for _, tc := range []struct {
		name string
		c    call
	}{
		{"refresh, cookie", crossSite("/api/jwt/refresh", "refresh_token="+rt, "")},
		{"refresh, body", crossSite("/api/jwt/refresh", "", `{"refreshToken":"`+rt+`"}`)},
		{"logout, cookie", crossSite("/api/logout", "refresh_token="+rt, "")},
		{"logout, body", crossSite("/api/logout", "", `{"refreshToken":"`+rt+`"}`)},
		{"global logout", crossSite("/api/logout", "refresh_token="+rt, `{"global":true}`)},
		{"login", crossSite("/api/login", "", login)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.do(tc.c)
			if res.status != 403 || !strings.Contains(string(res.body), "[invalidOrigin]") {
				t.Fatalf("status %d, want 403 [invalidOrigin]: %s", res.status, res.body)
			}
			if cs := res.header.Values("Set-Cookie"); len(cs) != 0 {
				t.Fatalf("a refused request set cookies: %q", cs)
			}
			requireUntouched(t, s, before)
		})
	}
	if live, err := s.Store.ListRefreshTokens(context.Background(), aliceID); err != nil || len(live) != 1 {
		t.Fatalf("the refused login issued a session: %d %v", len(live), err)
	}
	requireRefreshesPastGrace(t, s, call{method: "POST", path: "/api/jwt/refresh",
		hdr: map[string]string{"Cookie": "refresh_token=" + rt, "Sec-Fetch-Site": "same-site"}})
}

// TestScopedRefreshCookie (workflow step 14): logging in to Forums writes
// refresh_token_<forums> and leaves Store's refresh_token; each SPA then
// refreshes with its own cookie while the browser sends both.
func TestScopedRefreshCookie(t *testing.T) {
	s := newStack(t)
	must(t, s.Store.CreateRegistration(context.Background(), storage.Registration{ID: "0f1a2b3c-0000-4000-8000-0000000000c2",
		ApplicationID: forumsApp, UserID: aliceID, Roles: []string{"user"}}))
	store := s.login(storeApp, nil)
	forums := s.login(forumsApp, nil)
	jar := "refresh_token=" + cookieValue(store, "refresh_token") + "; refresh_token_" + forumsApp + "=" + cookieValue(forums, "refresh_token_"+forumsApp)
	for _, tc := range []struct{ name, body, origin, app string }{
		{"forums by origin", "{}", forumsSite, forumsApp},
		{"store by origin", "{}", storeSite, storeApp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.do(refreshCall(jar, tc.body, tc.origin))
			if res.status != 200 {
				t.Fatalf("status %d %s", res.status, res.body)
			}
			if aud := claims(t, res.json(t)["token"].(string))["aud"]; aud != tc.app {
				t.Fatalf("refreshed token for %v, want %s", aud, tc.app)
			}
		})
	}
	s.Clock.Advance(auth.DefaultRetryWindow + time.Second) // past the default grace period
	res := s.do(refreshCall("refresh_token_"+forumsApp+"=x; refresh_token="+cookieValue(store, "refresh_token"), `{"applicationId":"`+storeApp+`"}`, ""))
	if res.status != 404 { // store's token was rotated above: the named app's cookie is absent, the plain one is stale
		t.Fatalf("stale store token: %d", res.status)
	}
}

func claims(t testing.TB, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	must(t, err)
	var m map[string]any
	must(t, json.Unmarshal(b, &m))
	return m
}

// TestValidateAttacks is the JWT attack catalogue (security-bar.md §3, J1,
// J2, J3, J5, J8, J12) against /api/jwt/validate: each is an empty 401,
// including HS256 keyed with the published RS256 PEM and a rewritten aud.
func TestValidateAttacks(t *testing.T) {
	s := newStack(t)
	good := s.login(storeApp, nil).json(t)["token"].(string)
	parts := strings.Split(good, ".")
	var hdr map[string]any
	b, _ := base64.RawURLEncoding.DecodeString(parts[0])
	must(t, json.Unmarshal(b, &hdr))
	kid := hdr["kid"].(string)
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])

	pk := s.do(call{method: "GET", path: "/api/jwt/public-key?kid=" + kid}).json(t)["publicKey"].(string)
	sign := func(alg jose.SignatureAlgorithm, key any, kid string) string {
		opts := (&jose.SignerOptions{}).WithType("JWT")
		if kid != "" {
			opts = opts.WithHeader("kid", kid)
		}
		sg, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
		must(t, err)
		jws, err := sg.Sign(payload)
		must(t, err)
		out, err := jws.CompactSerialize()
		must(t, err)
		return out
	}
	// The published RS256 key: HS256 keyed with its PEM is the classic
	// algorithm confusion (security-bar.md J3) against a verifier that lets
	// the header pick the algorithm.
	var set jose.JSONWebKeySet
	must(t, json.Unmarshal(s.do(call{method: "GET", path: "/.well-known/jwks.json"}).body, &set))
	var rsKid string
	for _, k := range set.Keys {
		if k.Algorithm == "RS256" {
			rsKid = k.KeyID
		}
	}
	rsPEM, _ := s.do(call{method: "GET", path: "/api/jwt/public-key?kid=" + rsKid}).json(t)["publicKey"].(string)
	if rsKid == "" || !strings.HasPrefix(rsPEM, "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("no published RS256 key: %q %q", rsKid, rsPEM)
	}
	// aud changed to Forums with the Store token's signature kept.
	var body map[string]any
	must(t, json.Unmarshal(payload, &body))
	body["aud"] = forumsApp
	forumsPayload, _ := json.Marshal(body)
	wrongAud := parts[0] + "." + base64.RawURLEncoding.EncodeToString(forumsPayload) + "." + parts[2]

	own, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	flipped := []byte(parts[2])
	flipped[5] ^= 0x01
	if flipped[5] == parts[2][5] {
		t.Fatal("flip did nothing")
	}
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT","kid":"`+kid+`"}`)) + "." + parts[1] + "."

	res := s.do(call{method: "GET", path: "/api/jwt/validate", hdr: map[string]string{"Authorization": "Bearer " + good}})
	if res.status != 200 {
		t.Fatalf("valid token: %d", res.status)
	}
	tokenGolden(t, "validate_200", res.body)
	if res := s.do(call{method: "GET", path: "/api/jwt/validate", hdr: map[string]string{"Cookie": "access_token=" + good}}); res.status != 200 {
		t.Fatalf("cookie token: %d", res.status)
	}

	tests := map[string]string{
		"alg none":                                     none,
		"HS256 with the PEM key":                       sign(jose.HS256, []byte(pk), kid),
		"HS256 with the RS256 PEM, RS256 kid":          sign(jose.HS256, []byte(rsPEM), rsKid),
		"HS256 with the RS256 PEM, no newline":         sign(jose.HS256, []byte(strings.TrimSpace(rsPEM)), rsKid),
		"HS256 with the RS256 PEM, no kid":             sign(jose.HS256, []byte(rsPEM), ""),
		"aud rewritten to another app, signature kept": wrongAud,
		"own key, real kid":                            sign(jose.ES256, own, kid),
		"own key, unknown kid":                         sign(jose.ES256, own, "unknown-kid"),
		"kid traversal":                                sign(jose.ES256, own, "../../etc/passwd"),
		"bit-flipped signature":                        parts[0] + "." + parts[1] + "." + string(flipped),
		"stripped signature":                           parts[0] + "." + parts[1] + ".",
		"1 MB":                                         strings.Repeat("a", 1<<20),
		"dots":                                         strings.Repeat(".", 100000),
		"not a token":                                  "hello",
	}
	for name, tok := range tests {
		t.Run(name, func(t *testing.T) {
			res := s.do(call{method: "GET", path: "/api/jwt/validate", hdr: map[string]string{"Authorization": "Bearer " + tok}})
			// 431 is net/http refusing a header over its 1 MB limit.
			if (res.status != 401 && res.status != 431) || len(res.body) != 0 && res.status == 401 {
				t.Fatalf("status %d body %q", res.status, res.body)
			}
		})
	}
	// FusionAuth's validate takes no audience (fusionauth-api.md §2.2), so a
	// genuine token of another application is valid here: the audience is
	// the resource server's check (jwtverify), documented in docs/api.md.
	t.Run("another application's genuine token is valid", func(t *testing.T) {
		must(t, s.Store.CreateRegistration(context.Background(), storage.Registration{ID: "0f1a2b3c-0000-4000-8000-0000000000c2",
			ApplicationID: forumsApp, UserID: aliceID, Roles: []string{"user"}}))
		forums := s.login(forumsApp, nil).json(t)["token"].(string)
		res := s.do(call{method: "GET", path: "/api/jwt/validate", hdr: map[string]string{"Authorization": "Bearer " + forums}})
		if res.status != 200 || res.json(t)["jwt"].(map[string]any)["aud"] != forumsApp {
			t.Fatalf("status %d %s", res.status, res.body)
		}
	})
	t.Run("expired", func(t *testing.T) {
		s.Clock.Advance(5*time.Minute + time.Second)
		res := s.do(call{method: "GET", path: "/api/jwt/validate", hdr: map[string]string{"Authorization": "Bearer " + good}})
		if res.status != 401 {
			t.Fatalf("expired token: %d", res.status)
		}
	})
}

func b64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
