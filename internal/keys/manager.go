package keys

// PLACEHOLDER: replaced by the real implementation. Signatures are the
// contract other packages compile against.

import (
	"context"
	"errors"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

var errPlaceholder = errors.New("keys: not implemented yet")

// Options configures a Manager.
type Options struct {
	Now func() time.Time
	// Issuer, when set, is required as the iss claim by Verify.
	Issuer string
	// RetireAfter is how long a rotated-out key stays published.
	RetireAfter time.Duration
	// RefreshInterval is how stale the cached key set may get before it is
	// reloaded from storage (so a rotation on another node is seen).
	RefreshInterval time.Duration
}

// Manager signs and verifies access tokens with keys kept in storage.
type Manager struct{}

// New returns a Manager.
func New(store storage.SigningKeyStore, opts Options) *Manager { return &Manager{} }

// Init makes sure an active ES256 and RS256 key exist.
func (m *Manager) Init(ctx context.Context) error { return errPlaceholder }

// Sign signs claims with the active key of alg ("" = ES256).
func (m *Manager) Sign(ctx context.Context, alg string, claims map[string]any) (string, error) {
	return "", errPlaceholder
}

// Verify checks a compact JWS strictly and returns its claims.
func (m *Manager) Verify(ctx context.Context, token string) (map[string]any, error) {
	return nil, errPlaceholder
}

// JWKS is the published key set.
func (m *Manager) JWKS(ctx context.Context) (jose.JSONWebKeySet, error) {
	return jose.JSONWebKeySet{}, errPlaceholder
}

// PublicKeyPEMs maps kid to PEM public key.
func (m *Manager) PublicKeyPEMs(ctx context.Context) (map[string]string, error) {
	return nil, errPlaceholder
}

// Rotate creates a new active key for alg; the old one is published until RetireAfter.
func (m *Manager) Rotate(ctx context.Context, alg string) (storage.SigningKey, error) {
	return storage.SigningKey{}, errPlaceholder
}
