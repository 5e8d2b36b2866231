package auth

import (
	"context"
	"sync"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// defaultTenantCacheTTL bounds how long a tenant read by one node may be
// used: a change made through any node applies on every node within this
// time (design.md: nodes hold no state that matters). A tenant changes
// rarely and is read by every login and refresh, so one read per second per
// node replaces one per request.
const defaultTenantCacheTTL = time.Second

// tenantCache keeps recently read tenants. Ages are measured on the real
// monotonic clock, not Config.Now: the bound is about wall time between
// nodes, and tests freeze Config.Now.
type tenantCache struct {
	ttl time.Duration // <= 0: no caching
	now func() time.Time

	mu sync.Mutex
	m  map[string]cachedTenant
}

type cachedTenant struct {
	t    storage.Tenant
	read time.Time
}

func newTenantCache(ttl time.Duration) *tenantCache {
	return &tenantCache{ttl: ttl, now: time.Now, m: map[string]cachedTenant{}}
}

// tenant returns the tenant, from the cache while younger than the TTL.
// Errors are not cached: a missing tenant is looked up again next time.
func (s *Service) tenant(ctx context.Context, id string) (storage.Tenant, error) {
	c := s.tenants
	if c.ttl > 0 {
		c.mu.Lock()
		e, ok := c.m[id]
		c.mu.Unlock()
		if ok && c.now().Sub(e.read) < c.ttl {
			return e.t, nil
		}
	}
	read := c.now() // before the read: the entry never outlives TTL past the data's age
	t, err := s.cfg.Store.GetTenant(ctx, id)
	if err != nil || c.ttl <= 0 {
		return t, err
	}
	c.mu.Lock()
	c.m[id] = cachedTenant{t: t, read: read}
	c.mu.Unlock()
	return t, nil
}

// ForgetTenant drops a cached tenant so that a change made through this node
// applies to its next login at once (other nodes follow within the TTL).
// The tenant API handler should call it after UpdateTenant.
func (s *Service) ForgetTenant(id string) {
	s.tenants.mu.Lock()
	delete(s.tenants.m, id)
	s.tenants.mu.Unlock()
}
