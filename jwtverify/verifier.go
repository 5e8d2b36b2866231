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
	ErrMissingExp      = strictjwt.ErrMissingExp
	ErrExpired         = strictjwt.ErrExpired
	ErrNotYetValid     = strictjwt.ErrNotYetValid
	ErrIssuer          = strictjwt.ErrIssuer
	ErrAudience        = strictjwt.ErrAudience
)

// ErrJWKSUnavailable: no key set could be fetched yet. This is the identity
// server's outage, not the client's fault; it does not match ErrInvalidToken.
var ErrJWKSUnavailable = errors.New("jwtverify: JWKS unavailable")

// Defaults applied by New.
const (
	DefaultLeeway             = 5 * time.Second
	DefaultMinRefetchInterval = 10 * time.Second
	// maxKeySetAge: a cached key set older than this is refetched (still at
	// most once per MinRefetchInterval) so retired keys stop being trusted.
	maxKeySetAge = 5 * time.Minute
)

// Config configures a Verifier. JWKSURL and Audience are required.
type Config struct {
	Issuer   string // when set, iss must equal it exactly
	JWKSURL  string
	Audience string // this resource server's application id
	// Algorithms allowed; default ES256 and RS256, the only ones accepted.
	Algorithms         []string
	Leeway             time.Duration // clock skew on exp/nbf; default 5s, negative means 0
	HTTPClient         *http.Client  // default: 10 s timeout
	MinRefetchInterval time.Duration // default 10s
	Now                func() time.Time
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
	return &Verifier{cfg: cfg}, nil
}

// Verify checks token and returns its claims. Errors match ErrInvalidToken
// (the token is bad) or ErrJWKSUnavailable (we could not get keys).
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
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
	return newClaims(raw)
}
