package manage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/latchkeyhq/latchkey/internal/mail"
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
		// A fresh install tells users their password changed (a notice
		// FusionAuth leaves off until configured).
		EmailConfiguration: storage.EmailConfiguration{EmailTemplateIDs: storage.EmailTemplateIDs{
			PasswordUpdateEmailTemplateID: mail.DefaultPasswordUpdateID}},
		InsertInstant:     ms,
		LastUpdateInstant: ms,
	}.WithDefaults()
}

// DefaultSystemConfiguration is FusionAuth's shipped system configuration
// (fusionauth-api.md §6.6): CORS disabled, GET/OPTIONS only, no origins.
func DefaultSystemConfiguration() storage.SystemConfiguration {
	return storage.SystemConfiguration{
		CORSConfiguration: storage.CORSConfiguration{
			AllowedHeaders: []string{"Accept", "Access-Control-Request-Headers", "Access-Control-Request-Method",
				"Authorization", "Content-Type", "Last-Modified", "Origin", "X-FusionAuth-TenantId", "X-Requested-With"},
			AllowedMethods:           []string{"GET", "OPTIONS"},
			AllowedOrigins:           []string{},
			ExposedHeaders:           []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials"},
			PreflightMaxAgeInSeconds: 1800,
		},
		ReportTimezone: "America/Denver",
		// FusionAuth keeps login records forever unless told; latchkey
		// deletes them after a year by default, so a busy server's table
		// stays bounded (docs/compatibility.md).
		LoginRecordConfiguration: &storage.LoginRecordConfiguration{
			Delete: storage.LoginRecordDelete{Enabled: true, NumberOfDaysToRetain: DefaultLoginRecordRetention}},
		EventLogConfiguration: &storage.EventLogConfiguration{NumberToRetain: DefaultEventLogRetention},
	}
}

// EnsureDefaults creates the default tenant and system configuration on a
// fresh database. Another node doing the same at once is not an error
// (ErrConflict on the tenant's fixed id).
func EnsureDefaults(ctx context.Context, st DefaultsStore, issuer string, now time.Time) error {
	_, err := st.GetTenant(ctx, DefaultTenantID)
	if errors.Is(err, storage.ErrNotFound) {
		err = st.CreateTenant(ctx, NewDefaultTenant(issuer, now))
		if errors.Is(err, storage.ErrConflict) {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("default tenant: %w", err)
	}
	_, err = st.GetSystemConfiguration(ctx)
	if errors.Is(err, storage.ErrNotFound) {
		err = st.PutSystemConfiguration(ctx, DefaultSystemConfiguration())
	}
	if err != nil {
		return fmt.Errorf("default system configuration: %w", err)
	}
	if err := SeedEmailTemplates(ctx, st, now); err != nil {
		return fmt.Errorf("default email templates: %w", err)
	}
	return nil
}
