package keys

import (
	"context"
	"testing"
	"time"
)

// TestSignWithKey: a webhook signature is made with the key it names while
// that key is active, with the active key of its algorithm once it was
// rotated out, and with the default algorithm's when the name is unknown;
// the header's kid always names the key that signed, and the signature
// verifies with that key as published.
func TestSignWithKey(t *testing.T) {
	m, st, clk := newManager(t)
	ctx := context.Background()
	claims := m.testClaims()
	claims["exp"] = clk.Now().Add(time.Hour).Unix()
	rsKID := activeKey(t, st, RS256).ID
	check := func(name, kid, wantKID string) {
		t.Helper()
		tok, err := m.SignWithKey(ctx, kid, claims)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, _ := parseKID(tok); got != wantKID {
			t.Fatalf("%s: signed by %q, want %q", name, got, wantKID)
		}
		if _, err := m.Verify(ctx, tok); err != nil {
			t.Fatalf("%s: the signature does not verify with the published key: %v", name, err)
		}
	}
	check("active RS256 key", rsKID, rsKID)
	next, err := m.Rotate(ctx, RS256)
	if err != nil {
		t.Fatal(err)
	}
	check("rotated-out key", rsKID, next.ID)
	check("unknown key", "no-such-kid", activeKey(t, st, ES256).ID)
}
