package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const target = "https://api.example.test/cart"

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func b64json(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// handmade builds a proof from raw header and claims, signed ES256 by key
// (or HS256 with secret when alg says so), so tests can craft what no
// well-behaved signer would produce.
func handmade(t testing.TB, header, claims map[string]any, key *ecdsa.PrivateKey) string {
	t.Helper()
	input := b64json(t, header) + "." + b64json(t, claims)
	switch header["alg"] {
	case "none":
		return input + "."
	case "HS256":
		m := hmac.New(sha256.New, []byte("secret"))
		m.Write([]byte(input))
		return input + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func publicJWKMap(t testing.TB, k crypto.PublicKey) map[string]any {
	t.Helper()
	b, err := jose.JSONWebKey{Key: k}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

func goodClaims() map[string]any {
	return map[string]any{"jti": "j-" + rand.Text(), "htm": "GET", "htu": target, "iat": now.Unix()}
}

func check() ProofCheck {
	return ProofCheck{Method: "GET", URL: target, Now: now, Replay: NewReplayCache(100)}
}

func TestVerifyProofAccepts(t *testing.T) {
	ec := ecKey(t)
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	// The largest RSA modulus a proof may carry (proof.go maxRSABits).
	rk4096, err := rsa.GenerateKey(rand.Reader, 4096)
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string]crypto.Signer{"ES256": ec, "RS256": rk, "RS256-4096": rk4096} {
		t.Run(name, func(t *testing.T) {
			p, err := NewProof(key, "GET", "HTTPS://API.example.test:443/cart?x=1#f", "tok", now.Add(-30*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			c := check()
			c.AccessToken = "tok"
			got, err := VerifyProof(p, c)
			if err != nil {
				t.Fatalf("VerifyProof: %v", err)
			}
			want, _ := KeyThumbprint(key)
			if got.JKT != want || want == "" {
				t.Fatalf("jkt = %q, want %q", got.JKT, want)
			}
		})
	}
}

// TestThumbprintRFC7638 pins the thumbprint against RFC 7638 §3.1's example.
func TestThumbprintRFC7638(t *testing.T) {
	n, _ := base64.RawURLEncoding.DecodeString("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
	k := jose.JSONWebKey{Key: &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}}
	got, err := Thumbprint(k)
	if err != nil || got != "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" {
		t.Fatalf("thumbprint = %q, %v", got, err)
	}
}

func TestVerifyProofRefuses(t *testing.T) {
	key, other := ecKey(t), ecKey(t)
	jwk := publicJWKMap(t, &key.PublicKey)
	hdr := func() map[string]any { return map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk} }
	with := func(m map[string]any, k string, v any) map[string]any {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	privJWK := publicJWKMap(t, &key.PublicKey)
	raw, err := key.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	privJWK["d"] = base64.RawURLEncoding.EncodeToString(raw)
	rsaSmall, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaGood, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	// rsaJWK is rsaGood's public jwk with e replaced (a 2048-bit modulus)
	// or with a modulus of the given size (e = 65537). The modulus need not
	// factor: the key is refused before any signature is checked.
	rsaJWK := func(e int, bits int) map[string]any {
		pub := rsa.PublicKey{N: rsaGood.N, E: e}
		if bits != 0 {
			n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
			pub.N = n.Or(n, big.NewInt(1))
		}
		m := publicJWKMap(t, &rsaGood.PublicKey)
		m["n"] = base64.RawURLEncoding.EncodeToString(pub.N.Bytes())
		m["e"] = base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())
		return m
	}
	rs := func(jwk map[string]any) map[string]any { return with(with(hdr(), "alg", "RS256"), "jwk", jwk) }

	cases := []struct {
		name   string
		proof  string
		mutate func(*ProofCheck)
		want   error
	}{
		{"wrong htm", handmade(t, hdr(), with(goodClaims(), "htm", "POST"), key), nil, ErrMethod},
		{"lower-case htm", handmade(t, hdr(), with(goodClaims(), "htm", "get"), key), nil, ErrMethod},
		{"wrong htu path", handmade(t, hdr(), with(goodClaims(), "htu", "https://api.example.test/other"), key), nil, ErrURL},
		{"wrong htu host", handmade(t, hdr(), with(goodClaims(), "htu", "https://evil.test/cart"), key), nil, ErrURL},
		{"htu http vs https", handmade(t, hdr(), with(goodClaims(), "htu", "http://api.example.test/cart"), key), nil, ErrURL},
		{"htu missing", handmade(t, hdr(), with(goodClaims(), "htu", nil), key), nil, ErrURL},
		{"stale iat", handmade(t, hdr(), with(goodClaims(), "iat", now.Add(-61*time.Second).Unix()), key), nil, ErrIssuedAt},
		{"future iat", handmade(t, hdr(), with(goodClaims(), "iat", now.Add(61*time.Second).Unix()), key), nil, ErrIssuedAt},
		{"iat as string", handmade(t, hdr(), with(goodClaims(), "iat", "1700000000"), key), nil, ErrIssuedAt},
		{"no jti", handmade(t, hdr(), with(goodClaims(), "jti", nil), key), nil, ErrJTI},
		{"huge jti", handmade(t, hdr(), with(goodClaims(), "jti", strings.Repeat("a", 300)), key), nil, ErrJTI},
		{"missing ath", handmade(t, hdr(), goodClaims(), key), func(c *ProofCheck) { c.AccessToken = "tok" }, ErrAccessToken},
		{"wrong ath", handmade(t, hdr(), with(goodClaims(), "ath", AccessTokenHash("other")), key), func(c *ProofCheck) { c.AccessToken = "tok" }, ErrAccessToken},
		{"signed by another key", handmade(t, hdr(), goodClaims(), other), nil, ErrSignature},
		{"private key in jwk", handmade(t, with(hdr(), "jwk", privJWK), goodClaims(), key), nil, ErrKey},
		{"symmetric jwk", handmade(t, with(hdr(), "jwk", map[string]any{"kty": "oct", "k": "c2VjcmV0"}), goodClaims(), key), nil, ErrKey},
		{"rsa-1024 jwk", handmade(t, with(with(hdr(), "alg", "RS256"), "jwk", publicJWKMap(t, &rsaSmall.PublicKey)), goodClaims(), key), nil, ErrKey},
		{"rsa e=2^31-1 (slow to verify)", handmade(t, rs(rsaJWK(1<<31-1, 0)), goodClaims(), key), nil, ErrKey},
		{"rsa e=3", handmade(t, rs(rsaJWK(3, 0)), goodClaims(), key), nil, ErrKey},
		{"rsa e=65539", handmade(t, rs(rsaJWK(65539, 0)), goodClaims(), key), nil, ErrKey},
		{"rsa-4097 jwk", handmade(t, rs(rsaJWK(65537, 4097)), goodClaims(), key), nil, ErrKey},
		{"rsa-8192 jwk", handmade(t, rs(rsaJWK(65537, 8192)), goodClaims(), key), nil, ErrKey},
		{"rsa-2047 jwk", handmade(t, rs(rsaJWK(65537, 2047)), goodClaims(), key), nil, ErrKey},
		{"no jwk", handmade(t, with(hdr(), "jwk", nil), goodClaims(), key), nil, ErrKey},
		{"alg none", handmade(t, with(hdr(), "alg", "none"), goodClaims(), key), nil, ErrAlgorithm},
		{"alg HS256", handmade(t, with(hdr(), "alg", "HS256"), goodClaims(), key), nil, ErrAlgorithm},
		{"alg RS256 with EC key", handmade(t, with(hdr(), "alg", "RS256"), goodClaims(), key), nil, ErrKey},
		{"typ JWT", handmade(t, with(hdr(), "typ", "JWT"), goodClaims(), key), nil, ErrType},
		{"no typ", handmade(t, with(hdr(), "typ", nil), goodClaims(), key), nil, ErrType},
		{"jku header", handmade(t, with(hdr(), "jku", "https://evil.test/jwks"), goodClaims(), key), nil, ErrHeader},
		{"not a JWT", "abc", nil, ErrMalformed},
		{"five segments", "a.b.c.d.e", nil, ErrMalformed},
		{"oversized", strings.Repeat("a", MaxProofLength) + "..", nil, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := check()
			if tc.mutate != nil {
				tc.mutate(&c)
			}
			_, err := VerifyProof(tc.proof, c)
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalidProof) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if c.Replay.Len() != 0 {
				t.Fatalf("a refused proof was recorded (%d entries)", c.Replay.Len())
			}
		})
	}
}

func TestVerifyProofReplay(t *testing.T) {
	key := ecKey(t)
	p, err := NewProof(key, "GET", target, "", now)
	if err != nil {
		t.Fatal(err)
	}
	c := check()
	if _, err := VerifyProof(p, c); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if _, err := VerifyProof(p, c); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay: err = %v, want ErrReplay", err)
	}
	// Once the window has passed the jti may be forgotten: the iat check
	// now refuses the proof on its own.
	c.Now = now.Add(2 * DefaultWindow)
	if _, err := VerifyProof(p, c); !errors.Is(err, ErrIssuedAt) {
		t.Fatalf("after window: err = %v, want ErrIssuedAt", err)
	}
}

func TestReplayCacheBounded(t *testing.T) {
	c := NewReplayCache(3)
	for i, k := range []string{"a", "b", "c", "d", "e"} {
		if !c.Add(k, now.Add(time.Minute), now.Add(time.Duration(i))) {
			t.Fatalf("%s reported as seen", k)
		}
	}
	if c.Len() != 3 {
		t.Fatalf("len = %d, want 3 (cap)", c.Len())
	}
	if c.Add("e", now.Add(time.Minute), now) {
		t.Fatal("newest entry was evicted")
	}
	// Expired entries go on the next Add.
	c.Add("f", now.Add(3*time.Minute), now.Add(2*time.Minute))
	if c.Len() != 1 {
		t.Fatalf("len after expiry = %d, want 1", c.Len())
	}
}

// TestReplayCachePrune: Prune drops what expired without waiting for the
// next proof, and keeps what can still be replayed.
func TestReplayCachePrune(t *testing.T) {
	c := NewReplayCache(100)
	for i := range 10 {
		c.Add(fmt.Sprintf("k%d", i), now.Add(time.Duration(i+1)*time.Second), now)
	}
	if n := c.Prune(now.Add(5 * time.Second)); n != 5 {
		t.Fatalf("left %d after pruning, want 5", n)
	}
	if c.Add("k9", now.Add(time.Minute), now.Add(5*time.Second)) {
		t.Fatal("a proof still in its window was forgotten by Prune")
	}
}

func TestNormalizeURL(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"https://Example.COM/a", "https://example.com:443/a?x#y"},
		{"http://example.com", "http://example.com:80/"},
		{"https://example.com/%7Euser", "https://example.com/~user"},
		{"https://[::1]:8443/x", "https://[::1]:8443/x"},
	} {
		t.Run(tc.a, func(t *testing.T) {
			x, ok1 := NormalizeURL(tc.a)
			y, ok2 := NormalizeURL(tc.b)
			if !ok1 || !ok2 || x != y {
				t.Fatalf("%q -> %q, %q -> %q", tc.a, x, tc.b, y)
			}
		})
	}
	for _, bad := range []string{"", "/cart", "ftp://x/y", "https://user:pw@x/y", "https:opaque"} {
		t.Run("bad "+bad, func(t *testing.T) {
			if _, ok := NormalizeURL(bad); ok {
				t.Fatalf("%q accepted", bad)
			}
		})
	}
}
