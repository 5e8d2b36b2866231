package keys

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkeyhq/latchkey/internal/jwttest"
	"github.com/latchkeyhq/latchkey/jwtverify"
	"github.com/latchkeyhq/latchkey/jwtverify/strictjwt"
)

// goJoseToken is how tokens were signed before jwsSigner: go-jose with
// typ JWT and the key's kid, the ES256 signature normalised to low s.
func goJoseToken(t *testing.T, alg, kid string, priv crypto.Signer, payload []byte) string {
	t.Helper()
	sg, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jose.JSONWebKey{Key: priv, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := sg.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestSignerMatchesGoJose: for the same key, kid and payload, jwsSigner
// writes the header and payload segments go-jose wrote, byte for byte
// (also for kids with characters JSON or base64 could treat differently),
// and a signature go-jose verifies. RS256 (PKCS #1 v1.5, deterministic)
// gives the very same token.
func TestSignerMatchesGoJose(t *testing.T) {
	_, st, _ := newManager(t)
	payload := []byte(`{"aud":"app","exp":1772366700,"roles":["a<b>&c"],"sub":"u1"}`)
	for _, alg := range Algorithms {
		rec := activeKey(t, st, alg)
		priv := privateKey(t, rec)
		for _, kid := range []string{rec.ID, "Az09-_.:+=~", `<&>"\é`} {
			s, err := newJWSSigner(alg, kid, priv)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := s.sign(payload)
			if err != nil {
				t.Fatal(err)
			}
			ref := goJoseToken(t, alg, kid, priv, payload)
			got, want := strings.Split(tok, "."), strings.Split(ref, ".")
			if len(got) != 3 || got[0] != want[0] || got[1] != want[1] {
				t.Fatalf("%s kid %q:\n got %s\nwant %s", alg, kid, tok, ref)
			}
			if alg == RS256 && tok != ref {
				t.Fatalf("RS256 kid %q: token differs from go-jose's:\n got %s\nwant %s", kid, tok, ref)
			}
			jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
			if err != nil {
				t.Fatal(err)
			}
			if p, err := jws.Verify(priv.Public()); err != nil || string(p) != string(payload) {
				t.Fatalf("%s kid %q: go-jose Verify = %q, %v", alg, kid, p, err)
			}
		}
	}
}

// TestSignedTokensVerifyEverywhere: every token Sign makes is accepted by
// Verify, by jwtverify (against the JWKS), by go-oidc and by go-jose; its
// header is exactly {"alg","kid","typ":"JWT"} naming the active key; an
// ES256 signature has s ≤ n/2. The token with its payload changed, or its
// signature changed, is refused by all four.
func TestSignedTokensVerifyEverywhere(t *testing.T) {
	m, st, clk := newManager(t)
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		set, err := m.JWKS(r.Context())
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		_ = json.NewEncoder(w).Encode(set)
	}))
	defer srv.Close()
	v, err := jwtverify.New(ctx, jwtverify.Config{Issuer: testIssuer, JWKSURL: srv.URL, Audience: "app",
		Now: clk.Now, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range Algorithms {
		rec := activeKey(t, st, alg)
		pub := privateKey(t, rec).Public()
		oidcKeys := &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{pub}}
		accepted := func(tok string) []string {
			var by []string
			if _, err := m.Verify(ctx, tok); err == nil {
				by = append(by, "Verify")
			}
			if _, err := v.Verify(ctx, tok); err == nil {
				by = append(by, "jwtverify")
			}
			if _, err := oidcKeys.VerifySignature(ctx, tok); err == nil {
				by = append(by, "go-oidc")
			}
			if jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)}); err == nil {
				if _, err := jws.Verify(pub); err == nil {
					by = append(by, "go-jose")
				}
			}
			return by
		}
		wantHeader := `{"alg":"` + alg + `","kid":"` + rec.ID + `","typ":"JWT"}`
		// 32 signatures: with a random s, all low by chance is 2^-32.
		for range 32 {
			c := m.testClaims()
			c["applicationId"] = "app"
			tok, err := m.Sign(ctx, alg, c)
			if err != nil {
				t.Fatal(err)
			}
			seg := strings.Split(tok, ".")
			if h, _ := enc.DecodeString(seg[0]); string(h) != wantHeader {
				t.Fatalf("%s header = %s, want %s", alg, h, wantHeader)
			}
			if by := accepted(tok); len(by) != 4 {
				t.Fatalf("%s token accepted only by %v: %s", alg, by, tok)
			}
			if alg == ES256 && !jwttest.LowS(t, tok) {
				t.Fatalf("high-S signature: %s", tok)
			}
			c["sub"] = "u2"
			forged, _ := json.Marshal(c)
			sig, _ := enc.DecodeString(seg[2])
			sig[len(sig)/2] ^= 1
			for name, bad := range map[string]string{
				"payload changed":   seg[0] + "." + enc.EncodeToString(forged) + "." + seg[2],
				"signature changed": seg[0] + "." + seg[1] + "." + enc.EncodeToString(sig),
			} {
				if by := accepted(bad); len(by) != 0 {
					t.Fatalf("%s, %s: accepted by %v", alg, name, by)
				}
				if _, err := m.Verify(ctx, bad); !errors.Is(err, ErrSignature) {
					t.Fatalf("%s, %s: Verify err = %v, want ErrSignature", alg, name, err)
				}
			}
		}
	}
}

