package dpop

import "testing"

// FuzzVerifyProof: attacker-controlled proofs never panic and never pass.
func FuzzVerifyProof(f *testing.F) {
	k := ecKey(f)
	p, _ := NewProof(k, "GET", target, "", now)
	f.Add(p)
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Fuzz(func(t *testing.T, s string) {
		c := check()
		c.Method = "POST" // no fuzzed input can match: every result must be an error
		if _, err := VerifyProof(s, c); err == nil {
			t.Fatalf("accepted %q", s)
		}
	})
}
