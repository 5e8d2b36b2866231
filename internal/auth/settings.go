package auth

import (
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Refresh token policies (FusionAuth enum values, fusionauth-api.md §6.1).
const (
	policyFixed          = "Fixed"
	policySliding        = "SlidingWindow"
	policySlidingWithMax = "SlidingWindowWithMaximumLifetime"
	usageReusable        = "Reusable"
	usageOneTimeUse      = "OneTimeUse"
	defaultAccessTTL     = 3600 * time.Second  // tenant default timeToLiveInSeconds
	defaultRefreshTTL    = 43200 * time.Minute // tenant default refreshTokenTimeToLiveInMinutes
	defaultMaxLifetime   = 43200 * time.Minute // maximumTimeToLiveInMinutes default
	defaultAlg           = "ES256"
	defaultLockThreshold = 5
	defaultLockWindow    = 60 * time.Second
	defaultLockDuration  = 3 * time.Minute
)

// DefaultRetryWindow is how long the previous value of a OneTimeUse refresh
// token is still answered with its successor when neither the application
// nor the tenant sets refreshTokenOneTimeUseConfiguration.gracePeriodInSeconds
// (FusionAuth's default 0 means "no grace"; latchkey's 0 means this window).
// It covers concurrent refreshes of one cookie by several tabs, browsers or
// FusionAuth clients that do not serialize them, and the retry of a rotation
// whose answer was lost (node killed after the commit, proxy or client
// timeout: the request deadline is 15 s and the HTTP write timeout 30 s).
// docs/decisions.md "A retry window by default" explains why this is safe.
const DefaultRetryWindow = 60 * time.Second

// settings are the token rules in force for one application.
type settings struct {
	AccessTTL   time.Duration
	RefreshTTL  time.Duration
	Expiration  string // policyFixed | policySliding | policySlidingWithMax
	Usage       string // usageReusable | usageOneTimeUse
	MaxLifetime time.Duration
	Grace       time.Duration
	Alg         string
	// AccessKeyID and IDKeyID are the application's accessTokenKeyId and
	// idTokenKeyId (when its jwtConfiguration is enabled): their keys'
	// algorithm signs (keys.Manager.SignAs).
	AccessKeyID, IDKeyID string
}

// resolveSettings applies FusionAuth's precedence (fusionauth-api.md §6.5):
// application.jwtConfiguration is used only when enabled, otherwise the
// tenant's; the application's grace period overrides the tenant's when > 0
// (FusionAuth issue #2952), and when neither sets one the grace period is
// DefaultRetryWindow, not FusionAuth's "none". Zero values fall back to FusionAuth's defaults so
// that a half-filled record never yields a token that expires at issue.
func resolveSettings(t storage.Tenant, a storage.Application) settings {
	tj := t.JWTConfiguration
	s := settings{
		AccessTTL:   storage.Lifetime(tj.TimeToLiveInSeconds, time.Second),
		RefreshTTL:  storage.Lifetime(tj.RefreshTokenTimeToLiveInMinutes, time.Minute),
		Expiration:  tj.RefreshTokenExpirationPolicy,
		Usage:       tj.RefreshTokenUsagePolicy,
		MaxLifetime: storage.Lifetime(tj.RefreshTokenSlidingWindowConfiguration.MaximumTimeToLiveInMinutes, time.Minute),
		Grace:       storage.Lifetime(tj.RefreshTokenOneTimeUseConfiguration.GracePeriodInSeconds, time.Second),
		Alg:         tj.SigningAlgorithm,
	}
	if aj := a.JWTConfiguration; aj.Enabled {
		s.AccessTTL = storage.Lifetime(aj.TimeToLiveInSeconds, time.Second)
		s.RefreshTTL = storage.Lifetime(aj.RefreshTokenTimeToLiveInMinutes, time.Minute)
		s.Expiration = aj.RefreshTokenExpirationPolicy
		s.Usage = aj.RefreshTokenUsagePolicy
		s.MaxLifetime = storage.Lifetime(aj.RefreshTokenSlidingWindowConfiguration.MaximumTimeToLiveInMinutes, time.Minute)
		s.Alg = aj.SigningAlgorithm
		s.AccessKeyID, s.IDKeyID = aj.AccessTokenKeyID, aj.IDTokenKeyID
	}
	if g := a.JWTConfiguration.RefreshTokenOneTimeUseConfiguration.GracePeriodInSeconds; g > 0 {
		s.Grace = storage.Lifetime(g, time.Second)
	}
	if s.AccessTTL <= 0 {
		s.AccessTTL = defaultAccessTTL
	}
	if s.RefreshTTL <= 0 {
		s.RefreshTTL = defaultRefreshTTL
	}
	if s.MaxLifetime <= 0 {
		s.MaxLifetime = defaultMaxLifetime
	}
	switch s.Expiration {
	case policySliding, policySlidingWithMax:
	default:
		s.Expiration = policyFixed
	}
	if s.Usage != usageOneTimeUse {
		s.Usage = usageReusable
	}
	if s.Grace <= 0 {
		s.Grace = DefaultRetryWindow
	}
	if s.Alg == "" {
		s.Alg = defaultAlg
	}
	return s
}

// refreshExpiry is the effective expiry of a refresh token started at start
// and last used at lastUse (fusionauth-api.md §10.3). Fixed ignores use;
// SlidingWindow moves with use; the maximum-lifetime variant slides but is
// capped at start+MaxLifetime, so rotation never extends the absolute lifetime.
func (s settings) refreshExpiry(start, lastUse time.Time) time.Time {
	switch s.Expiration {
	case policySliding:
		return lastUse.Add(s.RefreshTTL)
	case policySlidingWithMax:
		exp := lastUse.Add(s.RefreshTTL)
		if limit := start.Add(s.MaxLifetime); limit.Before(exp) {
			exp = limit
		}
		return exp
	default:
		return start.Add(s.RefreshTTL)
	}
}

// lockoutPolicy converts tenant.failedAuthenticationConfiguration into the
// storage counter's terms. ok is false when lockout is disabled.
func lockoutPolicy(c storage.FailedAuthenticationConfiguration) (p storage.LockoutPolicy, ok bool) {
	if !c.Enabled {
		return p, false
	}
	p = storage.LockoutPolicy{
		Threshold:    c.TooManyAttempts,
		Window:       storage.Lifetime(c.ResetCountInSeconds, time.Second),
		LockDuration: storage.Lifetime(c.ActionDuration, storage.ActionDurationUnit(c.ActionDurationUnit)),
	}
	if p.Threshold <= 0 {
		p.Threshold = defaultLockThreshold
	}
	if p.Window <= 0 {
		p.Window = defaultLockWindow
	}
	if p.LockDuration <= 0 {
		p.LockDuration = defaultLockDuration
	}
	return p, true
}

// appActive reports whether an application may be used: FusionAuth marks a
// soft-deleted application with state Inactive.
func appActive(a storage.Application) bool {
	return a.Active && a.State != "Inactive"
}
