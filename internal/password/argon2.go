package password

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// OWASP Password Storage Cheat Sheet minimum for Argon2id: m = 19 MiB,
// t = 2, p = 1. The factor is t.
const (
	argonMemoryKiB = 19 * 1024
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
	// Bounds for stored hashes: an imported record must not be able to ask
	// for gigabytes of memory per login.
	argonMaxMemoryKiB = 256 * 1024
	argonMaxTime      = 64
	argonMaxThreads   = 16
	// argonMaxWorkKiB bounds memory × passes at what latchkey's own
	// largest configurable hash costs (19 MiB × 64 passes, about 5 s;
	// limits.go): m = 256 MiB allows t ≤ 4, not 64.
	argonMaxWorkKiB = argonMemoryKiB * argonMaxTime
)

// argon2Scheme stores the PHC string
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded standard base64,
// the reference implementation's encoding) in Hash with an empty Salt.
type argon2Scheme struct{}

func (argon2Scheme) defaultFactor() int  { return 2 }
func (argon2Scheme) factors() (int, int) { return 1, argonMaxWorkKiB / argonMemoryKiB }
func (argon2Scheme) maxBytes() int       { return MaxBytes }

type argonParams struct {
	m, t   uint32
	p      uint8
	salt   []byte
	digest []byte
}

func (argon2Scheme) hash(plain string, t int) (storage.PasswordHash, error) {
	salt := newSalt()[:argonSaltLen]
	dk := argon2.IDKey([]byte(plain), salt, uint32(t), argonMemoryKiB, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return storage.PasswordHash{Hash: fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemoryKiB, t, argonThreads, enc.EncodeToString(salt), enc.EncodeToString(dk))}, nil
}

func parsePHC(s string) (argonParams, error) {
	var a argonParams
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return a, fmt.Errorf("%w: not an argon2id v=19 PHC string", ErrMalformedHash)
	}
	var p uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &a.m, &a.t, &p); err != nil || n != 3 ||
		fmt.Sprintf("m=%d,t=%d,p=%d", a.m, a.t, p) != parts[3] {
		return a, fmt.Errorf("%w: argon2id parameters are not m=…,t=…,p=…", ErrMalformedHash)
	}
	if a.m < 8 || a.m > argonMaxMemoryKiB || a.t < 1 || a.t > argonMaxTime || p < 1 || p > argonMaxThreads ||
		uint64(a.m)*uint64(a.t) > argonMaxWorkKiB {
		return a, fmt.Errorf("%w: argon2id parameters out of bounds", ErrMalformedHash)
	}
	a.p = uint8(p)
	var err1, err2 error
	a.salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
	a.digest, err2 = base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(a.salt) < 8 || len(a.salt) > maxSaltBytes || len(a.digest) < 16 || len(a.digest) > 64 {
		return a, fmt.Errorf("%w: argon2id salt or hash", ErrMalformedHash)
	}
	return a, nil
}

// factorInHash: the PHC string's t= is the factor; the record's Factor is
// informative (FusionAuth's import would ignore it) and is not bounded.
func (argon2Scheme) factorInHash() {}

func (argon2Scheme) check(h storage.PasswordHash) error {
	_, err := parsePHC(h.Hash)
	return err
}

func (argon2Scheme) verify(plain string, h storage.PasswordHash) (bool, error) {
	a, err := parsePHC(h.Hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(plain), a.salt, a.t, a.m, a.p, uint32(len(a.digest)))
	return subtle.ConstantTimeCompare(got, a.digest) == 1, nil
}

func (argon2Scheme) dummyHash(t int) storage.PasswordHash {
	enc := base64.RawStdEncoding
	return storage.PasswordHash{Hash: fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, t, argonThreads,
		enc.EncodeToString(dummySalt[:argonSaltLen]), enc.EncodeToString(make([]byte, argonKeyLen)))}
}

func (argon2Scheme) current(h storage.PasswordHash, t int) bool {
	a, err := parsePHC(h.Hash)
	return err == nil && a.t == uint32(t) && a.m == argonMemoryKiB && a.p == argonThreads
}
