package jwtverify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestVerifyAccepts(t *testing.T) {
	p := newIDP(t)
	v := p.verifier(t, nil)
	for _, kid := range []string{"ec-1", "rsa-1"} {
		t.Run(kid, func(t *testing.T) {
			c, err := v.Verify(context.Background(), p.token(t, kid, p.claims()))
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprint("u-1 ", issuer, " [", store, "] j-1 ", store, " alice@example.test rt-1 [customer] ",
				p.clock.Now().Add(300*time.Second).Format(time.RFC3339), " ", p.clock.Now().Format(time.RFC3339))
			got := fmt.Sprint(c.Subject, " ", c.Issuer, " ", c.Audience, " ", c.ID, " ", c.ApplicationID, " ", c.Email, " ",
				c.SessionID, " ", c.Roles, " ", c.ExpiresAt.Format(time.RFC3339), " ", c.IssuedAt.Format(time.RFC3339))
			if got != want || c.Raw["email"] != "alice@example.test" {
				t.Fatalf("claims:\n got %s\nwant %s", got, want)
			}
		})
	}
}

// TestVerifyRejects: the checks a resource server adds (aud, iss, leeway)
// and the attacks that matter most at its door. strictjwt's full attack
// table runs in internal/keys against the same code.
func TestVerifyRejects(t *testing.T) {
	p := newIDP(t)
	v := p.verifier(t, nil)
	canary := atomic.Int64{}
	canarySrv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { canary.Add(1) }))
	defer canarySrv.Close()
	now := p.clock.Now().Unix()
	with := func(k string, val any) map[string]any {
		c := p.claims()
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}
	attacker := p.addKey(t, "attacker", "ES256") // signs, but is never published:
	p.mu.Lock()
	delete(p.priv, "attacker")
	p.mu.Unlock()
	rsaPriv := p.priv["rsa-1"]
	pubDER, _ := x509.MarshalPKIXPublicKey(rsaPriv.Public())
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hs := func(secret []byte) string {
		in := enc.EncodeToString([]byte(`{"alg":"HS256","kid":"rsa-1"}`)) + "." + enc.EncodeToString([]byte(fmt.Sprintf(`{"aud":%q,"iss":%q,"exp":%d}`, store, issuer, now+300)))
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(in))
		return in + "." + enc.EncodeToString(m.Sum(nil))
	}
	body := fmt.Sprintf(`{"aud":%q,"iss":%q,"exp":%d}`, store, issuer, now+300)
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"expired beyond leeway", p.token(t, "ec-1", with("exp", now-6)), ErrExpired},
		{"exp missing", p.token(t, "ec-1", with("exp", nil)), ErrMissingExp},
		{"nbf beyond leeway", p.token(t, "ec-1", with("nbf", now+6)), ErrNotYetValid},
		{"other application", p.token(t, "ec-1", with("aud", "forums-app")), ErrAudience},
		{"not registered: no applicationId", p.token(t, "ec-1", with("applicationId", nil)), ErrNotRegistered},
		{"registered for another application", p.token(t, "ec-1", with("applicationId", "forums-app")), ErrNotRegistered},
		{"applicationId wrong type", p.token(t, "ec-1", with("applicationId", 7)), ErrNotRegistered},
		{"aud empty list", p.token(t, "ec-1", with("aud", []string{})), ErrAudience},
		{"aud missing", p.token(t, "ec-1", with("aud", nil)), ErrAudience},
		{"aud wrong type", p.token(t, "ec-1", with("aud", 7)), ErrMalformed},
		{"AUD case variant", p.token(t, "ec-1", map[string]any{"AUD": store, "iss": issuer, "exp": now + 300}), ErrMalformed},
		{"iss other tenant", p.token(t, "ec-1", with("iss", "https://other.example.test")), ErrIssuer},
		{"iss trailing slash", p.token(t, "ec-1", with("iss", issuer+"/")), ErrIssuer},
		{"forged with unpublished key", forge(t, attacker, `{"alg":"ES256","kid":"ec-1"}`, body), ErrSignature},
		{"alg none", enc.EncodeToString([]byte(`{"alg":"none","kid":"ec-1"}`)) + "." + enc.EncodeToString([]byte(body)) + ".", ErrAlgorithm},
		{"HS256 with public PEM", hs(pubPEM), ErrAlgorithm},
		{"HS256 with DER", hs(pubDER), ErrAlgorithm},
		{"ES256 header on RSA key", forge(t, attacker, `{"alg":"ES256","kid":"rsa-1"}`, body), ErrAlgorithm},
		{"jku to canary", forge(t, attacker, `{"alg":"ES256","kid":"attacker","jku":"`+canarySrv.URL+`"}`, body), ErrForbiddenHeader},
		{"x5u to canary", forge(t, attacker, `{"alg":"ES256","kid":"attacker","x5u":"`+canarySrv.URL+`"}`, body), ErrForbiddenHeader},
		{"embedded jwk", forge(t, attacker, `{"alg":"ES256","kid":"attacker","jwk":{"kty":"EC"}}`, body), ErrForbiddenHeader},
		{"kid traversal", forge(t, attacker, `{"alg":"ES256","kid":"../../etc/passwd"}`, body), ErrUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tt.token)
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrInvalidToken) || c != nil {
				t.Fatalf("Verify = %v, %v; want %v", c, err, tt.want)
			}
		})
	}
	if canary.Load() != 0 {
		t.Fatalf("the canary got %d requests: a header URL was followed", canary.Load())
	}
	t.Run("within leeway", func(t *testing.T) {
		if _, err := v.Verify(context.Background(), p.token(t, "ec-1", with("exp", now-4))); err != nil {
			t.Fatalf("exp 4 s ago with 5 s leeway: %v", err)
		}
	})
}

// TestAllowUnregistered: the opt-out accepts a token of this audience without
// (or with another) applicationId, the FusionAuth shape of a user who is not
// registered, and still refuses another audience.
func TestAllowUnregistered(t *testing.T) {
	p := newIDP(t)
	v := p.verifier(t, func(c *Config) { c.AllowUnregistered = true })
	unregistered := p.claims()
	delete(unregistered, "applicationId")
	delete(unregistered, "roles")
	c, err := v.Verify(context.Background(), p.token(t, "ec-1", unregistered))
	if err != nil || c.ApplicationID != "" || c.Roles != nil {
		t.Fatalf("unregistered with opt-out: %+v, %v", c, err)
	}
	other := p.claims()
	other["aud"] = "forums-app"
	if _, err := v.Verify(context.Background(), p.token(t, "ec-1", other)); !errors.Is(err, ErrAudience) {
		t.Fatalf("opt-out dropped the aud check: %v", err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no JWKS URL": {Audience: store},
		"no audience": {JWKSURL: "http://127.0.0.1/jwks"},
		"HS256":       {JWKSURL: "http://127.0.0.1/jwks", Audience: store, Algorithms: []string{"HS256"}},
		"none":        {JWKSURL: "http://127.0.0.1/jwks", Audience: store, Algorithms: []string{"none"}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New(context.Background(), cfg); err == nil {
				t.Fatal("New accepted a bad Config")
			}
		})
	}
}
