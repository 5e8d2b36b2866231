package storage

// The parts of FusionAuth's tenant and application objects that the account
// flows read (tenants.mdx, applications.mdx; Java ExternalIdentifierConfiguration,
// PasswordValidationRules, RegistrationConfiguration), with FusionAuth's JSON
// names. Defaults are FusionAuth's and are filled in by WithDefaults, so a
// tenant stored before a section existed reads as FusionAuth would ship it.

// SecureGenerator is FusionAuth's SecureGeneratorConfiguration: how an
// identifier is drawn. Type is randomBytes (Length bytes, base64url),
// randomDigits, randomAlpha or randomAlphaNumeric (Length characters).
type SecureGenerator struct {
	Length int    `json:"length"`
	Type   string `json:"type"`
}

// ExternalIdentifierConfiguration is tenant.externalIdentifierConfiguration:
// the lifetimes and generators of the identifiers latchkey hands out. The
// fields issue 10 (two-factor, passwordless, WebAuthn) reads are here too.
type ExternalIdentifierConfiguration struct {
	ChangePasswordIDGenerator                          SecureGenerator `json:"changePasswordIdGenerator"`
	ChangePasswordIDTimeToLiveInSeconds                int             `json:"changePasswordIdTimeToLiveInSeconds"`
	EmailVerificationIDGenerator                       SecureGenerator `json:"emailVerificationIdGenerator"`
	EmailVerificationIDTimeToLiveInSeconds             int             `json:"emailVerificationIdTimeToLiveInSeconds"`
	EmailVerificationOneTimeCodeGenerator              SecureGenerator `json:"emailVerificationOneTimeCodeGenerator"`
	OneTimePasswordTimeToLiveInSeconds                 int             `json:"oneTimePasswordTimeToLiveInSeconds"`
	SetupPasswordIDGenerator                           SecureGenerator `json:"setupPasswordIdGenerator"`
	SetupPasswordIDTimeToLiveInSeconds                 int             `json:"setupPasswordIdTimeToLiveInSeconds"`
	PasswordlessLoginGenerator                         SecureGenerator `json:"passwordlessLoginGenerator"`
	PasswordlessLoginOneTimeCodeGenerator              SecureGenerator `json:"passwordlessLoginOneTimeCodeGenerator"`
	PasswordlessLoginTimeToLiveInSeconds               int             `json:"passwordlessLoginTimeToLiveInSeconds"`
	TwoFactorIDTimeToLiveInSeconds                     int             `json:"twoFactorIdTimeToLiveInSeconds"`
	TwoFactorOneTimeCodeIDGenerator                    SecureGenerator `json:"twoFactorOneTimeCodeIdGenerator"`
	TwoFactorOneTimeCodeIDTimeToLiveInSeconds          int             `json:"twoFactorOneTimeCodeIdTimeToLiveInSeconds"`
	TwoFactorTrustIDTimeToLiveInSeconds                int             `json:"twoFactorTrustIdTimeToLiveInSeconds"`
	TrustTokenTimeToLiveInSeconds                      int             `json:"trustTokenTimeToLiveInSeconds"`
	WebAuthnRegistrationChallengeTimeToLiveInSeconds   int             `json:"webAuthnRegistrationChallengeTimeToLiveInSeconds"`
	WebAuthnAuthenticationChallengeTimeToLiveInSeconds int             `json:"webAuthnAuthenticationChallengeTimeToLiveInSeconds"`
	// Registration verification (application.verifyRegistration).
	RegistrationVerificationIDGenerator           SecureGenerator `json:"registrationVerificationIdGenerator"`
	RegistrationVerificationIDTimeToLiveInSeconds int             `json:"registrationVerificationIdTimeToLiveInSeconds"`
	RegistrationVerificationOneTimeCodeGenerator  SecureGenerator `json:"registrationVerificationOneTimeCodeGenerator"`
}

// RememberPreviousPasswords is passwordValidationRules.rememberPreviousPasswords.
type RememberPreviousPasswords struct {
	Enabled bool `json:"enabled"`
	Count   int  `json:"count"`
}

