// Package jwttest helps tests build JWS tokens by hand: any header and payload
// JSON, signed with a real key, so that the strict verifiers in internal/keys
// and jwtverify can be fed hostile headers that still carry a valid
// signature. It is imported by test files only and must not import latchkey
// packages.
package jwttest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
)

var enc = base64.RawURLEncoding

// Forge builds a compact JWS from raw header and payload JSON, signed with
// priv: raw R||S for ECDSA P-256 (ES256) with s in its low form (s ≤ n/2, the
// only one latchkey's verifiers accept), PKCS#1 v1.5 for RSA (RS256).
func Forge(t testing.TB, priv crypto.Signer, header, payload string) string {
	t.Helper()
	in := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	sum := sha256.Sum256([]byte(in))
	var sig []byte
	switch k := priv.(type) {
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		if s.Cmp(halfOrder) > 0 {
			s.Sub(order, s)
		}
		sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	case *rsa.PrivateKey:
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:]); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("jwttest: unsupported key %T", priv)
	}
	return in + "." + enc.EncodeToString(sig)
}

var (
	order     = elliptic.P256().Params().N
	halfOrder = new(big.Int).Rsh(order, 1)
)

// FlipS returns the other ECDSA encoding of an ES256 token's signature:
// (r, n−s) for (r, s). Both verify with the same key (ECDSA malleability),
// so a verifier that accepts one must refuse the other.
func FlipS(t testing.TB, token string) string {
	t.Helper()
	i := strings.LastIndexByte(token, '.')
	sig, err := enc.Strict().DecodeString(token[i+1:])
	if err != nil || len(sig) != 64 {
		t.Fatalf("jwttest.FlipS: not an ES256 signature: %v (%d bytes)", err, len(sig))
	}
	s := new(big.Int).SetBytes(sig[32:])
	s.Sub(order, s).FillBytes(sig[32:])
	return token[:i+1] + enc.EncodeToString(sig)
}

// LowS reports whether an ES256 token's s is the low one (s ≤ n/2).
func LowS(t testing.TB, token string) bool {
	t.Helper()
	sig, err := enc.Strict().DecodeString(token[strings.LastIndexByte(token, '.')+1:])
	if err != nil || len(sig) != 64 {
		t.Fatalf("jwttest.LowS: not an ES256 signature: %v (%d bytes)", err, len(sig))
	}
	return new(big.Int).SetBytes(sig[32:]).Cmp(halfOrder) <= 0
}

// Reencode returns token with segment (0 header, 1 payload, 2 signature)
// spelled differently but decoding to the same bytes under lenient base64:
// the unused low bits of its last character are set (RFC 4648 §3.5 says
// they must be zero). It fails the test when the segment has no unused bits.
func Reencode(t testing.TB, token string, segment int) string {
	t.Helper()
	parts := strings.Split(token, ".")
	p := parts[segment]
	var unused uint
	switch len(p) % 4 {
	case 2:
		unused = 4
	case 3:
		unused = 2
	default:
		t.Fatalf("jwttest.Reencode: segment %d (%d characters) has no unused bits", segment, len(p))
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	v := strings.IndexByte(alphabet, p[len(p)-1])
	parts[segment] = p[:len(p)-1] + string(alphabet[v|(1<<unused-1)])
	if parts[segment] == p {
		t.Fatalf("jwttest.Reencode: segment %d already had its unused bits set", segment)
	}
	return strings.Join(parts, ".")
}
