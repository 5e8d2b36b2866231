package auth

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/internal/cache"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Cache lifetimes (internal/cache/doc.go lists every freshness bound). Both
// records are read by every login and refresh and change rarely, so one read
// per TTL per node replaces one per request. A change applies on this node
// at once (the API handlers call ForgetTenant/ForgetApplication), on the
// other nodes at once with PostgreSQL's change feed, and within the TTL
// when that feed is down (issue #5: within one second).
const (
	defaultTenantCacheTTL      = time.Second
	defaultApplicationCacheTTL = 500 * time.Millisecond
	// KeepLastGood bounds how long past its TTL a tenant or application is
	// still used while the database does not answer. Such a request fails at
	// its next storage call anyway; the bound only keeps the caches from
	// turning a blip into errors on paths that need nothing else.
	keepLastGood = time.Minute
)

// newCaches builds the tenant and application caches. Ages are measured on
// now (the real monotonic clock in production), never on Config.Now: the
// bound is about wall time between nodes, and tests freeze Config.Now.
func (s *Service) newCaches(now func() time.Time) {
	opts := func(ttl time.Duration) cache.Options {
		return cache.Options{TTL: ttl, KeepLastGood: keepLastGood, Transient: storage.Transient, Now: now}
	}
	s.tenants = cache.New(func(ctx context.Context, id string) (storage.Tenant, error) {
		t, err := s.cfg.Store.GetTenant(ctx, id)
		return t.WithDefaults(), err
	}, opts(orDefault(s.cfg.TenantCacheTTL, defaultTenantCacheTTL)))
	s.apps = cache.New(s.cfg.Store.GetApplication, opts(orDefault(s.cfg.ApplicationCacheTTL, defaultApplicationCacheTTL)))
	s.lambdas = cache.New(s.cfg.Store.GetLambda, opts(orDefault(s.cfg.ApplicationCacheTTL, defaultApplicationCacheTTL)))
	s.groupGrants = cache.New(s.cfg.Store.GroupRolesOf, opts(orDefault(s.cfg.ApplicationCacheTTL, defaultApplicationCacheTTL)))
}

// tenant returns the tenant through the cache; sections a tenant was stored
// without read as FusionAuth's defaults (storage.Tenant.WithDefaults).
func (s *Service) tenant(ctx context.Context, id string) (storage.Tenant, error) {
	return s.tenants.Get(ctx, id)
}

// application returns the application through the cache.
func (s *Service) application(ctx context.Context, id string) (storage.Application, error) {
	return s.apps.Get(ctx, id)
}

// Application is the application read through this node's cache, for the
// HTTP layer's OAuth client authentication (every /oauth2/token request):
// a change made through this node applies at once (ForgetApplication),
// one made elsewhere through the change feed, within the TTL at worst.
func (s *Service) Application(ctx context.Context, id string) (storage.Application, error) {
	return s.application(ctx, id)
}

// ForgetTenant drops a cached tenant so that a change applies to this
// node's next request at once. The tenant API handler calls it after
// UpdateTenant; the change feed calls it for changes made elsewhere.
func (s *Service) ForgetTenant(id string) { s.tenants.Forget(id) }

// ForgetApplication does the same for an application and the roles groups
// grant in it; the application, role and group API handlers call it after
// every change (the change feed announces a group role change as one of its
// application).
func (s *Service) ForgetApplication(id string) {
	s.apps.Forget(id)
	s.groupGrants.Forget(id)
}

// ForgetAll drops every cached tenant, application and lambda: the change feed calls
// it when changes may have been missed (its connection was down).
func (s *Service) ForgetAll() {
	s.tenants.ForgetAll()
	s.apps.ForgetAll()
	s.lambdas.ForgetAll()
	s.groupGrants.ForgetAll()
}
