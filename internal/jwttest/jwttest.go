// Package jwttest helps tests build JWS tokens by hand: any header and payload
// JSON, signed with a real key, so that the strict verifiers in internal/keys
// and jwtverify can be fed hostile headers that still carry a valid
// signature. It is imported by test files only and must not import latchkey
// packages.
package jwttest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"testing"
)

var enc = base64.RawURLEncoding

// Forge builds a compact JWS from raw header and payload JSON, signed with
// priv: raw R||S for ECDSA P-256 (ES256), PKCS#1 v1.5 for RSA (RS256).
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
