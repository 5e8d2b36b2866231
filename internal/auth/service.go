package auth

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/latchkeyhq/latchkey/internal/cache"
	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/keys"
	"github.com/latchkeyhq/latchkey/internal/lambda"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Outcomes of the use cases. The HTTP layer maps each to one status per wire
// format (/api/* and /oauth2/token) in one table. Any other error is an
// infrastructure failure (storage.ErrUnavailable, a signing failure) and is
// returned wrapped.
var (
	// ErrInvalidCredentials: unknown user, wrong password, inactive user or
	// (for OAuth) any other credential failure. One error, one response.
	ErrInvalidCredentials = errors.New("auth: invalid credentials")
	// ErrAPIKeyRequired: the application requires an API key on /api/login.
	ErrAPIKeyRequired = errors.New("auth: api key required")
	// ErrExpiredUser: user.expiry has passed (410).
	ErrExpiredUser = errors.New("auth: user expired")
	// ErrUnknownApplication: applicationId names no active application.
	ErrUnknownApplication = errors.New("auth: unknown application")
	// ErrRefreshNotFound: unknown, expired, revoked or reused refresh token
	// (404 on /api/jwt/refresh, invalid_grant on /oauth2/token).
	ErrRefreshNotFound = errors.New("auth: refresh token not found")
	// ErrRefreshNotAllowed: the application does not allow token refresh.
	ErrRefreshNotAllowed = errors.New("auth: refresh not allowed")
	// ErrInvalidToken: a JWT failed validation.
	ErrInvalidToken = errors.New("auth: invalid token")
	// ErrRegistrationRequired: the password grant authenticated a user who
	// is not registered for an application whose
	// oauthConfiguration.requireRegistration is on (400 invalid_grant,
	// error_reason registration_required). Only reached after the password
	// verified, so it reveals nothing to a guesser.
	ErrRegistrationRequired = errors.New("auth: registration required")
	// ErrInvalidScope: a refresh asked for a scope the token was not granted
	// (RFC 6749 §6; 400 invalid_scope). The token is not consumed.
	ErrInvalidScope = errors.New("auth: scope not granted")
)

// LockedError is returned while the account is locked by failed logins (409).
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string { return "auth: account locked" }

// Config wires a Service.
type Config struct {
	Store  Store
	Keys   *keys.Manager
	Logger *slog.Logger // nil: events are discarded
	Now    func() time.Time
	// Issuer is the iss claim; when empty the tenant's issuer is used.
	Issuer string
	// TenantID is the default tenant used when the request names none.
	TenantID string
	// TenantCacheTTL is how long a tenant read may be reused (0: one second;
	// negative: never cached).
	TenantCacheTTL time.Duration
	// ApplicationCacheTTL is the same for applications and lambdas (0: half
	// a second; negative: never cached).
	ApplicationCacheTTL time.Duration
	// SealKeys (32 bytes each) encrypt TOTP secrets at rest (seal.go): the
	// first seals, every one opens what it sealed. Like SuccessorKeys they
	// are derived from the server secret, so a copy of the database alone
	// opens no TOTP secret. Empty: one random key for this Service's
	// lifetime, for tests and single-process throwaway stores.
	SealKeys [][]byte
	// SuccessorKeys derive OneTimeUse successors (secrets.go): the first
	// derives, all are accepted when matching a successor another node (or
	// this one before a key change) derived. They come from the server
	// secret, which every node of a deployment shares and which is kept out
	// of the database (internal/secret). Empty: one random key for this
	// Service's lifetime, for tests and single-process throwaway stores.
	SuccessorKeys [][]byte
	// Events publishes the token path's webhook events (nil: none).
	Events *events.Publisher
	// Lambdas runs the applications' JWT populate lambdas (nil: none run);
	// one engine per process.
	Lambdas *lambda.Engine
	// FederationKeys seal the hosted page's federation state cookie: the
	// first seals, all open (a key change keeps flows in progress). Empty:
	// one random key for this Service's lifetime.
	FederationKeys [][]byte
	// Count, when set, is called with every security event's name and
	// outcome (events.go), e.g. to count it in a metric. It runs on the
	// login and refresh paths, so it must be cheap and must not block.
	Count func(ctx context.Context, event, outcome string)
	// Lockout overrides the account ceiling and per-address share
	// (lockout.go); zero fields keep the defaults.
	Lockout LockoutLimits
}

