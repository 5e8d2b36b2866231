package dpop

import (
	"errors"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/jwttest"
)

// TestProofTwinIsTheSameProof: a proof's identity is its key and jti, not
// its bytes. Clients do not normalise ECDSA's s (WebCrypto, go-jose), so
// either s verifies, but the (r, n−s) twin of a proof is the same proof:
// whichever spelling comes second is a replay. A spelling with lenient
// base64 is refused outright. Run many times, since NewProof's s is random.
func TestProofTwinIsTheSameProof(t *testing.T) {
	key := ecKey(t)
	for i := range 16 {
		p, err := NewProof(key, "GET", target, "", now)
		if err != nil {
			t.Fatal(err)
		}
		first, second := p, jwttest.FlipS(t, p)
		if i%2 == 1 {
			first, second = second, first
		}
		c := check()
		if _, err := VerifyProof(jwttest.Reencode(t, first, 2), c); !errors.Is(err, ErrMalformed) {
			t.Fatalf("re-encoded signature: %v; want ErrMalformed", err)
		}
		if _, err := VerifyProof(first, c); err != nil {
			t.Fatalf("first spelling: %v", err)
		}
		if _, err := VerifyProof(second, c); !errors.Is(err, ErrReplay) {
			t.Fatalf("second spelling: %v; want ErrReplay", err)
		}
		if c.Replay.Len() != 1 {
			t.Fatalf("replay cache holds %d entries; want 1", c.Replay.Len())
		}
	}
}
