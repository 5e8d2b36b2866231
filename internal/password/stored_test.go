package password

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestStoredHashBounds: an imported record cannot make a login expensive.
// Every factor a stored hash carries, in the record or inside the hash
// string, is refused above its bound before any KDF work (were it not, these
// cases would run for hours and the test would time out), and so is every
// malformed field.
func TestStoredHashBounds(t *testing.T) {
	bcryptAt := func(cost string) string { return "$2a$" + cost + "$" + strings.Repeat("a", 53) }
	tests := []struct {
		name string
		h    storage.PasswordHash
		want error
	}{
		{"md5 factor 1e9", storage.PasswordHash{Scheme: SaltedMD5, Factor: 1e9, Salt: vecSalt, Hash: "tHKHFu4ajeX+POQ2Rv9Jcw=="}, ErrFactor},
		{"sha256 factor MaxInt", storage.PasswordHash{Scheme: SaltedSHA256, Factor: math.MaxInt, Salt: vecSalt, Hash: "IvJ+nnG3FEgIjHPRQXZ7+Uyuw8+qsLRp4atFFc3XaSc="}, ErrFactor},
		{"sha256 factor negative", storage.PasswordHash{Scheme: SaltedSHA256, Factor: -1, Salt: vecSalt, Hash: "IvJ+nnG3FEgIjHPRQXZ7+Uyuw8+qsLRp4atFFc3XaSc="}, ErrFactor},
		{"pbkdf2-sha512 factor 1e8", storage.PasswordHash{Scheme: PBKDF2SHA512512, Factor: 1e8, Salt: vecSalt, Hash: strings.Repeat("A", 86) + "=="}, ErrFactor},
		{"phpass factor 2^30", storage.PasswordHash{Scheme: PHPassMD5, Factor: 1 << 30, Salt: "IQRaTwmf", Hash: "eRo7ud9Fh4E2PdI0S3r.L0"}, ErrFactor},
		{"phpass whole form 2^30 ($P$S)", storage.PasswordHash{Scheme: PHPassMD5, Hash: "$P$SIQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"}, ErrFactor},
		{"drupal whole form 2^30 ($S$S)", storage.PasswordHash{Scheme: PHPassSHA512, Hash: "$S$S" + strings.Repeat("a", 51)}, ErrFactor},
		{"phpass count character out of range", storage.PasswordHash{Scheme: PHPassMD5, Hash: "$P$zIQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"}, ErrMalformedHash},
		{"bcrypt cost 31 whole form", storage.PasswordHash{Scheme: Bcrypt, Hash: bcryptAt("31")}, ErrFactor},
		{"bcrypt cost 16 whole form", storage.PasswordHash{Scheme: Bcrypt, Hash: bcryptAt("16")}, ErrFactor},
		{"bcrypt cost 31 split form", storage.PasswordHash{Scheme: Bcrypt, Factor: 31, Salt: strings.Repeat("a", 22), Hash: strings.Repeat("a", 31)}, ErrFactor},
		{"bcrypt cost 99 split form", storage.PasswordHash{Scheme: Bcrypt, Factor: 99, Salt: strings.Repeat("a", 22), Hash: strings.Repeat("a", 31)}, ErrMalformedHash},
		{"argon2 256 MiB × 64 passes", storage.PasswordHash{Scheme: Argon2id, Hash: "$argon2id$v=19$m=262144,t=64,p=1$c2FsdHNhbHRzYWx0c2FsdA$c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHQ"}, ErrMalformedHash},
		{"argon2 1 MiB digest", storage.PasswordHash{Scheme: Argon2id, Hash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + strings.Repeat("A", 1<<20)}, ErrMalformedHash},
		{"salt of 1 MiB", storage.PasswordHash{Scheme: SaltedMD5, Factor: 1, Salt: strings.Repeat("A", 1<<20), Hash: "tHKHFu4ajeX+POQ2Rv9Jcw=="}, ErrMalformedHash},
		{"hmac empty key", storage.PasswordHash{Scheme: SaltedHMACSHA256, Hash: "/IpkcWrO17m/Tq+i61NWQo/FqpZms2YxL6l7Hm8umn0="}, ErrMalformedHash},
		{"md5 digest of sha256 length", storage.PasswordHash{Scheme: SaltedMD5, Factor: 1, Salt: vecSalt, Hash: "IvJ+nnG3FEgIjHPRQXZ7+Uyuw8+qsLRp4atFFc3XaSc="}, ErrMalformedHash},
		{"md5 hash not base64", storage.PasswordHash{Scheme: SaltedMD5, Factor: 1, Salt: vecSalt, Hash: "tHKHFu4ajeX+POQ2Rv9Jc!=="}, ErrMalformedHash},
		{"phpass salt with base64 characters", storage.PasswordHash{Scheme: PHPassMD5, Salt: "IQRa+wmf", Hash: "eRo7ud9Fh4E2PdI0S3r.L0"}, ErrMalformedHash},
		{"phpass hash one character short", storage.PasswordHash{Scheme: PHPassMD5, Salt: "IQRaTwmf", Hash: "eRo7ud9Fh4E2PdI0S3r.L"}, ErrMalformedHash},
		{"drupal hash under the phpass-md5 name", storage.PasswordHash{Scheme: PHPassMD5, Hash: "$S$DDEzmVGyUponhBeWCHBORSLh8X/MX1k0dnHdjF2QG8eq3IDaugr6"}, ErrMalformedHash},
		{"wordpress hash under the phpass-sha512 name", storage.PasswordHash{Scheme: PHPassSHA512, Hash: "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"}, ErrMalformedHash},
		{"argon2 parameters of 64 KiB", storage.PasswordHash{Scheme: Argon2id, Hash: "$argon2id$v=19$" + strings.Repeat("\xff", 1<<16) + "$c2FsdHNhbHRzYWx0c2FsdA$c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHQ"}, ErrMalformedHash},
		{"scheme name of 1 MiB", storage.PasswordHash{Scheme: strings.Repeat("x", 1<<20)}, ErrUnknownScheme},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckStored(tt.h); !errors.Is(err, tt.want) {
				t.Fatalf("CheckStored err = %v, want %v", err, tt.want)
			}
			ok, err := Verify(context.Background(), "password", tt.h)
			if ok || !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, %v; want false, %v", ok, err, tt.want)
			}
			if len(err.Error()) > 200 {
				t.Fatalf("error message of %d bytes echoes the input", len(err.Error()))
			}
		})
	}
}

