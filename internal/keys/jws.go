package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
)

// jwsSigner makes the compact JWS (RFC 7515 §7.1) of one key with
// crypto/ecdsa and crypto/rsa directly. go-jose, which signed before,
// built and marshalled the protected header for every token, encoded every
// segment twice and left the ES256 signature's s to be normalised by
// decoding the token again (strictjwt.CanonicalES256): 1.75 times the
// bytes allocated here for an ES256 token (docs/decisions.md "Access tokens
// are signed with crypto/ecdsa and crypto/rsa directly"). The tokens are
// the same bytes go-jose made: header
// {"alg","kid","typ":"JWT"} in that order, then the payload as given, then
// the signature, each in unpadded base64url (TestSignerMatchesGoJose).
type jwsSigner struct {
	// prefix is base64url(header) + ".": the same for every token of the key.
	prefix []byte
	ec     *ecdsa.PrivateKey // ES256
	rsa    *rsa.PrivateKey   // RS256
	sigLen int               // bytes of a signature
}

// jwsHeader is the protected header; encoding/json keeps the field order.
type jwsHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid,omitempty"`
	Typ string `json:"typ"`
}

var (
	p256Order     = elliptic.P256().Params().N
	p256HalfOrder = new(big.Int).Rsh(p256Order, 1)
)

// newJWSSigner returns the signer of priv for alg, whose tokens name kid.
// The algorithm is pinned to the key type, as parseKey pins the public key.
func newJWSSigner(alg, kid string, priv any) (*jwsSigner, error) {
	s := &jwsSigner{}
	switch k := priv.(type) {
	case *ecdsa.PrivateKey:
		if alg != ES256 || k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("EC key (%s) cannot sign %s", k.Curve.Params().Name, alg)
		}
		s.ec, s.sigLen = k, 64
	case *rsa.PrivateKey:
		if alg != RS256 {
			return nil, fmt.Errorf("RSA key cannot sign %s", alg)
		}
		s.rsa, s.sigLen = k, k.Size()
	default:
		return nil, fmt.Errorf("unsupported private key type %T", priv)
	}
	h, err := json.Marshal(jwsHeader{Alg: alg, Kid: kid, Typ: "JWT"})
	if err != nil {
		return nil, err
	}
	s.prefix = append(base64.RawURLEncoding.AppendEncode(nil, h), '.')
	return s, nil
}

// sign returns the compact JWS of payload. An ES256 signature has s ≤ n/2,
// the one spelling strictjwt.VerifySignature accepts (crypto/ecdsa returns
// either s or n−s).
func (s *jwsSigner) sign(payload []byte) (string, error) {
	enc := base64.RawURLEncoding
	buf := make([]byte, 0, len(s.prefix)+enc.EncodedLen(len(payload))+1+enc.EncodedLen(s.sigLen))
	buf = append(buf, s.prefix...)
	buf = enc.AppendEncode(buf, payload)
	digest := sha256.Sum256(buf)
	var sig []byte
	if s.ec != nil {
		// Hedged: the nonce comes from the key, the digest and fresh
		// randomness (crypto/ecdsa ignores the reader passed since Go 1.26).
		r, ss, err := ecdsa.Sign(rand.Reader, s.ec, digest[:])
		if err != nil {
			return "", err
		}
		if ss.Cmp(p256HalfOrder) > 0 {
			ss.Sub(p256Order, ss)
		}
		var rs [64]byte
		r.FillBytes(rs[:32])
		ss.FillBytes(rs[32:])
		sig = rs[:]
	} else {
		var err error
		if sig, err = rsa.SignPKCS1v15(nil, s.rsa, crypto.SHA256, digest[:]); err != nil {
			return "", err
		}
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), nil
}
