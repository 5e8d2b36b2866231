package password

import (
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func TestNeedsRehash(t *testing.T) {
	pb, _ := Hash("pw", PBKDF2SHA256, 0)
	bc, _ := Hash("pw", Bcrypt, 4)
	ar, _ := Hash("pw", Argon2id, 0)
	weakArgon := storage.PasswordHash{Scheme: Argon2id, Factor: 2,
		Hash: "$argon2id$v=19$m=4096,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHQ"}
	tests := []struct {
		name   string
		h      storage.PasswordHash
		scheme string
		factor int
		want   bool
	}{
		{"same scheme default factor", pb, "", 0, false},
		{"same scheme explicit default", pb, PBKDF2SHA256, 24000, false},
		{"factor raised", pb, PBKDF2SHA256, 600000, true},
		{"scheme changed", pb, Argon2id, 0, true},
		{"bcrypt same cost", bc, Bcrypt, 4, false},
		{"bcrypt cost raised", bc, Bcrypt, 12, true},
		{"argon2 current", ar, Argon2id, 0, false},
		{"argon2 t raised", ar, Argon2id, 3, true},
		{"argon2 weaker memory than OWASP", weakArgon, Argon2id, 2, true},
		{"tenant names unknown scheme", pb, "salted-md5", 0, false},
		{"imported legacy scheme", storage.PasswordHash{Scheme: "salted-md5"}, PBKDF2SHA256, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NeedsRehash(tt.h, tt.scheme, tt.factor); got != tt.want {
				t.Fatalf("NeedsRehash = %v, want %v", got, tt.want)
			}
		})
	}
}

func benchHash(b *testing.B, scheme string) {
	for b.Loop() {
		if _, err := Hash("correct horse battery staple", scheme, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashPBKDF2SHA256(b *testing.B)    { benchHash(b, PBKDF2SHA256) }
func BenchmarkHashPBKDF2SHA256512(b *testing.B) { benchHash(b, PBKDF2SHA256512) }
func BenchmarkHashBcrypt(b *testing.B)          { benchHash(b, Bcrypt) }
func BenchmarkHashArgon2id(b *testing.B)        { benchHash(b, Argon2id) }

// BenchmarkVerifyVsDummy shows DummyVerify costs what Verify costs, per scheme.
func BenchmarkVerifyVsDummy(b *testing.B) {
	for _, s := range []string{PBKDF2SHA256, Bcrypt, Argon2id} {
		h, _ := Hash("pw", s, 0)
		b.Run(s+"/verify", func(b *testing.B) {
			for b.Loop() {
				_, _ = Verify("wrong", h)
			}
		})
		b.Run(s+"/dummy", func(b *testing.B) {
			for b.Loop() {
				DummyVerify("wrong", s, 0)
			}
		})
	}
}

// BenchmarkDummyOverVerify interleaves a real verification (wrong password)
// and a dummy one for an unknown user, per scheme, and reports their ratio:
// anti-enumeration wants ≈1.0. Interleaving keeps machine load from skewing
// one side, which separate benchmarks cannot promise.
func BenchmarkDummyOverVerify(b *testing.B) {
	for _, s := range []string{PBKDF2SHA256, Bcrypt, Argon2id} {
		b.Run(s, func(b *testing.B) {
			h, err := Hash("pw", s, 0)
			if err != nil {
				b.Fatal(err)
			}
			var verify, dummy time.Duration
			for b.Loop() {
				t0 := time.Now()
				_, _ = Verify("wrong", h)
				t1 := time.Now()
				DummyVerify("wrong", s, 0)
				verify, dummy = verify+t1.Sub(t0), dummy+time.Since(t1)
			}
			b.ReportMetric(float64(dummy)/float64(verify), "dummy/verify")
		})
	}
}
