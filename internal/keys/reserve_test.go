package keys

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestReservedRSAKey: with an RSA key made in advance (PrepareRSA, as a
// starting node does while it migrates), a node's first JWKS after Start
// publishes the RS256 key it stored, tokens it signs verify, and the
// reserve is never handed out twice: nodes starting at once in one process
// each get a key of their own.
func TestReservedRSAKey(t *testing.T) {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	PrepareRSA()
	PrepareRSA() // a second call while one is in reserve adds nothing
	const nodes = 3
	stores := make([]*memStore, nodes)
	mgrs := make([]*Manager, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		stores[i] = &memStore{}
		mgrs[i] = New(stores[i], Options{Now: now})
		t.Cleanup(mgrs[i].Close)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = mgrs[i].Start(ctx)
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range nodes {
		if errs[i] != nil {
			t.Fatalf("node %d: %v", i, errs[i])
		}
		jwks, err := mgrs[i].JWKS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		k := activeKey(t, stores[i], RS256)
		if seen[k.PublicKeyPEM] {
			t.Fatalf("node %d got an RSA key another node has", i)
		}
		seen[k.PublicKeyPEM] = true
		published := false
		for _, j := range jwks.Keys {
			published = published || j.KeyID == k.ID
		}
		if !published {
			t.Fatalf("node %d: the first JWKS lacks the RS256 key", i)
		}
		tok, err := mgrs[i].Sign(ctx, RS256, map[string]any{"sub": "u", "exp": now().Add(time.Minute).Unix()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mgrs[i].Verify(ctx, tok); err != nil {
			t.Fatalf("node %d: RS256 token does not verify: %v", i, err)
		}
	}
}