// BreachDetection is passwordValidationRules.breachDetection. latchkey's
// check is offline (a list of common passwords), so MatchMode changes
// nothing; OnLogin is Off, RecordOnly, NotifyUser or RequireChange.
type BreachDetection struct {
	Enabled                   bool   `json:"enabled"`
	MatchMode                 string `json:"matchMode,omitempty"`
	OnLogin                   string `json:"onLogin,omitempty"`
	NotifyUserEmailTemplateID string `json:"notifyUserEmailTemplateId,omitempty"`
}

// MinimumPasswordAge is tenant.minimumPasswordAge: a password younger than
// Seconds may not be changed.
type MinimumPasswordAge struct {
	Enabled bool `json:"enabled"`
	Seconds int  `json:"seconds"`
}

// MaximumPasswordAge is tenant.maximumPasswordAge: a login with a password
// older than Days answers 203 (changePasswordReason Expired).
type MaximumPasswordAge struct {
	Enabled bool `json:"enabled"`
	Days    int  `json:"days"`
}

// Requirable is a sign-up field of registrationConfiguration.
type Requirable struct {
	Enabled  bool `json:"enabled"`
	Required bool `json:"required"`
}

// RegistrationConfiguration is application.registrationConfiguration. In
// FusionAuth, Enabled turns on its hosted sign-up pages; in latchkey it
// allows POST /api/user/registration without an API key for this
// application (self-service sign-up from the SPA), limited to the fields
// enabled here.
type RegistrationConfiguration struct {
	Enabled            bool       `json:"enabled"`
	Type               string     `json:"type,omitempty"`        // basic
	LoginIDType        string     `json:"loginIdType,omitempty"` // email | username
	ConfirmPassword    bool       `json:"confirmPassword"`
	BirthDate          Requirable `json:"birthDate"`
	FirstName          Requirable `json:"firstName"`
	FullName           Requirable `json:"fullName"`
	LastName           Requirable `json:"lastName"`
	MiddleName         Requirable `json:"middleName"`
	MobilePhone        Requirable `json:"mobilePhone"`
	PreferredLanguages Requirable `json:"preferredLanguages"`
}

// ApplicationEmailConfiguration is application.emailConfiguration: template
// ids that override the tenant's for this application (note FusionAuth's
// name emailVerificationEmailTemplateId here, verificationEmailTemplateId
// on the tenant).
type ApplicationEmailConfiguration struct {
	EmailVerificationEmailTemplateID    string `json:"emailVerificationEmailTemplateId,omitempty"`
	EmailVerifiedEmailTemplateID        string `json:"emailVerifiedEmailTemplateId,omitempty"`
	ForgotPasswordEmailTemplateID       string `json:"forgotPasswordEmailTemplateId,omitempty"`
	SetPasswordEmailTemplateID          string `json:"setPasswordEmailTemplateId,omitempty"`
	PasswordlessEmailTemplateID         string `json:"passwordlessEmailTemplateId,omitempty"`
	PasswordUpdateEmailTemplateID       string `json:"passwordUpdateEmailTemplateId,omitempty"`
	PasswordResetSuccessEmailTemplateID string `json:"passwordResetSuccessEmailTemplateId,omitempty"`
}

// FusionAuth's generator defaults.
var (
	bytes32      = SecureGenerator{Length: 32, Type: "randomBytes"}
	alphaNum6    = SecureGenerator{Length: 6, Type: "randomAlphaNumeric"}
	digits6      = SecureGenerator{Length: 6, Type: "randomDigits"}
	defaultEmail = EmailConfiguration{Host: "localhost", Port: 25, Security: "NONE",
		DefaultFromEmail: "change-me@example.com", VerificationStrategy: "ClickableLink",
		Unverified: EmailUnverifiedOptions{Behavior: "Allow"}}
)

