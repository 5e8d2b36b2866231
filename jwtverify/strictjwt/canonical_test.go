package strictjwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/jwttest"
)

// signedPair returns a key and a token it signed whose three segments all
// have unused base64 bits, so each can be re-encoded.
func signedPair(t *testing.T, alg string) (crypto.Signer, string) {
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
	// JSON allows trailing white space: pad until the length is not a
	// multiple of 3, so the base64 has unused bits.
	header, payload := `{"alg":"`+alg+`","kid":"k1"}`, `{"sub":"u1","exp":9999999999}`
	for len(header)%3 == 0 {
		header += " "
	}
	for len(payload)%3 == 0 {
		payload += " "
	}
	return k, jwttest.Forge(t, k, header, payload)
}

func publicOf(k crypto.Signer) crypto.PublicKey { return k.Public() }

// TestVerifySignatureOneEncoding: a token VerifySignature accepts has exactly
// one spelling. Lenient base64 (non-zero unused bits, RFC 4648 §3.5) in any
// segment and, for ES256, the (r, n−s) twin of the signature (ECDSA
// malleability) are refused, so "only the exact signed token is accepted"
// holds for internal/keys, jwtverify and DPoP proofs alike.
func TestVerifySignatureOneEncoding(t *testing.T) {
	for _, alg := range []string{"ES256", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			k, tok := signedPair(t, alg)
			h := Header{Alg: alg}
			if _, err := VerifySignature(tok, h, publicOf(k)); err != nil {
				t.Fatalf("the signed token: %v", err)
			}
			twins := map[string]string{
				"header re-encoded":    jwttest.Reencode(t, tok, 0),
				"payload re-encoded":   jwttest.Reencode(t, tok, 1),
				"signature re-encoded": jwttest.Reencode(t, tok, 2),
			}
			if alg == "ES256" {
				twins["s flipped to n-s"] = jwttest.FlipS(t, tok)
			}
			for name, twin := range twins {
				if twin == tok {
					t.Fatalf("%s: no twin made", name)
				}
				if claims, err := VerifySignature(twin, h, publicOf(k)); !errors.Is(err, ErrNonCanonical) || claims != nil {
					t.Errorf("%s: VerifySignature = %v, %v; want ErrNonCanonical", name, claims, err)
				}
			}
		})
	}
}

// TestVerifySignatureAnyS: for DPoP proofs, whose identity is their key and
// jti, either s is accepted (WebCrypto does not normalise it), and lenient
// base64 is still refused.
func TestVerifySignatureAnyS(t *testing.T) {
	k, tok := signedPair(t, "ES256")
	h := Header{Alg: "ES256"}
	for _, ok := range []string{tok, jwttest.FlipS(t, tok)} {
		if c, err := VerifySignatureAnyS(ok, h, publicOf(k)); err != nil || c["sub"] != "u1" {
			t.Errorf("VerifySignatureAnyS = %v, %v", c, err)
		}
	}
	for seg := range 3 {
		if _, err := VerifySignatureAnyS(jwttest.Reencode(t, tok, seg), h, publicOf(k)); !errors.Is(err, ErrNonCanonical) {
			t.Errorf("segment %d re-encoded: %v; want ErrNonCanonical", seg, err)
		}
	}
}

// TestCanonicalES256: whichever s the signer's library produced,
// CanonicalES256 yields the token VerifySignature accepts, and both
// spellings map to the same one.
func TestCanonicalES256(t *testing.T) {
	k, tok := signedPair(t, "ES256")
	twin := jwttest.FlipS(t, tok)
	for _, in := range []string{tok, twin} {
		got, err := CanonicalES256(in)
		if err != nil || got != tok {
			t.Fatalf("CanonicalES256 = %q, %v; want the low-S token", got, err)
		}
	}
	if _, err := VerifySignature(tok, Header{Alg: "ES256"}, publicOf(k)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"a.b", "a.b.c", tok + "x", jwttest.Reencode(t, tok, 2)} {
		if _, err := CanonicalES256(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("CanonicalES256(%q) err = %v; want ErrMalformed", bad, err)
		}
	}
}
