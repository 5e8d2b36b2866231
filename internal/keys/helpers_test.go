package keys

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/jwttest"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/jwtverify/strictjwt"
)

// memStore is an in-memory storage.SigningKeyStore with the contract's
// semantics (one active key per algorithm, ErrConflict otherwise). lists
// counts ListSigningKeys calls so tests can prove reloads are bounded.
type memStore struct {
	mu    sync.Mutex
	keys  []storage.SigningKey
	lists atomic.Int64
	down  atomic.Bool // ListSigningKeys answers ErrUnavailable, as a stopped database
}

func (s *memStore) InsertSigningKey(_ context.Context, k storage.SigningKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.keys {
		if e.ID == k.ID || (e.Algorithm == k.Algorithm && e.State == "active") {
			return storage.ErrConflict
		}
	}
	s.keys = append(s.keys, k)
	return nil
}

func (s *memStore) RotateSigningKey(_ context.Context, next storage.SigningKey, retireOldAt time.Time, _ ...storage.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range s.keys {
		if e.Algorithm == next.Algorithm && e.State == "active" {
			s.keys[i].State, s.keys[i].RetireAt = "retiring", retireOldAt
		}
	}
	s.keys = append(s.keys, next)
	return nil
}

// RotateSigningKeyWith rotates; this store keeps no outbox, so messages
// are dropped (the conformance suite tests that they commit).
func (s *memStore) RotateSigningKeyWith(ctx context.Context, r storage.KeyRotation) error {
	return s.RotateSigningKey(ctx, r.Next, r.RetireOldAt)
}

func (s *memStore) ListSigningKeys(_ context.Context, now time.Time) ([]storage.SigningKey, error) {
	s.lists.Add(1)
	if s.down.Load() {
		return nil, storage.ErrUnavailable
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storage.SigningKey
	for _, k := range s.keys {
		if k.RetireAt.IsZero() || now.Before(k.RetireAt) {
			out = append(out, k)
		}
	}
	return out, nil
}

// clock is a fake, settable clock: tests move time instead of sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const testIssuer = "https://login.example.test"

// newManager returns an initialised Manager on a fresh store, its key set
// cached on the returned clock. Its rotations sign at once (PublishAhead
// < 0, an emergency rotation) unless a test asks for publishing ahead.
func newManager(t testing.TB, edit ...func(*Options)) (*Manager, *memStore, *clock) {
	t.Helper()
	st, clk := &memStore{}, newClock()
	o := Options{Now: clk.Now, Issuer: testIssuer, RetireAfter: 2 * time.Hour, PublishAhead: -1}
	for _, e := range edit {
		e(&o)
	}
	m := New(st, o)
	m.newCache(clk.Now) // the cache ages on the test's clock too
	if err := m.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m, st, clk
}

func (m *Manager) testClaims() map[string]any {
	now := m.opts.Now().Unix()
	return map[string]any{"sub": "u1", "iss": testIssuer, "aud": "app", "iat": now, "exp": now + 300}
}

// activeKey returns the store record of the active key of alg.
func activeKey(t testing.TB, st *memStore, alg string) storage.SigningKey {
	t.Helper()
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, k := range st.keys {
		if k.Algorithm == alg && k.State == "active" {
			return k
		}
	}
	t.Fatalf("no active %s key", alg)
	return storage.SigningKey{}
}

func privateKey(t testing.TB, k storage.SigningKey) crypto.Signer {
	t.Helper()
	b, _ := pem.Decode([]byte(k.PrivateKeyPEM))
	p, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return p.(crypto.Signer)
}

var enc = base64.RawURLEncoding

// forge signs raw header and payload JSON with a real key (jwttest.Forge).
var forge = jwttest.Forge

func stricterHeader(tok string) (strictjwt.Header, error) {
	return strictjwt.ParseHeader(tok, Algorithms)
}
