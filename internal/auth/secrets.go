package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/google/uuid"
)

// successorSecretName names the SecretStore row holding the HMAC key that
// derives a rotated refresh token's successor. Every node must use the same
// key so that two nodes racing on one token derive the same successor.
const successorSecretName = "refresh-successor"

// maxRefreshTokenLen bounds what is hashed and looked up; a real token is 43
// characters. Anything longer is refused without touching storage.
const maxRefreshTokenLen = 512

// randomBytes is the only reader of crypto/rand in the package (design.md
// convention 7), so every secret's provenance is in one place.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	// crypto/rand.Read never returns an error on supported platforms (Go 1.24+
	// crashes the program instead of returning a short read).
	_, _ = rand.Read(b)
	return b
}

// newID returns a random (version 4) UUID.
func newID() string {
	var u uuid.UUID
	copy(u[:], randomBytes(16))
	u[6] = (u[6] & 0x0f) | 0x40 // RFC 9562 §5.4 version 4
	u[8] = (u[8] & 0x3f) | 0x80 // variant 10
	return u.String()
}

// newRefreshValue is a fresh refresh token: 256 bits, base64url without
// padding so it is cookie- and form-safe as is.
func newRefreshValue() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(32))
}

// hashToken is what storage keeps: SHA-256 of the value. A fast hash is
// right here because the value has 256 bits of entropy (unlike a password).
func hashToken(raw string) []byte {
	h := sha256.Sum256([]byte(raw))
	return h[:]
}

// successor derives the OneTimeUse successor of presented. Being a pure
// function of the presented value, every racer that lost the rotation CAS, and
// every grace-period retry, computes the same successor without it ever being
// stored in the clear.
func (s *Service) successor(ctx context.Context, presented string) (string, error) {
	key, err := s.successorKey(ctx)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(presented))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)), nil
}

// successorKey loads the shared HMAC key once. A failure is not cached, so a
// database blip at start does not disable rotation until restart.
func (s *Service) successorKey(ctx context.Context) ([]byte, error) {
	s.secretMu.Lock()
	defer s.secretMu.Unlock()
	if s.secret != nil {
		return s.secret, nil
	}
	key, err := s.cfg.Store.ServerSecret(ctx, successorSecretName, randomBytes(32))
	if err != nil {
		return nil, fmt.Errorf("auth: load successor secret: %w", err)
	}
	s.secret = key
	return key, nil
}

// NewSecretValue is a fresh 256-bit secret, base64url without padding,
// for the use cases outside this package (passwordless codes).
func NewSecretValue() string { return newRefreshValue() }
