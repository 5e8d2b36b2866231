package keys

import (
	"context"
	"testing"
	"time"
)

// TestSignAs: an application's chosen key (accessTokenKeyId) picks the
// algorithm: an RS256 key signs the application's ES256 tokens with RS256
// while it is published; a kid never (or no longer) published falls back
// to the application's own algorithm instead of failing the login, which
// is the chosen key's once the console saved it (signingAlgorithm), so
// after a rotation retires the key its successor signs.
func TestSignAs(t *testing.T) {
	m, st, clk := newManager(t)
	ctx := context.Background()
	claims := m.testClaims()
	claims["exp"] = clk.Now().Add(time.Hour).Unix()
	rsKID := activeKey(t, st, RS256).ID
	check := func(name, kid, alg, wantKID string) {
		t.Helper()
		tok, err := m.SignAs(ctx, kid, alg, claims)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, _ := parseKID(tok); got != wantKID {
			t.Fatalf("%s: signed by %q, want %q", name, got, wantKID)
		}
		if _, err := m.Verify(ctx, tok); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	check("the chosen RS256 key", rsKID, ES256, rsKID)
	check("no key chosen", "", ES256, activeKey(t, st, ES256).ID)
	check("an unknown key", "no-such-kid", ES256, activeKey(t, st, ES256).ID)
	next, err := m.Rotate(ctx, RS256)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(24 * time.Hour) // the successor is active, the chosen key retired
	claims["exp"] = clk.Now().Add(time.Hour).Unix()
	check("the chosen key retired, the application's algorithm RS256", rsKID, RS256, next.ID)
}
