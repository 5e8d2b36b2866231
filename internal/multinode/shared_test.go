package multinode

import (
	"encoding/json"
	"fmt"
	"testing"
)

// jwks returns nd's published key set as kid -> alg, and the raw body.
func jwks(t *testing.T, nd *node) (map[string]string, string) {
	t.Helper()
	r := nd.do(t, "GET", "/.well-known/jwks.json", nil)
	var set struct {
		Keys []struct{ Kid, Alg string }
	}
	if r.status != 200 || json.Unmarshal(r.body, &set) != nil {
		t.Fatalf("jwks on %s: %d %s", nd.name, r.status, r.body)
	}
	out := map[string]string{}
	for _, k := range set.Keys {
		out[k.Kid] = k.Alg
	}
	return out, string(r.body)
}

// TestLockoutCountsFailuresFromBothNodes: the default tenant locks after 5
// failures within 60 s. Failures spread over two nodes (3 on A, 2 on B)
// lock the account on both, which per-node counters would not.
func TestLockoutCountsFailuresFromBothNodes(t *testing.T) {
	c := startCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	for i, nd := range []*node{a, b, a, b, a} {
		r := nd.do(t, "POST", "/api/login", map[string]any{"loginId": lockEmail, "password": "wrong-password", "applicationId": raceApp})
		if r.status != 404 && r.status != 409 {
			t.Fatalf("failure %d on %s: %d %s", i+1, nd.name, r.status, r.body)
		}
	}
	for _, nd := range []*node{a, b} {
		t.Run("locked on "+nd.name, func(t *testing.T) {
			r := nd.do(t, "POST", "/api/login", map[string]any{"loginId": lockEmail, "password": password, "applicationId": raceApp})
			if r.status != 409 || r.str("refreshToken") != "" {
				t.Fatalf("right password after 5 failures on two nodes: %d %s; want 409 and no token", r.status, r.body)
			}
		})
	}
	// Another user is not affected by this user's lock.
	login(t, b, userEmail, raceApp)
}

// TestSharedKeysAndValidation: both nodes publish the same JWKS and each
// accepts the other's access tokens; a forged signature is refused by both.
func TestSharedKeysAndValidation(t *testing.T) {
	c := startCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	ka, rawA := jwks(t, a)
	_, rawB := jwks(t, b)
	if rawA != rawB || len(ka) != 2 {
		t.Fatalf("JWKS differ or are not one ES256 + one RS256 key:\nA %s\nB %s", rawA, rawB)
	}
	tests := []struct {
		name        string
		issue, test *node
	}{{"A's token on B", a, b}, {"B's token on A", b, a}, {"A's token on A", a, a}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := login(t, tc.issue, userEmail, raceApp).str("token")
			if _, ok := ka[kid(t, tok)]; !ok {
				t.Fatalf("token kid %s is not in the shared JWKS", kid(t, tok))
			}
			if s := validate(t, tc.test, tok); s != 200 {
				t.Fatalf("validate: %d", s)
			}
			forged := tok[:len(tok)-4] + flip(tok[len(tok)-4:])
			if s := validate(t, tc.test, forged); s != 401 {
				t.Fatalf("forged signature: %d, want 401", s)
			}
		})
	}
}

// flip changes every character of a base64url fragment.
func flip(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}

// TestKeyRotationReachesOtherNode: a rotation through A is published by B
// and used by B for new tokens, pushed by the change feed (B caches for an
// hour, so waiting out a TTL cannot pass it), and B keeps accepting tokens
// signed with the previous key. The cluster signs with a new key 1 ms
// after its rotation (instead of publishing it for 10 minutes first,
// TestKeyRotationUnderLoad), so what is checked is the propagation.
func TestKeyRotationReachesOtherNode(t *testing.T) {
	c := startCluster(t, 2, cachedForAnHour, "LATCHKEY_KEY_PUBLISH_AHEAD=1ms")
	a, b := c.nodes[0], c.nodes[1]
	before := login(t, b, userEmail, raceApp).str("token")
	tests := []struct {
		alg        string
		signsWithB bool // the tenant signs with ES256, so only that key is used
	}{{"ES256", true}, {"RS256", false}}
	for _, tc := range tests {
		t.Run(tc.alg, func(t *testing.T) {
			jwks(t, b) // B has the key set cached now
			r := a.do(t, "POST", "/api/key/rotate", map[string]string{"algorithm": tc.alg}, "Authorization", c.apiKey)
			var out struct {
				Key struct{ ID, Algorithm string }
			}
			if r.status != 200 || json.Unmarshal(r.body, &out) != nil || out.Key.ID == "" {
				t.Fatalf("rotate on A: %d %s", r.status, r.body)
			}
			// One check for both effects: the request that makes B reload
			// its key set is the one whose result is checked.
			pushed(t, fmt.Sprintf("the new %s key published (and signing: %v)", tc.alg, tc.signsWithB), func() bool {
				if k, _ := jwks(t, b); k[out.Key.ID] != tc.alg {
					return false
				}
				return !tc.signsWithB || kid(t, login(t, b, userEmail, raceApp).str("token")) == out.Key.ID
			})
		})
	}
	if s := validate(t, b, before); s != 200 {
		t.Fatalf("a token signed before the rotations is refused: %d", s)
	}
	ka, rawA := jwks(t, a)
	_, rawB := jwks(t, b)
	if rawA != rawB || len(ka) != 4 {
		t.Fatalf("after two rotations the nodes publish different sets or not 2 active + 2 retiring:\nA %s\nB %s", rawA, rawB)
	}
}

// TestApplicationChangeReachesOtherNode: a change of an application through
// A's management API is in effect on B, pushed by the change feed (B
// caches for an hour): here the access token lifetime, visible as
// exp - iat of B's next token.
func TestApplicationChangeReachesOtherNode(t *testing.T) {
	c := startCluster(t, 2, cachedForAnHour)
	a, b := c.nodes[0], c.nodes[1]
	ttl := func() int {
		tok := login(t, b, userEmail, raceApp).str("token")
		var claims struct{ Exp, Iat int }
		if err := json.Unmarshal(part(t, tok, 1), &claims); err != nil {
			t.Fatal(err)
		}
		return claims.Exp - claims.Iat
	}
	if got := ttl(); got != 600 {
		t.Fatalf("before: B's tokens live %d s, want the Kickstart's 600", got)
	}
	r := a.do(t, "PATCH", "/api/application/"+raceApp,
		map[string]any{"application": map[string]any{"jwtConfiguration": map[string]any{"timeToLiveInSeconds": 120}}},
		"Authorization", c.apiKey)
	if r.status != 200 {
		t.Fatalf("PATCH on A: %d %s", r.status, r.body)
	}
	pushed(t, "the application's 120 s access tokens", func() bool { return ttl() == 120 })
	// The change did not leak into the other application.
	tok := login(t, b, userEmail, strictApp).str("token")
	var claims struct{ Exp, Iat int }
	_ = json.Unmarshal(part(t, tok, 1), &claims)
	if claims.Exp-claims.Iat != 600 {
		t.Fatalf("strict app's token lifetime changed to %d", claims.Exp-claims.Iat)
	}
}
