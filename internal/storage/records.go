package storage

import "time"

// Instants in FusionAuth-shaped records are milliseconds since the Unix epoch
// (FusionAuth API convention); internal records use time.Time.

// Tenant is FusionAuth's tenant object, reduced to what latchkey uses. There is
// one default tenant today; every other record carries TenantID so that more
// tenants can come later without a migration of meaning.
type Tenant struct {
	ID                                string                            `json:"id"`
	Name                              string                            `json:"name"`
	Issuer                            string                            `json:"issuer"`
	JWTConfiguration                  TenantJWTConfiguration            `json:"jwtConfiguration"`
	FailedAuthenticationConfiguration FailedAuthenticationConfiguration `json:"failedAuthenticationConfiguration"`
	PasswordEncryptionConfiguration   PasswordEncryptionConfiguration   `json:"passwordEncryptionConfiguration"`
	PasswordValidationRules           PasswordValidationRules           `json:"passwordValidationRules"`
	LoginConfiguration                TenantLoginConfiguration          `json:"loginConfiguration"`
	// The account flows (issue 9): mail, identifier lifetimes, password ages.
	EmailConfiguration              EmailConfiguration              `json:"emailConfiguration"`
	ExternalIdentifierConfiguration ExternalIdentifierConfiguration `json:"externalIdentifierConfiguration"`
	MinimumPasswordAge              MinimumPasswordAge              `json:"minimumPasswordAge"`
	MaximumPasswordAge              MaximumPasswordAge              `json:"maximumPasswordAge"`
	// EventConfiguration says which webhook events the tenant sends (issue 14).
	EventConfiguration EventConfiguration `json:"eventConfiguration"`
	// Issue 10 (mfa_config.go): nil reads as FusionAuth's defaults.
	MultiFactorConfiguration *TenantMultiFactorConfiguration `json:"multiFactorConfiguration,omitempty"`
	WebAuthnConfiguration    *TenantWebAuthnConfiguration    `json:"webAuthnConfiguration,omitempty"`
	// FamilyConfiguration (families.go): nil reads as FusionAuth's defaults.
	FamilyConfiguration *TenantFamilyConfiguration `json:"familyConfiguration,omitempty"`
	Data                map[string]any             `json:"data,omitempty"`
	InsertInstant       int64                      `json:"insertInstant"`
	LastUpdateInstant   int64                      `json:"lastUpdateInstant"`
	// Revision is the row's write counter as read (1 for a new row; every
	// write of the row adds 1): UpdateTenant writes only while the row
	// still has it, when it is not 0. Never serialized.
	Revision int64 `json:"-"`
}

// TenantJWTConfiguration is tenant.jwtConfiguration: the defaults every
// application without its own enabled jwtConfiguration uses.
type TenantJWTConfiguration struct {
	Enabled                                bool                                   `json:"enabled"`
	TimeToLiveInSeconds                    int                                    `json:"timeToLiveInSeconds"`
	RefreshTokenTimeToLiveInMinutes        int                                    `json:"refreshTokenTimeToLiveInMinutes"`
	RefreshTokenExpirationPolicy           string                                 `json:"refreshTokenExpirationPolicy"`
	RefreshTokenUsagePolicy                string                                 `json:"refreshTokenUsagePolicy"`
	RefreshTokenSlidingWindowConfiguration RefreshTokenSlidingWindowConfiguration `json:"refreshTokenSlidingWindowConfiguration"`
	RefreshTokenOneTimeUseConfiguration    RefreshTokenOneTimeUseConfiguration    `json:"refreshTokenOneTimeUseConfiguration"`
	RefreshTokenRevocationPolicy           RefreshTokenRevocationPolicy           `json:"refreshTokenRevocationPolicy"`
	// AccessTokenKeyID selects the signing key; empty means the default key of
	// the default algorithm (ES256).
	AccessTokenKeyID string `json:"accessTokenKeyId,omitempty"`
	// SigningAlgorithm is latchkey's addition: ES256 (default) or RS256.
	SigningAlgorithm string `json:"signingAlgorithm,omitempty"`
}

