package strictjwt

import (
	"crypto/elliptic"
	"encoding/base64"
	"math/big"
	"strings"
)

// p256HalfOrder is ⌊n/2⌋ for P-256: an ECDSA signature (r, s) verifies
// exactly when (r, n−s) does, and exactly one of s, n−s is at most this.
var p256HalfOrder = new(big.Int).Rsh(elliptic.P256().Params().N, 1)

// strictSegments checks that each of the three segments is strict base64url
// without padding and returns the decoded signature. go-jose decodes
// leniently and rebuilds the signing input from the decoded bytes, so
// without this check a segment whose unused low bits are set (RFC 4648 §3.5
// says they are zero) would be a second spelling of the same token.
func strictSegments(token string) ([]byte, error) {
	rest := token
	var sig []byte
	for i := range 3 {
		seg, tail, found := strings.Cut(rest, ".")
		if found != (i < 2) {
			return nil, ErrMalformed
		}
		b, err := b64.DecodeString(seg)
		if err != nil {
			if _, lenient := base64.RawURLEncoding.DecodeString(seg); lenient == nil {
				return nil, ErrNonCanonical
			}
			return nil, ErrMalformed
		}
		sig, rest = b, tail
	}
	return sig, nil
}

// lowS reports whether a raw R||S ES256 signature has s ≤ n/2. Called only
// after the signature verified, so it is 64 bytes.
func lowS(sig []byte) bool {
	return len(sig) == 64 && new(big.Int).SetBytes(sig[32:]).Cmp(p256HalfOrder) <= 0
}

// CanonicalES256 returns an ES256 compact JWS with its signature's s replaced
// by n−s when s > n/2: the same signature in the one form VerifySignature
// accepts. Signers call it on what their JOSE library produced (go-jose, like
// crypto/ecdsa, returns either form). A token that is not three strict
// base64 segments with a 64-byte signature is ErrMalformed.
func CanonicalES256(token string) (string, error) {
	sig, err := strictSegments(token)
	if err != nil || len(sig) != 64 {
		return "", ErrMalformed
	}
	if lowS(sig) {
		return token, nil
	}
	s := new(big.Int).SetBytes(sig[32:])
	s.Sub(elliptic.P256().Params().N, s).FillBytes(sig[32:])
	return token[:strings.LastIndexByte(token, '.')+1] + b64.EncodeToString(sig), nil
}
