package password

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// TestPBKDF2SHA256RFC7914 checks the published PBKDF2-HMAC-SHA256 vectors
// (RFC 7914 §11).
func TestPBKDF2SHA256RFC7914(t *testing.T) {
	tests := []struct {
		password, salt string
		iter           int
		want           string
	}{
		{"passwd", "salt", 1, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc" +
			"49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"},
		{"Password", "NaCl", 80000, "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56" +
			"a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"},
	}
	for _, tt := range tests {
		got, err := pbkdf2SHA256(tt.password, []byte(tt.salt), tt.iter, 64)
		if err != nil || hex.EncodeToString(got) != tt.want {
			t.Errorf("PBKDF2(%q, %q, %d) = %x, %v; want %s", tt.password, tt.salt, tt.iter, got, err, tt.want)
		}
	}
}

// TestPBKDF2SHA256FastPathInUse: the self-check passed, so logins run the
// fast path. If a Go release changes the SHA-256 state encoding, this fails
// (and the slow standard-library path keeps logins correct meanwhile).
func TestPBKDF2SHA256FastPathInUse(t *testing.T) {
	if !fastPathOK {
		t.Fatal("the SHA-256 state layout check failed: PBKDF2 fell back to crypto/pbkdf2")
	}
}

// TestPBKDF2SHA256MatchesStandardLibrary compares with crypto/pbkdf2 on
// random inputs: passwords around the 64-byte HMAC block (longer keys are
// hashed first, RFC 2104 §2), empty salts and passwords, key lengths that
// are not multiples of 32.
func TestPBKDF2SHA256MatchesStandardLibrary(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	lengths := []int{0, 1, 31, 32, 33, 55, 56, 63, 64, 65, 100, 128, 129, 1024}
	for i := range 300 {
		pw := random(lengths[i%len(lengths)])
		if i%3 == 0 {
			pw = random(r.IntN(200))
		}
		salt, iter, keyLen := random(r.IntN(100)), 1+r.IntN(40), 1+r.IntN(130)
		assertSameAsStdlib(t, string(pw), salt, iter, keyLen)
	}
}

func assertSameAsStdlib(t *testing.T, pw string, salt []byte, iter, keyLen int) {
	t.Helper()
	want, err := pbkdf2.Key(sha256.New, pw, salt, iter, keyLen)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pbkdf2SHA256(pw, salt, iter, keyLen)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("PBKDF2(%x, %x, %d, %d) = %x, %v; crypto/pbkdf2 says %x", pw, salt, iter, keyLen, got, err, want)
	}
}

func FuzzPBKDF2SHA256(f *testing.F) {
	f.Add("passwd", []byte("salt"), uint16(1), uint8(64))
	f.Add(string(make([]byte, 65)), []byte{}, uint16(3), uint8(33))
	f.Fuzz(func(t *testing.T, pw string, salt []byte, iter uint16, keyLen uint8) {
		assertSameAsStdlib(t, pw, salt, 1+int(iter%128), 1+int(keyLen))
	})
}

// TestPBKDF2SHA256WordsInUse: the digests' chaining values were found and
// passed the self-check, so logins restore the pad states by copying eight
// words. If a Go release changes the digest's layout this fails, and the
// marshaled-state path keeps logins correct meanwhile.
func TestPBKDF2SHA256WordsInUse(t *testing.T) {
	if !wordsInUse {
		t.Fatal("the SHA-256 digest's chaining words were not found: PBKDF2 restores marshaled states")
	}
}

// TestPBKDF2SHA256SHANIInUse: on a CPU with the SHA extensions the
// iterations run in registers (chainRegisters), the path measured in
// docs/performance.md; elsewhere there is nothing to check. The skip stays
// a skip under LATCHKEY_REQUIRE_ALL=1: that setting is for tools a machine
// can install, and a CPU without the extensions cannot (the portable paths
// are checked on every CPU by the vector and standard-library tests above).
func TestPBKDF2SHA256SHANIInUse(t *testing.T) {
	if !cpuSHANI {
		t.Skip("this CPU has no SHA extensions (or not amd64)")
	}
	if !shaniInUse {
		t.Fatal("the CPU has the SHA extensions but chainSHANI failed its self-check")
	}
}

// TestPBKDF2SHA256PathsAgree: the ways chain can run the iterations (the
// SHA extensions when the CPU has them, the chaining words, the marshaled
// states) give crypto/pbkdf2's answer on random passwords, salts and
// iteration counts, so each fallback is as right as the path in use.
func TestPBKDF2SHA256PathsAgree(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	paths := []int{pathWords, pathMarshaled}
	if cpuSHANI {
		paths = append(paths, pathRegisters)
	}
	for i := range 200 {
		pw := make([]byte, r.IntN(150))
		salt := make([]byte, r.IntN(40))
		for j := range pw {
			pw[j] = byte(r.Uint32())
		}
		for j := range salt {
			salt[j] = byte(r.Uint32())
		}
		iter := 1 + r.IntN(60)
		if i%50 == 0 {
			iter = 1 + r.IntN(30000)
		}
		want, err := pbkdf2.Key(sha256.New, string(pw), salt, iter, 32)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range paths {
			var h hmacSHA256
			h.init(pw)
			var u [sha256.Size]byte
			h.sum(&u, salt, []byte{0, 0, 0, 1})
			switch path {
			case pathWords:
				if !h.attachWords() {
					t.Fatal("chaining words not found")
				}
				h.chainWords(&u, iter-1)
			case pathRegisters:
				h.chainRegisters(&u, iter-1)
			default:
				h.chainMarshaled(&u, iter-1)
			}
			if !bytes.Equal(u[:], want) {
				t.Fatalf("case %d, path %d: PBKDF2(%x, %x, %d) = %x; crypto/pbkdf2 says %x", i, path, pw, salt, iter, u, want)
			}
		}
	}
}
