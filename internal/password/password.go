package password

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// MaxBytes caps every password before any KDF runs, so a megabyte-long
// password costs nothing (Django CVE-2013-1443; security-bar L8). FusionAuth's
// own maxLength default is 256 characters, at most 1024 bytes in UTF-8.
const MaxBytes = 1024

var (
	// ErrUnknownScheme: the scheme name is not one this package implements.
	ErrUnknownScheme = errors.New("password: unknown encryption scheme")
	// ErrLegacyScheme: the scheme is verified for imported users only; a new
	// password is never hashed with it (Hash refuses, HashLegacy exists for
	// tests and export tooling).
	ErrLegacyScheme = errors.New("password: legacy encryption scheme, verified for import only")
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
	// factors is the range of factors hash accepts and verify reads from a
	// stored hash: the upper bound is what keeps an imported record from
	// costing a login seconds or gigabytes (limits.go).
	factors() (lo, hi int)
	maxBytes() int
	hash(plain string, factor int) (storage.PasswordHash, error)
	// verify reports whether plain matches h; it compares in constant time.
	verify(plain string, h storage.PasswordHash) (bool, error)
	// check parses h as verify would, without a password and without
	// running the KDF.
	check(h storage.PasswordHash) error
	// current reports whether h was made with this scheme's factor and
	// any other parameters it pins (argon2 memory and lanes).
	current(h storage.PasswordHash, factor int) bool
	// dummyHash is a record shaped like hash(_, factor)'s, built without
	// hashing, whose digest (all zero bytes) no password derives.
	dummyHash(factor int) storage.PasswordHash
}

// Supported reports whether scheme is one latchkey hashes new passwords
// with, so a tenant (passwordEncryptionConfiguration.encryptionScheme) or a
// user create may name it. The legacy schemes are not: see Verifiable.
func Supported(scheme string) bool {
	_, ok := schemes[scheme]
	return ok && !legacy[scheme]
}

// Verifiable reports whether Verify accepts stored hashes of scheme: every
// scheme FusionAuth ships, argon2id, and FusionAuth's deprecated aliases
// "fusionauth" and "django". The user import validates encryptionScheme
// with it.
func Verifiable(scheme string) bool {
	_, ok := schemes[canonical(scheme)]
	return ok
}

// Legacy reports whether scheme is a weak one kept only so imported users
// can log in once (salted-md5, salted-sha256, salted-hmac-sha256, the phpass
// schemes): NeedsRehash always answers true for their hashes.
func Legacy(scheme string) bool { return legacy[canonical(scheme)] }

// Hash hashes plain with scheme ("" = Default) and factor (0 = the scheme's
// default: 24000 PBKDF2 iterations, bcrypt cost 10, argon2id t=2). A legacy
// scheme is ErrLegacyScheme. It waits for a hashing turn (turns.go) until
// ctx ends, then ErrBusy without hashing.
func Hash(ctx context.Context, plain, scheme string, factor int) (storage.PasswordHash, error) {
	if Legacy(scheme) {
		return storage.PasswordHash{}, fmt.Errorf("%w: %q", ErrLegacyScheme, scheme)
	}
	return hashWith(ctx, plain, scheme, factor)
}

// HashLegacy hashes plain with any scheme Verify accepts, the legacy ones
// included, exactly as the system the users come from stored it. It exists
// for tests and export tooling (an import fixture); a user's new password
// always goes through Hash.
func HashLegacy(ctx context.Context, plain, scheme string, factor int) (storage.PasswordHash, error) {
	return hashWith(ctx, plain, scheme, factor)
}

// HashCheap refuses exactly what Hash refuses (scheme, length, factor) and
// then hashes at the scheme's smallest factor, recording that factor. For
// the Kickstart dry run, whose hashes are thrown away: at the real factor it
// hashed every password of the file twice, most of a fresh start (issue 13).
// The result verifies like any hash; it is never stored for real.
func HashCheap(ctx context.Context, plain, scheme string, factor int) (storage.PasswordHash, error) {
	if Legacy(scheme) {
		return storage.PasswordHash{}, fmt.Errorf("%w: %q", ErrLegacyScheme, scheme)
	}
	if _, err := checkHash(plain, scheme, factor); err != nil {
		return storage.PasswordHash{}, err
	}
	lo, _, err := FactorRange(scheme)
	if err != nil {
		return storage.PasswordHash{}, err
	}
	return hashWith(ctx, plain, scheme, lo)
}

// checkHash is what hashWith refuses, before any work; it returns the
// factor to use (0: the scheme's default).
func checkHash(plain, scheme string, factor int) (int, error) {
	s, name, err := lookup(scheme)
	if err != nil {
		return 0, err
	}
	if len(plain) > s.maxBytes() {
		return 0, ErrTooLong
	}
	if factor == 0 {
		factor = s.defaultFactor()
	}
	if lo, hi := s.factors(); factor < lo || factor > hi {
		return 0, fmt.Errorf("%w: %s factor %d not in [%d, %d]", ErrFactor, name, factor, lo, hi)
	}
	return factor, nil
}

