package auth

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Every expiration policy under both usage policies, with the expiry edges
// just before, at and after. defaultWorld: TTL 60 min, maximum lifetime 90 min.
func TestRefreshExpiryPolicies(t *testing.T) {
	type step struct {
		at      time.Duration // since login
		ok      bool
		expires time.Duration // since login, when ok
	}
	const ms = time.Millisecond
	policies := []struct {
		policy string
		steps  []step
	}{
		{policyFixed, []step{
			{at: 30 * time.Minute, ok: true, expires: 60 * time.Minute},
			{at: 60*time.Minute - ms, ok: true, expires: 60 * time.Minute},
			{at: 60 * time.Minute, ok: false},
		}},
		{policyFixed, []step{{at: 60*time.Minute + ms, ok: false}}},
		{policySliding, []step{
			{at: 30 * time.Minute, ok: true, expires: 90 * time.Minute},
			{at: 90*time.Minute - ms, ok: true, expires: 150*time.Minute - ms},
			{at: 150*time.Minute - ms, ok: false},
		}},
		{policySliding, []step{{at: 60*time.Minute - ms, ok: true, expires: 120*time.Minute - ms}, {at: 120*time.Minute + ms, ok: false}}},
		{policySlidingWithMax, []step{
			{at: 10 * time.Minute, ok: true, expires: 70 * time.Minute},
			{at: 50 * time.Minute, ok: true, expires: 90 * time.Minute}, // capped: 110 > 90
			{at: 90*time.Minute - ms, ok: true, expires: 90 * time.Minute},
			{at: 90 * time.Minute, ok: false},
		}},
		{policySlidingWithMax, []step{{at: 60 * time.Minute, ok: false}}}, // unused: the sliding part expires
	}
	for _, usage := range []string{usageReusable, usageOneTimeUse} {
		for i, p := range policies {
			t.Run(fmt.Sprintf("%s/%s/%d", usage, p.policy, i), func(t *testing.T) {
				e := newEnv(t, func(w *world) {
					w.tenant.JWTConfiguration.RefreshTokenExpirationPolicy = p.policy
					w.tenant.JWTConfiguration.RefreshTokenUsagePolicy = usage
				})
				start := e.clock.Now()
				tok := e.login()
				if want := map[string]time.Duration{policyFixed: 60 * time.Minute, policySliding: 60 * time.Minute,
					policySlidingWithMax: 60 * time.Minute}[p.policy]; !tok.RefreshExpiresAt.Equal(start.Add(want)) {
					t.Fatalf("login RefreshExpiresAt = %v, want start+%v", tok.RefreshExpiresAt.Sub(start), want)
				}
				value := tok.RefreshToken
				for j, s := range p.steps {
					e.clock.Advance(start.Add(s.at).Sub(e.clock.Now()))
					got, err := e.refresh(value)
					if !s.ok {
						wantErr(t, err, ErrRefreshNotFound)
						continue
					}
					must(t, err)
					if !got.RefreshExpiresAt.Equal(start.Add(s.expires)) {
						t.Fatalf("step %d: expires start+%v, want start+%v", j, got.RefreshExpiresAt.Sub(start), s.expires)
					}
					if rec := e.record(tok.RefreshTokenID); !rec.ExpiresAt.Equal(start.Add(s.expires)) {
						t.Fatalf("step %d: stored expiry start+%v, want start+%v", j, rec.ExpiresAt.Sub(start), s.expires)
					}
					if (got.RefreshToken == value) != (usage == usageReusable) {
						t.Fatalf("step %d: value rotated = %v under %s", j, got.RefreshToken != value, usage)
					}
					value = got.RefreshToken
				}
			})
		}
	}
}

