package password

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// fuzzSchemes are the names a fuzzed record may carry: every scheme, the
// aliases, and names Verify must refuse.
var fuzzSchemes = []string{
	PBKDF2SHA256, PBKDF2SHA256512, PBKDF2SHA512512, Bcrypt, Argon2id,
	SaltedMD5, SaltedSHA256, SaltedHMACSHA256, PHPassMD5, PHPassSHA512,
	"fusionauth", "django", "", "salted-sha1", "BCRYPT",
}

// FuzzStoredHash feeds arbitrary stored records to the parsers (phpass and
// bcrypt modular-crypt strings, PHC strings, base64 salts and digests). The
// invariants: nothing panics; CheckStored and Verify agree on whether the
// record is usable, and on the kind of refusal; the only errors are the
// package's sentinels, with short messages whatever the input's size; and a record never matches a password it was not
// made from (the seeds are real hashes of other passwords).
func FuzzStoredHash(f *testing.F) {
	for _, v := range legacyVectors() {
		f.Add(uint8(schemeIndex(v.h.Scheme)), v.h.Factor, v.h.Salt, v.h.Hash)
	}
	f.Add(uint8(3), 0, "", "$2a$04$"+strings.Repeat(".", 53))
	f.Add(uint8(4), 0, "", "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHQ")
	f.Add(uint8(8), 0, "", "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0")
	f.Add(uint8(9), 0, "", "$S$5"+strings.Repeat("/", 51))
	f.Fuzz(func(t *testing.T, idx uint8, factor int, salt, hash string) {
		h := storage.PasswordHash{Scheme: fuzzSchemes[int(idx)%len(fuzzSchemes)], Factor: factor, Salt: salt, Hash: hash}
		checkErr := CheckStored(h)
		if checkErr == nil && !cheap(h) {
			return // well-formed but seconds of work: bounded, not fuzzed
		}
		ok, err := Verify(context.Background(), "fuzz password, in no seed", h)
		if ok {
			t.Fatalf("a fuzzed record matched: %+v", h)
		}
		if (err == nil) != (checkErr == nil) || (err != nil && !sameSentinel(err, checkErr)) {
			t.Fatalf("CheckStored = %v but Verify = %v for %+v", checkErr, err, h)
		}
		if err != nil && (!sameSentinel(err, err) || len(err.Error()) > 200) {
			t.Fatalf("Verify error %q is not a short sentinel error", err)
		}
	})
}

// FuzzHashRoundTrip: a hash made by Hash (or HashLegacy) of any password
// the scheme accepts verifies with that password, passes CheckStored, and
// refuses the password with one more character.
func FuzzHashRoundTrip(f *testing.F) {
	for _, p := range []string{"", "password", "pässwörd🔑", strings.Repeat("x", 72), "\x00\xff"} {
		f.Add(uint8(0), p)
		f.Add(uint8(8), p)
	}
	f.Fuzz(func(t *testing.T, idx uint8, plain string) {
		name := fuzzSchemes[int(idx)%10] // the ten real schemes
		if name == Argon2id {
			return // 19 MiB per hash; covered by TestHashVerifyRoundTrip
		}
		h, err := HashLegacy(context.Background(), plain, name, 1+int(idx)%4)
		if name == Bcrypt {
			h, err = HashLegacy(context.Background(), plain, name, bcrypt.MinCost)
		}
		if errors.Is(err, ErrTooLong) && len(plain) > 72 {
			return
		}
		if err != nil {
			t.Fatalf("HashLegacy(%s, %q): %v", name, plain, err)
		}
		if err := CheckStored(h); err != nil {
			t.Fatalf("CheckStored(%+v): %v", h, err)
		}
		if ok, err := Verify(context.Background(), plain, h); !ok || err != nil {
			t.Fatalf("Verify(own password) = %v, %v for %+v", ok, err, h)
		}
		if ok, err := Verify(context.Background(), plain+"x", h); ok || err != nil {
			t.Fatalf("Verify(password+x) = %v, %v", ok, err)
		}
	})
}

func schemeIndex(name string) int {
	for i, s := range fuzzSchemes {
		if s == name {
			return i
		}
	}
	return 0
}

func sameSentinel(a, b error) bool {
	for _, s := range []error{ErrUnknownScheme, ErrMalformedHash, ErrFactor} {
		if errors.Is(a, s) {
			return errors.Is(b, s)
		}
	}
	return false
}

// cheap reports whether verifying a well-formed record costs at most a few
// milliseconds, so the fuzzer spends its time on parsing.
func cheap(h storage.PasswordHash) bool {
	s, h, err := stored(h)
	if err != nil {
		return true
	}
	switch s := s.(type) {
	case bcryptScheme:
		enc, err := s.encoded(h)
		c, _ := bcrypt.Cost(enc)
		return err == nil && c <= 5
	case argon2Scheme:
		a, err := parsePHC(h.Hash)
		return err == nil && uint64(a.m)*uint64(a.t) <= 4096
	case phpassScheme:
		_, count, _, err := s.parse(h)
		return err == nil && count <= 1<<12
	}
	return h.Factor <= 1<<12
}
