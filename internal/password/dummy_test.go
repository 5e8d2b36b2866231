package password

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// recordingScheme is a real scheme that records every verification it runs
// and its answer (the real scheme embedded, one method overridden).
type recordingScheme struct {
	scheme
	hashes  []storage.PasswordHash
	results []bool
}

func (r *recordingScheme) verify(plain string, h storage.PasswordHash) (bool, error) {
	ok, err := r.scheme.verify(plain, h)
	r.hashes, r.results = append(r.hashes, h), append(r.results, ok)
	return ok, err
}

// recording replaces scheme name by a recordingScheme for the test.
func recording(t *testing.T, name string) *recordingScheme {
	t.Helper()
	real := schemes[name]
	r := &recordingScheme{scheme: real}
	schemes[name] = r
	t.Cleanup(func() { schemes[name] = real })
	return r
}

// work is what a verification of h costs: the scheme and every parameter
// the KDF's running time depends on.
func work(t *testing.T, h storage.PasswordHash) string {
	t.Helper()
	switch h.Scheme {
	case Bcrypt:
		enc, err := bcryptScheme{}.encoded(h)
		if err != nil {
			t.Fatal(err)
		}
		cost, err := bcrypt.Cost(enc)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s cost %d", h.Scheme, cost)
	case Argon2id:
		a, err := parsePHC(h.Hash)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s m=%d t=%d p=%d len=%d", h.Scheme, a.m, a.t, a.p, len(a.digest))
	default:
		salt, err1 := base64.StdEncoding.DecodeString(h.Salt)
		dk, err2 := base64.StdEncoding.DecodeString(h.Hash)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		return fmt.Sprintf("%s iterations=%d salt=%d keyLen=%d", h.Scheme, h.Factor, len(salt), len(dk))
	}
}

// TestDummyVerify: what security-bar L2 needs from the dummy verification
// for an unknown login id is that it does the work of a real wrong-password
// verification, no more and no less, and never says yes. For each scheme
// and factor: exactly one verification runs, with the same scheme and the
// same cost parameters as a real user's hash made with that setting, and
// it answers false even for the password a real hash was made from. A
// password the scheme refuses as too long costs nothing in either case.
func TestDummyVerify(t *testing.T) {
	tests := []struct {
		scheme, uses string
		factor       int
	}{
		{PBKDF2SHA256, PBKDF2SHA256, 0},
		{PBKDF2SHA256, PBKDF2SHA256, 1000},
		{PBKDF2SHA256512, PBKDF2SHA256512, 0},
		{Bcrypt, Bcrypt, 4},
		{Argon2id, Argon2id, 1},
		{"", Default, 0},
		{"no-such-scheme", Default, 0}, // a tenant naming an unknown scheme: the default's cost
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.scheme, tt.factor), func(t *testing.T) {
			real, err := Hash(context.Background(), "pw", tt.uses, tt.factor)
			if err != nil {
				t.Fatal(err)
			}
			rec := recording(t, tt.uses)
			if ok, err := Verify(context.Background(), "wrong", real); ok || err != nil {
				t.Fatalf("real Verify = %v, %v", ok, err)
			}
			DummyVerify(context.Background(), "wrong", tt.scheme, tt.factor)
			DummyVerify(context.Background(), "pw", tt.scheme, tt.factor)
			if len(rec.hashes) != 3 {
				t.Fatalf("%d verifications for one real and two dummy ones; want 3", len(rec.hashes))
			}
			want := work(t, real)
			for i, h := range rec.hashes[1:] {
				if got := work(t, h); got != want {
					t.Errorf("dummy %d costs %q; a real hash costs %q", i, got, want)
				}
				if rec.results[i+1] {
					t.Errorf("dummy %d answered true", i)
				}
			}
		})
	}
	t.Run("too long", func(t *testing.T) {
		real, err := Hash(context.Background(), "pw", Bcrypt, 4)
		if err != nil {
			t.Fatal(err)
		}
		rec := recording(t, Bcrypt)
		long := strings.Repeat("x", 1<<20)
		if ok, _ := Verify(context.Background(), long, real); ok {
			t.Fatal("a too-long password matched")
		}
		DummyVerify(context.Background(), long, Bcrypt, 4)
		if len(rec.hashes) != 0 {
			t.Fatalf("%d verifications for a too-long password; want 0 (as Verify)", len(rec.hashes))
		}
	})
}
