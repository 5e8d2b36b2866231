package password

import (
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// FusionAuth scheme names.
const (
	PBKDF2SHA256    = "salted-pbkdf2-hmac-sha256"
	PBKDF2SHA256512 = "salted-pbkdf2-hmac-sha256-512"
	Bcrypt          = "bcrypt"
	Argon2id        = "argon2id"
	// Default is FusionAuth's default tenant scheme.
	Default = PBKDF2SHA256
)

// MaxBytes caps every password before any KDF runs, so a megabyte-long
// password costs nothing (Django CVE-2013-1443; security-bar L8). FusionAuth's
// own maxLength default is 256 characters, at most 1024 bytes in UTF-8.
const MaxBytes = 1024

var (
	// ErrUnknownScheme: the scheme name is not one this package implements.
	ErrUnknownScheme = errors.New("password: unknown encryption scheme")
	// ErrTooLong: the password exceeds what the scheme hashes without
	// truncation (72 bytes for bcrypt) or MaxBytes.
	ErrTooLong = errors.New("password: too long for the encryption scheme")
	// ErrFactor: the factor is outside what the scheme accepts.
	ErrFactor = errors.New("password: encryption scheme factor out of range")
	// ErrMalformedHash: a stored hash cannot be parsed for its scheme.
	ErrMalformedHash = errors.New("password: malformed stored hash")
)

// scheme is one hashing algorithm.
type scheme interface {
	defaultFactor() int
	maxBytes() int
	hash(plain string, factor int) (storage.PasswordHash, error)
	// verify reports whether plain matches h; it compares in constant time.
	verify(plain string, h storage.PasswordHash) (bool, error)
	// current reports whether h was made with this scheme's factor and
	// any other parameters it pins (argon2 memory and lanes).
	current(h storage.PasswordHash, factor int) bool
	// dummyHash is a record shaped like hash(_, factor)'s, built without
	// hashing, whose digest (all zero bytes) no password derives.
	dummyHash(factor int) storage.PasswordHash
}

var schemes = map[string]scheme{
	PBKDF2SHA256:    pbkdf2Scheme{name: PBKDF2SHA256, keyLen: 32},
	PBKDF2SHA256512: pbkdf2Scheme{name: PBKDF2SHA256512, keyLen: 64},
	Bcrypt:          bcryptScheme{},
	Argon2id:        argon2Scheme{},
}

// Supported reports whether scheme is implemented.
func Supported(scheme string) bool { _, ok := schemes[scheme]; return ok }

// Hash hashes plain with scheme ("" = Default) and factor (0 = the scheme's
// default: 24000 PBKDF2 iterations, bcrypt cost 10, argon2id t=2).
func Hash(plain, scheme string, factor int) (storage.PasswordHash, error) {
	s, name, err := lookup(scheme)
	if err != nil {
		return storage.PasswordHash{}, err
	}
	if len(plain) > s.maxBytes() {
		return storage.PasswordHash{}, ErrTooLong
	}
	if factor == 0 {
		factor = s.defaultFactor()
	}
	h, err := s.hash(plain, factor)
	if err != nil {
		return storage.PasswordHash{}, err
	}
	h.Scheme, h.Factor = name, factor
	return h, nil
}

// Verify reports whether plain matches the stored hash. A password longer
// than the scheme can hash without truncation never matches.
func Verify(plain string, h storage.PasswordHash) (bool, error) {
	s, ok := schemes[h.Scheme]
	if !ok {
		return false, fmt.Errorf("%w: %q", ErrUnknownScheme, h.Scheme)
	}
	if len(plain) > s.maxBytes() {
		return false, nil
	}
	if h.Factor == 0 {
		h.Factor = s.defaultFactor()
	}
	return s.verify(plain, h)
}

// dummySalt is fixed: a dummy verification's answer is thrown away, only its
// cost matters.
var dummySalt = make([]byte, saltBytes)

// DummyVerify spends what Verify of a wrong password against a hash with
// scheme and factor costs, and discards the result. Login calls it when the
// loginId matches no user, so the response time does not tell whether the
// account exists (Keycloak #12298/#29304; ASVS 5.0 6.3.8). It is Verify
// itself, run against a record of that scheme and factor that no password
// matches (dummyHash), so the work is the same by construction: one KDF
// evaluation with the same parameters, or none for a password the scheme
// refuses as too long. An unknown scheme costs what the default scheme does.
func DummyVerify(plain, scheme string, factor int) {
	s, name, err := lookup(scheme)
	if err != nil {
		s, name = schemes[Default], Default
	}
	if factor == 0 {
		factor = s.defaultFactor()
	}
	h := s.dummyHash(factor)
	h.Scheme, h.Factor = name, factor
	_, _ = Verify(plain, h)
}

// NeedsRehash reports whether h should be replaced by a hash with scheme and
// factor (0 = default) after a successful login, FusionAuth's
// modifyEncryptionSchemeOnLogin.
func NeedsRehash(h storage.PasswordHash, scheme string, factor int) bool {
	s, name, err := lookup(scheme)
	if err != nil {
		return false // the tenant names a scheme we cannot produce: keep h
	}
	if factor == 0 {
		factor = s.defaultFactor()
	}
	if h.Scheme != name {
		return true
	}
	if h.Factor == 0 {
		h.Factor = s.defaultFactor()
	}
	return !s.current(h, factor)
}

func lookup(name string) (scheme, string, error) {
	if name == "" {
		name = Default
	}
	s, ok := schemes[name]
	if !ok {
		return nil, "", fmt.Errorf("%w: %q", ErrUnknownScheme, name)
	}
	return s, name, nil
}

// saltBytes: 32 random bytes, the salt size FusionAuth generates.
const saltBytes = 32

func newSalt() []byte {
	b := make([]byte, saltBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b
}
