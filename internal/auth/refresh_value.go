package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"

	"github.com/google/uuid"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// A refresh-token value names its family (issue 13):
//
//	base64url(0x01 | family id, 16 bytes | generation, 4 bytes big endian | secret, 32 bytes | tag, 16 bytes)
//
// 92 characters. The secret is random in a login's value and
// HMAC(successor key, presented value) in a successor, so successors stay
// deterministic (secrets.go). The tag is HMAC-SHA256 under a key derived
// from the successor key, over everything before it, cut to 128 bits.
//
// Why: a refresh reads its family by primary key, and an ancestor presented
// at any time in the family's life is known as reuse from the one record
// (its generation is below the record's): no row per rotation, nothing a
// janitor could forget (docs/decisions.md, "Reuse detection for the whole
// life of a family"). The tag is what makes the claimed generation
// trustworthy: the family id is not secret (it is the access token's sid),
// and without the tag anyone who saw an access token could end its session
// by making up an "old" value. The current and the previous value are
// recognised by their stored hashes and need no tag, so replacing the server
// secret still logs nobody out.
//
// Values of the earlier format (43 characters, 32 bytes, no family) are
// looked up by hash and their superseded hashes kept in the history as
// before; their first rotation hands out a value of this format.
const (
	valueVersion = 1
	valueBytes   = 1 + 16 + 4 + 32 + tagBytes
	valueChars   = (valueBytes*8 + 5) / 6
	tagBytes     = 16
	legacyChars  = 43
)

// tagLabel separates the tag key from successors: no presented value
// contains '/', so HMAC(key, tagLabel) is never a successor.
const tagLabel = "latchkey/refresh-token-tag/v1"

// value is what a presented refresh-token value says about itself.
type value struct {
	raw     string
	hash    []byte
	family  string // "" for the earlier format
	gen     int
	payload []byte // the decoded value, for the tag check
}

// readValue decodes raw; a value of the earlier format (or garbage) has no
// family and is looked up by hash.
func readValue(raw string) value {
	v := value{raw: raw, hash: hashToken(raw)}
	if len(raw) != valueChars {
		return v
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(b) != valueBytes || b[0] != valueVersion {
		return v
	}
	id, _ := uuid.FromBytes(b[1:17])
	v.family, v.gen, v.payload = id.String(), int(binary.BigEndian.Uint32(b[17:21])), b
	return v
}

// key is how storage finds the value's family.
func (v value) key() storage.SessionKey {
	if v.family != "" {
		return storage.SessionKey{ID: v.family}
	}
	return storage.SessionKey{Hash: v.hash}
}

// standing is how a presented value relates to its family's record.
type standing int

const (
	stUnknown  standing = iota // not a value of this family
	stCurrent                  // the current value
	stPrevious                 // the value the last rotation replaced
	stAncestor                 // an older value (reuse at any time)
)

// standing places v in the family t (found by v.key()) and returns the
// generation v was issued at. An ancestor of the new format counts only
// with a valid tag: the family id is public, a made-up old value must not
// revoke the session.
func (s *Service) standing(v value, t storage.RefreshToken) (standing, int) {
	switch {
	case equalHash(v.hash, t.Hash):
		return stCurrent, t.Generation
	case equalHash(v.hash, t.PrevHash):
		return stPrevious, t.Generation - 1
	case v.family == "":
		return stAncestor, 0 // found through the history
	case v.gen < t.Generation && s.tagged(v.payload):
		return stAncestor, v.gen
	}
	return stUnknown, 0
}

// tagged checks a decoded value's tag under every accepted key.
func (s *Service) tagged(b []byte) bool {
	for _, k := range s.tagKeys {
		if hmac.Equal(tag(k, b[:valueBytes-tagBytes]), b[valueBytes-tagBytes:]) {
			return true
		}
	}
	return false
}

func tag(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)[:tagBytes]
}

// tagKeyFor derives the tag key of a successor key.
func tagKeyFor(succKey []byte) []byte {
	m := hmac.New(sha256.New, succKey)
	m.Write([]byte(tagLabel))
	return m.Sum(nil)
}

// encodeValue builds a value of family at gen with secret under key i. A
// family id that is not a UUID (records made outside auth) gets a value of
// the earlier format: the secret alone.
func (s *Service) encodeValue(i int, family string, gen int, secret []byte) string {
	id, err := uuid.Parse(family)
	if err != nil || gen < 0 || uint64(gen) > uint64(^uint32(0)) {
		return base64.RawURLEncoding.EncodeToString(secret)
	}
	b := make([]byte, 0, valueBytes)
	b = append(b, valueVersion)
	b = append(b, id[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(gen))
	b = append(b, secret...)
	b = append(b, tag(s.tagKeys[i], b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// firstValue is a login's value of a new family: generation 0, random secret.
func (s *Service) firstValue(family string) string {
	return s.encodeValue(0, family, 0, randomBytes(32))
}

// successorUnder is the successor of presented (issued at gen-1) in family
// under key i.
func (s *Service) successorUnder(i int, presented, family string, gen int) string {
	m := hmac.New(sha256.New, s.succKeys[i])
	m.Write([]byte(presented))
	return s.encodeValue(i, family, gen, m.Sum(nil))
}

// findFamily resolves a presented value to its family's record without the
// user (logout, revocation by value, picking among cookies): by the id the
// value carries, or by hash. storage.ErrNotFound when the value is not one
// of the family's.
func (s *Service) findFamily(ctx context.Context, raw string) (storage.RefreshToken, standing, error) {
	v := readValue(raw)
	var t storage.RefreshToken
	var err error
	if v.family != "" {
		t, err = s.cfg.Store.GetRefreshToken(ctx, v.family)
	} else {
		t, _, err = s.cfg.Store.FindRefreshTokenByHash(ctx, v.hash)
	}
	if err != nil {
		return t, stUnknown, err
	}
	st, _ := s.standing(v, t)
	if st == stUnknown {
		return t, st, storage.ErrNotFound
	}
	return t, st, nil
}
