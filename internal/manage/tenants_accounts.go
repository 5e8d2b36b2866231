package manage

import (
	"context"
	"errors"
	"time"

	"github.com/latchkeyhq/latchkey/internal/mail"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The tenant sections of the account flows (issue 9): emailConfiguration,
// externalIdentifierConfiguration, the password history and ages.

// keepSMTPPassword keeps the stored SMTP password when an update leaves it
// out: the API never returns it (server/tenants.go), so a client that
// round-trips the tenant has none to send. Clearing the username clears it.
func keepSMTPPassword(cur, next *storage.Tenant) {
	if next.EmailConfiguration.Password == "" && next.EmailConfiguration.Username != "" &&
		next.EmailConfiguration.Username == cur.EmailConfiguration.Username {
		next.EmailConfiguration.Password = cur.EmailConfiguration.Password
	}
}

// validateAccounts checks the sections: the SMTP settings with
// internal/mail's rules, identifier lifetimes and generators, the history
// count and password ages.
func validateAccounts(e *Invalid, t storage.Tenant) {
	addMailErrors(e, mail.ValidateEmailConfiguration(t.EmailConfiguration, "tenant.emailConfiguration"))
	c := t.ExternalIdentifierConfiguration
	const p = "tenant.externalIdentifierConfiguration."
	for name, ttl := range map[string]int{
		"changePasswordIdTimeToLiveInSeconds": c.ChangePasswordIDTimeToLiveInSeconds, "emailVerificationIdTimeToLiveInSeconds": c.EmailVerificationIDTimeToLiveInSeconds,
		"oneTimePasswordTimeToLiveInSeconds": c.OneTimePasswordTimeToLiveInSeconds, "setupPasswordIdTimeToLiveInSeconds": c.SetupPasswordIDTimeToLiveInSeconds,
		"passwordlessLoginTimeToLiveInSeconds": c.PasswordlessLoginTimeToLiveInSeconds, "twoFactorIdTimeToLiveInSeconds": c.TwoFactorIDTimeToLiveInSeconds,
		"twoFactorOneTimeCodeIdTimeToLiveInSeconds": c.TwoFactorOneTimeCodeIDTimeToLiveInSeconds, "twoFactorTrustIdTimeToLiveInSeconds": c.TwoFactorTrustIDTimeToLiveInSeconds,
		"trustTokenTimeToLiveInSeconds": c.TrustTokenTimeToLiveInSeconds, "webAuthnRegistrationChallengeTimeToLiveInSeconds": c.WebAuthnRegistrationChallengeTimeToLiveInSeconds,
		"webAuthnAuthenticationChallengeTimeToLiveInSeconds": c.WebAuthnAuthenticationChallengeTimeToLiveInSeconds,
		"registrationVerificationIdTimeToLiveInSeconds":      c.RegistrationVerificationIDTimeToLiveInSeconds,
	} {
		if ttl < 1 {
			e.Field("invalid", p+name, "The value must be greater than 0.")
		}
		checkSetting(e, p+name, ttl, time.Second)
	}
	for _, g := range []struct {
		name       string
		gen        storage.SecureGenerator
		identifier bool // a secret on its own, not a code typed beside one
	}{
		{"changePasswordIdGenerator", c.ChangePasswordIDGenerator, true},
		{"emailVerificationIdGenerator", c.EmailVerificationIDGenerator, true},
		{"emailVerificationOneTimeCodeGenerator", c.EmailVerificationOneTimeCodeGenerator, false},
		{"setupPasswordIdGenerator", c.SetupPasswordIDGenerator, true},
		{"passwordlessLoginGenerator", c.PasswordlessLoginGenerator, true},
		{"passwordlessLoginOneTimeCodeGenerator", c.PasswordlessLoginOneTimeCodeGenerator, false},
		{"twoFactorOneTimeCodeIdGenerator", c.TwoFactorOneTimeCodeIDGenerator, false},
		{"registrationVerificationIdGenerator", c.RegistrationVerificationIDGenerator, true},
		{"registrationVerificationOneTimeCodeGenerator", c.RegistrationVerificationOneTimeCodeGenerator, false},
	} {
		if msg := checkGenerator(g.gen, g.identifier); msg != "" {
			e.Field("invalid", p+g.name, msg)
		}
	}
	rp := t.PasswordValidationRules.RememberPreviousPasswords
	if rp.Count < 1 || rp.Count > password.MaxRemembered {
		e.Field("invalid", "tenant.passwordValidationRules.rememberPreviousPasswords.count",
			"The count must be from 1 to "+itoa(password.MaxRemembered)+" (each remembered password is one more hash per change).")
	}
	if t.MinimumPasswordAge.Seconds < 1 {
		e.Field("invalid", "tenant.minimumPasswordAge.seconds", "The value must be greater than 0.")
	}
	checkSetting(e, "tenant.minimumPasswordAge.seconds", t.MinimumPasswordAge.Seconds, time.Second)
	if t.MaximumPasswordAge.Days < 1 {
		e.Field("invalid", "tenant.maximumPasswordAge.days", "The value must be greater than 0.")
	}
	checkSetting(e, "tenant.maximumPasswordAge.days", t.MaximumPasswordAge.Days, 0) // calendar days (AddDate), no Duration
}

// checkGenerator checks a SecureGenerator (FusionAuth: randomBytes 16-128
// bytes; the character types 4-12). An identifier (secret) must be
// randomBytes: only a short code may be typed, and it is always checked
// next to an identifier.
func checkGenerator(g storage.SecureGenerator, identifier bool) string {
	switch g.Type {
	case "randomBytes":
		if g.Length < 16 || g.Length > 128 {
			return "randomBytes needs a length from 16 to 128."
		}
	case "randomDigits", "randomAlpha", "randomAlphaNumeric":
		if identifier {
			return "An identifier must be randomBytes (at least 128 bits); codes people type may use the other types."
		}
		if g.Length < 4 || g.Length > 12 {
			return "A code needs a length from 4 to 12."
		}
	default:
		return "Use randomBytes, randomDigits, randomAlpha or randomAlphaNumeric."
	}
	return ""
}

// checkTemplateIDs refuses template ids that name no template.
func checkTemplateIDs(ctx context.Context, st interface {
	GetEmailTemplate(ctx context.Context, id string) (storage.EmailTemplate, error)
}, e *Invalid, prefix string, ids map[string]string) error {
	for field, id := range ids {
		if id == "" {
			continue
		}
		if _, err := st.GetEmailTemplate(ctx, id); errors.Is(err, storage.ErrNotFound) {
			e.Field("invalid", prefix+field, "No email template exists with Id ["+truncate(id, 64)+"].")
		} else if err != nil {
			return err
		}
	}
	return nil
}

// tenantTemplateIDs are the template ids a tenant names, by field.
func tenantTemplateIDs(t storage.Tenant) map[string]string {
	ids := t.EmailConfiguration.EmailTemplateIDs
	return map[string]string{
		"verificationEmailTemplateId": ids.VerificationEmailTemplateID, "emailVerifiedEmailTemplateId": ids.EmailVerifiedEmailTemplateID,
		"forgotPasswordEmailTemplateId": ids.ForgotPasswordEmailTemplateID, "setPasswordEmailTemplateId": ids.SetPasswordEmailTemplateID,
		"passwordlessEmailTemplateId": ids.PasswordlessEmailTemplateID, "passwordUpdateEmailTemplateId": ids.PasswordUpdateEmailTemplateID,
		"passwordResetSuccessEmailTemplateId": ids.PasswordResetSuccessEmailTemplateID, "twoFactorMethodAddEmailTemplateId": ids.TwoFactorMethodAddEmailTemplateID,
		"twoFactorMethodRemoveEmailTemplateId": ids.TwoFactorMethodRemoveEmailTemplateID, "emailUpdateEmailTemplateId": ids.EmailUpdateEmailTemplateID,
	}
}
