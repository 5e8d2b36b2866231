package password

import "github.com/latchkeyhq/latchkey/internal/storage"

// The tenant record keeps the policy in storage's types (storage imports no
// other latchkey package); these convert it, field for field, for the
// callers that check passwords (internal/auth at login, internal/manage
// when a password is set).

// TenantRules is t.passwordValidationRules as Rules.
func TenantRules(t storage.Tenant) Rules {
	r := t.PasswordValidationRules
	return Rules{
		MinLength: r.MinLength, MaxLength: r.MaxLength,
		RequireMixedCase: r.RequireMixedCase, RequireNonAlpha: r.RequireNonAlpha, RequireNumber: r.RequireNumber,
		DisallowUserLoginID:       r.DisallowUserLoginID,
		RememberPreviousPasswords: RememberPrevious{Enabled: r.RememberPreviousPasswords.Enabled, Count: r.RememberPreviousPasswords.Count},
		ValidateOnLogin:           r.ValidateOnLogin,
		BreachDetection: BreachDetection{Enabled: r.BreachDetection.Enabled, MatchMode: r.BreachDetection.MatchMode,
			OnLogin: r.BreachDetection.OnLogin, NotifyUserEmailTemplateID: r.BreachDetection.NotifyUserEmailTemplateID},
	}
}

// TenantMinimumAge is t.minimumPasswordAge as MinimumAge.
func TenantMinimumAge(t storage.Tenant) MinimumAge {
	return MinimumAge{Enabled: t.MinimumPasswordAge.Enabled, Seconds: t.MinimumPasswordAge.Seconds}
}

// TenantMaximumAge is t.maximumPasswordAge as MaximumAge.
func TenantMaximumAge(t storage.Tenant) MaximumAge {
	return MaximumAge{Enabled: t.MaximumPasswordAge.Enabled, Days: t.MaximumPasswordAge.Days}
}

// UserLoginIDs are the identities disallowUserLoginId keeps out of u's
// password: email and username, latchkey's login ids (mobilePhone is a
// profile field here, not a phone identity as in FusionAuth 1.59).
func UserLoginIDs(u storage.User) LoginIDs {
	return LoginIDs{Email: u.Email, Username: u.Username}
}
