package store

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/latchkeyhq/latchkey/jwtverify"
)

const (
	issuer   = "https://login.example.test"
	storeApp = "5f1a2b3c-0000-4000-8000-000000000001"
	otherApp = "5f1a2b3c-0000-4000-8000-000000000002"
)

// signer mints tokens the way latchkey does (ES256, kid, iss, aud = app id).
type signer struct {
	key *ecdsa.PrivateKey
	kid string
}

func newSigner(t *testing.T, kid string) signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signer{k, kid}
}

func (s signer) token(t *testing.T, sub, aud string, exp time.Time) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: s.key, KeyID: s.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{"iss": issuer, "sub": sub, "aud": aud, "applicationId": aud, "email": sub + "@example.com",
		"iat": exp.Add(-time.Minute).Unix(), "exp": exp.Unix(), "roles": []string{}}
	tok, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// newTestStore runs the Store behind a real jwtverify that fetches a test JWKS
// publishing only the trusted signer's key.
func newTestStore(t *testing.T, trusted signer) *httptest.Server {
	t.Helper()
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &trusted.key.PublicKey, KeyID: trusted.kid, Algorithm: "ES256", Use: "sig"}}})
	}))
	t.Cleanup(jwks.Close)
	v, err := jwtverify.New(context.Background(), jwtverify.Config{Issuer: issuer, JWKSURL: jwks.URL, Audience: storeApp})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{DBPath: filepath.Join(t.TempDir(), "store.db"), IdentityURL: issuer + "/", ApplicationID: storeApp, Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, srv *httptest.Server, method, path, token, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return res.StatusCode, res.Header, m
}

func cartSKUs(t *testing.T, srv *httptest.Server, token string) []string {
	t.Helper()
	status, _, body := call(t, srv, "GET", "/api/load-shopping-cart", token, "")
	if status != http.StatusOK {
		t.Fatalf("load cart: status %d %v", status, body)
	}
	var skus []string
	for _, it := range body["items"].([]any) {
		skus = append(skus, it.(map[string]any)["sku"].(string))
	}
	return skus
}

func TestRefusesBadTokens(t *testing.T) {
	trusted := newSigner(t, "k1")
	srv := newTestStore(t, trusted)
	good := trusted.token(t, "alice", storeApp, time.Now().Add(time.Minute))
	before := cartSKUs(t, srv, good)

	forger := newSigner(t, "k1") // same kid, different key
	tests := []struct{ name, token string }{
		{"missing", ""},
		{"expired", trusted.token(t, "alice", storeApp, time.Now().Add(-10*time.Minute))},
		{"forged signature", forger.token(t, "alice", storeApp, time.Now().Add(time.Minute))},
		{"unknown kid", newSigner(t, "k2").token(t, "alice", storeApp, time.Now().Add(time.Minute))},
		{"other application's token", trusted.token(t, "alice", otherApp, time.Now().Add(time.Minute))},
		{"garbage", "not.a.jwt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, req := range []struct{ method, path, body string }{
				{"GET", "/api/load-shopping-cart", ""},
				{"POST", "/api/cart/items", `{"sku":"tee"}`},
				{"DELETE", "/api/cart/items/1", ""},
			} {
				status, hdr, body := call(t, srv, req.method, req.path, tt.token, req.body)
				if status != http.StatusUnauthorized {
					t.Errorf("%s %s: status %d, want 401", req.method, req.path, status)
				}
				if !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s %s: WWW-Authenticate %q", req.method, req.path, hdr.Get("WWW-Authenticate"))
				}
				if body == nil || !strings.Contains(hdr.Get("Content-Type"), "json") {
					t.Errorf("%s %s: want a JSON error body, got %q %v", req.method, req.path, hdr.Get("Content-Type"), body)
				}
			}
		})
	}
	if after := cartSKUs(t, srv, good); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("refused requests changed the cart: %v -> %v", before, after)
	}
}

func TestCart(t *testing.T) {
	trusted := newSigner(t, "k1")
	srv := newTestStore(t, trusted)
	alice := trusted.token(t, "alice", storeApp, time.Now().Add(time.Minute))
	bob := trusted.token(t, "bob", storeApp, time.Now().Add(time.Minute))

	if got := strings.Join(cartSKUs(t, srv, alice), ","); got != "mug,stickers" {
		t.Fatalf("first load: cart %q, want the welcome cart mug,stickers", got)
	}
	status, _, added := call(t, srv, "POST", "/api/cart/items", alice, `{"sku":"tee"}`)
	if status != http.StatusCreated {
		t.Fatalf("add: status %d", status)
	}
	teeID := int64(added["id"].(float64))
	if got := strings.Join(cartSKUs(t, srv, bob), ","); got != "mug,stickers" {
		t.Errorf("bob sees %q: carts must be per user", got)
	}

	tests := []struct {
		name, method, path, token, body string
		want                            int
	}{
		{"invalid JSON", "POST", "/api/cart/items", alice, `{"sku":`, http.StatusBadRequest},
		{"unknown field", "POST", "/api/cart/items", alice, `{"sku":"tee","price":0}`, http.StatusBadRequest},
		{"unknown product", "POST", "/api/cart/items", alice, `{"sku":"yacht"}`, http.StatusBadRequest},
		{"non-numeric id", "DELETE", "/api/cart/items/abc", alice, "", http.StatusBadRequest},
		{"another user's item", "DELETE", "/api/cart/items/" + itoa(teeID), bob, "", http.StatusNotFound},
		{"missing item", "DELETE", "/api/cart/items/99999", alice, "", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, body := call(t, srv, tt.method, tt.path, tt.token, tt.body)
			if status != tt.want || body["error"] == nil || !strings.Contains(hdr.Get("Content-Type"), "json") {
				t.Errorf("status %d body %v, want %d with a JSON error", status, body, tt.want)
			}
		})
	}
	if got := strings.Join(cartSKUs(t, srv, alice), ","); got != "mug,stickers,tee" {
		t.Fatalf("after refused changes: cart %q", got)
	}
	if status, _, _ := call(t, srv, "DELETE", "/api/cart/items/"+itoa(teeID), alice, ""); status != http.StatusNoContent {
		t.Fatalf("remove own item: status %d", status)
	}
	if got := strings.Join(cartSKUs(t, srv, alice), ","); got != "mug,stickers" {
		t.Errorf("after remove: cart %q", got)
	}
}

func TestPageAndConfig(t *testing.T) {
	srv := newTestStore(t, newSigner(t, "k1"))
	status, _, cfg := call(t, srv, "GET", "/config.json", "", "")
	if status != 200 || cfg["identityURL"] != issuer || cfg["applicationId"] != storeApp {
		t.Errorf("config.json: %d %v", status, cfg)
	}
	res, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), `id="login-form"`) {
		t.Error("index page has no login form")
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self' "+issuer+";") {
		t.Errorf("CSP %q must allow scripts only from self and the identity server", csp)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
