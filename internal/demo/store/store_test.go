package store

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/demo/appkit/appkittest"
)

const (
	issuer   = appkittest.Issuer
	storeApp = "5f1a2b3c-0000-4000-8000-000000000001"
	otherApp = "5f1a2b3c-0000-4000-8000-000000000002"
)

// newTestStore runs the Store behind a real jwtverify that fetches a test JWKS
// publishing only the trusted signer's key.
func newTestStore(t *testing.T, trusted appkittest.Signer) *httptest.Server {
	t.Helper()
	s, err := New(appkittest.Config(t, trusted, storeApp))
	if err != nil {
		t.Fatal(err)
	}
	return appkittest.Serve(t, s)
}

func cartSKUs(t *testing.T, srv *httptest.Server, token string) []string {
	t.Helper()
	return appkittest.List(t, srv, "/api/load-shopping-cart", token, "items", "sku")
}

func TestRefusesBadTokens(t *testing.T) {
	trusted := appkittest.NewSigner(t, "k1")
	srv := newTestStore(t, trusted)
	good := trusted.Token(t, "alice", storeApp, time.Now().Add(time.Minute))
	before := cartSKUs(t, srv, good)

	forger := appkittest.NewSigner(t, "k1") // same kid, different key
	tests := []struct{ name, token string }{
		{"missing", ""},
		{"expired", trusted.Token(t, "alice", storeApp, time.Now().Add(-10*time.Minute))},
		{"forged signature", forger.Token(t, "alice", storeApp, time.Now().Add(time.Minute))},
		{"unknown kid", appkittest.NewSigner(t, "k2").Token(t, "alice", storeApp, time.Now().Add(time.Minute))},
		{"other application's token", trusted.Token(t, "alice", otherApp, time.Now().Add(time.Minute))},
		{"garbage", "not.a.jwt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, req := range []struct{ method, path, body string }{
				{"GET", "/api/load-shopping-cart", ""},
				{"POST", "/api/cart/items", `{"sku":"tee"}`},
				{"DELETE", "/api/cart/items/1", ""},
			} {
				status, hdr, body := appkittest.Call(t, srv, req.method, req.path, tt.token, req.body)
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
	trusted := appkittest.NewSigner(t, "k1")
	srv := newTestStore(t, trusted)
	alice := trusted.Token(t, "alice", storeApp, time.Now().Add(time.Minute))
	bob := trusted.Token(t, "bob", storeApp, time.Now().Add(time.Minute))

	if got := strings.Join(cartSKUs(t, srv, alice), ","); got != "mug,stickers" {
		t.Fatalf("first load: cart %q, want the welcome cart mug,stickers", got)
	}
	status, _, added := appkittest.Call(t, srv, "POST", "/api/cart/items", alice, `{"sku":"tee"}`)
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
			status, hdr, body := appkittest.Call(t, srv, tt.method, tt.path, tt.token, tt.body)
			if status != tt.want || body["error"] == nil || !strings.Contains(hdr.Get("Content-Type"), "json") {
				t.Errorf("status %d body %v, want %d with a JSON error", status, body, tt.want)
			}
		})
	}
	if got := strings.Join(cartSKUs(t, srv, alice), ","); got != "mug,stickers,tee" {
		t.Fatalf("after refused changes: cart %q", got)
	}
	if status, _, _ := appkittest.Call(t, srv, "DELETE", "/api/cart/items/"+itoa(teeID), alice, ""); status != http.StatusNoContent {
		t.Fatalf("remove own item: status %d", status)
	}
	if got := strings.Join(cartSKUs(t, srv, alice), ","); got != "mug,stickers" {
		t.Errorf("after remove: cart %q", got)
	}
}

func TestPageAndConfig(t *testing.T) {
	srv := newTestStore(t, appkittest.NewSigner(t, "k1"))
	status, _, cfg := appkittest.Call(t, srv, "GET", "/config.json", "", "")
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
