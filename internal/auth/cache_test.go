package auth

import (
	"errors"
	"testing"
	"time"
)

// A tenant change (here: lockout switched off) reaches logins on this node
// no later than the cache TTL, at once after ForgetTenant, and at once when
// caching is off. The cache's clock is advanced, never slept on.
func TestTenantCacheBoundsStaleness(t *testing.T) {
	tests := []struct {
		name       string
		ttl        time.Duration
		forget     bool
		advance    time.Duration
		wantLocked bool // the stale tenant (lockout on) was still used
	}{
		{name: "within the TTL the cached tenant is used", advance: 999 * time.Millisecond, wantLocked: true},
		{name: "after the TTL the change applies", advance: time.Second},
		{name: "ForgetTenant applies it at once", forget: true},
		{name: "negative TTL never caches", ttl: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			wall := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
			e.svc.cfg.TenantCacheTTL = tt.ttl // 0: the default
			e.svc.newCaches(wall.Now)
			fail := func() error {
				_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: "wrong", ApplicationID: appID})
				return err
			}
			wantErr(t, fail(), ErrInvalidCredentials) // caches the tenant: 3 failures lock
			ten, err := e.store.GetTenant(e.ctx, tenantID)
			must(t, err)
			ten.FailedAuthenticationConfiguration.Enabled = false
			must(t, e.store.UpdateTenant(e.ctx, ten))
			if tt.forget {
				e.svc.ForgetTenant(tenantID)
			}
			wall.Advance(tt.advance)
			wantErr(t, fail(), ErrInvalidCredentials)
			wantErr(t, fail(), ErrInvalidCredentials)
			var locked *LockedError
			if got := errors.As(fail(), &locked); got != tt.wantLocked {
				t.Fatalf("locked after 4 failures = %v, want %v", got, tt.wantLocked)
			}
		})
	}
}

// An application change made on another node (here: deactivated, written
// straight to storage) reaches refreshes on this node no later than the
// application cache's TTL, and at once after ForgetApplication.
func TestApplicationCacheBoundsStaleness(t *testing.T) {
	tests := []struct {
		name      string
		forget    bool
		advance   time.Duration
		wantStale bool // the cached, still-active application was used
	}{
		{name: "within the TTL the cached application is used", advance: defaultApplicationCacheTTL - time.Millisecond, wantStale: true},
		{name: "after the TTL the change applies", advance: defaultApplicationCacheTTL},
		{name: "ForgetApplication applies it at once", forget: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			wall := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
			e.svc.newCaches(wall.Now)
			tok := e.login() // caches the application
			a, err := e.store.GetApplication(e.ctx, appID)
			must(t, err)
			a.Active, a.State = false, "Inactive"
			must(t, e.store.UpdateApplication(e.ctx, a))
			if tt.forget {
				e.svc.ForgetApplication(appID)
			}
			wall.Advance(tt.advance)
			_, err = e.refresh(tok.RefreshToken)
			if stale := err == nil; stale != tt.wantStale {
				t.Fatalf("refresh with the application deactivated: err = %v, want stale use = %v", err, tt.wantStale)
			}
			if !tt.wantStale {
				wantErr(t, err, ErrRefreshNotFound)
			}
		})
	}
}
