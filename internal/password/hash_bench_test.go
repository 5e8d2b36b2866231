package password

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/password/breached"
)

// The benchmarks CI runs once each as a smoke run (scripts/test); figures
// are recorded in docs/performance.md and docs/decisions.md from runs on a
// quiet machine, never asserted.

// BenchmarkPBKDF2SHA256 compares, at FusionAuth's default 24,000
// iterations, the standard library, latchkey's derivation, and the floor:
// 48,000 SHA-256 block compressions alone (what two blocks per iteration
// cost with nothing around them).
func BenchmarkPBKDF2SHA256(b *testing.B) {
	const iter = 24000
	salt := newSalt()
	perIter := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/iter, "ns/iteration")
	}
	b.Run("crypto-pbkdf2", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = pbkdf2.Key(sha256.New, "correct horse", salt, iter, 32)
		}
		perIter(b)
	})
	b.Run("latchkey", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = pbkdf2SHA256("correct horse", salt, iter, 32)
		}
		perIter(b)
	})
	b.Run("sha256-blocks-floor", func(b *testing.B) {
		for b.Loop() {
			compressions(2 * iter)
		}
		perIter(b)
	})
	// The three interleaved in each round, so that load on a shared
	// machine weighs on all of them alike; the ratios are the figures to
	// trust.
	b.Run("interleaved", func(b *testing.B) {
		var std, ours, floor time.Duration
		for b.Loop() {
			t0 := time.Now()
			_, _ = pbkdf2.Key(sha256.New, "correct horse", salt, iter, 32)
			t1 := time.Now()
			_, _ = pbkdf2SHA256("correct horse", salt, iter, 32)
			t2 := time.Now()
			compressions(2 * iter)
			std, ours, floor = std+t1.Sub(t0), ours+t2.Sub(t1), floor+time.Since(t2)
		}
		b.ReportMetric(float64(ours)/float64(std), "latchkey/crypto-pbkdf2")
		b.ReportMetric(float64(floor)/float64(ours), "floor/latchkey")
	})
}

// compressions runs n SHA-256 block compressions and nothing else: whole
// blocks written to a digest go straight to the block function.
func compressions(n int) {
	d := sha256.New()
	var blocks [2 * 64]byte
	for range n / 2 {
		d.Write(blocks[:])
	}
}

func benchHash(b *testing.B, scheme string) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Hash(context.Background(), "correct horse battery staple", scheme, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashPBKDF2SHA256(b *testing.B)    { benchHash(b, PBKDF2SHA256) }
func BenchmarkHashPBKDF2SHA256512(b *testing.B) { benchHash(b, PBKDF2SHA256512) }
func BenchmarkHashBcrypt(b *testing.B)          { benchHash(b, Bcrypt) }
func BenchmarkHashArgon2id(b *testing.B)        { benchHash(b, Argon2id) }

// BenchmarkVerify is the login path's hashing: parse the stored hash,
// derive, compare, and decide whether to rehash, at each scheme's default
// factor.
func BenchmarkVerify(b *testing.B) {
	for _, s := range []string{PBKDF2SHA256, PBKDF2SHA256512, PBKDF2SHA512512, Bcrypt, Argon2id} {
		h, err := Hash(context.Background(), "correct horse", s, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if ok, err := Verify(context.Background(), "correct horse", h); !ok || err != nil {
					b.Fatal(ok, err)
				}
				if NeedsRehash(h, s, 0) {
					b.Fatal("fresh hash needs rehash")
				}
			}
		})
	}
}

// BenchmarkVerifyVsDummy shows DummyVerify costs what Verify costs, per scheme.
func BenchmarkVerifyVsDummy(b *testing.B) {
	for _, s := range []string{PBKDF2SHA256, Bcrypt, Argon2id} {
		h, _ := Hash(context.Background(), "pw", s, 0)
		b.Run(s+"/verify", func(b *testing.B) {
			for b.Loop() {
				_, _ = Verify(context.Background(), "wrong", h)
			}
		})
		b.Run(s+"/dummy", func(b *testing.B) {
			for b.Loop() {
				DummyVerify(context.Background(), "wrong", s, 0)
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
			h, err := Hash(context.Background(), "pw", s, 0)
			if err != nil {
				b.Fatal(err)
			}
			var verify, dummy time.Duration
			for b.Loop() {
				t0 := time.Now()
				_, _ = Verify(context.Background(), "wrong", h)
				t1 := time.Now()
				DummyVerify(context.Background(), "wrong", s, 0)
				verify, dummy = verify+t1.Sub(t0), dummy+time.Since(t1)
			}
			b.ReportMetric(float64(dummy)/float64(verify), "dummy/verify")
		})
	}
}

// BenchmarkCheck is the policy on a password change without history: the
// rules and the common-password lookup (no KDF).
func BenchmarkCheck(b *testing.B) {
	r := DefaultRules()
	r.RequireMixedCase, r.RequireNumber, r.BreachDetection.Enabled = true, true, true
	breached.Preload()
	for b.Loop() {
		if errs := checked(b, r, "Ribbon-anchor-velvet-88", Change{Field: "password"}); errs != nil {
			b.Fatal(errs)
		}
	}
}
