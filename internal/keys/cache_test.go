package keys

import (
	"context"
	"errors"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestSigningSurvivesADatabaseBlip: when reloading the key set fails because
// the database does not answer, signing and verifying go on with the last
// good set for keepLastGood past the refresh interval (a refresh that
// committed its rotation still gets its token), and fail after that.
func TestSigningSurvivesADatabaseBlip(t *testing.T) {
	m, st, clk := newManager(t)
	ctx := context.Background()
	before, err := m.Sign(ctx, ES256, m.testClaims())
	if err != nil {
		t.Fatal(err)
	}
	st.down.Store(true)
	clk.Advance(DefaultRefreshInterval + keepLastGood - 1)
	tok, err := m.Sign(ctx, ES256, m.testClaims())
	if err != nil {
		t.Fatalf("sign during the blip: %v", err)
	}
	for _, tk := range []string{before, tok} {
		if _, err := m.Verify(ctx, tk); err != nil {
			t.Fatalf("verify during the blip: %v", err)
		}
	}
	if n := st.lists.Load(); n < 3 {
		t.Fatalf("%d loads: the expired set was not reloaded before falling back to it", n)
	}
	clk.Advance(1)
	if _, err := m.Sign(ctx, ES256, m.testClaims()); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("sign past the keep-last-good bound: %v, want ErrUnavailable", err)
	}
	st.down.Store(false)
	if _, err := m.Sign(ctx, ES256, m.testClaims()); err != nil {
		t.Fatalf("sign once the database is back: %v", err)
	}
}

// TestKeysChangedReloadsAtOnce: after KeysChanged (the change feed saw
// another node rotate) the next Sign uses the new key without waiting for
// the refresh interval; the clock does not move in this test.
func TestKeysChangedReloadsAtOnce(t *testing.T) {
	a, st, clk := newManager(t)
	ctx := context.Background()
	b := New(st, Options{Now: clk.Now, Issuer: testIssuer, PublishAhead: -1}) // signs at once
	if err := b.Init(ctx); err != nil {
		t.Fatal(err)
	}
	old, _ := a.Sign(ctx, ES256, a.testClaims())
	next, err := b.Rotate(ctx, ES256)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := a.Sign(ctx, ES256, a.testClaims())
	if got, _ := parseKID(tok); got == next.ID {
		t.Fatal("A signed with the new key before it was told: the test cannot tell the cases apart")
	}
	a.KeysChanged()
	tok, _ = a.Sign(ctx, ES256, a.testClaims())
	if got, _ := parseKID(tok); got != next.ID {
		t.Fatalf("after KeysChanged A signs with %q, want the new key %q", got, next.ID)
	}
	if _, err := a.Verify(ctx, old); err != nil {
		t.Fatalf("a token of the previous key: %v", err)
	}
}
