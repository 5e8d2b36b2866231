package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/demo/appkit"
	"github.com/latchkeyhq/latchkey/internal/demo/appkit/appkittest"
	"github.com/latchkeyhq/latchkey/internal/demo/store"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/jwtverify"
)

const (
	carolID    = "0f1a2b3c-0000-4000-8000-0000000000b3"
	carolEmail = "carol@example.test"
)

// addCarol stores carol: a user of the tenant with no registration at all.
func (s *stack) addCarol(t *testing.T) {
	t.Helper()
	ph, err := password.Hash(context.Background(), alicePass, "salted-pbkdf2-hmac-sha256", testFactor)
	must(t, err)
	must(t, s.Store.CreateUser(context.Background(), storage.User{ID: carolID, TenantID: tenantID, Active: true,
		Email: carolEmail, Verified: true, Password: ph, InsertInstant: s.Clock.Now().UnixMilli()}))
}

// TestUnregisteredGetsNoStoreToken: carol is
// not registered for the Store. Logging in with the Store's id answers 202
// with her user and no token and no cookie; the password grant refuses her;
// nothing of hers is left that names the Store.
func TestUnregisteredGetsNoStoreToken(t *testing.T) {
	s := newStack(t)
	s.addCarol(t)
	res := s.do(call{method: "POST", path: "/api/login",
		body: `{"loginId":"` + carolEmail + `","password":"` + alicePass + `","applicationId":"` + storeApp + `"}`})
	m := res.json(t)
	if res.status != 202 {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	for _, k := range []string{"token", "tokenExpirationInstant", "refreshToken", "refreshTokenId"} {
		if _, ok := m[k]; ok {
			t.Errorf("202 carries %s: %s", k, res.body)
		}
	}
	if u, _ := m["user"].(map[string]any); u["id"] != carolID {
		t.Errorf("202 user %v", m["user"])
	}
	if c := res.header.Values("Set-Cookie"); len(c) != 0 {
		t.Errorf("202 set cookies %q", c)
	}

	form := url.Values{"grant_type": {"password"}, "username": {carolEmail}, "password": {alicePass},
		"client_id": {storeApp}, "client_secret": {secret}, "scope": {"openid offline_access"}}
	res = s.do(call{method: "POST", path: "/oauth2/token", body: form.Encode(),
		hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	if m := res.json(t); res.status != 400 || m["error"] != "invalid_grant" || m["error_reason"] != "registration_required" || m["access_token"] != nil {
		t.Fatalf("password grant for carol: %d %s", res.status, res.body)
	}
	live, err := s.Store.ListRefreshTokens(context.Background(), carolID)
	if err != nil || len(live) != 0 {
		t.Fatalf("carol holds refresh tokens %v (%v)", live, err)
	}
}

// TestUnregisteredTokenRefusedDownstream: a token shaped like the one
// FusionAuth (and latchkey before the fix) gave carol, signed by this
// latchkey's real key (aud = Store, no applicationId, no roles), is refused by
// jwtverify's default middleware and by the demo Store itself, while alice's
// token passes both. AllowUnregistered is the explicit way back.
func TestUnregisteredTokenRefusedDownstream(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	alice := s.login(storeApp, nil).json(t)["token"].(string)
	c := claims(t, alice)
	c["sub"], c["email"] = carolID, carolEmail
	delete(c, "applicationId")
	delete(c, "roles")
	delete(c, "sid")
	carol, err := s.Srv.Keys.Sign(ctx, "ES256", c)
	must(t, err)

	newVerifier := func(allow bool) *jwtverify.Verifier {
		v, err := jwtverify.New(ctx, jwtverify.Config{Issuer: s.URL, JWKSURL: s.URL + "/.well-known/jwks.json",
			Audience: storeApp, Now: s.Clock.Now, AllowUnregistered: allow})
		must(t, err)
		return v
	}
	shop, err := store.New(appkit.Config{DBPath: filepath.Join(t.TempDir(), "store.db"), IdentityURL: s.URL,
		ApplicationID: storeApp, Verifier: newVerifier(false), Now: s.Clock.Now})
	must(t, err)
	shopSrv := appkittest.Serve(t, shop)

	tests := []struct {
		name  string
		url   string
		token string
		want  int
	}{
		{"middleware: alice", s.resourceURL(t, newVerifier(false)), alice, 200},
		{"middleware: carol", s.resourceURL(t, newVerifier(false)), carol, 401},
		{"middleware with AllowUnregistered: carol", s.resourceURL(t, newVerifier(true)), carol, 200},
		{"demo Store: alice", shopSrv.URL, alice, 200},
		{"demo Store: carol", shopSrv.URL, carol, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := getCart(t, tt.url, "Bearer "+tt.token, ""); got != tt.want {
				t.Fatalf("cart: %d, want %d", got, tt.want)
			}
		})
	}
	status, hdr, body := appkittest.Call(t, shopSrv, "GET", "/api/load-shopping-cart", carol, "")
	if status != 401 || !strings.Contains(hdr.Get("WWW-Authenticate"), "not registered") || body["error"] != "invalid_token" {
		t.Fatalf("Store's refusal of carol: %d %q %v", status, hdr.Get("WWW-Authenticate"), body)
	}
}

// resourceURL serves a cart behind v's middleware and returns its URL.
func (s *stack) resourceURL(t *testing.T, v *jwtverify.Verifier) string {
	t.Helper()
	srv := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtverify.ClaimsFromContext(r.Context())
		w.Write([]byte("cart of " + c.Subject))
	})))
	t.Cleanup(srv.Close)
	return srv.URL
}
