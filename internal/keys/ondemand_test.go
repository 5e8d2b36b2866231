package keys

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestOnDemandKeys: with Options.OnDemand (the Kickstart dry run) Init
// creates no key; the first Sign of an algorithm creates exactly one key of
// it however many sign at once, the token verifies, and an algorithm never
// used (RS256 here: the costly one) is never created.
func TestOnDemandKeys(t *testing.T) {
	ctx := context.Background()
	st := &memStore{}
	now := func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	m := New(st, Options{Now: now, OnDemand: true})
	if err := m.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(st.keys); n != 0 {
		t.Fatalf("Init created %d keys on demand", n)
	}
	var wg sync.WaitGroup
	toks := make([]string, 8)
	errs := make([]error, 8)
	for i := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			toks[i], errs[i] = m.Sign(ctx, ES256, map[string]any{"sub": "u", "exp": now().Add(time.Minute).Unix()})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("sign %d: %v", i, err)
		}
		if _, err := m.Verify(ctx, toks[i]); err != nil {
			t.Fatalf("token %d does not verify: %v", i, err)
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.keys) != 1 || st.keys[0].Algorithm != ES256 {
		t.Fatalf("keys after concurrent first signs: %+v, want one ES256 key", st.keys)
	}

	// A serving node's Init creates both, as before.
	served := &memStore{}
	if err := New(served, Options{Now: now}).Init(ctx); err != nil {
		t.Fatal(err)
	}
	if len(served.keys) != len(Algorithms) {
		t.Fatalf("Init created %d keys, want %d", len(served.keys), len(Algorithms))
	}
}