// TestFactorRangeMatchesStoredBounds: what a tenant may configure is what a
// stored hash may carry, so a hash latchkey made always verifies.
func TestFactorRangeMatchesStoredBounds(t *testing.T) {
	for _, s := range []string{PBKDF2SHA256, PBKDF2SHA256512, PBKDF2SHA512512, Bcrypt, Argon2id} {
		lo, hi, err := FactorRange(s)
		if err != nil || lo < 1 || hi < lo {
			t.Fatalf("FactorRange(%s) = %d, %d, %v", s, lo, hi, err)
		}
		if _, err := Hash(context.Background(), "pw", s, hi+1); !errors.Is(err, ErrFactor) {
			t.Errorf("%s: Hash at factor %d: err = %v, want ErrFactor", s, hi+1, err)
		}
	}
	if _, hi, _ := FactorRange(Bcrypt); hi != maxBcryptCost || hi >= bcrypt.MaxCost {
		t.Fatalf("bcrypt's configurable cost reaches %d", hi)
	}
	// The largest configurable argon2id t at latchkey's memory passes the
	// stored-hash work bound.
	_, hi, _ := FactorRange(Argon2id)
	if hi != argonMaxTime || uint64(hi)*argonMemoryKiB > argonMaxWorkKiB || uint64(hi+1)*argonMemoryKiB <= argonMaxWorkKiB {
		t.Fatalf("argon2id t bound %d disagrees with the work bound", hi)
	}
	if _, _, err := FactorRange(SaltedMD5); err != nil {
		t.Fatalf("FactorRange(legacy) = %v", err)
	}
}
