package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/latchkeyhq/latchkey/jwtverify"
)

// issue GETs /api/jwt/issue for app with the given Authorization and DPoP
// proof ("" for none).
func (s *stack) issue(app, authz, proof string) result {
	s.t.Helper()
	return s.do(call{method: "GET", path: "/api/jwt/issue?applicationId=" + app,
		hdr: map[string]string{"Authorization": authz, "DPoP": proof}})
}

// A DPoP-bound token buys only a token bound to the same key (RFC 9449
// §6.1): presented as Bearer, or with another key's proof, it buys nothing;
// with its key's proof it buys a token with the same cnf.jkt, which is in
// turn refused as Bearer at /api/jwt/validate and /oauth2/userinfo. An
// unbound source still buys an unbound token.
func TestIssuedJWTKeepsDPoPBinding(t *testing.T) {
	s := newOAuthStack(t)
	key, other := newDPoPKey(t), newDPoPKey(t)
	const path = "/api/jwt/issue"
	bound := s.login(storeApp, map[string]string{"DPoP": s.proof(key, "POST", "/api/login", "")}).json(t)["token"].(string)
	if cnfOf(t, bound) != thumb(t, key) {
		t.Fatalf("login token not bound: %v", jwtClaims(t, bound))
	}
	for _, tc := range []struct{ name, authz, proof string }{
		{"bound as Bearer", "Bearer " + bound, ""},
		{"bound as Bearer with its key's proof", "Bearer " + bound, s.proof(key, "GET", path, bound)},
		{"bound as DPoP without proof", "DPoP " + bound, ""},
		{"proof by another key", "DPoP " + bound, s.proof(other, "GET", path, bound)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := s.issue(forumsApp, tc.authz, tc.proof); res.status != 401 || len(res.body) != 0 {
				t.Fatalf("status %d %s, want an empty 401", res.status, res.body)
			}
		})
	}

	res := s.issue(forumsApp, "DPoP "+bound, s.proof(key, "GET", path, bound))
	if res.status != 200 {
		t.Fatalf("issue with the key's proof: %d %s", res.status, res.body)
	}
	issued := res.json(t)["token"].(string)
	if got := cnfOf(t, issued); got != thumb(t, key) {
		t.Fatalf("issued cnf.jkt = %q, want the source's %q", got, thumb(t, key))
	}
	for _, p := range []string{"/api/jwt/validate", "/oauth2/userinfo"} {
		if r := s.do(call{method: "GET", path: p, hdr: map[string]string{"Authorization": "Bearer " + issued}}); r.status != 401 {
			t.Fatalf("issued bound token as Bearer at %s: %d %s, want 401", p, r.status, r.body)
		}
		if r := s.do(call{method: "GET", path: p, hdr: map[string]string{"Authorization": "DPoP " + issued,
			"DPoP": s.proof(key, "GET", p, issued)}}); r.status != 200 {
			t.Fatalf("issued bound token as DPoP at %s: %d %s, want 200", p, r.status, r.body)
		}
	}
	// Re-issuing from the issued token keeps the binding too.
	again := s.issue(wikiApp, "DPoP "+issued, s.proof(key, "GET", path, issued))
	if again.status != 200 || cnfOf(t, again.json(t)["token"].(string)) != thumb(t, key) {
		t.Fatalf("issue from the issued token: %d %s", again.status, again.body)
	}

	plain := s.login(storeApp, nil).json(t)["token"].(string)
	res = s.issue(forumsApp, "Bearer "+plain, "")
	if res.status != 200 || jwtClaims(t, res.json(t)["token"].(string))["cnf"] != nil {
		t.Fatalf("unbound source: %d %s", res.status, res.body)
	}
}