// RefreshTokenSlidingWindowConfiguration bounds SlidingWindowWithMaximumLifetime.
type RefreshTokenSlidingWindowConfiguration struct {
	MaximumTimeToLiveInMinutes int `json:"maximumTimeToLiveInMinutes"`
}

// RefreshTokenOneTimeUseConfiguration holds the grace period during which the
// immediately previous value of a rotated token is still honoured.
type RefreshTokenOneTimeUseConfiguration struct {
	GracePeriodInSeconds int `json:"gracePeriodInSeconds"`
}

// RefreshTokenRevocationPolicy says which events revoke refresh tokens.
type RefreshTokenRevocationPolicy struct {
	OnLoginPrevented    bool `json:"onLoginPrevented"`
	OnPasswordChanged   bool `json:"onPasswordChanged"`
	OnMultiFactorEnable bool `json:"onMultiFactorEnable"`
	OnOneTimeTokenReuse bool `json:"onOneTimeTokenReuse"`
}

// FailedAuthenticationConfiguration is the tenant lockout policy.
type FailedAuthenticationConfiguration struct {
	TooManyAttempts     int    `json:"tooManyAttempts"`
	ResetCountInSeconds int    `json:"resetCountInSeconds"`
	ActionDuration      int    `json:"actionDuration"`
	ActionDurationUnit  string `json:"actionDurationUnit"`
	UserActionID        string `json:"userActionId,omitempty"`
	// Enabled is latchkey's addition: lockout is on by default (FusionAuth
	// ships it without an action configured, i.e. effectively off).
	Enabled bool `json:"enabled"`
}

// PasswordEncryptionConfiguration is the tenant's default hashing scheme.
type PasswordEncryptionConfiguration struct {
	EncryptionScheme              string `json:"encryptionScheme"`
	EncryptionSchemeFactor        int    `json:"encryptionSchemeFactor"`
	ModifyEncryptionSchemeOnLogin bool   `json:"modifyEncryptionSchemeOnLogin"`
}

// PasswordValidationRules are the tenant's password rules.
type PasswordValidationRules struct {
	MinLength        int  `json:"minLength"`
	MaxLength        int  `json:"maxLength"`
	RequireMixedCase bool `json:"requireMixedCase"`
	RequireNonAlpha  bool `json:"requireNonAlpha"`
	RequireNumber    bool `json:"requireNumber"`
	ValidateOnLogin  bool `json:"validateOnLogin"`
	// The account flows' rules (issue 9).
	DisallowUserLoginID       bool                      `json:"disallowUserLoginId"`
	RememberPreviousPasswords RememberPreviousPasswords `json:"rememberPreviousPasswords"`
	BreachDetection           BreachDetection           `json:"breachDetection"`
}

// TenantLoginConfiguration governs /api/login calls without an applicationId.
type TenantLoginConfiguration struct {
	RequireAuthentication bool `json:"requireAuthentication"`
}

// Application is FusionAuth's application object.
type Application struct {
	ID                 string                 `json:"id"`
	TenantID           string                 `json:"tenantId"`
	Name               string                 `json:"name"`
	Active             bool                   `json:"active"`
	State              string                 `json:"state"` // Active | Inactive
	Roles              []ApplicationRole      `json:"roles"`
	JWTConfiguration   ApplicationJWTConfig   `json:"jwtConfiguration"`
	LoginConfiguration ApplicationLoginConfig `json:"loginConfiguration"`
	OAuthConfiguration ApplicationOAuthConfig `json:"oauthConfiguration"`
	// VerifyRegistration: a registration for this application starts
	// unverified and a verification mail is sent with the template
	// VerificationEmailTemplateID (latchkey's default when empty), a link or,
	// with VerificationStrategy FormField, a one-time code (registration
	// verification; internal/manage/registrations_verify.go).
	VerifyRegistration          bool                    `json:"verifyRegistration"`
	VerificationEmailTemplateID string                  `json:"verificationEmailTemplateId,omitempty"`
	VerificationStrategy        string                  `json:"verificationStrategy,omitempty"` // ClickableLink | FormField
	Data                        map[string]any          `json:"data,omitempty"`
	InsertInstant               int64                   `json:"insertInstant"`
	LastUpdateInstant           int64                   `json:"lastUpdateInstant"`
	CookieConfiguration         ApplicationCookieConfig `json:"cookieConfiguration"`
	// LambdaConfiguration names the JWT populate lambdas (issue 14).
	LambdaConfiguration LambdaConfiguration `json:"lambdaConfiguration"`
	// Self-service sign-up and template overrides (issue 9).
	RegistrationConfiguration RegistrationConfiguration     `json:"registrationConfiguration"`
	EmailConfiguration        ApplicationEmailConfiguration `json:"emailConfiguration"`
	// Issue 10 (mfa_config.go): nil reads as FusionAuth's defaults.
	MultiFactorConfiguration  *ApplicationMultiFactorConfiguration `json:"multiFactorConfiguration,omitempty"`
	WebAuthnConfiguration     *ApplicationWebAuthnConfiguration    `json:"webAuthnConfiguration,omitempty"`
	PasswordlessConfiguration *PasswordlessConfiguration           `json:"passwordlessConfiguration,omitempty"`
	// Revision is the row's write counter as read, like Tenant.Revision
	// (UpdateApplication, ChangeApplicationRole). Never serialized.
	Revision int64 `json:"-"`
}

