package jwtverify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/jwtverify/dpop"
)

const cartURL = "https://store.example.test/api/load-shopping-cart"

// A bound token passes only as DPoP with a fresh proof by its key for this
// request and this token; every other presentation is a 401 whose challenge
// names the DPoP scheme. Unbound tokens keep working as Bearer.
func TestMiddlewareDPoP(t *testing.T) {
	p := newIDP(t)
	v := p.verifier(t, func(c *Config) { c.PublicURL = "https://store.example.test" })
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jkt, _ := dpop.KeyThumbprint(key)
	bc := p.claims()
	bc["cnf"] = map[string]any{"jkt": jkt}
	bound, plain := p.token(t, "ec-1", bc), p.token(t, "ec-1", p.claims())
	proof := func(k *ecdsa.PrivateKey, method, url, tok string) string {
		s, err := dpop.NewProof(k, method, url, tok, p.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	replayed := proof(key, "GET", cartURL, bound)
	tests := []struct {
		name, auth, proof string
		status            int
		challenge         string // prefix of WWW-Authenticate
	}{
		{"bound with proof", "DPoP " + bound, replayed, 204, ""},
		{"replayed proof", "DPoP " + bound, replayed, 401, `DPoP error="invalid_dpop_proof"`},
		{"bound as Bearer", "Bearer " + bound, "", 401, `DPoP error="invalid_token"`},
		{"bound without proof", "DPoP " + bound, "", 401, `DPoP error="invalid_token"`},
		{"proof by another key", "DPoP " + bound, proof(other, "GET", cartURL, bound), 401, `DPoP error="invalid_dpop_proof"`},
		{"proof for another token", "DPoP " + bound, proof(key, "GET", cartURL, plain), 401, `DPoP error="invalid_dpop_proof"`},
		{"wrong htm", "DPoP " + bound, proof(key, "POST", cartURL, bound), 401, `DPoP error="invalid_dpop_proof"`},
		{"wrong htu", "DPoP " + bound, proof(key, "GET", "https://evil.test/api/load-shopping-cart", bound), 401, `DPoP error="invalid_dpop_proof"`},
		{"unbound as Bearer", "Bearer " + plain, "", 204, ""},
		{"unbound as DPoP", "DPoP " + plain, proof(key, "GET", cartURL, plain), 401, `DPoP error="invalid_token"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/api/load-shopping-cart", nil)
			r.Header.Set("Authorization", tc.auth)
			if tc.proof != "" {
				r.Header.Set("DPoP", tc.proof)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), tc.challenge) {
				t.Fatalf("got %d %q %s, want %d %q", w.Code, w.Header().Get("WWW-Authenticate"), w.Body, tc.status, tc.challenge)
			}
		})
	}
	t.Run("two DPoP headers", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/api/load-shopping-cart", nil)
		r.Header.Set("Authorization", "DPoP "+bound)
		r.Header.Add("DPoP", proof(key, "GET", cartURL, bound))
		r.Header.Add("DPoP", proof(key, "GET", cartURL, bound))
		if _, err := v.VerifyRequest(r); !errors.Is(err, ErrDPoPRequired) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("Verify refuses a bound token", func(t *testing.T) {
		if _, err := v.Verify(t.Context(), bound); !errors.Is(err, ErrDPoPRequired) || !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("err = %v", err)
		}
	})
}
