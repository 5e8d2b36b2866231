package dpop

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"testing"
	"time"

	json "github.com/go-json-experiment/json"
)

// FuzzVerifyProof: attacker-controlled proofs never panic and never pass.
func FuzzVerifyProof(f *testing.F) {
	k := ecKey(f)
	p, _ := NewProof(k, "GET", target, "", now)
	f.Add(p)
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Fuzz(func(t *testing.T, s string) {
		c := check()
		c.Method = "POST" // no fuzzed input can match: every result must be an error
		if _, err := VerifyProof(s, c); err == nil {
			t.Fatalf("accepted %q", s)
		}
	})
}

// signRaw signs payload bytes as they are (any JSON, or none) under an
// ES256 dpop+jwt header carrying key's public jwk.
func signRaw(t testing.TB, key *ecdsa.PrivateKey, payload []byte) string {
	t.Helper()
	in := b64json(t, map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": publicJWKMap(t, &key.PublicKey)}) +
		"." + base64.RawURLEncoding.EncodeToString(payload)
	sum := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// FuzzProofClaims: the fuzzer writes the claims and a real key signs them,
// so every check after the signature is reached. A refused proof is refused
// for a claim (never for its signature) and is not recorded; an accepted
// one has each claim matching the request, read back independently, and is
// refused when sent again.
func FuzzProofClaims(f *testing.F) {
	key := ecKey(f)
	// A host with a "k": strings.ToLower folds the Kelvin sign (U+212A) to it.
	const request = "https://key.example.test/cart"
	good := map[string]any{"jti": "j-1", "htm": "GET", "htu": request, "iat": now.Unix(), "ath": AccessTokenHash("tok")}
	for _, mod := range []map[string]any{
		{}, {"htu": "HTTPS://KEY.example.test:443/cart?x=1#f"}, {"htu": "https://\u212aey.example.test/cart"}, {"htm": "get"},
		{"iat": now.Unix() + 60}, {"iat": now.Unix() - 61}, {"iat": "1"}, {"jti": ""}, {"ath": "x"}, {"htu": "https://:"},
	} {
		c := map[string]any{}
		for k, v := range good {
			c[k] = v
		}
		for k, v := range mod {
			c[k] = v
		}
		b, _ := json.Marshal(c)
		f.Add(b)
	}
	f.Add([]byte(`{"jti":"a","jti":"b","htm":"GET"}`))
	f.Add([]byte(`[]`))
	wantURL, _ := NormalizeURL(request)
	claimErrors := []error{ErrMalformed, ErrJTI, ErrMethod, ErrURL, ErrIssuedAt, ErrAccessToken}
	f.Fuzz(func(t *testing.T, payload []byte) {
		proof := signRaw(t, key, payload)
		c := check()
		c.URL, c.AccessToken = request, "tok"
		got, err := VerifyProof(proof, c)
		if err != nil {
			matched := false
			for _, e := range claimErrors {
				matched = matched || errors.Is(err, e)
			}
			if !matched {
				t.Fatalf("a proof signed with its own key refused with %v: %s", err, payload)
			}
			if c.Replay.Len() != 0 {
				t.Fatalf("refused proof recorded: %s", payload)
			}
			return
		}
		var claims map[string]any
		if err := json.Unmarshal(payload, &claims); err != nil {
			t.Fatalf("accepted claims that are not a JSON object (%v): %s", err, payload)
		}
		jti, _ := claims["jti"].(string)
		htu, _ := claims["htu"].(string)
		gotURL, ok := NormalizeURL(htu)
		u, _ := url.Parse(htu)
		iat, _ := claims["iat"].(float64)
		skew := now.Sub(time.Unix(int64(iat), 0))
		switch {
		case claims["htm"] != "GET":
			t.Fatalf("accepted htm %v", claims["htm"])
		case jti == "" || len(jti) > maxJTILength || got.JTI != jti:
			t.Fatalf("accepted jti %q as %q", jti, got.JTI)
		case !ok || gotURL != wantURL:
			t.Fatalf("accepted htu %q (%q) for %q", htu, gotURL, wantURL)
		case u == nil || !asciiEqualFold(u.Hostname(), "key.example.test"):
			t.Fatalf("accepted htu %q: its host is not key.example.test in ASCII", htu)
		case skew > DefaultWindow || skew < -DefaultWindow || !got.IssuedAt.Equal(time.Unix(int64(iat), 0)):
			t.Fatalf("accepted iat %v (%v from now)", claims["iat"], skew)
		case claims["ath"] != AccessTokenHash("tok"):
			t.Fatalf("accepted ath %v", claims["ath"])
		}
		if _, err := VerifyProof(proof, c); !errors.Is(err, ErrReplay) {
			t.Fatalf("second use: %v, want ErrReplay", err)
		}
	})
}

// asciiEqualFold compares a and b folding ASCII letters only.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