// ApplicationRole is one role an application defines.
type ApplicationRole struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	IsDefault   bool   `json:"isDefault"`
	IsSuperRole bool   `json:"isSuperRole"`
	// Instants of the role itself (FusionAuth's role response).
	InsertInstant     int64 `json:"insertInstant,omitempty"`
	LastUpdateInstant int64 `json:"lastUpdateInstant,omitempty"`
}

// ApplicationJWTConfig is application.jwtConfiguration. Its values apply only
// when Enabled; otherwise the tenant's do (FusionAuth precedence rule), except
// the grace period, which an application may always override when > 0.
type ApplicationJWTConfig struct {
	Enabled                                bool                                   `json:"enabled"`
	TimeToLiveInSeconds                    int                                    `json:"timeToLiveInSeconds"`
	RefreshTokenTimeToLiveInMinutes        int                                    `json:"refreshTokenTimeToLiveInMinutes"`
	RefreshTokenExpirationPolicy           string                                 `json:"refreshTokenExpirationPolicy"`
	RefreshTokenUsagePolicy                string                                 `json:"refreshTokenUsagePolicy"`
	RefreshTokenSlidingWindowConfiguration RefreshTokenSlidingWindowConfiguration `json:"refreshTokenSlidingWindowConfiguration"`
	RefreshTokenOneTimeUseConfiguration    RefreshTokenOneTimeUseConfiguration    `json:"refreshTokenOneTimeUseConfiguration"`
	AccessTokenKeyID                       string                                 `json:"accessTokenKeyId,omitempty"`
	IDTokenKeyID                           string                                 `json:"idTokenKeyId,omitempty"`
	// SigningAlgorithm is latchkey's addition: ES256 (default) or RS256.
	SigningAlgorithm string `json:"signingAlgorithm,omitempty"`
}

// ApplicationLoginConfig is application.loginConfiguration.
type ApplicationLoginConfig struct {
	AllowTokenRefresh     bool `json:"allowTokenRefresh"`
	GenerateRefreshTokens bool `json:"generateRefreshTokens"`
	RequireAuthentication bool `json:"requireAuthentication"`
}

