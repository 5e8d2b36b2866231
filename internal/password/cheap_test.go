package password

import (
	"context"
	"strings"
	"testing"
)

// TestHashCheap: the Kickstart dry run's hash refuses exactly what Hash
// refuses (unknown and legacy schemes, a password too long for the scheme, a
// factor out of range), and otherwise gives a hash at the scheme's lowest
// factor that verifies the password and no other.
func TestHashCheap(t *testing.T) {
	for _, tc := range []struct {
		name, plain, scheme string
		factor              int
	}{
		{"unknown scheme", "pw", "rot13", 0},
		{"legacy scheme", "pw", "salted-md5", 0},
		{"too long for bcrypt", strings.Repeat("a", 73), Bcrypt, 0},
		{"factor too high", "pw", PBKDF2SHA256, 1 << 30},
		{"factor too low", "pw", Bcrypt, 1},
	} {
		_, want := Hash(context.Background(), tc.plain, tc.scheme, tc.factor)
		_, got := HashCheap(context.Background(), tc.plain, tc.scheme, tc.factor)
		if want == nil || got == nil || got.Error() != want.Error() {
			t.Errorf("%s: HashCheap %v, Hash %v", tc.name, got, want)
		}
	}
	for _, scheme := range []string{PBKDF2SHA256, PBKDF2SHA256512, Bcrypt, Argon2id} {
		h, err := HashCheap(context.Background(), "correct horse", scheme, 0)
		if err != nil {
			t.Fatalf("%s: %v", scheme, err)
		}
		lo, _, _ := FactorRange(scheme)
		if h.Factor != lo || h.Scheme != scheme {
			t.Errorf("%s: hashed at %s factor %d, want factor %d", scheme, h.Scheme, h.Factor, lo)
		}
		if ok, err := Verify(context.Background(), "correct horse", h); !ok || err != nil {
			t.Errorf("%s: the cheap hash does not verify its password: %v", scheme, err)
		}
		if ok, _ := Verify(context.Background(), "correct horsf", h); ok {
			t.Errorf("%s: the cheap hash verifies another password", scheme)
		}
	}
}
