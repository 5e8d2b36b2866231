package keys

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestRotationOverlap: a token signed before a rotation verifies until the
// old key's RetireAt and is refused after it, with a fake clock (J9, D6).
func TestRotationOverlap(t *testing.T) {
	m, st, clk := newManager(t)
	ctx := context.Background()
	claims := m.testClaims()
	claims["exp"] = clk.Now().Add(10 * time.Hour).Unix()
	old, err := m.Sign(ctx, ES256, claims)
	if err != nil {
		t.Fatal(err)
	}
	oldKID := activeKey(t, st, ES256).ID
	next, err := m.Rotate(ctx, ES256)
	if err != nil {
		t.Fatal(err)
	}
	if next.PrivateKeyPEM != "" || next.ID == oldKID {
		t.Fatalf("Rotate returned %+v", next)
	}
	fresh, _ := m.Sign(ctx, "", claims)
	steps := []struct {
		name      string
		advance   time.Duration
		oldValid  bool
		published []string
	}{
		{"right after rotation", 0, true, []string{oldKID, next.ID}},
		{"one second before retirement", 2*time.Hour - time.Second, true, []string{oldKID, next.ID}},
		{"at retirement", time.Second, false, []string{next.ID}},
		{"long after", 5 * time.Hour, false, []string{next.ID}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			clk.Advance(s.advance)
			_, err := m.Verify(ctx, old)
			if s.oldValid != (err == nil) {
				t.Fatalf("old token: err = %v, want valid=%v", err, s.oldValid)
			}
			if !s.oldValid && !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("old token after retirement: %v, want ErrUnknownKey", err)
			}
			if _, err := m.Verify(ctx, fresh); err != nil {
				t.Fatalf("token of the new key: %v", err)
			}
			set, _ := m.JWKS(ctx)
			pems, _ := m.PublicKeyPEMs(ctx)
			es := 0
			for _, k := range set.Keys {
				if k.Algorithm == ES256 {
					es++
					if _, ok := pems[k.KeyID]; !ok {
						t.Fatalf("kid %s in JWKS but not in PEMs", k.KeyID)
					}
				}
			}
			for _, kid := range s.published {
				if _, ok := pems[kid]; !ok {
					t.Fatalf("kid %s not published", kid)
				}
			}
			if es != len(s.published) || len(pems) != len(s.published)+1 {
				t.Fatalf("published %d ES256 keys, %d PEMs; want %v plus the RS256 key", es, len(pems), s.published)
			}
		})
	}
}

// TestRotationSeenByOtherNode: two Managers share one store, like two nodes
// on one PostgreSQL. A rotation on B is trusted by A at once (unknown kid
// reload) and used by A for signing within RefreshInterval.
func TestRotationSeenByOtherNode(t *testing.T) {
	a, st, clk := newManager(t)
	ctx := context.Background()
	b := New(st, Options{Now: clk.Now, Issuer: testIssuer})
	if err := b.Init(ctx); err != nil {
		t.Fatal(err)
	}
	next, err := b.Rotate(ctx, ES256)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := b.Sign(ctx, ES256, b.testClaims())
	if _, err := a.Verify(ctx, tok); err != nil {
		t.Fatalf("node A rejects node B's new key: %v", err)
	}
	clk.Advance(DefaultRefreshInterval)
	fromA, _ := a.Sign(ctx, ES256, a.testClaims())
	h, err := parseKID(fromA)
	if err != nil || h != next.ID {
		t.Fatalf("node A signs with %q after one interval, want %q", h, next.ID)
	}
}

// TestUnknownKIDReloadsAreBounded: a flood of random kids costs at most one
// storage load per RefreshInterval (J3: no unbounded refetch).
func TestUnknownKIDReloadsAreBounded(t *testing.T) {
	m, st, clk := newManager(t)
	ctx := context.Background()
	priv := privateKey(t, activeKey(t, st, ES256))
	before := st.lists.Load()
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			tok := forge(t, priv, fmt.Sprintf(`{"alg":"ES256","kid":"random-%d"}`, i), `{"exp":9999999999}`)
			if _, err := m.Verify(ctx, tok); !errors.Is(err, ErrUnknownKey) {
				t.Errorf("kid %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if n := st.lists.Load() - before; n != 1 {
		t.Fatalf("%d storage loads for 200 unknown kids in one interval, want 1", n)
	}
	clk.Advance(DefaultRefreshInterval)
	tok := forge(t, priv, `{"alg":"ES256","kid":"random-x"}`, `{"exp":9999999999}`)
	_, _ = m.Verify(ctx, tok)
	if n := st.lists.Load() - before; n > 3 {
		t.Fatalf("%d storage loads after two intervals, want at most 3", n)
	}
}

// TestInitConcurrentNodes: N nodes starting at once on an empty store agree
// on one key per algorithm (the losers of InsertSigningKey load the winner's).
func TestInitConcurrentNodes(t *testing.T) {
	st, clk := &memStore{}, newClock()
	ctx := context.Background()
	nodes := make([]*Manager, 8)
	var wg sync.WaitGroup
	for i := range nodes {
		nodes[i] = New(st, Options{Now: clk.Now})
		wg.Go(func() {
			if err := nodes[i].Init(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(st.keys) != 2 {
		t.Fatalf("%d keys stored, want one per algorithm", len(st.keys))
	}
	for _, alg := range Algorithms {
		tok, err := nodes[0].Sign(ctx, alg, nodes[0].testClaims())
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range nodes {
			if _, err := n.Verify(ctx, tok); err != nil {
				t.Fatalf("node %d rejects node 0's %s token: %v", i, alg, err)
			}
		}
	}
}

func parseKID(tok string) (string, error) {
	h, err := stricterHeader(tok)
	return h.Kid, err
}

// TestConcurrentSignVerify runs under -race: cached signers and the key
// cache are shared by every request goroutine.
func TestConcurrentSignVerify(t *testing.T) {
	m, _, clk := newManager(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			alg := Algorithms[i%2]
			for range 10 {
				tok, err := m.Sign(ctx, alg, m.testClaims())
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := m.Verify(ctx, tok); err != nil {
					t.Error(err)
				}
				if i == 0 {
					clk.Advance(DefaultRefreshInterval) // force reloads mid-flight
				}
			}
		})
	}
	wg.Wait()
}