// ApplicationOAuthConfig is application.oauthConfiguration.
type ApplicationOAuthConfig struct {
	ClientID                   string   `json:"clientId"`
	ClientSecret               string   `json:"clientSecret,omitempty"`
	ClientAuthenticationPolicy string   `json:"clientAuthenticationPolicy"` // Required | NotRequired | NotRequiredWhenUsingPKCE
	EnabledGrants              []string `json:"enabledGrants"`
	GenerateRefreshTokens      bool     `json:"generateRefreshTokens"`
	AuthorizedOriginURLs       []string `json:"authorizedOriginURLs"`
	AuthorizedRedirectURLs     []string `json:"authorizedRedirectURLs"`
	RequireRegistration        bool     `json:"requireRegistration"`
	// AuthorizedURLValidationPolicy is ExactMatch (default when empty) or
	// AllowWildcards (FusionAuth url-validation.mdx).
	AuthorizedURLValidationPolicy string `json:"authorizedURLValidationPolicy,omitempty"`
	// ProofKeyForCodeExchangePolicy is Required, NotRequired (default when
	// empty) or NotRequiredWhenUsingClientAuthentication.
	ProofKeyForCodeExchangePolicy string `json:"proofKeyForCodeExchangePolicy,omitempty"`
	// AllowPlainCodeChallengeMethod is latchkey's: PKCE "plain" is refused
	// unless set (FusionAuth accepts S256 only).
	AllowPlainCodeChallengeMethod bool `json:"allowPlainCodeChallengeMethod,omitempty"`
	// SSOEnabled is latchkey's: a hosted-page login for this application sets
	// the single sign-on cookie, and an existing SSO session authorizes it
	// without a password. Off by default (the native-login workflow has no SSO).
	SSOEnabled bool `json:"ssoEnabled,omitempty"`
	// LogoutURL is where /oauth2/logout sends the browser when no
	// post_logout_redirect_uri is given.
	LogoutURL string `json:"logoutURL,omitempty"`
	// BackchannelLogoutURL is latchkey's: OpenID Connect Back-Channel Logout
	// 1.0 receives a logout token here when a session ends.
	BackchannelLogoutURL string `json:"backchannelLogoutURL,omitempty"`
}

// ApplicationCookieConfig is latchkey's addition (app-scoped cookies): when
// Scoped is true the refresh cookie is named per application so that logging in
// to one application does not clobber another's cookie (workflow step 14).
type ApplicationCookieConfig struct {
	Scoped bool `json:"scoped"`
}

// User is FusionAuth's user object. Password material is never serialized.
type User struct {
	ID                        string         `json:"id"`
	TenantID                  string         `json:"tenantId"`
	Active                    bool           `json:"active"`
	Email                     string         `json:"email,omitempty"`
	Username                  string         `json:"username,omitempty"`
	FirstName                 string         `json:"firstName,omitempty"`
	MiddleName                string         `json:"middleName,omitempty"`
	LastName                  string         `json:"lastName,omitempty"`
	FullName                  string         `json:"fullName,omitempty"`
	BirthDate                 string         `json:"birthDate,omitempty"`
	ParentEmail               string         `json:"parentEmail,omitempty"` // a child's parent's address (families: pending children)
	ImageURL                  string         `json:"imageUrl,omitempty"`
	MobilePhone               string         `json:"mobilePhone,omitempty"`
	Timezone                  string         `json:"timezone,omitempty"`
	PreferredLanguages        []string       `json:"preferredLanguages,omitempty"`
	Data                      map[string]any `json:"data,omitempty"`
	Expiry                    int64          `json:"expiry,omitempty"`
	Verified                  bool           `json:"verified"`
	PasswordChangeRequired    bool           `json:"passwordChangeRequired"`
	PasswordLastUpdateInstant int64          `json:"passwordLastUpdateInstant,omitempty"`
	InsertInstant             int64          `json:"insertInstant"`
	LastUpdateInstant         int64          `json:"lastUpdateInstant"`
	LastLoginInstant          int64          `json:"lastLoginInstant,omitempty"`
	// Registrations is filled by the API layer from ListRegistrations; the
	// storage layer neither reads nor writes it on the user row.
	Registrations []Registration `json:"registrations,omitempty"`
	// Memberships is filled by the API layer like Registrations: the
	// user's group memberships (FusionAuth's user.memberships).
	Memberships []GroupMember `json:"memberships,omitempty"`

	// Password is the hash record (scheme, factor, salt, hash); never serialized.
	Password PasswordHash `json:"-"`
	// Revision is the row's write counter as read (1 for a new row; every
	// write of the row adds 1): the condition of a read-modify-write
	// (UserChange.IfRevision). Never serialized.
	Revision int64 `json:"-"`
}

// PasswordHash is a stored password hash in FusionAuth's terms.
type PasswordHash struct {
	Scheme string // e.g. salted-pbkdf2-hmac-sha256, bcrypt, argon2id
	Factor int
	Salt   string // base64, empty for schemes that embed it
	Hash   string // base64 or the scheme's own encoding
}

