package strictjwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"testing"

	json "github.com/go-json-experiment/json"

	"github.com/latchkeyhq/latchkey/internal/jwttest"
)

// FuzzVerifySignature: the fuzzer writes the claims (signed with a real
// key) and may change one byte of the token. An accepted token is exactly
// the one signed, every segment is canonical base64, an ES256 s is low, and
// its other spellings (s flipped, a segment re-encoded) are refused. A
// signed token whose claims are a JSON object is accepted.
func FuzzVerifySignature(f *testing.F) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	rs, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"sub":"u1","exp":9999999999}`), false, uint16(0), byte(0))
	f.Add([]byte(`{"sub":"u1","exp":9999999999} `), true, uint16(0), byte(0))
	f.Add([]byte(`{"a":1,"a":2}`), false, uint16(0), byte(0))
	f.Add([]byte(`{"sub":"u1"}`), false, uint16(200), byte('B'))
	f.Fuzz(func(t *testing.T, payload []byte, useRSA bool, at uint16, to byte) {
		var key crypto.Signer = ec
		alg := "ES256"
		if useRSA {
			key, alg = rs, "RS256"
		}
		signed := jwttest.Forge(t, key, `{"alg":"`+alg+`","kid":"k1"}`, string(payload))
		tok := signed
		if to != 0 {
			b := []byte(signed)
			b[int(at)%len(b)] = to
			tok = string(b)
		}
		h := Header{Alg: alg}
		claims, err := VerifySignature(tok, h, key.Public())
		if err != nil {
			var obj map[string]any
			if tok == signed && json.Unmarshal(payload, &obj) == nil && obj != nil {
				t.Fatalf("the signed token refused: %v (%s)", err, payload)
			}
			return
		}
		if tok != signed || claims == nil {
			t.Fatalf("accepted %q, which is not the signed %q", tok, signed)
		}
		parts := strings.Split(tok, ".")
		for i, p := range parts {
			b, _ := base64.RawURLEncoding.DecodeString(p)
			if base64.RawURLEncoding.EncodeToString(b) != p {
				t.Fatalf("accepted segment %d in non-canonical base64: %q", i, p)
			}
			if len(p)%4 != 0 {
				if _, err := VerifySignature(jwttest.Reencode(t, tok, i), h, key.Public()); err == nil {
					t.Fatalf("segment %d re-encoded accepted", i)
				}
			}
		}
		if alg == "ES256" {
			if !jwttest.LowS(t, tok) {
				t.Fatalf("accepted a high s: %q", tok)
			}
			if _, err := VerifySignature(jwttest.FlipS(t, tok), h, key.Public()); err == nil {
				t.Fatal("the (r, n-s) twin accepted")
			}
		}
	})
}
