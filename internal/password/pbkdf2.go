package password

import (
	"crypto/pbkdf2"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// prf names PBKDF2's pseudo-random function.
type prf int

const (
	prfSHA256 prf = iota
	prfSHA512
)

// pbkdf2Scheme is FusionAuth's salted-pbkdf2-hmac-sha256 (keyLen 32),
// salted-pbkdf2-hmac-sha256-512 (keyLen 64) and
// salted-pbkdf2-hmac-sha512-512 (HMAC-SHA512, keyLen 64): PBKDF2(password,
// base64-decoded salt, iterations = factor, keyLen), salt and hash in
// standard base64 (FusionAuth reference/password-hashes pseudocode; its
// encryptors pass the salt through java.util.Base64's decoder).
type pbkdf2Scheme struct {
	name   string
	prf    prf
	keyLen int
}

func (pbkdf2Scheme) defaultFactor() int { return 24000 }
func (pbkdf2Scheme) maxBytes() int      { return MaxBytes }

func (p pbkdf2Scheme) factors() (int, int) {
	if p.prf == prfSHA512 {
		return 1, maxIterationsSHA512
	}
	return 1, maxIterations
}

// derive runs the KDF; the factor was bounded by the caller (hashWith,
// stored).
func (p pbkdf2Scheme) derive(plain string, salt []byte, factor int) ([]byte, error) {
	if p.prf == prfSHA512 {
		return pbkdf2.Key(sha512.New, plain, salt, factor, p.keyLen)
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

func (p pbkdf2Scheme) parse(h storage.PasswordHash) (salt, want []byte, err error) {
	if salt, err = decodeSalt(h.Salt); err != nil {
		return nil, nil, err
	}
	want, err = decodeDigest(h.Hash, p.name, p.keyLen)
	return salt, want, err
}

func (p pbkdf2Scheme) check(h storage.PasswordHash) error {
	_, _, err := p.parse(h)
	return err
}

func (p pbkdf2Scheme) verify(plain string, h storage.PasswordHash) (bool, error) {
	salt, want, err := p.parse(h)
	if err != nil {
		return false, err
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
