package storage

import "context"

// IdentityProviderConnectionTest is one run of FusionAuth's identity
// provider connection test (apis/identity-providers/test.mdx): started by
// the API for a provider and a tenant, then completed once by a sign-in
// through the provider in test mode, which records its steps and the
// account it resolved instead of logging anybody in. It goes with its
// provider and its tenant.
type IdentityProviderConnectionTest struct {
	ID                 string
	TenantID           string
	IdentityProviderID string
	InsertInstant      int64 // ms
	ExpiresInstant     int64 // ms; unusable and invisible from then on
	// Set by CompleteIdentityProviderConnectionTest; zero until then.
	CompleteInstant        int64
	Steps                  []IdentityProviderTestStep
	IdentityProviderUserID string
	Email                  string
	Username               string
}

// IdentityProviderTestStep is one recorded step of a connection test.
type IdentityProviderTestStep struct {
	Title   string `json:"title"`
	Success bool   `json:"success"`
	Detail  string `json:"detail"`
}

// IdentityProviderConnectionTestStore stores connection tests.
type IdentityProviderConnectionTestStore interface {
	// CreateIdentityProviderConnectionTest stores t: ErrNotFound, nothing
	// stored, when its provider or tenant does not exist; ErrConflict on a
	// duplicate id.
	CreateIdentityProviderConnectionTest(ctx context.Context, t IdentityProviderConnectionTest) error
	// GetIdentityProviderConnectionTest returns the test with id that has
	// not expired at now (ms); ErrNotFound otherwise.
	GetIdentityProviderConnectionTest(ctx context.Context, id string, now int64) (IdentityProviderConnectionTest, error)
	// CountIdentityProviderConnectionTests counts the tests of providerID
	// that have not expired at now (ms).
	CountIdentityProviderConnectionTests(ctx context.Context, providerID string, now int64) (int, error)
	// CompleteIdentityProviderConnectionTest records the outcome of the
	// test with id, once: it sets r's CompleteInstant, Steps,
	// IdentityProviderUserID, Email and Username only on a test of
	// providerID that has not expired at r.CompleteInstant and was not
	// completed before; anything else is ErrNotFound with nothing changed.
	CompleteIdentityProviderConnectionTest(ctx context.Context, id, providerID string, r IdentityProviderConnectionTest) error
	// PurgeIdentityProviderConnectionTests deletes up to limit tests
	// expired at expiredBefore (ms), and says how many (the janitor).
	PurgeIdentityProviderConnectionTests(ctx context.Context, expiredBefore int64, limit int) (int, error)
}
