package storage

// Tenant and application sections of issue 10 (FusionAuth
// tenant.multiFactorConfiguration, tenant.webAuthnConfiguration,
// application.multiFactorConfiguration, application.webAuthnConfiguration,
// application.passwordlessConfiguration; accounts spec §10.11, §11.1, §12).
// They are pointers so a record stored before they existed reads as nil,
// which the use cases take as FusionAuth's defaults (the With* methods).

// TenantMultiFactorConfiguration is tenant.multiFactorConfiguration.
type TenantMultiFactorConfiguration struct {
	Authenticator MultiFactorMethodConfig `json:"authenticator"`
	Email         MultiFactorMethodConfig `json:"email"`
	// LoginPolicy is Enabled (a user with a method is challenged), Disabled
	// or Required (FusionAuth 1.42; latchkey answers like Enabled for a
	// user without methods).
	LoginPolicy string `json:"loginPolicy"`
}

// MultiFactorMethodConfig turns one method on and names its template.
type MultiFactorMethodConfig struct {
	Enabled    bool   `json:"enabled"`
	TemplateID string `json:"templateId,omitempty"`
	// The authenticator's algorithm is fixed (HmacSHA1, 6 digits, 30 s), as
	// in FusionAuth (_two-factor-totp-limits.mdx).
	Algorithm  string `json:"algorithm,omitempty"`
	CodeLength int    `json:"codeLength,omitempty"`
	TimeStep   int    `json:"timeStep,omitempty"`
}

// MultiFactor returns the tenant's section with FusionAuth's defaults:
// authenticator on, email off, loginPolicy Enabled.
func (t Tenant) MultiFactor() TenantMultiFactorConfiguration {
	if t.MultiFactorConfiguration == nil {
		return TenantMultiFactorConfiguration{
			Authenticator: MultiFactorMethodConfig{Enabled: true, Algorithm: "HmacSHA1", CodeLength: 6, TimeStep: 30},
			LoginPolicy:   "Enabled",
		}
	}
	c := *t.MultiFactorConfiguration
	if c.LoginPolicy == "" {
		c.LoginPolicy = "Enabled"
	}
	return c
}

// ApplicationMultiFactorConfiguration is application.multiFactorConfiguration.
type ApplicationMultiFactorConfiguration struct {
	// LoginPolicy overrides the tenant's when set.
	LoginPolicy string `json:"loginPolicy,omitempty"`
	// TrustPolicy: Any (trust from any application, the default), This
	// (only trust made through this application) or None (never skip).
	TrustPolicy string                  `json:"trustPolicy,omitempty"`
	Email       MultiFactorTemplateOnly `json:"email"`
}

// MultiFactorTemplateOnly is an application's template override.
type MultiFactorTemplateOnly struct {
	TemplateID string `json:"templateId,omitempty"`
}

// WebAuthnWorkflow is one of tenant.webAuthnConfiguration's workflows.
type WebAuthnWorkflow struct {
	Enabled                           bool   `json:"enabled"`
	AuthenticatorAttachmentPreference string `json:"authenticatorAttachmentPreference,omitempty"` // any | platform | crossPlatform
	UserVerificationRequirement       string `json:"userVerificationRequirement,omitempty"`       // required | preferred | discouraged
}

// TenantWebAuthnConfiguration is tenant.webAuthnConfiguration.
type TenantWebAuthnConfiguration struct {
	Enabled bool `json:"enabled"`
	// RelyingPartyID is the RP id; empty: the host of the request's origin.
	RelyingPartyID   string           `json:"relyingPartyId,omitempty"`
	RelyingPartyName string           `json:"relyingPartyName,omitempty"`
	Bootstrap        WebAuthnWorkflow `json:"bootstrapWorkflow"`
	Reauthentication WebAuthnWorkflow `json:"reauthenticationWorkflow"`
	// AllowedOrigins is latchkey's addition: origins allowed to run
	// ceremonies besides the applications' authorizedOriginURLs.
	AllowedOrigins []string `json:"allowedOrigins,omitempty"`
}

// ApplicationWebAuthnConfiguration is application.webAuthnConfiguration:
// when Enabled, it decides which workflows are on for this application.
type ApplicationWebAuthnConfiguration struct {
	Enabled          bool           `json:"enabled"`
	Bootstrap        EnabledSetting `json:"bootstrapWorkflow"`
	Reauthentication EnabledSetting `json:"reauthenticationWorkflow"`
}

// EnabledSetting is {"enabled": bool}.
type EnabledSetting struct {
	Enabled bool `json:"enabled"`
}

// PasswordlessConfiguration is application.passwordlessConfiguration.
type PasswordlessConfiguration struct {
	Enabled bool `json:"enabled"`
}
