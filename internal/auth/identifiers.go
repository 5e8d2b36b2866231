package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Alphabets of FusionAuth's SecureGeneratorType (accounts spec §2): codes
// people type are upper case (example "JJ6RTS") and compared
// case-insensitively (NormalizeCode).
const (
	digits       = "0123456789"
	alpha        = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	alphaNumeric = alpha + digits
)

// GenerateIdentifier draws an identifier as the tenant's generator g says:
// randomBytes of g.Length bytes as unpadded base64url (32 bytes: 43
// characters), or g.Length characters of randomDigits, randomAlpha or
// randomAlphaNumeric, drawn without modulo bias. Only this package reads
// crypto/rand (randomBytes).
func GenerateIdentifier(g storage.SecureGenerator) string {
	var set string
	switch g.Type {
	case "randomDigits":
		set = digits
	case "randomAlpha":
		set = alpha
	case "randomAlphaNumeric":
		set = alphaNumeric
	default:
		n := g.Length
		if n < 16 {
			n = 32 // never weaker than FusionAuth's default, whatever is stored
		}
		return base64.RawURLEncoding.EncodeToString(randomBytes(n))
	}
	out := make([]byte, 0, g.Length)
	// Rejection sampling: bytes at or above the largest multiple of
	// len(set) below 256 are drawn again, so every character is equally likely.
	limit := byte(256 - 256%len(set))
	for len(out) < g.Length {
		for _, b := range randomBytes(g.Length) {
			if b < limit && len(out) < g.Length {
				out = append(out, set[int(b)%len(set)])
			}
		}
	}
	return string(out)
}

// HashIdentifier is what storage keeps of an identifier (and of a short
// code): SHA-256, like a refresh token. Identifiers carry at least 128 bits
// of entropy, so a fast hash is enough; short codes are only ever checked
// next to such an identifier.
func HashIdentifier(raw string) []byte {
	h := sha256.Sum256([]byte(raw))
	return h[:]
}

// NormalizeCode is how a typed one-time code is compared: without
// surrounding spaces, upper case (FusionAuth's codes are upper case; a
// person may type them in lower case).
func NormalizeCode(code string) string {
	return strings.ToUpper(strings.TrimSpace(code))
}

// maxIdentifierLen bounds what is hashed and looked up; a randomBytes
// identifier of 128 bytes is 171 characters.
const maxIdentifierLen = 256

// ValidIdentifier reports whether raw may be an identifier latchkey issued:
// not empty and not longer than any generator makes. Longer input is
// refused without touching storage.
func ValidIdentifier(raw string) bool {
	return raw != "" && len(raw) <= maxIdentifierLen
}

// NewIdentifier builds the stored record of a fresh identifier of kind for
// user, drawn with g and living ttl seconds from now, and returns it with
// the raw value, which only the answer (or the email) carries. Used here
// (a login answered 203) and by internal/manage (forgot password, email
// verification, change password's oneTimePassword).
func NewIdentifier(kind string, g storage.SecureGenerator, ttl int, user storage.User, now time.Time,
	data storage.IdentifierData) (string, storage.Identifier) {
	raw := GenerateIdentifier(g)
	return raw, storage.Identifier{Hash: HashIdentifier(raw), Kind: kind, UserID: user.ID, TenantID: user.TenantID,
		CreatedAt: now, ExpiresAt: now.Add(storage.Lifetime(ttl, time.Second)), Data: data}
}
