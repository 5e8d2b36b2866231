package jwtverify

import (
	"context"
	"strings"
	"testing"
)

// FuzzVerify: no input panics, and nothing but the exact signed token is
// accepted. The JWKS is fetched once; MinRefetchInterval keeps the fuzzer
// from hammering it with unknown kids.
func FuzzVerify(f *testing.F) {
	p := newIDP(f)
	v := p.verifier(f, nil)
	valid := map[string]bool{}
	for _, kid := range []string{"ec-1", "rsa-1"} {
		tok := p.token(f, kid, p.claims())
		valid[tok] = true
		f.Add(tok)
		parts := strings.Split(tok, ".")
		f.Add(parts[0] + "." + parts[1] + ".")
	}
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := v.Verify(context.Background(), tok)
		if err == nil && !valid[tok] {
			t.Fatalf("accepted %q: %+v", tok, c)
		}
	})
}
