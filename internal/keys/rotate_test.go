package keys

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/jwtverify"
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
// on one PostgreSQL. A rotation on B is published by A within
// RefreshInterval, and from its ActivateAt both sign with it; a token B
// signs with it is trusted by A at once (unknown kid reload).
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
	clk.Advance(DefaultRefreshInterval)
	if pems, _ := a.PublicKeyPEMs(ctx); pems[next.ID] == "" {
		t.Fatal("node A does not publish node B's new key within one interval")
	}
	clk.Advance(DefaultPublishAhead)
	tok, _ := b.Sign(ctx, ES256, b.testClaims())
	if kid, _ := parseKID(tok); kid != next.ID {
		t.Fatalf("node B signs with %q after the key's activation, want %q", kid, next.ID)
	}
	if _, err := a.Verify(ctx, tok); err != nil {
		t.Fatalf("node A rejects node B's new key: %v", err)
	}
	fromA, _ := a.Sign(ctx, ES256, a.testClaims())
	if kid, err := parseKID(fromA); err != nil || kid != next.ID {
		t.Fatalf("node A signs with %q after the key's activation, want %q", kid, next.ID)
	}
}

// TestRotationPublishesBeforeSigning: a rotated-in key is in the JWKS at
// once but signs only PublishAhead later, on every node: a resource server
// that refetches its JWKS at any point of that window already knows the key
// when the first token signed with it arrives (security-bar D6).
func TestRotationPublishesBeforeSigning(t *testing.T) {
	m, st, clk := newManager(t, func(o *Options) { o.PublishAhead = 10 * time.Minute })
	ctx := context.Background()
	oldKID := activeKey(t, st, ES256).ID
	next, err := m.Rotate(ctx, ES256)
	if err != nil {
		t.Fatal(err)
	}
	signsWith := func() string {
		tok, err := m.Sign(ctx, ES256, m.testClaims())
		if err != nil {
			t.Fatal(err)
		}
		kid, _ := parseKID(tok)
		return kid
	}
	if pems, _ := m.PublicKeyPEMs(ctx); pems[next.ID] == "" || pems[oldKID] == "" {
		t.Fatalf("right after the rotation the JWKS lacks a key: %v", pems)
	}
	if kid := signsWith(); kid != oldKID {
		t.Fatalf("signs with %s right after the rotation, want the old key until activation", kid)
	}
	clk.Advance(10*time.Minute - time.Millisecond)
	if kid := signsWith(); kid != oldKID {
		t.Fatal("the new key signed before its activation")
	}
	clk.Advance(time.Millisecond)
	if kid := signsWith(); kid != next.ID {
		t.Fatalf("signs with %s at the activation, want the new key", kid)
	}
}

// TestRetiredKeyOutlivesLongestToken: the replaced key stays published
// until the longest token it can have signed has expired, however long the
// configured lifetimes are (not a fixed 24 h); a token that would outlive
// it is signed with the new key, published since the rotation.
func TestRetiredKeyOutlivesLongestToken(t *testing.T) {
	longest := 48 * time.Hour
	m, st, clk := newManager(t, func(o *Options) {
		o.PublishAhead = 10 * time.Minute
		o.LongestTokenLifetime = func(context.Context) (time.Duration, error) { return longest, nil }
	})
	ctx := context.Background()
	oldKID := activeKey(t, st, ES256).ID
	next, err := m.Rotate(ctx, ES256)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(10*time.Minute - time.Second) // the last moment the old key signs
	claims := m.testClaims()
	claims["exp"] = clk.Now().Add(longest).Unix()
	last, err := m.Sign(ctx, ES256, claims)
	if err != nil {
		t.Fatal(err)
	}
	if kid, _ := parseKID(last); kid != oldKID {
		t.Fatalf("signed with %s before the activation", kid)
	}
	clk.Advance(longest - time.Second)
	if _, err := m.Verify(ctx, last); err != nil {
		t.Fatalf("the old key's last token, at the end of its lifetime: %v", err)
	}
	clk.Advance(2 * retireMargin)
	if pems, _ := m.PublicKeyPEMs(ctx); pems[oldKID] != "" || pems[next.ID] == "" {
		t.Fatalf("after every token of the old key expired, published %v", pems)
	}

	// A lifetime raised after the rotation: a token that would outlive the
	// old key's retirement is signed with the new one.
	m2, st2, clk2 := newManager(t, func(o *Options) { o.PublishAhead = 10 * time.Minute })
	oldKID2 := activeKey(t, st2, ES256).ID
	next2, err := m2.Rotate(ctx, ES256)
	if err != nil {
		t.Fatal(err)
	}
	claims = m2.testClaims()
	claims["exp"] = clk2.Now().Add(3 * time.Hour).Unix() // beyond the old key's 2 h retirement
	long, _ := m2.Sign(ctx, ES256, claims)
	short, _ := m2.Sign(ctx, ES256, m2.testClaims())
	if kid, _ := parseKID(long); kid != next2.ID {
		t.Fatalf("a token outliving the old key was signed with %s, want the new key", kid)
	}
	if kid, _ := parseKID(short); kid != oldKID2 {
		t.Fatalf("an ordinary token was signed with %s before the activation", kid)
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

// TestPublishAheadOutlastsVerifierCaches: a new key is published longer
// before it signs than a jwtverify resource server with its defaults can go
// without refetching the JWKS, whether it refetches for an unknown kid
// (MinRefetchInterval) or for age (MaxKeySetAge): the defaults of the two
// sides are consistent, so a rotation refuses no valid token.
func TestPublishAheadOutlastsVerifierCaches(t *testing.T) {
	if DefaultPublishAhead <= jwtverify.DefaultMinRefetchInterval || DefaultPublishAhead <= jwtverify.DefaultMaxKeySetAge {
		t.Fatalf("keys publish %v ahead; jwtverify refetches after %v (unknown kid) and %v (age)",
			DefaultPublishAhead, jwtverify.DefaultMinRefetchInterval, jwtverify.DefaultMaxKeySetAge)
	}
	if DefaultRetireAfter < time.Hour {
		t.Fatalf("a replaced key is published for %v; nodes may keep a key set up to an hour (config.MaxCacheTTL)", DefaultRetireAfter)
	}
}
