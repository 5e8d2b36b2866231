package manage

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TenantsStore is what Tenants uses.
type TenantsStore interface {
	tenantReader
	ListTenants(ctx context.Context) ([]storage.Tenant, error)
	UpdateTenant(ctx context.Context, t storage.Tenant, audit ...storage.AuditEntry) error
	GetEmailTemplate(ctx context.Context, id string) (storage.EmailTemplate, error)
}

// TenantCache is the node-local tenant cache a change must clear.
type TenantCache interface {
	ForgetTenant(id string)
}

// Tenants is the tenant API (tenants.mdx; fusionauth-api.md §6.4).
type Tenants struct {
	Store TenantsStore
	Cache TenantCache
	Now   func() time.Time

	updates recordLocks // Update's, by tenant id
}

// tenantSelf is a tenant's own tenant: a tenant-scoped key sees only its own.
func tenantSelf(t storage.Tenant) string { return t.ID }

// List returns the tenants scope sees, sections a tenant was stored
// without at FusionAuth's defaults (storage.Tenant.WithDefaults).
func (ts *Tenants) List(ctx context.Context, scope Scope) ([]storage.Tenant, error) {
	list, err := scopedList(ctx, ts.Store.ListTenants, scope, tenantSelf)
	for i := range list {
		list[i] = list[i].WithDefaults()
	}
	return list, err
}

// Get returns one tenant; ErrNotFound outside scope.
func (ts *Tenants) Get(ctx context.Context, scope Scope, id string) (storage.Tenant, error) {
	t, err := scopedGet(ctx, ts.Store.GetTenant, id, scope, tenantSelf)
	return t.WithDefaults(), err
}

// Update applies change to the tenant id: jwtConfiguration,
// failedAuthenticationConfiguration, passwordEncryptionConfiguration,
// passwordValidationRules, loginConfiguration and issuer. The id and
// instants are the server's. An error of change is returned as it is.
//
// The write holds only while the tenant is as it was read (its revision);
// when another write committed in between, the tenant is read again and
// change applied again (retryStale), so no acknowledged write is
// overwritten; change runs once per try. ErrContended when every try
// lost. This node's updates of one tenant queue behind each other.
func (ts *Tenants) Update(ctx context.Context, scope Scope, id string, change func(storage.Tenant) (storage.Tenant, error)) (storage.Tenant, error) {
	var t storage.Tenant
	unlock := ts.updates.lock(strings.ToLower(id))
	err := retryStale(func() error {
		var err error
		t, err = ts.updateOnce(ctx, scope, id, change)
		return err
	})
	unlock()
	if err != nil {
		return t, err
	}
	// This node applies the change at once; other nodes within their
	// tenant cache's one second.
	ts.Cache.ForgetTenant(t.ID)
	return t, nil
}

// updateOnce is one try of Update: read, apply change, write on the
// condition that the tenant's revision is still the one read
// (storage.ErrStale otherwise, nothing written).
func (ts *Tenants) updateOnce(ctx context.Context, scope Scope, id string, change func(storage.Tenant) (storage.Tenant, error)) (storage.Tenant, error) {
	cur, err := ts.Get(ctx, scope, id)
	if err != nil {
		return cur, err
	}
	t, err := change(cur)
	if err != nil {
		return t, err
	}
	t.ID, t.InsertInstant, t.LastUpdateInstant, t.Revision = cur.ID, cur.InsertInstant, ts.Now().UnixMilli(), cur.Revision
	keepSMTPPassword(&cur, &t)
	e := validateTenant(t)
	validateAccounts(e, t)
	validateEvents(e, &t)
	if err := checkTemplateIDs(ctx, ts.Store, e, "tenant.emailConfiguration.", tenantTemplateIDs(t)); err != nil {
		return t, err
	}
	if err := checkTemplateIDs(ctx, ts.Store, e, "tenant.familyConfiguration.", validateFamilyConfiguration(e, &t)); err != nil {
		return t, err
	}
	if err := e.Err(); err != nil {
		return t, err
	}
	return t, notFound(ts.Store.UpdateTenant(ctx, t, audit(ctx, ts.Now(), t.ID, "Updated the tenant with Id ["+t.ID+"]", cur, t)))
}

var (
	expirationPolicies = []string{"Fixed", "SlidingWindow", "SlidingWindowWithMaximumLifetime"}
	usagePolicies      = []string{"Reusable", "OneTimeUse"}
	signingAlgorithms  = []string{"", "ES256", "RS256"}
	durationUnits      = []string{"MINUTES", "HOURS", "DAYS", "WEEKS", "MONTHS", "YEARS"}
)

