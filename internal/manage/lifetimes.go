package manage

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// LifetimeStore is what LongestTokenLifetime reads.
type LifetimeStore interface {
	ListTenants(ctx context.Context) ([]storage.Tenant, error)
	ListApplications(ctx context.Context, inactive bool) ([]storage.Application, error)
}

// LongestTokenLifetime is the longest lifetime an access or id token can be
// given now: the largest timeToLiveInSeconds of every tenant and every
// application (active or not: one may be reactivated), at least FusionAuth's
// default. A signing key that is rotated out stays published until the
// tokens it signed have expired, so internal/keys asks this at a rotation.
func LongestTokenLifetime(ctx context.Context, st LifetimeStore) (time.Duration, error) {
	longest := defaultAccessTTL
	tenants, err := st.ListTenants(ctx)
	if err != nil {
		return 0, err
	}
	for _, t := range tenants {
		longest = max(longest, storage.Lifetime(t.JWTConfiguration.TimeToLiveInSeconds, time.Second))
	}
	for _, inactive := range []bool{false, true} {
		apps, err := st.ListApplications(ctx, inactive)
		if err != nil {
			return 0, err
		}
		for _, a := range apps {
			longest = max(longest, storage.Lifetime(a.JWTConfiguration.TimeToLiveInSeconds, time.Second))
		}
	}
	return longest, nil
}

// LongestLockoutWindow is the longest failedAuthenticationConfiguration
// window (resetCountInSeconds, 60 s when unset, as internal/auth counts it)
// of every tenant: a lockout counter older than that restarts at its next
// failure, so the janitor may delete it.
func LongestLockoutWindow(ctx context.Context, st interface {
	ListTenants(ctx context.Context) ([]storage.Tenant, error)
}) (time.Duration, error) {
	longest := time.Minute
	tenants, err := st.ListTenants(ctx)
	if err != nil {
		return 0, err
	}
	for _, t := range tenants {
		longest = max(longest, storage.Lifetime(t.FailedAuthenticationConfiguration.ResetCountInSeconds, time.Second))
	}
	return longest, nil
}
