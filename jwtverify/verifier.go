package jwtverify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkeyhq/latchkey/jwtverify/dpop"
	"github.com/latchkeyhq/latchkey/jwtverify/strictjwt"
)

// Rejection reasons; every one matches ErrInvalidToken with errors.Is.
var (
	ErrInvalidToken    = strictjwt.ErrInvalidToken
	ErrTooLarge        = strictjwt.ErrTooLarge
	ErrMalformed       = strictjwt.ErrMalformed
	ErrAlgorithm       = strictjwt.ErrAlgorithm
	ErrForbiddenHeader = strictjwt.ErrForbiddenHeader
	ErrType            = strictjwt.ErrType
	ErrUnknownKey      = strictjwt.ErrUnknownKey
	ErrSignature       = strictjwt.ErrSignature
	ErrNonCanonical    = strictjwt.ErrNonCanonical
	ErrMissingExp      = strictjwt.ErrMissingExp
	ErrExpired         = strictjwt.ErrExpired
	ErrNotYetValid     = strictjwt.ErrNotYetValid
	ErrIssuer          = strictjwt.ErrIssuer
	ErrAudience        = strictjwt.ErrAudience
	// ErrRevoked: the token's session (sid) was revoked (revocation feed).
	ErrRevoked = newErr("token session revoked")
	// ErrDPoPRequired: the token is DPoP-bound and was not presented as
	// Authorization: DPoP with a proof by its key (RFC 9449 §7.1).
	ErrDPoPRequired = newErr("token is DPoP-bound: a valid DPoP proof by its key is required")
	// ErrNotRegistered: the token names this application as its audience
	// but its applicationId claim does not, so its user is not registered
	// for the application (FusionAuth puts applicationId and roles only in
	// a registered user's token, fusionauth-api.md §5.2). Config.AllowUnregistered
	// turns this check off.
	ErrNotRegistered = newErr("token user not registered for this application")
)

// tokenError is a jwtverify rejection that matches ErrInvalidToken.
type tokenError struct{ msg string }

func (e *tokenError) Error() string { return e.msg }
func (e *tokenError) Unwrap() error { return ErrInvalidToken }

func newErr(msg string) error { return &tokenError{msg: msg} }

// ErrJWKSUnavailable: no key set could be fetched yet. This is the identity
// server's outage, not the client's fault; it does not match ErrInvalidToken.
var ErrJWKSUnavailable = errors.New("jwtverify: JWKS unavailable")

// Defaults applied by New.
const (
	DefaultLeeway             = 5 * time.Second
	DefaultMinRefetchInterval = 10 * time.Second
	// DefaultRevocationPollInterval: revocations reach the resource server
	// within about this long (workflow.md's "in seconds").
	DefaultRevocationPollInterval = 2 * time.Second
	// DefaultMaxKeySetAge: a cached key set older than this is refetched
	// (still at most once per MinRefetchInterval) so retired keys stop
	// being trusted. latchkey publishes a new signing key 10 minutes before
	// it signs with it (keys.DefaultPublishAhead), longer than both this and
	// MinRefetchInterval, so a Verifier with the defaults never refuses a
	// valid token because of a key rotation.
	DefaultMaxKeySetAge = 5 * time.Minute
	maxKeySetAge        = DefaultMaxKeySetAge
)

// Config configures a Verifier. JWKSURL and Audience are required.
type Config struct {
	Issuer   string // when set, iss must equal it exactly
	JWKSURL  string
	Audience string // this resource server's application id
	// AllowUnregistered accepts a token whose aud is Audience but whose
	// applicationId claim is absent or different: a user of the tenant who
	// authenticated but is not registered for the application. FusionAuth
	// issues such tokens (its login answers 202), and an aud check alone
	// lets every user of the tenant in. Off by default: only registered
	// users (applicationId == Audience) are accepted. Turn it on only when
	// the application authorises users by something other than their
	// registration.
	AllowUnregistered bool
	// Algorithms allowed; default ES256 and RS256, the only ones accepted.
	Algorithms         []string
	Leeway             time.Duration // clock skew on exp/nbf; default 5s, negative means 0
	HTTPClient         *http.Client  // default: 10 s timeout
	MinRefetchInterval time.Duration // default 10s
	Now                func() time.Time

	// PublicURL is this resource server's external base URL (scheme and
	// host, e.g. "https://store.example.test"), against which DPoP proofs'
	// htu is compared (RFC 9449 §4.3). Unset: the request's Host, with
	// https when the connection is TLS.
	PublicURL string
	// DPoPWindow is how far a proof's iat may be from Now (default 60s).
	DPoPWindow time.Duration

	// RevocationURL enables the revocation feed poller (Start):
	// latchkey's GET /api/jwt/revocations, authenticated with the
	// application's ClientID and ClientSecret (HTTP Basic).
	RevocationURL string
	ClientID      string
	ClientSecret  string
	// RevocationPollInterval: default 2s.
	RevocationPollInterval time.Duration
	// MaxTokenLifetime is the longest access-token lifetime of the
	// application: a revoked session is remembered this long after its
	// revocation, since no token of it can be valid later (default 1h,
	// FusionAuth's default timeToLiveInSeconds).
	MaxTokenLifetime time.Duration
	// MaxRevocations caps the remembered sessions (default 100000). When
	// more are revoked, tokens issued before the evicted revocations are
	// refused, so clients refresh rather than a revoked session revive.
	MaxRevocations int
}

