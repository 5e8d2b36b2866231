package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// DefaultTenantID is the fixed id of the default tenant, so that every node
// sharing a database creates the same one and a second creation is a harmless
// conflict.
const DefaultTenantID = "b54ca84b-aceb-4215-9678-473afdeaabed"

// NewDefaultTenant returns FusionAuth's default tenant settings
// (fusionauth-api.md §6.4) with latchkey's overrides: the issuer is the
// server's own base URL and failed-login lockout is on.
func NewDefaultTenant(issuer string, now time.Time) storage.Tenant {
	ms := now.UnixMilli()
	return storage.Tenant{
		ID:     DefaultTenantID,
		Name:   "Default",
		Issuer: issuer,
		JWTConfiguration: storage.TenantJWTConfiguration{
			Enabled:                         true,
			TimeToLiveInSeconds:             3600,
			RefreshTokenTimeToLiveInMinutes: 43200,
			RefreshTokenExpirationPolicy:    "Fixed",
			RefreshTokenUsagePolicy:         "Reusable",
			RefreshTokenSlidingWindowConfiguration: storage.RefreshTokenSlidingWindowConfiguration{
				MaximumTimeToLiveInMinutes: 43200,
			},
			RefreshTokenRevocationPolicy: storage.RefreshTokenRevocationPolicy{
				OnLoginPrevented:  true,
				OnPasswordChanged: true,
			},
			SigningAlgorithm: "ES256",
		},
		FailedAuthenticationConfiguration: storage.FailedAuthenticationConfiguration{
			TooManyAttempts:     5,
			ResetCountInSeconds: 60,
			ActionDuration:      3,
			ActionDurationUnit:  "MINUTES",
			Enabled:             true,
		},
		PasswordEncryptionConfiguration: storage.PasswordEncryptionConfiguration{
			EncryptionScheme:       "salted-pbkdf2-hmac-sha256",
			EncryptionSchemeFactor: 24000,
		},
		PasswordValidationRules: storage.PasswordValidationRules{MinLength: 8, MaxLength: 256},
		LoginConfiguration:      storage.TenantLoginConfiguration{RequireAuthentication: true},
		InsertInstant:           ms,
		LastUpdateInstant:       ms,
	}
}

// listTenants handles GET /api/tenant.
func (s *Server) listTenants(w http.ResponseWriter, r *http.Request) {
	writeRecords(s, w, r, "tenants", s.Store.ListTenants, tenantSelf)
}

// getTenant handles GET /api/tenant/{id}.
func (s *Server) getTenant(w http.ResponseWriter, r *http.Request) {
	t, ok := s.loadTenant(w, r)
	if ok {
		writeJSON(w, http.StatusOK, map[string]any{"tenant": t})
	}
}

func (s *Server) loadTenant(w http.ResponseWriter, r *http.Request) (storage.Tenant, bool) {
	return loadRecord(s, w, r, "tenantId", s.Store.GetTenant, tenantSelf)
}

// tenantSelf is a tenant's own tenant: a tenant-scoped key sees only its own.
func tenantSelf(t storage.Tenant) string { return t.ID }

// loadRecord reads the record whose id is the {id} path value with get, for
// the handlers that read, update or delete one record. A malformed id is a
// 400 naming field; an unknown record and one outside a tenant-scoped key's
// tenant are the same empty 404, so such a key learns nothing about other
// tenants' ids; any other error is a logged 500.
func loadRecord[T any](s *Server, w http.ResponseWriter, r *http.Request, field string,
	get func(context.Context, string) (T, error), tenantOf func(T) string) (T, bool) {
	var none T
	id, ok := pathID(w, r, "id", field)
	if !ok {
		return none, false
	}
	rec, err := get(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !inTenant(r, tenantOf(rec))) {
		writeEmpty(w, http.StatusNotFound)
		return none, false
	}
	if err != nil {
		s.writeInternal(w, r, err)
		return none, false
	}
	return rec, true
}

// writeRecords answers {key: [...]} with the records of list that the calling
// key may see (a tenant-scoped key: only its tenant's).
func writeRecords[T any](s *Server, w http.ResponseWriter, r *http.Request, key string,
	list func(context.Context) ([]T, error), tenantOf func(T) string) {
	recs, err := list(r.Context())
	if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	recs = slices.DeleteFunc(recs, func(rec T) bool { return !inTenant(r, tenantOf(rec)) })
	writeJSON(w, http.StatusOK, map[string]any{key: recs})
}

// patchTenant handles PATCH /api/tenant/{id}: jwtConfiguration,
// failedAuthenticationConfiguration, passwordEncryptionConfiguration,
// passwordValidationRules, loginConfiguration and issuer.
func (s *Server) patchTenant(w http.ResponseWriter, r *http.Request) {
	cur, ok := s.loadTenant(w, r)
	if !ok {
		return
	}
	var req struct {
		Tenant storage.Tenant `json:"tenant"`
	}
	if !s.decodePatch(w, r, map[string]any{"tenant": cur}, &req) {
		return
	}
	t := req.Tenant
	t.ID, t.InsertInstant, t.LastUpdateInstant = cur.ID, cur.InsertInstant, s.Now().UnixMilli()
	if e := validateTenant(t); !e.Empty() {
		writeErrors(w, http.StatusBadRequest, e)
		return
	}
	if err := s.Store.UpdateTenant(r.Context(), t); err != nil {
		s.writeInternal(w, r, err)
		return
	}
	// This node applies the change at once; other nodes within their
	// tenant cache's one second.
	s.Auth.ForgetTenant(t.ID)
	writeJSON(w, http.StatusOK, map[string]any{"tenant": t})
}

var (
	expirationPolicies = []string{"Fixed", "SlidingWindow", "SlidingWindowWithMaximumLifetime"}
	usagePolicies      = []string{"Reusable", "OneTimeUse"}
	signingAlgorithms  = []string{"", "ES256", "RS256"}
	durationUnits      = []string{"MINUTES", "HOURS", "DAYS", "WEEKS", "MONTHS", "YEARS"}
)

func validateTenant(t storage.Tenant) *Errors {
	e := &Errors{}
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
	if f.ActionDuration < 1 {
		e.Field("invalid", "tenant.failedAuthenticationConfiguration.actionDuration", "The value must be at least 1.")
	}
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
	return e
}

// validateLifetimes checks a jwtConfiguration (tenant or application) against
// the documented limits (fusionauth-api.md §6.1, §10.10).
func validateLifetimes(e *Errors, prefix string, ttl, refreshTTL int, expiration, usage string, maxTTL, grace int, alg string) {
	if ttl < 1 {
		e.Field("invalid", prefix+".timeToLiveInSeconds", "The value must be greater than 0.")
	}
	if refreshTTL < 1 {
		e.Field("invalid", prefix+".refreshTokenTimeToLiveInMinutes", "The value must be greater than 0.")
	}
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