// Registration links a user to an application with roles.
type Registration struct {
	ID                 string         `json:"id"`
	ApplicationID      string         `json:"applicationId"`
	UserID             string         `json:"-"`
	Roles              []string       `json:"roles"`
	Data               map[string]any `json:"data,omitempty"`
	Username           string         `json:"username,omitempty"`
	Timezone           string         `json:"timezone,omitempty"`
	PreferredLanguages []string       `json:"preferredLanguages,omitempty"`
	Verified           bool           `json:"verified"`
	// VerifiedInstant is when the registration was verified (created
	// verified, or POST /api/user/verify-registration); 0 while it is not.
	VerifiedInstant   int64 `json:"verifiedInstant,omitempty"`
	InsertInstant     int64 `json:"insertInstant"`
	LastUpdateInstant int64 `json:"lastUpdateInstant"`
	LastLoginInstant  int64 `json:"lastLoginInstant,omitempty"`
	// Revision is the row's write counter as read, like User.Revision:
	// UpdateRegistration writes only while the row still has it.
	Revision int64 `json:"-"`
}

// APIKey is a management API key. Only the SHA-256 of the key is stored.
type APIKey struct {
	ID          string
	TenantID    string // empty: global
	KeyHash     []byte // SHA-256 of the raw key
	Description string
	// Attributes are metaData.attributes besides "description"; nil: none.
	Attributes map[string]string
	// Endpoints maps an endpoint path to allowed methods; empty = all.
	Endpoints         map[string][]string
	KeyManager        bool
	ExpirationInstant int64 // ms; 0 = never
	InsertInstant     int64
	LastUpdateInstant int64 // ms; 0 = never updated
}

// SystemConfiguration holds the system-wide CORS configuration (FusionAuth's
// systemConfiguration object, reduced).
type SystemConfiguration struct {
	CORSConfiguration CORSConfiguration `json:"corsConfiguration"`
	ReportTimezone    string            `json:"reportTimezone"`
	// LoginRecordConfiguration bounds how long login records are kept;
	// nil (a configuration stored before it existed) means the defaults.
	LoginRecordConfiguration *LoginRecordConfiguration `json:"loginRecordConfiguration,omitempty"`
	// EventLogConfiguration bounds how many event log entries are kept;
	// nil (a configuration stored before it existed) means the default.
	EventLogConfiguration *EventLogConfiguration `json:"eventLogConfiguration,omitempty"`
	// Revision is the row's write counter as read, like Tenant.Revision
	// (PutSystemConfiguration); Unstored when it was read before the first
	// Put. Never serialized.
	Revision int64 `json:"-"`
}

// Unstored is the Revision of a record read as absent (the system
// configuration before its first Put): a write conditional on it holds
// only while there is still no row.
const Unstored int64 = -1

// LoginRecordConfiguration is FusionAuth's
// systemConfiguration.loginRecordConfiguration.
type LoginRecordConfiguration struct {
	Delete LoginRecordDelete `json:"delete"`
}

// EventLogConfiguration is FusionAuth's
// systemConfiguration.eventLogConfiguration: the janitor keeps the newest
// NumberToRetain entries.
type EventLogConfiguration struct {
	NumberToRetain int `json:"numberToRetain"`
}

// LoginRecordDelete says whether and after how many days login records are
// deleted.
type LoginRecordDelete struct {
	Enabled              bool `json:"enabled"`
	NumberOfDaysToRetain int  `json:"numberOfDaysToRetain"`
}

// CORSConfiguration is FusionAuth's systemConfiguration.corsConfiguration.
type CORSConfiguration struct {
	Enabled                  bool     `json:"enabled"`
	AllowCredentials         bool     `json:"allowCredentials"`
	AllowedHeaders           []string `json:"allowedHeaders"`
	AllowedMethods           []string `json:"allowedMethods"`
	AllowedOrigins           []string `json:"allowedOrigins"`
	ExposedHeaders           []string `json:"exposedHeaders"`
	PreflightMaxAgeInSeconds int      `json:"preflightMaxAgeInSeconds"`
	Debug                    bool     `json:"debug"`
}

