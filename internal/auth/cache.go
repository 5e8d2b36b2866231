package auth

import (
	"context"
	"sync"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Cache lifetimes. A tenant or application read by one node may be reused
// for this long: a change made through any node applies on every node within
// it (design.md: nodes hold no state that matters; issue #5: an application
// change through node A is in effect on node B within one second). Both are
// read by every login and refresh and change rarely, so one read per TTL per
// node replaces one per request; a change made through this node applies at
// once (ForgetTenant, ForgetApplication).
const (
	defaultTenantCacheTTL      = time.Second
	defaultApplicationCacheTTL = 500 * time.Millisecond
)

// ttlCache keeps recently read records by id. Ages are measured on the real
// monotonic clock, not Config.Now: the bound is about wall time between
// nodes, and tests freeze Config.Now. Errors are never cached, so ids that do
// not exist cannot fill it.
type ttlCache[T any] struct {
	ttl time.Duration // <= 0: no caching
	now func() time.Time

	mu sync.Mutex
	m  map[string]cached[T]
}

type cached[T any] struct {
	v    T
	read time.Time
}

func newCache[T any](ttl time.Duration) *ttlCache[T] {
	return &ttlCache[T]{ttl: ttl, now: time.Now, m: map[string]cached[T]{}}
}

// get returns the record, from the cache while younger than the TTL.
func (c *ttlCache[T]) get(ctx context.Context, id string, load func(context.Context, string) (T, error)) (T, error) {
	if c.ttl > 0 {
		c.mu.Lock()
		e, ok := c.m[id]
		c.mu.Unlock()
		if ok && c.now().Sub(e.read) < c.ttl {
			return e.v, nil
		}
	}
	read := c.now() // before the read: an entry never outlives the TTL past the data's age
	v, err := load(ctx, id)
	if err != nil || c.ttl <= 0 {
		return v, err
	}
	c.mu.Lock()
	c.m[id] = cached[T]{v: v, read: read}
	c.mu.Unlock()
	return v, nil
}

func (c *ttlCache[T]) forget(id string) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

// tenant returns the tenant through the cache.
// Sections a tenant was stored without read as FusionAuth's defaults
// (storage.Tenant.WithDefaults).
func (s *Service) tenant(ctx context.Context, id string) (storage.Tenant, error) {
	return s.tenants.get(ctx, id, func(ctx context.Context, id string) (storage.Tenant, error) {
		t, err := s.cfg.Store.GetTenant(ctx, id)
		return t.WithDefaults(), err
	})
}

// application returns the application through the cache.
func (s *Service) application(ctx context.Context, id string) (storage.Application, error) {
	return s.apps.get(ctx, id, s.cfg.Store.GetApplication)
}

// ForgetTenant drops a cached tenant so that a change made through this node
// applies to its next login at once (other nodes follow within the TTL).
// The tenant API handler calls it after UpdateTenant.
func (s *Service) ForgetTenant(id string) { s.tenants.forget(id) }

// ForgetApplication does the same for an application; the application API
// handlers call it after every change.
func (s *Service) ForgetApplication(id string) { s.apps.forget(id) }