// TestSignerPinsAlgorithm: a key signs only with its own algorithm, and an
// EC key only on P-256 (ES256).
func TestSignerPinsAlgorithm(t *testing.T) {
	_, st, _ := newManager(t)
	ec, rs := privateKey(t, activeKey(t, st, ES256)), privateKey(t, activeKey(t, st, RS256))
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		alg  string
		priv any
	}{
		"EC key as RS256": {RS256, ec}, "RSA key as ES256": {ES256, rs},
		"P-384 key as ES256": {ES256, p384}, "HS256": {"HS256", []byte("secret")},
	} {
		if s, err := newJWSSigner(c.alg, "kid", c.priv); err == nil {
			t.Errorf("%s: got a signer %v", name, s)
		}
	}
}

// BenchmarkSignerOverGoJose: the direct signer and go-jose as keys.Sign
// used it before (claims marshalled, go-jose's Sign and CompactSerialize,
// strictjwt.CanonicalES256), alternating in every iteration on the same key
// and refresh-sized claims, so load weighs on both alike. Reports each
// side's time per token and direct/go-jose.
func BenchmarkSignerOverGoJose(b *testing.B) {
	m, st, _ := newManager(b)
	ctx := context.Background()
	now := m.opts.Now().Unix()
	claims := map[string]any{
		"iss": testIssuer, "sub": "8f1f0b5e-3c1e-4f0e-9d3a-1f2b3c4d5e6f", "iat": now, "exp": now + 3600,
		"jti": "5b7c0e2a-9d3f-4a1b-8c2d-3e4f5a6b7c8d", "auth_time": now - 100, "authenticationType": "REFRESH_TOKEN",
		"tid": "a1b2c3d4-e5f6-4789-abcd-ef0123456789", "email_verified": true, "email": "alice@example.test",
		"aud": "app", "sid": "0f9e8d7c-6b5a-4938-a7b6-c5d4e3f2a1b0", "applicationId": "app", "roles": []string{"customer"},
	}
	set, err := m.current(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, alg := range Algorithms {
		rec := activeKey(b, st, alg)
		k := set.byID[rec.ID]
		jsg, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg),
			Key: jose.JSONWebKey{Key: privateKey(b, rec), KeyID: rec.ID}}, (&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			b.Fatal(err)
		}
		goJose := func() (string, error) {
			payload, err := json.Marshal(claims)
			if err != nil {
				return "", err
			}
			jws, err := jsg.Sign(payload)
			if err != nil {
				return "", err
			}
			tok, err := jws.CompactSerialize()
			if err != nil || alg != ES256 {
				return tok, err
			}
			return strictjwt.CanonicalES256(tok)
		}
		b.Run(alg, func(b *testing.B) {
			var direct, other time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := sign(k, claims); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := goJose(); err != nil {
					b.Fatal(err)
				}
				direct, other = direct+t1.Sub(t0), other+time.Since(t1)
			}
			b.ReportMetric(float64(direct.Nanoseconds())/float64(b.N), "direct-ns/op")
			b.ReportMetric(float64(other.Nanoseconds())/float64(b.N), "gojose-ns/op")
			b.ReportMetric(float64(direct)/float64(other), "direct/gojose")
		})
	}
}
