package jwtverify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkeyhq/latchkey/internal/jwttest"
)

const (
	issuer = "https://login.example.test"
	store  = "3c219e58-ed0e-4b18-ad48-f4f92793ae32" // the Store application id
)

// idp is a fake identity server: its signing keys and a JWKS endpoint that
// counts requests, so tests can prove refetches are collapsed and bounded.
type idp struct {
	srv     *httptest.Server
	fetches atomic.Int64
	mu      sync.Mutex
	priv    map[string]crypto.Signer // kid -> key, all published
	status  int                      // JWKS answer status; 0 = 200
	clock   *clock
}

func newIDP(t testing.TB) *idp {
	t.Helper()
	p := &idp{priv: map[string]crypto.Signer{}, clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}}
	p.addKey(t, "ec-1", "ES256")
	p.addKey(t, "rsa-1", "RS256")
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.status != 0 {
			w.WriteHeader(p.status)
			return
		}
		set := jose.JSONWebKeySet{}
		for kid, k := range p.priv {
			alg := "ES256"
			if _, ok := k.(*rsa.PrivateKey); ok {
				alg = "RS256"
			}
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Public(), KeyID: kid, Algorithm: alg, Use: "sig"})
		}
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) addKey(t testing.TB, kid, alg string) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	if alg == "ES256" {
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	} else {
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.priv[kid] = k
	p.mu.Unlock()
	return k
}

func (p *idp) verifier(t testing.TB, mod func(*Config)) *Verifier {
	t.Helper()
	cfg := Config{Issuer: issuer, JWKSURL: p.srv.URL, Audience: store, Now: p.clock.Now, HTTPClient: p.srv.Client()}
	if mod != nil {
		mod(&cfg)
	}
	v, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// claims are FusionAuth-shaped access-token claims valid for 5 minutes.
func (p *idp) claims() map[string]any {
	now := p.clock.Now().Unix()
	return map[string]any{
		"sub": "u-1", "iss": issuer, "aud": store, "iat": now, "exp": now + 300, "jti": "j-1",
		"applicationId": store, "email": "alice@example.test", "sid": "rt-1", "roles": []string{"customer"},
	}
}

// token signs claims with kid's key and a normal header.
func (p *idp) token(t testing.TB, kid string, claims map[string]any) string {
	t.Helper()
	body, _ := json.Marshal(claims)
	p.mu.Lock()
	k := p.priv[kid]
	p.mu.Unlock()
	alg := `"ES256"`
	if _, ok := k.(*rsa.PrivateKey); ok {
		alg = `"RS256"`
	}
	return forge(t, k, `{"alg":`+alg+`,"kid":"`+kid+`","typ":"JWT"}`, string(body))
}

var enc = base64.RawURLEncoding

// forge signs raw header and payload JSON with a real key (jwttest.Forge).
var forge = jwttest.Forge

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