// RefreshToken is one login's refresh-token record: a stable ID (FusionAuth's
// refreshTokenId, the access token's sid) and a secret that rotates under
// OneTimeUse. The record is the token family: every successor of one login
// shares it, so revoking the record revokes the whole family.
//
// Only SHA-256 hashes of secrets are stored: the current one and the
// immediately previous one. A value issued since issue 13 names its family
// and generation itself, so an ancestor is recognised from the record alone
// (auth checks its tag); values of the earlier format are recognised through
// the history RotateRefreshToken keeps for them (Rotation.NoHistory false).
type RefreshToken struct {
	ID            string
	TenantID      string
	UserID        string
	ApplicationID string
	Hash          []byte // SHA-256 of the current secret
	PrevHash      []byte // SHA-256 of the immediately previous secret, nil before the first rotation
	RotatedAt     time.Time
	Generation    int       // 0 at login, +1 per rotation
	StartInstant  time.Time // the login; basis of Fixed expiry and the maximum lifetime
	LastUsedAt    time.Time // basis of SlidingWindow expiry
	ExpiresAt     time.Time // effective expiry, recomputed on each use
	AuthTime      time.Time // original authentication, copied into auth_time
	Scopes        []string
	// DPoPJKT is the RFC 7638 thumbprint of the key the token is bound to
	// (RFC 9449); empty when unbound.
	DPoPJKT      string
	Device       DeviceInfo
	InsertedAt   time.Time
	RevokedAt    time.Time // zero: live
	RevokeReason string    // logout | admin | reuse | password_changed | user_deactivated | ...
	// ReadByID, on creation only, says that every value of the family names
	// it (read by id, never by hash: auth's values since issue 13). Its
	// hashes are then not looked up by hash (FindRefreshTokenByHash does not
	// find the family, as after a rotation without history), and storage
	// need not index them. Such a family must be rotated without history
	// (Rotation.NoHistory), as auth does for every value that names its
	// family: a rotation with history puts its new hash where the lookup by
	// hash finds it. Reads leave it false.
	ReadByID bool
}

// DeviceInfo is FusionAuth's refresh token metaData.device.
type DeviceInfo struct {
	Description         string `json:"description,omitempty"`
	LastAccessedAddress string `json:"lastAccessedAddress,omitempty"`
	LastAccessedInstant int64  `json:"lastAccessedInstant,omitempty"`
	Name                string `json:"name,omitempty"`
	Type                string `json:"type,omitempty"`
}

// RefreshTokenFilter selects refresh tokens to revoke. At least one field is
// set; set fields are ANDed.
type RefreshTokenFilter struct {
	ID            string
	UserID        string
	ApplicationID string
}

// Rotation is the compare-and-swap RotateRefreshToken performs.
type Rotation struct {
	ID        string
	OldHash   []byte    // must equal the current hash, or the swap fails with ErrConflict
	NewHash   []byte    // becomes the current hash; OldHash becomes PrevHash and history
	At        time.Time // RotatedAt and LastUsedAt
	ExpiresAt time.Time // new effective expiry
	// OldExpiresAt is the expiry the caller read with OldHash. When
	// ExpiresAt equals it (the Fixed policy, a sliding one at its maximum
	// lifetime, an unchanged TTL), storage may leave the stored expiry
	// unwritten, so that the rotation moves no entry of the index on it;
	// it does so only while the row still holds that expiry, so the
	// outcome is the one of writing ExpiresAt. A zero OldExpiresAt asks
	// nothing: the expiry is written.
	OldExpiresAt time.Time
	// NoHistory keeps OldHash out of the history: the old value carries its
	// family id and generation (auth's format since issue 13) and is
	// recognised without a row of its own, so a session's storage stays one
	// row however often it rotates. Its successor names the family too and
	// is read by id, so NewHash need not be found by hash
	// (FindRefreshTokenByHash): storage may keep it out of the index that
	// lookup uses. Without NoHistory, NewHash is found by hash (the
	// successor of an earlier-format value is of that format when the
	// family id is not a UUID).
	NoHistory bool
	// Outbox messages (the refresh's webhook events) are enqueued in the
	// same transaction when the swap succeeds.
	Outbox []OutboxMessage
}