// The precedence rules of fusionauth-api.md §6.5.
func TestResolveSettings(t *testing.T) {
	base := defaultWorld()
	tests := []struct {
		name  string
		edit  func(*world)
		check func(settings) bool
	}{
		{"tenant applies when app config disabled", func(w *world) {
			w.app.JWTConfiguration.TimeToLiveInSeconds = 10 // ignored: not enabled
		}, func(s settings) bool { return s.AccessTTL == 300*time.Second && s.Alg == "ES256" }},
		{"enabled app config wins", func(w *world) {
			w.app.JWTConfiguration = appJWT(true, 10, 5, policySliding, usageOneTimeUse, "RS256")
		}, func(s settings) bool {
			return s.AccessTTL == 10*time.Second && s.RefreshTTL == 5*time.Minute && s.Expiration == policySliding &&
				s.Usage == usageOneTimeUse && s.Alg == "RS256"
		}},
		{"app grace overrides tenant even when disabled", func(w *world) {
			w.tenant.JWTConfiguration.RefreshTokenOneTimeUseConfiguration.GracePeriodInSeconds = 5
			w.app.JWTConfiguration.RefreshTokenOneTimeUseConfiguration.GracePeriodInSeconds = 30
		}, func(s settings) bool { return s.Grace == 30*time.Second }},
		{"tenant grace when app grace is 0", func(w *world) {
			w.tenant.JWTConfiguration.RefreshTokenOneTimeUseConfiguration.GracePeriodInSeconds = 5
			w.app.JWTConfiguration = appJWT(true, 10, 5, policyFixed, usageOneTimeUse, "")
		}, func(s settings) bool { return s.Grace == 5*time.Second }},
		{"empty values fall back to FusionAuth defaults", func(w *world) {
			w.tenant.JWTConfiguration = storage.TenantJWTConfiguration{}
		}, func(s settings) bool {
			return s.AccessTTL == time.Hour && s.RefreshTTL == 43200*time.Minute && s.Expiration == policyFixed &&
				s.Usage == usageReusable && s.Alg == "ES256"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := base
			tc.edit(&w)
			if s := resolveSettings(w.tenant, w.app); !tc.check(s) {
				t.Fatalf("settings = %+v", s)
			}
		})
	}
}

func appJWT(enabled bool, ttlSec, refreshMin int, exp, usage, alg string) storage.ApplicationJWTConfig {
	return storage.ApplicationJWTConfig{Enabled: enabled, TimeToLiveInSeconds: ttlSec,
		RefreshTokenTimeToLiveInMinutes: refreshMin, RefreshTokenExpirationPolicy: exp,
		RefreshTokenUsagePolicy: usage, SigningAlgorithm: alg}
}

// Under the Fixed policy a refresh keeps the expiry it read (storage then
// leaves it unwritten); an administrator who changes the refresh TTL (the
// tenant API forgets the cached tenant) moves it at the next refresh to
// start + the new TTL, longer or shorter, under both usage policies,
// and the janitor goes by the expiry stored: not purged past the old one,
// refused and purged past the new one.
func TestFixedExpiryFollowsAChangedTTL(t *testing.T) {
	for _, usage := range []string{usageReusable, usageOneTimeUse} {
		t.Run(usage, func(t *testing.T) {
			e := newEnv(t, func(w *world) { w.tenant.JWTConfiguration.RefreshTokenUsagePolicy = usage })
			start := e.clock.Now()
			tok := e.login()
			value := tok.RefreshToken
			step := func(at, wantExpires time.Duration) {
				t.Helper()
				e.clock.Advance(start.Add(at).Sub(e.clock.Now()))
				got, err := e.refresh(value)
				must(t, err)
				if !got.RefreshExpiresAt.Equal(start.Add(wantExpires)) {
					t.Fatalf("at start+%v: expires start+%v, want start+%v", at, got.RefreshExpiresAt.Sub(start), wantExpires)
				}
				if rec := e.record(tok.RefreshTokenID); !rec.ExpiresAt.Equal(start.Add(wantExpires)) {
					t.Fatalf("at start+%v: stored expiry start+%v, want start+%v", at, rec.ExpiresAt.Sub(start), wantExpires)
				}
				value = got.RefreshToken
			}
			step(10*time.Minute, 60*time.Minute)
			step(20*time.Minute, 60*time.Minute)
			ten, err := e.store.GetTenant(e.ctx, tenantID)
			must(t, err)
			ten.JWTConfiguration.RefreshTokenTimeToLiveInMinutes = 120
			must(t, e.store.UpdateTenant(e.ctx, ten))
			e.svc.ForgetTenant(tenantID) // as the tenant API does
			step(30*time.Minute, 120*time.Minute)
			step(40*time.Minute, 120*time.Minute)
			e.clock.Advance(start.Add(90 * time.Minute).Sub(e.clock.Now()))
			e.janitorPass()
			step(90*time.Minute, 120*time.Minute)
			ten, err = e.store.GetTenant(e.ctx, tenantID) // the write above raised its revision
			must(t, err)
			ten.JWTConfiguration.RefreshTokenTimeToLiveInMinutes = 100
			must(t, e.store.UpdateTenant(e.ctx, ten))
			e.svc.ForgetTenant(tenantID)
			step(95*time.Minute, 100*time.Minute)
			e.clock.Advance(start.Add(101 * time.Minute).Sub(e.clock.Now()))
			_, err = e.refresh(value)
			wantErr(t, err, ErrRefreshNotFound)
			e.janitorPass()
			if _, err := e.store.GetRefreshToken(e.ctx, tok.RefreshTokenID); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("the family after its new expiry and a janitor pass: %v, want ErrNotFound", err)
			}
		})
	}
}

