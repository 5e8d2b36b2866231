package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	json "github.com/go-json-experiment/json"
)

// NewProof signs a proof for one request (RFC 9449 §4.2) with key, an ECDSA
// P-256 (ES256) or RSA (RS256) private key: for Go clients of latchkey and
// for tests. accessToken, when not empty, is bound through ath.
func NewProof(key crypto.Signer, method, url, accessToken string, iat time.Time) (string, error) {
	alg := jose.ES256
	switch key.(type) {
	case *ecdsa.PrivateKey:
	case *rsa.PrivateKey:
		alg = jose.RS256
	default:
		return "", errors.New("dpop: key must be *ecdsa.PrivateKey or *rsa.PrivateKey")
	}
	opts := (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt")
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		return "", err
	}
	var id [16]byte
	_, _ = rand.Read(id[:])
	c := map[string]any{"jti": base64.RawURLEncoding.EncodeToString(id[:]), "htm": method, "htu": url, "iat": iat.Unix()}
	if accessToken != "" {
		c["ath"] = AccessTokenHash(accessToken)
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// KeyThumbprint is the jkt of a private key's public half.
func KeyThumbprint(key crypto.Signer) (string, error) {
	return Thumbprint(jose.JSONWebKey{Key: key.Public()})
}
