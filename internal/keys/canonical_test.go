package keys

import (
	"context"
	"errors"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/jwttest"
)

// TestTokenHasOneEncoding: Sign issues ES256 tokens with s ≤ n/2, and Verify
// (behind /api/jwt/validate) refuses every other spelling of a token it
// signed: the (r, n−s) twin of an ES256 signature and a signature segment
// re-encoded with its unused base64 bits set. Before, both twins were
// accepted, so one signed token had several valid strings.
func TestTokenHasOneEncoding(t *testing.T) {
	m, _, _ := newManager(t)
	ctx := context.Background()
	for _, alg := range Algorithms {
		t.Run(alg, func(t *testing.T) {
			// 32 signatures: with a random s, all low by chance is 2^-32.
			for range 32 {
				tok, err := m.Sign(ctx, alg, m.testClaims())
				if err != nil {
					t.Fatal(err)
				}
				if _, err := m.Verify(ctx, tok); err != nil {
					t.Fatalf("the signed token: %v", err)
				}
				twins := []string{jwttest.Reencode(t, tok, 2)}
				if alg == ES256 {
					if !jwttest.LowS(t, tok) {
						t.Fatalf("Sign issued a high-S signature: %s", tok)
					}
					twins = append(twins, jwttest.FlipS(t, tok))
				}
				for _, twin := range twins {
					if c, err := m.Verify(ctx, twin); !errors.Is(err, ErrNonCanonical) || c != nil {
						t.Fatalf("twin %s: Verify = %v, %v; want ErrNonCanonical", twin, c, err)
					}
				}
			}
		})
	}
}
