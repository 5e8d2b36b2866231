package password

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// digestAlg is the hash a legacy scheme iterates.
type digestAlg int

const (
	digestMD5 digestAlg = iota
	digestSHA256
	digestSHA512
)

func (a digestAlg) new() hash.Hash {
	switch a {
	case digestMD5:
		return md5.New()
	case digestSHA256:
		return sha256.New()
	}
	return sha512.New()
}

func (a digestAlg) size() int { return a.new().Size() }

// digestScheme is FusionAuth's salted-md5 and salted-sha256
// (BaseDigestPasswordEncryptor; reference/password-hashes): x = UTF-8(pw) ‖
// base64-decode(salt), then factor times x = H(x); the stored hash is the
// final digest in standard base64. The salt comes after the password, and
// every round after the first hashes only the previous digest. Legacy:
// verified for import, rehashed at the next login.
type digestScheme struct {
	name string
	alg  digestAlg
	def  int
}

func (d digestScheme) defaultFactor() int                   { return d.def }
func (digestScheme) factors() (int, int)                    { return 1, maxIterations }
func (digestScheme) maxBytes() int                          { return MaxBytes }
func (digestScheme) current(storage.PasswordHash, int) bool { return false }

func (d digestScheme) derive(plain string, salt []byte, rounds int) []byte {
	h := d.alg.new()
	x := make([]byte, 0, len(plain)+len(salt))
	x = append(append(x, plain...), salt...)
	for range rounds {
		h.Reset()
		h.Write(x)
		x = h.Sum(x[:0])
	}
	return x
}

func (d digestScheme) hash(plain string, factor int) (storage.PasswordHash, error) {
	salt := newSalt()
	return storage.PasswordHash{
		Salt: base64.StdEncoding.EncodeToString(salt),
		Hash: base64.StdEncoding.EncodeToString(d.derive(plain, salt, factor)),
	}, nil
}

func (d digestScheme) parse(h storage.PasswordHash) (salt, want []byte, err error) {
	if salt, err = decodeSalt(h.Salt); err != nil {
		return nil, nil, err
	}
	want, err = decodeDigest(h.Hash, d.name, d.alg.size())
	return salt, want, err
}

func (d digestScheme) check(h storage.PasswordHash) error {
	_, _, err := d.parse(h)
	return err
}

func (d digestScheme) verify(plain string, h storage.PasswordHash) (bool, error) {
	salt, want, err := d.parse(h)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(d.derive(plain, salt, h.Factor), want) == 1, nil
}

// hmacScheme is FusionAuth's salted-hmac-sha256
// (SaltedHMACSHA256PasswordEncryptor): HMAC-SHA256 with the base64-decoded
// salt as the key over UTF-8(pw), standard base64. There is no factor
// (FusionAuth's default is 1 and it is ignored). Java's HMAC refuses an
// empty key, so an empty salt is a malformed hash here too. Legacy.
type hmacScheme struct{}

func (hmacScheme) defaultFactor() int                     { return 1 }
func (hmacScheme) factors() (int, int)                    { return 1, maxIterations } // ignored
func (hmacScheme) maxBytes() int                          { return MaxBytes }
func (hmacScheme) current(storage.PasswordHash, int) bool { return false }

func (hmacScheme) derive(plain string, key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(plain))
	return m.Sum(nil)
}

func (s hmacScheme) hash(plain string, _ int) (storage.PasswordHash, error) {
	salt := newSalt()
	return storage.PasswordHash{
		Salt: base64.StdEncoding.EncodeToString(salt),
		Hash: base64.StdEncoding.EncodeToString(s.derive(plain, salt)),
	}, nil
}

func (hmacScheme) parse(h storage.PasswordHash) (key, want []byte, err error) {
	if key, err = decodeSalt(h.Salt); err != nil {
		return nil, nil, err
	}
	if len(key) == 0 {
		return nil, nil, fmt.Errorf("%w: %s needs a non-empty salt (the HMAC key)", ErrMalformedHash, SaltedHMACSHA256)
	}
	want, err = decodeDigest(h.Hash, SaltedHMACSHA256, sha256.Size)
	return key, want, err
}

func (s hmacScheme) check(h storage.PasswordHash) error {
	_, _, err := s.parse(h)
	return err
}

func (s hmacScheme) verify(plain string, h storage.PasswordHash) (bool, error) {
	key, want, err := s.parse(h)
	if err != nil {
		return false, err
	}
	return hmac.Equal(s.derive(plain, key), want), nil
}

// dummyHashOf makes a legacy scheme's dummy record by hashing a random
// password nobody can type. Legacy schemes are import-only, never a tenant's
// scheme, so DummyVerify (which takes the tenant's scheme) never reaches this
// in a login; it exists so every scheme satisfies the interface honestly.
func dummyHashOf(s interface {
	hash(string, int) (storage.PasswordHash, error)
}, factor int) storage.PasswordHash {
	var b [32]byte
	_, _ = rand.Read(b[:])
	h, _ := s.hash(string(b[:]), factor)
	return h
}

func (d digestScheme) dummyHash(f int) storage.PasswordHash { return dummyHashOf(d, f) }
func (s hmacScheme) dummyHash(f int) storage.PasswordHash   { return dummyHashOf(s, f) }
func (p phpassScheme) dummyHash(f int) storage.PasswordHash { return dummyHashOf(p, f) }