// WithDefaults returns c with every unset (zero) field at FusionAuth's
// default (accounts spec §2).
func (c ExternalIdentifierConfiguration) WithDefaults() ExternalIdentifierConfiguration {
	gen := func(g *SecureGenerator, d SecureGenerator) {
		if g.Length == 0 && g.Type == "" {
			*g = d
		}
	}
	ttl := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	gen(&c.ChangePasswordIDGenerator, bytes32)
	ttl(&c.ChangePasswordIDTimeToLiveInSeconds, 600)
	gen(&c.EmailVerificationIDGenerator, bytes32)
	ttl(&c.EmailVerificationIDTimeToLiveInSeconds, 86400)
	gen(&c.EmailVerificationOneTimeCodeGenerator, alphaNum6)
	ttl(&c.OneTimePasswordTimeToLiveInSeconds, 60)
	gen(&c.SetupPasswordIDGenerator, bytes32)
	ttl(&c.SetupPasswordIDTimeToLiveInSeconds, 86400)
	gen(&c.PasswordlessLoginGenerator, bytes32)
	gen(&c.PasswordlessLoginOneTimeCodeGenerator, digits6)
	ttl(&c.PasswordlessLoginTimeToLiveInSeconds, 180)
	ttl(&c.TwoFactorIDTimeToLiveInSeconds, 300)
	gen(&c.TwoFactorOneTimeCodeIDGenerator, digits6)
	ttl(&c.TwoFactorOneTimeCodeIDTimeToLiveInSeconds, 60)
	ttl(&c.TwoFactorTrustIDTimeToLiveInSeconds, 2592000)
	ttl(&c.TrustTokenTimeToLiveInSeconds, 180)
	ttl(&c.WebAuthnRegistrationChallengeTimeToLiveInSeconds, 180)
	ttl(&c.WebAuthnAuthenticationChallengeTimeToLiveInSeconds, 180)
	gen(&c.RegistrationVerificationIDGenerator, bytes32)
	ttl(&c.RegistrationVerificationIDTimeToLiveInSeconds, 86400)
	gen(&c.RegistrationVerificationOneTimeCodeGenerator, alphaNum6)
	return c
}

// WithDefaults returns t with the sections of the account flows at
// FusionAuth's defaults where unset: the identifier lifetimes, the
// remembered-password count (1), the minimum (30 s) and maximum (180 days)
// password ages, the SMTP server, from address, verification strategy
// and unverified behaviour of emailConfiguration, and the two-factor
// methods (MultiFactor). Template ids are left as they are (empty means
// latchkey's default template; internal/manage).
func (t Tenant) WithDefaults() Tenant {
	// The API shows the effective methods, and a PATCH merges into them: a
	// tenant stored without the section (nil, the defaults) patched with
	// {"email":{"enabled":true}} keeps the authenticator on.
	mf := t.MultiFactor()
	t.MultiFactorConfiguration = &mf
	t.ExternalIdentifierConfiguration = t.ExternalIdentifierConfiguration.WithDefaults()
	if t.PasswordValidationRules.RememberPreviousPasswords.Count == 0 {
		t.PasswordValidationRules.RememberPreviousPasswords.Count = 1
	}
	if t.MinimumPasswordAge.Seconds == 0 {
		t.MinimumPasswordAge.Seconds = 30
	}
	if t.MaximumPasswordAge.Days == 0 {
		t.MaximumPasswordAge.Days = 180
	}
	e, d := &t.EmailConfiguration, defaultEmail
	for _, f := range []struct {
		v *string
		d string
	}{
		{&e.Host, d.Host}, {&e.Security, d.Security}, {&e.DefaultFromEmail, d.DefaultFromEmail},
		{&e.VerificationStrategy, d.VerificationStrategy}, {&e.Unverified.Behavior, d.Unverified.Behavior},
	} {
		if *f.v == "" {
			*f.v = f.d
		}
	}
	if e.Port == 0 {
		e.Port = d.Port
	}
	if t.EventConfiguration.Events == nil {
		t.EventConfiguration.Events = map[string]EventConfigurationData{}
	}
	return t
}