func hashWith(ctx context.Context, plain, scheme string, factor int) (storage.PasswordHash, error) {
	s, name, err := lookup(scheme)
	if err != nil {
		return storage.PasswordHash{}, err
	}
	if factor, err = checkHash(plain, scheme, factor); err != nil {
		return storage.PasswordHash{}, err
	}
	h, err := hashOnTurn(ctx, s, plain, factor)
	if err != nil {
		return storage.PasswordHash{}, err
	}
	h.Scheme, h.Factor = name, factor
	return h, nil
}

// hashOnTurn is s.hash while holding one of the process's hashing turns
// (turns.go), or ErrBusy when ctx ends before one is free.
func hashOnTurn(ctx context.Context, s scheme, plain string, factor int) (storage.PasswordHash, error) {
	release, err := takeTurn(ctx)
	if err != nil {
		return storage.PasswordHash{}, err
	}
	defer release()
	return s.hash(plain, factor)
}

// Verify reports whether plain matches the stored hash. A password longer
// than the scheme can hash without truncation never matches (after a turn,
// without hashing). A stored
// factor outside the scheme's bounds is ErrFactor before any work is done.
// It waits for a hashing turn (turns.go) until ctx ends, then ErrBusy
// without hashing.
func Verify(ctx context.Context, plain string, h storage.PasswordHash) (bool, error) {
	s, h, err := stored(h)
	if err != nil {
		return false, err
	}
	release, err := takeTurn(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	if len(plain) > s.maxBytes() {
		// No match, but only after a turn, as an unknown login id's dummy
		// verification at the tenant's scheme: a busy server answers both
		// alike (ErrBusy), whatever scheme the account's hash has.
		return false, nil
	}
	return s.verify(plain, h)
}

// CheckStored parses a stored hash as Verify would, without a password: the
// import reports a record Verify could never accept (an unknown scheme,
// ErrMalformedHash, ErrFactor) when it is imported, not at its first login.
func CheckStored(h storage.PasswordHash) error {
	s, h, err := stored(h)
	if err != nil {
		return err
	}
	return s.check(h)
}

// stored resolves h's scheme (aliases included) and factor (0 = the scheme's
// default) and bounds the factor.
func stored(h storage.PasswordHash) (scheme, storage.PasswordHash, error) {
	s, ok := schemes[canonical(h.Scheme)]
	if !ok {
		return nil, h, fmt.Errorf("%w: %q", ErrUnknownScheme, truncate(h.Scheme))
	}
	if h.Factor == 0 {
		h.Factor = s.defaultFactor()
	}
	if _, inHash := s.(interface{ factorInHash() }); inHash {
		return s, h, nil // bounded where the scheme reads it
	}
	if lo, hi := s.factors(); h.Factor < lo || h.Factor > hi {
		return nil, h, fmt.Errorf("%w: stored factor %d not in [%d, %d]", ErrFactor, h.Factor, lo, hi)
	}
	return s, h, nil
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
// Its one error is Verify's ErrBusy: ctx ended before a turn came, so like
// a real verification it hashed nothing.
func DummyVerify(ctx context.Context, plain, scheme string, factor int) error {
	s, name, err := lookup(scheme)
	if err != nil {
		s, name = schemes[Default], Default
	}
	if lo, hi := s.factors(); factor == 0 || factor < lo || factor > hi {
		factor = s.defaultFactor()
	}
	h := s.dummyHash(factor)
	h.Scheme, h.Factor = name, factor
	if _, err := Verify(ctx, plain, h); errors.Is(err, ErrBusy) {
		return err
	}
	return nil
}

// NeedsRehash reports whether h should be replaced by a hash with scheme and
// factor (0 = default) after a successful login, FusionAuth's
// modifyEncryptionSchemeOnLogin. A legacy hash always needs it, unless the
// tenant names a scheme that cannot be produced (then nothing could replace
// it: keep h).
func NeedsRehash(h storage.PasswordHash, scheme string, factor int) bool {
	if !Supported(orDefault(scheme)) {
		return false
	}
	s, name, _ := lookup(scheme)
	if factor == 0 {
		factor = s.defaultFactor()
	}
	if h.Scheme != name || Legacy(h.Scheme) {
		return true
	}
	if h.Factor == 0 {
		h.Factor = s.defaultFactor()
	}
	return !s.current(h, factor)
}

func lookup(name string) (scheme, string, error) {
	name = canonical(orDefault(name))
	s, ok := schemes[name]
	if !ok {
		return nil, "", fmt.Errorf("%w: %q", ErrUnknownScheme, truncate(name))
	}
	return s, name, nil
}

func orDefault(name string) string {
	if name == "" {
		return Default
	}
	return name
}

// truncate keeps an attacker-chosen scheme name out of error messages at
// full length (32 bytes stay short even %q-escaped).
func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// saltBytes: 32 random bytes, the salt size FusionAuth generates.
const saltBytes = 32

func newSalt() []byte {
	b := make([]byte, saltBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b
}
