package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/latchkeyhq/latchkey/jwtverify"
)

// resourceServer is the Store backend of workflow.md step 8: jwtverify's
// middleware in front of the cart, fed by this latchkey's JWKS and
// revocation feed.
func (s *stack) resourceServer(t *testing.T) (*httptest.Server, *jwtverify.Verifier) {
	t.Helper()
	v, err := jwtverify.New(context.Background(), jwtverify.Config{
		Issuer: s.URL, JWKSURL: s.URL + "/.well-known/jwks.json", Audience: storeApp, Now: s.Clock.Now,
		RevocationURL: s.URL + "/api/jwt/revocations", ClientID: storeApp, ClientSecret: secret,
	})
	must(t, err)
	rs := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtverify.ClaimsFromContext(r.Context())
		io.WriteString(w, "cart of "+c.Subject)
	})))
	t.Cleanup(rs.Close)
	return rs, v
}

func getCart(t *testing.T, url, auth, proof string) int {
	t.Helper()
	req, err := http.NewRequest("GET", url+"/api/load-shopping-cart", nil)
	must(t, err)
	req.Header.Set("Authorization", auth)
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	res.Body.Close()
	return res.StatusCode
}

// Workflow step 17, improved: after logout the resource server refuses the
// same, unexpired JWT as soon as it has polled the feed once.
func TestResourceServerSeesLogoutWithinOnePoll(t *testing.T) {
	s := newStack(t)
	rs, v := s.resourceServer(t)
	ctx := context.Background()
	must(t, v.PollRevocations(ctx)) // the poller is running before the login
	login := s.login(storeApp, nil).json(t)
	jwt, rt := login["token"].(string), login["refreshToken"].(string)
	if got := getCart(t, rs.URL, "Bearer "+jwt, ""); got != 200 {
		t.Fatalf("cart before logout: %d", got)
	}
	if res := s.do(call{method: "POST", path: "/api/logout", body: `{"refreshToken":"` + rt + `"}`}); res.status != 200 {
		t.Fatalf("logout: %d", res.status)
	}
	must(t, v.PollRevocations(ctx))
	if got := getCart(t, rs.URL, "Bearer "+jwt, ""); got != 401 {
		t.Fatalf("cart after logout and one poll: %d, want 401", got)
	}
	// Another session of the same user is untouched.
	other := s.login(storeApp, nil).json(t)["token"].(string)
	must(t, v.PollRevocations(ctx))
	if got := getCart(t, rs.URL, "Bearer "+other, ""); got != 200 {
		t.Fatalf("new session after the poll: %d", got)
	}
}

// Workflow step 17 with DPoP: the stolen JWT alone is useless at the
// resource server; the holder of the key gets the cart.
func TestResourceServerDPoP(t *testing.T) {
	s := newStack(t)
	rs, _ := s.resourceServer(t)
	key := newDPoPKey(t)
	jwt := s.login(storeApp, map[string]string{"DPoP": s.proof(key, "POST", "/api/login", "")}).json(t)["token"].(string)
	proof := func(k any) string {
		p, err := dpopNewProof(k, "GET", rs.URL+"/api/load-shopping-cart", jwt, s.Clock.Now())
		must(t, err)
		return p
	}
	if got := getCart(t, rs.URL, "DPoP "+jwt, proof(key)); got != 200 {
		t.Fatalf("key holder: %d", got)
	}
	if got := getCart(t, rs.URL, "Bearer "+jwt, ""); got != 401 {
		t.Fatalf("stolen JWT as Bearer: %d, want 401", got)
	}
	if got := getCart(t, rs.URL, "DPoP "+jwt, proof(newDPoPKey(t))); got != 401 {
		t.Fatalf("stolen JWT with the thief's own key: %d, want 401", got)
	}
}