// SessionKey names the refresh-token family a presented value belongs to:
// by the family id the value carries (ID set), or by the value's hash
// (current or superseded, as FindRefreshTokenByHash).
type SessionKey struct {
	ID   string
	Hash []byte
	// At (ms) is the instant RefreshSession.MaybePrevented is judged at.
	At int64
}

// RefreshSession is what a refresh reads, in one query: the token family,
// and its user with every registration (User.Registrations, by application
// id).
type RefreshSession struct {
	Token RefreshToken
	User  User
	// MaybePrevented: the user has an action in force at SessionKey.At that
	// prevents login (what LoginPreventions lists), for some application;
	// the caller reads them to see whether this one is concerned. False for
	// a user never locked, so a refresh needs no second read.
	MaybePrevented bool
}

// SigningKey is a JWT signing key pair. Private keys never leave the process
// except into storage.
type SigningKey struct {
	ID            string // the JWT kid
	Algorithm     string // ES256 | RS256
	PrivateKeyPEM string // PKCS#8
	PublicKeyPEM  string // PKIX
	State         string // active | retiring
	CreatedAt     time.Time
	// RetireAt: after this instant the key is no longer published or trusted.
	// Zero while active.
	RetireAt time.Time
	// ActivateAt: the key is published from CreatedAt but signs only from
	// this instant (zero: at once), so that resource servers caching the
	// JWKS know it before the first token signed with it reaches them.
	ActivateAt time.Time
}

// LoginFailures is the lockout counter of one user (counted in the database so
// it holds across restarts and nodes).
type LoginFailures struct {
	UserID string
	Count  int
	// Pending is how many of Count's charges belong to attempts still in
	// flight (ReserveLoginAttempt, not yet refunded or settled).
	Pending int
	// PendingUntil: the pending charges lapse then (ReserveLoginAttempt's
	// latest heldUntil; zero when charged by a version that set none).
	PendingUntil time.Time
	WindowStart  time.Time
	LockedUntil  time.Time
}

// LockoutPolicy parameterises RecordLoginFailure.
type LockoutPolicy struct {
	Threshold    int           // failures within Window that lock the account
	Window       time.Duration // resetCountInSeconds
	LockDuration time.Duration
}

// LoginCounter is one lockout counter a login attempt is charged to
// (ReserveLoginAttempt): the tenant's policy per account and client
// address, an address's hourly share of an account, the account's ceiling.
type LoginCounter struct {
	Key string // the counter's id (login_failures.user_id)
	// Account is the user id (or an unknown login id's key) the counter
	// belongs to: ResetLoginFailures, a password change and a user's delete
	// drop every counter of the account.
	Account string
	Policy  LockoutPolicy
	// ResetOnSuccess: a successful login deletes the counter (FusionAuth's
	// "a success resets the count"). Otherwise a success only gives back
	// its own reservation, so the real user's success does not hand an
	// attacker a fresh ceiling.
	ResetOnSuccess bool
}

// LoginReservation is what ReserveLoginAttempt answers.
type LoginReservation struct {
	// Allowed: the attempt was charged to every counter (as pending) and
	// its password may be checked. False: nothing was charged, because a
	// counter is locked (LockedUntil) or is full of charges still pending
	// (InFlight).
	Allowed bool
	// InFlight: refused only because a counter's count has reached its
	// threshold with charges of attempts still in flight, which may yet
	// be refunded. Not a lock: the caller may try again once they settle.
	InFlight bool
	// LockedUntil is the lock that refused the attempt (zero when the
	// settled failures reach the threshold but hold no lock of their own,
	// as after the threshold was lowered, and the window never restarts).
	LockedUntil time.Time
	// Charged holds each counter with its window's start after the charge,
	// for the refund (Login.Refund).
	Charged []ChargedCounter
}

// ChargedCounter is one counter of an allowed reservation.
type ChargedCounter struct {
	LoginCounter
	WindowStart time.Time
	// Epoch is the counter's lapse count at the charge: a counter whose
	// pending charges lapsed since no longer holds this one as pending.
	Epoch int64
}

// UserFilter selects users for lookup by a login identifier.
type UserFilter struct {
	TenantID string
	Email    string // matched case-insensitively
	Username string // matched case-insensitively
}