// Service implements the use cases. It is safe for concurrent use and holds
// no state that matters across nodes: its caches are tenants and
// applications (cache.go); the successor keys are configuration every node
// shares.
type Service struct {
	cfg     Config
	log     *slog.Logger
	pw      hasher
	tenants *cache.Cache[string, storage.Tenant]
	apps    *cache.Cache[string, storage.Application]
	lambdas *cache.Cache[string, storage.Lambda]
	// groupGrants: per application, the role ids each group grants in it
	// (group_roles.go); cached and forgotten with the application.
	groupGrants *cache.Cache[string, map[string][]string]

	succKeys [][]byte // Config.SuccessorKeys, never empty
	tagKeys  [][]byte // one per successor key (refresh_value.go)
	fedKeys  [][]byte // Config.FederationKeys, never empty
	sealers  []sealer // Config.SealKeys, never empty

	verifier EmailVerifier // nil: a 212 carries no emailVerificationId

	// inflight bounds the unsettled login attempts per lockout counter.
	inflight inflight
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, log: log, pw: passwordHasher{}, succKeys: cfg.SuccessorKeys}
	if len(s.succKeys) == 0 {
		s.succKeys = [][]byte{randomBytes(32)}
	}
	for _, k := range s.succKeys {
		s.tagKeys = append(s.tagKeys, tagKeyFor(k))
	}
	if s.fedKeys = cfg.FederationKeys; len(s.fedKeys) == 0 {
		s.fedKeys = [][]byte{randomBytes(32)}
	}
	sealKeys := cfg.SealKeys
	if len(sealKeys) == 0 {
		sealKeys = [][]byte{randomBytes(32)}
	}
	s.sealers = newSealers(sealKeys)
	s.newCaches(time.Now)
	return s
}

// LoginRequest is a credential login from /api/login or the password grant.
type LoginRequest struct {
	LoginID       string
	Password      string
	ApplicationID string // may be empty on /api/login
	IPAddress     string
	// LockoutIP is the client address failures are counted under
	// (lockout.go): the connection's (trusted-proxy rule), or the body's
	// ipAddress only when an API key vouches for it. Empty: IPAddress.
	LockoutIP string
	NoJWT     bool
	Device    storage.DeviceInfo
	UserAgent string // for events only
	// HasAPIKey: the caller presented a valid API key.
	HasAPIKey bool
	// OAuth marks the password grant: client authentication and enabled
	// grants were checked by the caller; Scopes are the requested scopes.
	OAuth  bool
	Scopes []string
	// DPoPJKT binds the issued refresh token to a DPoP key (RFC 9449) when set.
	DPoPJKT string
	// TwoFactorTrustID is a trusted device's twoFactorTrustId (the
	// fusionauth.trust cookie or the body): a valid one skips the second
	// factor.
	TwoFactorTrustID string

	// authType and authTime are set by logins that authenticated without a
	// password (second factor, passkey, passwordless) so their tokens say
	// how and when (authenticationType, auth_time).
	authType string
	authTime time.Time
	// provider is the identity provider of a federated login
	// (IssueFederated): its user.login.success names it.
	provider *storage.IdentityProvider
	// oneTimePassword is what a spent oneTimePassword allows (login_otp.go),
	// kept by a pending login so its second step issues that.
	oneTimePassword *storage.IdentifierData
	// OneTimePassword, when set, is the credential instead of LoginID and
	// Password: a change-password answer's oneTimePassword (login_otp.go).
	OneTimePassword string
}

// Tokens is what a successful login or refresh produces.
type Tokens struct {
	AccessToken          string
	AccessTokenExpiresAt time.Time
	RefreshToken         string // empty when none was issued
	RefreshTokenID       string
	RefreshExpiresAt     time.Time // for the cookie's Max-Age
	IDToken              string    // OAuth with openid scope
	Scopes               []string
	User                 storage.User // with Registrations filled
	Application          storage.Application
	// Registered is false when the user is not registered for the requested
	// application (/api/login answers 202 and issues no refresh token).
	Registered bool
	// TwoFactorTrustID is set when the login trusted this device for the
	// second factor (trustComputer): the answer's twoFactorTrustId and the
	// fusionauth.trust cookie. TrustExpiresAt is its end.
	TwoFactorTrustID string
	TrustExpiresAt   time.Time
	// TrustToken is a completed second factor's trustToken (POST
	// /api/two-factor/login; twofactor_stepup.go).
	TrustToken string
	// State is the state a flow carried (forgot password's, returned by a
	// one-time-password login; passwordless and two-factor starts'), the
	// answer's state (FusionAuth login.mdx).
	State map[string]any
	// AuthType is how a two-factor login's first step authenticated
	// (empty: a password), for the hosted page's login session.
	AuthType string
	// SecondFactor: the login completed a second factor (POST
	// /api/two-factor/login, or a passkey worth two factors), which the
	// hosted page's login session records for single sign-on.
	SecondFactor bool
}

// RefreshRequest exchanges a refresh token for a new access token.
type RefreshRequest struct {
	RefreshToken string
	// ApplicationID, when set (OAuth client_id, or the app the caller names),
	// must equal the token's application, else ErrRefreshNotFound and the
	// token is not consumed.
	ApplicationID string
	OAuth         bool
	// PublicClient: an OAuth client that did not authenticate (no secret).
	// Its refresh tokens rotate whatever the usage policy says (RFC 9700
	// §4.14.2: a public client's refresh token must be rotated or
	// sender-constrained); a Reusable policy applies to the others.
	PublicClient bool
	Scopes       []string
	DPoPJKT      string
	IPAddress    string
	UserAgent    string // for events only
}

// orDefault is d when ttl is zero.
func orDefault(ttl, d time.Duration) time.Duration {
	if ttl == 0 {
		return d
	}
	return ttl
}
