package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"

	"github.com/google/uuid"
)

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

// successor derives the OneTimeUse successor of presented with the current
// successor key. Being a pure function of the presented value, every racer
// that lost the rotation CAS, and every grace-period retry, computes the same
// successor without it ever being stored in the clear. The key is not in the
// database (Config.SuccessorKeys), so a copy of the database and an old value
// of a session do not yield its current value.
func (s *Service) successor(presented string) string {
	return derive(s.succKeys[0], presented)
}

// matchSuccessor returns the successor of presented whose hash is h, under
// any accepted key.
func (s *Service) matchSuccessor(presented string, h []byte) (string, bool) {
	for _, k := range s.succKeys {
		if next := derive(k, presented); equalHash(hashToken(next), h) {
			return next, true
		}
	}
	return "", false
}

func derive(key []byte, presented string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(presented))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// NewSecretValue is a fresh 256-bit secret, base64url without padding,
// for the use cases outside this package (passwordless codes).
func NewSecretValue() string { return newRefreshValue() }
