package keys

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// gatedStore holds back the RS256 key's insert until open is closed, as a
// slow RSA key would, and can fail its first RS256 insert.
type gatedStore struct {
	*memStore
	open     chan struct{}
	release  func() // closes open
	mu       sync.Mutex
	failOnce bool
}

func newGatedStore(failOnce bool) *gatedStore {
	st := &gatedStore{memStore: &memStore{}, open: make(chan struct{}), failOnce: failOnce}
	st.release = sync.OnceFunc(func() { close(st.open) })
	return st
}

func (s *gatedStore) InsertSigningKey(ctx context.Context, k storage.SigningKey) error {
	if k.Algorithm == RS256 {
		select {
		case <-s.open:
		case <-ctx.Done():
			return ctx.Err()
		}
		s.mu.Lock()
		fail := s.failOnce
		s.failOnce = false
		s.mu.Unlock()
		if fail {
			return storage.ErrUnavailable
		}
	}
	return s.memStore.InsertSigningKey(ctx, k)
}

func newStarted(t *testing.T, st *gatedStore) *Manager {
	t.Helper()
	now := func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	m := New(st, Options{Now: now, Issuer: testIssuer})
	t.Cleanup(func() { st.release(); m.Close() })
	started := make(chan error, 1)
	go func() { started <- m.Start(context.Background()) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Start waited for the RS256 key")
	}
	return m
}

// TestStartPublishesRS256BeforeUse: Start returns while the RS256 key is
// still being made, and the node can sign ES256 at once; but no key set
// it shows (JWKS, PEMs) lacks the RS256 key, and an RS256 token is signed
// only once its key is stored and published: they wait for it.
func TestStartPublishesRS256BeforeUse(t *testing.T) {
	ctx := context.Background()
	st := newGatedStore(false)
	m := newStarted(t, st)
	if _, err := m.Sign(ctx, ES256, m.testClaims()); err != nil {
		t.Fatalf("ES256 while the RS256 key is being made: %v", err)
	}
	type signed struct {
		tok string
		err error
	}
	rs := make(chan signed, 1)
	go func() {
		tok, err := m.Sign(ctx, RS256, m.testClaims())
		rs <- signed{tok, err}
	}()
	jwks := make(chan []string, 1)
	go func() {
		set, err := m.JWKS(ctx)
		if err != nil {
			t.Error(err)
		}
		var algs []string
		for _, k := range set.Keys {
			algs = append(algs, k.Algorithm)
		}
		jwks <- algs
	}()
	select {
	case algs := <-jwks:
		t.Fatalf("JWKS answered %v before the RS256 key was stored", algs)
	case r := <-rs:
		t.Fatalf("RS256 sign answered before its key was stored: %v", r.err)
	case <-time.After(50 * time.Millisecond):
	}
	st.release() // the key is made and stored
	if algs := <-jwks; len(algs) != 2 {
		t.Fatalf("JWKS once the key is stored: %v, want ES256 and RS256", algs)
	}
	r := <-rs
	if r.err != nil {
		t.Fatal(r.err)
	}
	h, err := stricterHeader(r.tok)
	if err != nil {
		t.Fatal(err)
	}
	if k := activeKey(t, st.memStore, RS256); h.Kid != k.ID || h.Alg != RS256 {
		t.Fatalf("RS256 token header %+v, want the stored RS256 key %s", h, k.ID)
	}
	if _, err := m.Verify(ctx, r.tok); err != nil {
		t.Fatal(err)
	}
	pems, err := m.PublicKeyPEMs(ctx)
	if err != nil || len(pems) != 2 {
		t.Fatalf("PEMs: %d, %v", len(pems), err)
	}
}

