package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"

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

// newTimeOrderedID returns a version 7 UUID (RFC 9562 §5.7): the 48 bits of
// at's Unix milliseconds, then 74 random bits. It names rows written once per
// login into tables that grow with every login (refresh-token families,
// login records): the index on their primary key then takes each new entry
// next to the previous new ones (the right-hand end, once the ids of other
// kinds are gone), where the leaf is already cached and is shared by the
// commit's other new rows, instead of at a random leaf of an index that
// at 10,000,000 entries is mostly not cached (docs/decisions.md,
// "Time-ordered ids for what every login inserts"). Uniqueness rests on the
// 74 random bits, as a version 4 UUID's rests on its 122; nothing relies on
// these ids being unguessable (a family id is the access token's sid).
func newTimeOrderedID(at time.Time) string {
	var u uuid.UUID
	copy(u[6:], randomBytes(10))
	// RFC 9562's 48 bits hold 1970 to 10889: an instant outside (a zero
	// time.Time) is pinned to the nearer end instead of wrapping around.
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(max(0, min(at.UnixMilli(), 1<<48-1))))
	copy(u[:6], ms[2:])
	u[6] = (u[6] & 0x0f) | 0x70 // version 7
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
