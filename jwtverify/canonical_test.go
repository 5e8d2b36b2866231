package jwtverify

import (
	"context"
	"errors"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/jwttest"
)

// TestVerifyRefusesOtherEncodings: a resource server accepts a token only as
// latchkey issued it: the (r, n−s) twin of an ES256 signature and a segment
// re-encoded with its unused base64 bits set are refused, and nothing of
// the verifier's state (the JWKS) is touched by them.
func TestVerifyRefusesOtherEncodings(t *testing.T) {
	p := newIDP(t)
	v := p.verifier(t, nil)
	ctx := context.Background()
	for _, kid := range []string{"ec-1", "rsa-1"} {
		t.Run(kid, func(t *testing.T) {
			claims := p.claims()
			claims["pad"] = "x" // makes every segment end in unused bits
			tok := p.token(t, kid, claims)
			if _, err := v.Verify(ctx, tok); err != nil {
				t.Fatalf("the signed token: %v", err)
			}
			fetches := p.fetches.Load()
			twins := map[string]string{"signature re-encoded": jwttest.Reencode(t, tok, 2)}
			if kid == "ec-1" {
				twins["s flipped to n-s"] = jwttest.FlipS(t, tok)
			}
			for name, twin := range twins {
				if c, err := v.Verify(ctx, twin); !errors.Is(err, ErrNonCanonical) || c != nil {
					t.Errorf("%s: Verify = %v, %v; want ErrNonCanonical", name, c, err)
				}
			}
			if n := p.fetches.Load() - fetches; n != 0 {
				t.Errorf("%d JWKS fetches caused by the twins", n)
			}
			if _, err := v.Verify(ctx, tok); err != nil {
				t.Fatalf("the signed token after its twins: %v", err)
			}
		})
	}
}