// Verifier verifies access tokens against a cached JWKS. Safe for
// concurrent use.
type Verifier struct {
	cfg Config

	mu          sync.Mutex
	keys        map[string]jose.JSONWebKey // nil until the first fetch succeeds
	fetchedAt   time.Time
	lastAttempt time.Time
	inflight    *flight

	replay  *dpop.ReplayCache
	revoked *revocationSet
	polled  chan struct{} // tests: signalled after each poll by Start
}

// flight is one JWKS request that concurrent callers share.
type flight struct {
	done chan struct{}
	err  error
}

// New validates cfg and returns a Verifier. The JWKS is fetched on first use,
// so a resource server can start while the identity server is still booting.
func New(_ context.Context, cfg Config) (*Verifier, error) {
	if cfg.JWKSURL == "" || cfg.Audience == "" {
		return nil, errors.New("jwtverify: Config.JWKSURL and Config.Audience are required")
	}
	if len(cfg.Algorithms) == 0 {
		cfg.Algorithms = []string{"ES256", "RS256"}
	}
	for _, a := range cfg.Algorithms {
		if a != "ES256" && a != "RS256" {
			return nil, fmt.Errorf("jwtverify: algorithm %q not supported (ES256, RS256 only)", a)
		}
	}
	cfg.Algorithms = slices.Clone(cfg.Algorithms)
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultLeeway
	} else if cfg.Leeway < 0 {
		cfg.Leeway = 0
	}
	if cfg.MinRefetchInterval <= 0 {
		cfg.MinRefetchInterval = DefaultMinRefetchInterval
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RevocationPollInterval <= 0 {
		cfg.RevocationPollInterval = DefaultRevocationPollInterval
	}
	if cfg.MaxTokenLifetime <= 0 {
		cfg.MaxTokenLifetime = time.Hour
	}
	if cfg.MaxRevocations <= 0 {
		cfg.MaxRevocations = 100_000
	}
	if cfg.RevocationURL != "" && cfg.ClientID == "" {
		return nil, errors.New("jwtverify: Config.RevocationURL needs ClientID (and ClientSecret)")
	}
	return &Verifier{cfg: cfg, replay: dpop.NewReplayCache(dpop.DefaultMaxEntries),
		revoked: newRevocationSet(cfg.MaxRevocations)}, nil
}

// Verify checks token and returns its claims. Errors match ErrInvalidToken
// (the token is bad) or ErrJWKSUnavailable (we could not get keys). A
// DPoP-bound token (cnf.jkt) is refused with ErrDPoPRequired: only
// VerifyRequest (and Middleware) can check its proof.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	c, err := v.verify(ctx, token)
	if err == nil && c.DPoPJKT != "" {
		return nil, ErrDPoPRequired
	}
	return c, err
}

// verify checks signature, claims and revocation, not the DPoP binding.
func (v *Verifier) verify(ctx context.Context, token string) (*Claims, error) {
	h, err := strictjwt.ParseHeader(token, v.cfg.Algorithms)
	if err != nil {
		return nil, err
	}
	k, err := v.key(ctx, h.Kid)
	if err != nil {
		return nil, err
	}
	// RFC 8725 §3.1: the key decides the algorithm, the header must agree.
	if keyAlg(k) != h.Alg {
		return nil, ErrAlgorithm
	}
	raw, err := strictjwt.VerifySignature(token, h, k.Key)
	if err != nil {
		return nil, err
	}
	err = strictjwt.CheckClaims(raw, strictjwt.Rules{
		Now: v.cfg.Now(), Leeway: v.cfg.Leeway, Issuer: v.cfg.Issuer, Audience: v.cfg.Audience,
	})
	if err != nil {
		return nil, err
	}
	c, err := newClaims(raw)
	if err != nil {
		return nil, err
	}
	if !v.cfg.AllowUnregistered && c.ApplicationID != v.cfg.Audience {
		return nil, ErrNotRegistered
	}
	// A token issued before a revocation the set had to evict is refused
	// too (revset.go): when memory runs out the verifier fails closed.
	if c.SessionID != "" && v.revoked.revoked(c.SessionID, c.IssuedAt) {
		return nil, ErrRevoked
	}
	return c, nil
}
