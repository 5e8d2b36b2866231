package password

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// maxIterations bounds the factor of a stored hash so an imported record
// cannot make one login burn minutes of CPU.
const maxIterations = 10_000_000

// pbkdf2Scheme is FusionAuth's salted-pbkdf2-hmac-sha256 (keyLen 32) and
// salted-pbkdf2-hmac-sha256-512 (keyLen 64): PBKDF2-HMAC-SHA256(password,
// base64-decoded salt, iterations = factor, keyLen), salt and hash in
// standard base64 (FusionAuth reference/password-hashes pseudocode).
type pbkdf2Scheme struct {
	name   string
	keyLen int
}

func (pbkdf2Scheme) defaultFactor() int { return 24000 }
func (pbkdf2Scheme) maxBytes() int      { return MaxBytes }

func (p pbkdf2Scheme) derive(plain string, salt []byte, factor int) ([]byte, error) {
	if factor < 1 || factor > maxIterations {
		return nil, fmt.Errorf("%w: %s iterations %d", ErrFactor, p.name, factor)
	}
	return pbkdf2SHA256(plain, salt, factor, p.keyLen)
}

func (p pbkdf2Scheme) hash(plain string, factor int) (storage.PasswordHash, error) {
	salt := newSalt()
	dk, err := p.derive(plain, salt, factor)
	if err != nil {
		return storage.PasswordHash{}, err
	}
	return storage.PasswordHash{
		Salt: base64.StdEncoding.EncodeToString(salt),
		Hash: base64.StdEncoding.EncodeToString(dk),
	}, nil
}

func (p pbkdf2Scheme) verify(plain string, h storage.PasswordHash) (bool, error) {
	salt, err := base64.StdEncoding.DecodeString(h.Salt)
	if err != nil {
		return false, fmt.Errorf("%w: salt: %v", ErrMalformedHash, err)
	}
	want, err := base64.StdEncoding.DecodeString(h.Hash)
	if err != nil || len(want) != p.keyLen {
		return false, fmt.Errorf("%w: %s hash is not %d bytes of base64", ErrMalformedHash, p.name, p.keyLen)
	}
	got, err := p.derive(plain, salt, h.Factor)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

func (p pbkdf2Scheme) dummyHash(int) storage.PasswordHash {
	return storage.PasswordHash{
		Salt: base64.StdEncoding.EncodeToString(dummySalt),
		Hash: base64.StdEncoding.EncodeToString(make([]byte, p.keyLen)),
	}
}

func (pbkdf2Scheme) current(h storage.PasswordHash, factor int) bool { return h.Factor == factor }
