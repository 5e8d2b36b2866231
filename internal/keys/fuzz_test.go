package keys

import (
	"context"
	"strings"
	"testing"
)

// FuzzVerify: no input panics Verify, and no input other than the exact
// token we signed is accepted (strict base64 and JSON leave no malleability).
func FuzzVerify(f *testing.F) {
	m, _, _ := newManager(f)
	ctx := context.Background()
	claims := m.testClaims()
	claims["exp"] = m.opts.Now().Unix() + 3600
	valid := map[string]bool{}
	for _, alg := range Algorithms {
		tok, err := m.Sign(ctx, alg, claims)
		if err != nil {
			f.Fatal(err)
		}
		valid[tok] = true
		f.Add(tok)
		p := strings.Split(tok, ".")
		f.Add(p[0] + "." + p[1] + ".")
		f.Add(p[0] + "=." + p[1] + "." + p[2])
	}
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("...")
	f.Fuzz(func(t *testing.T, tok string) {
		got, err := m.Verify(ctx, tok)
		if err == nil && !valid[tok] {
			t.Fatalf("accepted a token we did not sign: %q -> %v", tok, got)
		}
	})
}

func BenchmarkSignES256(b *testing.B) { benchSign(b, ES256) }
func BenchmarkSignRS256(b *testing.B) { benchSign(b, RS256) }

func benchSign(b *testing.B, alg string) {
	m, _, _ := newManager(b)
	ctx, claims := context.Background(), m.testClaims()
	for b.Loop() {
		if _, err := m.Sign(ctx, alg, claims); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyES256(b *testing.B) {
	m, _, _ := newManager(b)
	ctx := context.Background()
	tok, _ := m.Sign(ctx, ES256, m.testClaims())
	for b.Loop() {
		if _, err := m.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