// TestStartRetriesAFailedRS256Key: when storing the background key failed
// (the database did not answer), the first use that needs it makes it.
func TestStartRetriesAFailedRS256Key(t *testing.T) {
	ctx := context.Background()
	st := newGatedStore(true)
	m := newStarted(t, st)
	st.release() // the background insert fails, the retry's succeeds
	tok, err := m.Sign(ctx, RS256, m.testClaims())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	set, err := m.JWKS(ctx)
	if err != nil || len(set.Keys) != 2 {
		t.Fatalf("JWKS: %d keys, %v", len(set.Keys), err)
	}
}

// TestCloseStopsTheBackgroundKey: Close returns while the RS256 key is
// still pending (a node stopped right after its start), and nothing is
// stored after it (the next start makes the key).
func TestCloseStopsTheBackgroundKey(t *testing.T) {
	st := newGatedStore(false)
	m := newStarted(t, st)
	m.Close()
	st.memStore.mu.Lock()
	defer st.memStore.mu.Unlock()
	for _, k := range st.keys {
		if k.Algorithm == RS256 {
			t.Fatal("an RS256 key was stored after Close")
		}
	}
}

// downStore is a gatedStore whose database stops answering once the
// ES256 key is stored: Start's RS256 key and every retry of it fail, and so
// does every read of the key set.
type downStore struct {
	*gatedStore
	down atomic.Bool
}

func (s *downStore) InsertSigningKey(ctx context.Context, k storage.SigningKey) error {
	if k.Algorithm == RS256 {
		s.down.Store(true)
		return storage.ErrUnavailable
	}
	return s.gatedStore.InsertSigningKey(ctx, k)
}

func (s *downStore) ListSigningKeys(ctx context.Context, at time.Time) ([]storage.SigningKey, error) {
	if s.down.Load() {
		return nil, storage.ErrUnavailable
	}
	return s.gatedStore.ListSigningKeys(ctx, at)
}

// TestStartPublishesTheLastGoodSetWhileTheDatabaseIsDown: the database
// stops answering right after Start stored the ES256 key, so the RS256
// key is never stored. The node still signs ES256 from its cached set, and
// its JWKS and PEMs publish that set (the ES256 key) instead of failing,
// so resource servers can verify what it signs; RS256 signing fails, as no
// RS256 key exists.
func TestStartPublishesTheLastGoodSetWhileTheDatabaseIsDown(t *testing.T) {
	ctx := context.Background()
	st := &downStore{gatedStore: newGatedStore(false)}
	st.release()
	now := func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	m := New(st, Options{Now: now, Issuer: testIssuer})
	t.Cleanup(m.Close)
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	tok, err := m.Sign(ctx, ES256, m.testClaims())
	if err != nil {
		t.Fatalf("ES256 with the database down: %v", err)
	}
	if err := m.Ready(ctx); err == nil || !st.down.Load() {
		t.Fatalf("Ready with the database down: %v (RS256 insert tried: %v)", err, st.down.Load())
	}
	set, err := m.JWKS(ctx)
	if err != nil {
		t.Fatalf("JWKS with the database down: %v, want the last good set", err)
	}
	if len(set.Keys) != 1 || set.Keys[0].Algorithm != ES256 {
		t.Fatalf("JWKS with the database down: %+v, want the one ES256 key", set.Keys)
	}
	h, err := stricterHeader(tok)
	if err != nil {
		t.Fatal(err)
	}
	if set.Keys[0].KeyID != h.Kid {
		t.Fatalf("published kid %s, token signed with %s", set.Keys[0].KeyID, h.Kid)
	}
	pems, err := m.PublicKeyPEMs(ctx)
	if err != nil || len(pems) != 1 || pems[h.Kid] == "" {
		t.Fatalf("PEMs with the database down: %v, %v", pems, err)
	}
	if _, err := m.Sign(ctx, RS256, m.testClaims()); err == nil {
		t.Fatal("RS256 signed although no RS256 key was ever stored")
	}
	// A caller that gave up still gets its own context's error.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.JWKS(cctx); err == nil {
		t.Fatal("JWKS with a canceled context answered")
	}
}
