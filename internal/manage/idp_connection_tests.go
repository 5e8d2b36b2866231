package manage

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// ConnectionTestTTL is how long a connection test can be run and read:
// FusionAuth's default for
// tenant.externalIdentifierConfiguration.identityProviderConnectionTestTimeToLiveInSeconds
// (1800 s), which latchkey does not make configurable (docs/compatibility.md).
const ConnectionTestTTL = 1800 * time.Second

// MaxOpenConnectionTests bounds the unexpired tests of one provider:
// FusionAuth documents no bound; every test is a stored row
// (docs/api.md).
const MaxOpenConnectionTests = 50

// MaxConnectionTestDetail bounds a recorded step's detail, in bytes.
const MaxConnectionTestDetail = 500

// IdentityProviderTestsStore is what IdentityProviderTests uses.
type IdentityProviderTestsStore interface {
	GetTenant(ctx context.Context, id string) (storage.Tenant, error)
	GetIdentityProvider(ctx context.Context, id string) (storage.IdentityProvider, error)
	storage.IdentityProviderConnectionTestStore
}

// IdentityProviderTests is FusionAuth's identity provider connection test
// (apis/identity-providers/test.mdx): Start opens a test of a provider for
// a tenant; a sign-in through the provider in test mode (the hosted
// /oauth2/federate/{id}?connectionTestId=…) records what happened with
// Complete instead of logging anybody in; Result reads it back.
type IdentityProviderTests struct {
	Store IdentityProviderTestsStore
	Now   func() time.Time
}

// ConnectionTestRequest is FusionAuth's IdentityProviderConnectionTestRequest.
type ConnectionTestRequest struct {
	IdentityProviderID string `json:"identityProviderId"`
	TenantID           string `json:"tenantId"`
}

// ConnectionTestStep is FusionAuth's IdentityProviderLoginStep.
type ConnectionTestStep = storage.IdentityProviderTestStep

// ConnectionTestResult is FusionAuth's IdentityProviderConnectionTestResult.
type ConnectionTestResult struct {
	Email                  string               `json:"email,omitempty"`
	IdentityProviderID     string               `json:"identityProviderId"`
	IdentityProviderUserID string               `json:"identityProviderUserId,omitempty"`
	StartInstant           int64                `json:"startInstant"`
	Steps                  []ConnectionTestStep `json:"steps"`
	Success                bool                 `json:"success"`
	Username               string               `json:"username,omitempty"`
}

// Start opens a connection test of an existing provider (enabled or not:
// the test is how a disabled provider is tried before it is enabled) for
// a tenant: the scope's for a tenant-scoped key (naming another is
// refused as unknown), else in.TenantID, else the default tenant. It
// returns the test's id, an opaque random string.
func (ts *IdentityProviderTests) Start(ctx context.Context, scope Scope, in ConnectionTestRequest) (string, error) {
	e := &Invalid{}
	tenantID := cmp.Or(in.TenantID, scope.TenantID, DefaultTenantID)
	if !scope.Sees(tenantID) || !ValidID(tenantID) {
		e.Field("invalid", "tenantId", "No tenant exists with Id ["+truncate(tenantID, 64)+"].")
	} else if _, err := ts.Store.GetTenant(ctx, tenantID); errors.Is(err, storage.ErrNotFound) {
		e.Field("invalid", "tenantId", "No tenant exists with Id ["+truncate(tenantID, 64)+"].")
	} else if err != nil {
		return "", err
	}
	switch _, err := ts.Store.GetIdentityProvider(ctx, in.IdentityProviderID); {
	case strings.TrimSpace(in.IdentityProviderID) == "":
		e.Field("blank", "identityProviderId", "You must specify the [identityProviderId] property.")
	case errors.Is(err, storage.ErrNotFound) || !ValidID(in.IdentityProviderID):
		e.Field("invalid", "identityProviderId", "No identity provider exists with Id ["+truncate(in.IdentityProviderID, 64)+"].")
	case err != nil:
		return "", err
	}
	if err := e.Err(); err != nil {
		return "", err
	}
	now := ts.Now()
	if n, err := ts.Store.CountIdentityProviderConnectionTests(ctx, in.IdentityProviderID, now.UnixMilli()); err != nil {
		return "", err
	} else if n >= MaxOpenConnectionTests {
		return "", invalid("tooMany", "identityProviderId", "The identity provider has 50 connection tests that have not expired; run or wait for them.")
	}
	id := rand.Text() + rand.Text()
	err := ts.Store.CreateIdentityProviderConnectionTest(ctx, storage.IdentityProviderConnectionTest{ID: id, TenantID: tenantID,
		IdentityProviderID: in.IdentityProviderID, InsertInstant: now.UnixMilli(), ExpiresInstant: now.Add(ConnectionTestTTL).UnixMilli()})
	if errors.Is(err, storage.ErrNotFound) { // the provider was deleted meanwhile
		return "", invalid("invalid", "identityProviderId", "No identity provider exists with Id ["+truncate(in.IdentityProviderID, 64)+"].")
	}
	return id, err
}

// Result reads a test the scope sees that has not expired: ErrNotFound
// otherwise. It succeeded when it recorded at least one step and every
// step succeeded.
func (ts *IdentityProviderTests) Result(ctx context.Context, scope Scope, id string) (ConnectionTestResult, error) {
	t, err := ts.Open(ctx, id, "")
	if err != nil || !scope.Sees(t.TenantID) {
		return ConnectionTestResult{}, cmpErr(err, ErrNotFound)
	}
	r := ConnectionTestResult{Email: t.Email, IdentityProviderID: t.IdentityProviderID, IdentityProviderUserID: t.IdentityProviderUserID,
		StartInstant: t.InsertInstant, Steps: t.Steps, Username: t.Username, Success: len(t.Steps) > 0}
	for _, s := range t.Steps {
		r.Success = r.Success && s.Success
	}
	return r, nil
}

// Open reads a test that has not expired and, when providerID is set, is
// a test of that provider that has not been completed yet: the check a
// test-mode sign-in makes before it starts. ErrNotFound otherwise.
func (ts *IdentityProviderTests) Open(ctx context.Context, id, providerID string) (storage.IdentityProviderConnectionTest, error) {
	if id == "" || len(id) > 128 || strings.IndexFunc(id, unicode.IsControl) >= 0 { // no id holds one (a NUL fails PostgreSQL)
		return storage.IdentityProviderConnectionTest{}, ErrNotFound
	}
	t, err := ts.Store.GetIdentityProviderConnectionTest(ctx, id, ts.Now().UnixMilli())
	if err == nil && providerID != "" && (t.IdentityProviderID != providerID || t.CompleteInstant != 0) {
		err = storage.ErrNotFound
	}
	return t, notFound(err)
}

// Complete records a test-mode sign-in's steps and the account it
// resolved, once, on a test of providerID that has not expired; details
// are cut to MaxConnectionTestDetail bytes. ErrNotFound otherwise.
func (ts *IdentityProviderTests) Complete(ctx context.Context, id, providerID string, r storage.IdentityProviderConnectionTest) error {
	for i := range r.Steps {
		r.Steps[i].Detail = truncateUTF8(r.Steps[i].Detail, MaxConnectionTestDetail)
	}
	r.Email, r.Username, r.IdentityProviderUserID = truncateUTF8(r.Email, 256), truncateUTF8(r.Username, 256), truncateUTF8(r.IdentityProviderUserID, 256)
	r.CompleteInstant = ts.Now().UnixMilli()
	return notFound(ts.Store.CompleteIdentityProviderConnectionTest(ctx, id, providerID, r))
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
