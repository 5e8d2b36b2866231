package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"

	"github.com/google/uuid"
)

// maxRefreshTokenLen bounds what is hashed and looked up; a real token is 92
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

// newRefreshValue is 256 random bits, base64url without padding (43
// characters, cookie- and form-safe as is): the refresh-token format before
// issue 13 (refresh_value.go), still the shape of other session secrets.
func newRefreshValue() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(32))
}

// hashToken is what storage keeps: SHA-256 of the value. A fast hash is
// right here because the value has 256 bits of entropy (unlike a password).
func hashToken(raw string) []byte {
	h := sha256.Sum256([]byte(raw))
	return h[:]
}

// successor derives the OneTimeUse successor of presented, a value of
// family issued at generation gen-1, with the current successor key (the
// format: refresh_value.go). Being a pure function of the presented value,
// every racer that lost the rotation CAS, and every grace-period retry,
// computes the same successor without it ever being stored in the clear. The
// key is not in the database (Config.SuccessorKeys), so a copy of the
// database and an old value of a session do not yield its current value.
func (s *Service) successor(presented, family string, gen int) string {
	return s.successorUnder(0, presented, family, gen)
}

// matchSuccessor returns the successor of presented whose hash is h, under
// any accepted key; in either format, since a node not yet upgraded derives
// the earlier one (the bare HMAC).
func (s *Service) matchSuccessor(presented, family string, gen int, h []byte) (string, bool) {
	for i, k := range s.succKeys {
		if next := s.successorUnder(i, presented, family, gen); equalHash(hashToken(next), h) {
			return next, true
		}
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