// A token from /api/jwt/issue belongs to the session of its source (the
// same sid): once that session ends, /oauth2/userinfo refuses it and it
// buys no further token; a token issued from another session of the same
// user is untouched.
func TestIssuedJWTEndsWithItsSession(t *testing.T) {
	s := newOAuthStack(t)
	login := s.login(storeApp, nil).json(t)
	src, sid := login["token"].(string), login["refreshTokenId"].(string)
	res := s.issue(forumsApp, "Bearer "+src, "")
	if res.status != 200 {
		t.Fatalf("issue: %d %s", res.status, res.body)
	}
	issued := res.json(t)["token"].(string)
	if got := jwtClaims(t, issued)["sid"]; got != sid {
		t.Fatalf("issued sid = %v, want the source's %q", got, sid)
	}
	otherSrc := s.login(storeApp, nil).json(t)["token"].(string)
	otherIssued := s.issue(forumsApp, "Bearer "+otherSrc, "").json(t)["token"].(string)
	userinfo := func(tok string) int {
		return s.do(call{method: "GET", path: "/oauth2/userinfo", hdr: map[string]string{"Authorization": "Bearer " + tok}}).status
	}
	if got := userinfo(issued); got != 200 {
		t.Fatalf("userinfo before the session ends: %d", got)
	}
	if r := s.issue(wikiApp, "Bearer "+issued, ""); r.status != 200 {
		t.Fatalf("issue from the issued token before the session ends: %d %s", r.status, r.body)
	}

	if r := s.do(call{method: "DELETE", path: "/api/jwt/refresh/" + sid, hdr: map[string]string{"Authorization": apiKey}}); r.status != 200 {
		t.Fatalf("end the session: %d %s", r.status, r.body)
	}
	if got := userinfo(issued); got != 401 {
		t.Fatalf("userinfo with the issued token after its session ended: %d, want 401", got)
	}
	for name, tok := range map[string]string{"source": src, "issued": issued} {
		if r := s.issue(wikiApp, "Bearer "+tok, ""); r.status != 401 {
			t.Fatalf("issue from the %s token after its session ended: %d %s, want 401", name, r.status, r.body)
		}
	}
	if got := userinfo(otherIssued); got != 200 {
		t.Fatalf("a token issued from another session: %d, want 200", got)
	}
}

// The session a token was issued from is in the revocation feed of the
// application it was issued for once it ends (not only in its own), so a
// resource server of that application, polling its own feed with its own
// credentials, refuses the issued token within one poll. A token issued
// from another session stays accepted, and an application nothing was
// issued for does not list the session.
func TestIssuedJWTInTargetRevocationFeed(t *testing.T) {
	s := newOAuthStack(t)
	ctx := context.Background()
	v, err := jwtverify.New(ctx, jwtverify.Config{
		Issuer: s.URL, JWKSURL: s.URL + "/.well-known/jwks.json", Audience: forumsApp, Now: s.Clock.Now,
		RevocationURL: s.URL + "/api/jwt/revocations", ClientID: forumsApp, ClientSecret: secret,
	})
	must(t, err)
	rs := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "forum") })))
	t.Cleanup(rs.Close)
	must(t, v.PollRevocations(ctx))
	cursor := s.feed(basicAuth(forumsApp, secret), "").json(t)["cursor"].(string)

	login := s.login(storeApp, nil).json(t)
	sid := login["refreshTokenId"].(string)
	issued := s.issue(forumsApp, "Bearer "+login["token"].(string), "").json(t)["token"].(string)
	otherSrc := s.login(storeApp, nil).json(t)["token"].(string)
	otherIssued := s.issue(forumsApp, "Bearer "+otherSrc, "").json(t)["token"].(string)
	if got := getCart(t, rs.URL, "Bearer "+issued, ""); got != 200 {
		t.Fatalf("forums resource before the session ends: %d", got)
	}

	s.Clock.Advance(10 * 1e9)
	if r := s.do(call{method: "DELETE", path: "/api/jwt/refresh/" + sid, hdr: map[string]string{"Authorization": apiKey}}); r.status != 200 {
		t.Fatalf("end the session: %d %s", r.status, r.body)
	}
	for _, tc := range []struct {
		app    string
		listed bool
	}{{forumsApp, true}, {storeApp, true}, {wikiApp, false}} {
		res := s.feed(basicAuth(tc.app, secret), "?since="+cursor)
		if res.status != 200 || slices.Contains(sids(t, res), sid) != tc.listed {
			t.Fatalf("feed of %s: %d %s, want the session listed: %v", tc.app, res.status, res.body, tc.listed)
		}
	}
	must(t, v.PollRevocations(ctx))
	if got := getCart(t, rs.URL, "Bearer "+issued, ""); got != 401 {
		t.Fatalf("forums resource after the session ended and one poll: %d, want 401", got)
	}
	if got := getCart(t, rs.URL, "Bearer "+otherIssued, ""); got != 200 {
		t.Fatalf("a token issued from another session: %d, want 200", got)
	}
}
