package keys

import (
	"context"
	"testing"
	"time"
)

// TestSignWithKey: a webhook signature is made with the key it names while
// that key is active, with the active key of its algorithm once it was
// rotated out, still of that algorithm after the named key is retired and
// gone from the set (the algorithm the webhook recorded), and with the
// default algorithm's only when the name is unknown and no algorithm was
// recorded; the header's kid always names the key that signed, and the
// signature verifies with that key as published.
func TestSignWithKey(t *testing.T) {
	m, st, clk := newManager(t)
	ctx := context.Background()
	rsKID := activeKey(t, st, RS256).ID
	check := func(name, kid, alg, wantKID string) {
		t.Helper()
		claims := m.testClaims()
		claims["exp"] = clk.Now().Add(time.Hour).Unix()
		tok, err := m.SignWithKey(ctx, kid, alg, claims)
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
	check("active RS256 key", rsKID, RS256, rsKID)
	check("active RS256 key, no algorithm recorded", rsKID, "", rsKID)
	next, err := m.Rotate(ctx, RS256)
	if err != nil {
		t.Fatal(err)
	}
	check("rotated-out key", rsKID, RS256, next.ID)
	check("rotated-out key, no algorithm recorded", rsKID, "", next.ID)

	clk.Advance(3 * time.Hour) // past RetireAfter (2 h): rsKID is retired
	m.KeysChanged()
	if k := m.mustSet(t).byID[rsKID]; k != nil {
		t.Fatalf("the retired key %s is still in the set", rsKID)
	}
	check("retired key", rsKID, RS256, next.ID)
	check("unknown key", "no-such-kid", "", activeKey(t, st, ES256).ID)
}

func (m *Manager) mustSet(t *testing.T) keySet {
	t.Helper()
	set, err := m.current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return set
}