func validateTenant(t storage.Tenant) *Invalid {
	e := &Invalid{}
	if t.Name == "" {
		e.Field("blank", "tenant.name", "You must specify the [tenant.name] property.")
	}
	if t.Issuer == "" {
		e.Field("blank", "tenant.issuer", "You must specify the [tenant.issuer] property.")
	}
	j := t.JWTConfiguration
	validateLifetimes(e, "tenant.jwtConfiguration", j.TimeToLiveInSeconds, j.RefreshTokenTimeToLiveInMinutes,
		j.RefreshTokenExpirationPolicy, j.RefreshTokenUsagePolicy, j.RefreshTokenSlidingWindowConfiguration.MaximumTimeToLiveInMinutes,
		j.RefreshTokenOneTimeUseConfiguration.GracePeriodInSeconds, j.SigningAlgorithm)
	f := t.FailedAuthenticationConfiguration
	if f.TooManyAttempts < 1 {
		e.Field("invalid", "tenant.failedAuthenticationConfiguration.tooManyAttempts", "The value must be at least 1.")
	}
	if f.ResetCountInSeconds < 1 {
		e.Field("invalid", "tenant.failedAuthenticationConfiguration.resetCountInSeconds", "The value must be at least 1.")
	}
	checkSetting(e, "tenant.failedAuthenticationConfiguration.resetCountInSeconds", f.ResetCountInSeconds, time.Second)
	if f.ActionDuration < 1 {
		e.Field("invalid", "tenant.failedAuthenticationConfiguration.actionDuration", "The value must be at least 1.")
	}
	checkSetting(e, "tenant.failedAuthenticationConfiguration.actionDuration", f.ActionDuration, storage.ActionDurationUnit(f.ActionDurationUnit))
	if !slices.Contains(durationUnits, f.ActionDurationUnit) {
		e.Field("invalid", "tenant.failedAuthenticationConfiguration.actionDurationUnit", "Use one of MINUTES, HOURS, DAYS, WEEKS, MONTHS, YEARS.")
	}
	p := t.PasswordEncryptionConfiguration
	if !password.Supported(p.EncryptionScheme) {
		e.Field("invalid", "tenant.passwordEncryptionConfiguration.encryptionScheme", "Unsupported scheme ["+truncate(p.EncryptionScheme, 64)+"].")
	}
	// The factor is checked against what the hasher accepts: a stored
	// out-of-range factor would make every later user create fail with a
	// misleading [invalid]user.factor (review of issue #2).
	if lo, hi, err := password.FactorRange(p.EncryptionScheme); err == nil && (p.EncryptionSchemeFactor < lo || p.EncryptionSchemeFactor > hi) {
		e.Field("invalid", "tenant.passwordEncryptionConfiguration.encryptionSchemeFactor",
			"The factor for ["+p.EncryptionScheme+"] must be from "+itoa(lo)+" to "+itoa(hi)+".")
	} else if err != nil && p.EncryptionSchemeFactor < 1 {
		e.Field("invalid", "tenant.passwordEncryptionConfiguration.encryptionSchemeFactor", "The factor must be at least 1.")
	}
	v := t.PasswordValidationRules
	if v.MinLength < 1 {
		e.Field("invalid", "tenant.passwordValidationRules.minLength", "The minimum length must be at least 1.")
	}
	// The maximum is also the hash-cost bound: a longer password is refused
	// before any KDF runs (security-bar.md §4.3).
	if v.MaxLength < v.MinLength || v.MaxLength > 256 {
		e.Field("invalid", "tenant.passwordValidationRules.maxLength", "The maximum length must be between minLength and 256.")
	}
	validateTenantMultiFactor(e, t.MultiFactorConfiguration)
	return e
}

// checkSetting refuses a lifetime setting of n units above FusionAuth's
// bound (its fields are Java Integers) or too long for a Duration (2^31
// minutes is 4,000 years; a Duration holds 292): such a value would
// otherwise reach a conversion that saturates (storage.Lifetime), never
// the lifetime asked for. unit 0 is a count no Duration holds.
func checkSetting(e *Invalid, field string, n int, unit time.Duration) {
	if !storage.SettingFits(n, unit) {
		most := storage.MaxSetting
		if unit > 0 {
			most = min(most, int(math.MaxInt64/int64(unit)))
		}
		e.Field("invalid", field, "The value must be at most "+itoa(most)+".")
	}
}

// validateLifetimes checks a jwtConfiguration (tenant or application) against
// the documented limits (fusionauth-api.md §6.1, §10.10).
func validateLifetimes(e *Invalid, prefix string, ttl, refreshTTL int, expiration, usage string, maxTTL, grace int, alg string) {
	if ttl < 1 {
		e.Field("invalid", prefix+".timeToLiveInSeconds", "The value must be greater than 0.")
	}
	checkSetting(e, prefix+".timeToLiveInSeconds", ttl, time.Second)
	if refreshTTL < 1 {
		e.Field("invalid", prefix+".refreshTokenTimeToLiveInMinutes", "The value must be greater than 0.")
	}
	checkSetting(e, prefix+".refreshTokenTimeToLiveInMinutes", refreshTTL, time.Minute)
	checkSetting(e, prefix+".refreshTokenSlidingWindowConfiguration.maximumTimeToLiveInMinutes", maxTTL, time.Minute)
	if !slices.Contains(expirationPolicies, expiration) {
		e.Field("invalid", prefix+".refreshTokenExpirationPolicy", "Use Fixed, SlidingWindow or SlidingWindowWithMaximumLifetime.")
	}
	if !slices.Contains(usagePolicies, usage) {
		e.Field("invalid", prefix+".refreshTokenUsagePolicy", "Use Reusable or OneTimeUse.")
	}
	if expiration == "SlidingWindowWithMaximumLifetime" && (maxTTL < 1 || maxTTL < refreshTTL) {
		e.Field("invalid", prefix+".refreshTokenSlidingWindowConfiguration.maximumTimeToLiveInMinutes",
			"The maximum lifetime must be greater than 0 and at least refreshTokenTimeToLiveInMinutes.")
	}
	if grace < 0 || grace >= 86400 {
		e.Field("invalid", prefix+".refreshTokenOneTimeUseConfiguration.gracePeriodInSeconds", "The grace period must be from 0 to 86399 seconds.")
	}
	if !slices.Contains(signingAlgorithms, alg) {
		e.Field("invalid", prefix+".signingAlgorithm", "Use ES256 or RS256.")
	}
}