// A family whose stored expiry was computed under SlidingWindow, refreshed
// after the tenant switched to Fixed past start + TTL, is refused as
// expired, under both usage policies, and nothing of it changes: before,
// the refresh was answered with a new token whose expiry (start + TTL)
// had passed already.
func TestPolicyChangedToFixedRefusesWhatFixedExpired(t *testing.T) {
	for _, usage := range []string{usageReusable, usageOneTimeUse} {
		t.Run(usage, func(t *testing.T) {
			e := newEnv(t, func(w *world) {
				w.tenant.JWTConfiguration.RefreshTokenExpirationPolicy = policySliding
				w.tenant.JWTConfiguration.RefreshTokenUsagePolicy = usage
			})
			start := e.clock.Now()
			tok := e.login()
			value := tok.RefreshToken
			for _, at := range []time.Duration{50 * time.Minute, 100 * time.Minute} {
				e.clock.Advance(start.Add(at).Sub(e.clock.Now()))
				got, err := e.refresh(value)
				must(t, err)
				value = got.RefreshToken
			}
			before := e.record(tok.RefreshTokenID)
			if !before.ExpiresAt.Equal(start.Add(160 * time.Minute)) {
				t.Fatalf("sliding expiry after the refresh at start+100m: start+%v", before.ExpiresAt.Sub(start))
			}
			ten, err := e.store.GetTenant(e.ctx, tenantID)
			must(t, err)
			ten.JWTConfiguration.RefreshTokenExpirationPolicy = policyFixed
			must(t, e.store.UpdateTenant(e.ctx, ten))
			e.svc.ForgetTenant(tenantID) // as the tenant API does
			e.clock.Advance(time.Minute)
			got, err := e.refresh(value)
			if !errors.Is(err, ErrRefreshNotFound) {
				t.Fatalf("refresh at start+101m under Fixed (expired at start+60m): %v, expires start+%v; want refused", err, got.RefreshExpiresAt.Sub(start))
			}
			if after := e.record(tok.RefreshTokenID); !after.ExpiresAt.Equal(before.ExpiresAt) || !after.LastUsedAt.Equal(before.LastUsedAt) ||
				!after.RevokedAt.IsZero() || after.Generation != before.Generation {
				t.Fatalf("the refused family changed: %+v, was %+v", after, before)
			}
		})
	}
}

// A SlidingWindow family whose lifetime the administrator shortened is
// refused once its last use plus the new lifetime has passed, though its
// stored expiry (last use plus the old one) has not; nothing of it changes.
func TestShortenedSlidingLifetimeRefusesWhatItExpired(t *testing.T) {
	e := newEnv(t, func(w *world) { w.tenant.JWTConfiguration.RefreshTokenExpirationPolicy = policySliding })
	start := e.clock.Now()
	tok := e.login()
	e.clock.Advance(10 * time.Minute)
	got, err := e.refresh(tok.RefreshToken)
	must(t, err)
	before := e.record(tok.RefreshTokenID)
	if !before.ExpiresAt.Equal(start.Add(70 * time.Minute)) {
		t.Fatalf("stored expiry after the refresh at start+10m: start+%v", before.ExpiresAt.Sub(start))
	}
	ten, err := e.store.GetTenant(e.ctx, tenantID)
	must(t, err)
	ten.JWTConfiguration.RefreshTokenTimeToLiveInMinutes = 30
	must(t, e.store.UpdateTenant(e.ctx, ten))
	e.svc.ForgetTenant(tenantID)
	e.clock.Advance(35 * time.Minute) // start+45m: last use + 30m has passed, last use + 60m has not
	if _, err := e.refresh(got.RefreshToken); !errors.Is(err, ErrRefreshNotFound) {
		t.Fatalf("refresh 35m after the last use under a 30m lifetime: %v; want refused", err)
	}
	if after := e.record(tok.RefreshTokenID); !after.ExpiresAt.Equal(before.ExpiresAt) || after.Generation != before.Generation || !after.RevokedAt.IsZero() {
		t.Fatalf("the refused family changed: %+v, was %+v", after, before)
	}
}
