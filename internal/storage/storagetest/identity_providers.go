package storagetest

import (
	"context"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func init() {
	oauthTests = append(oauthTests, struct {
		name string
		fn   func(t *testing.T, s storage.Storage)
	}{"FederatedAccount", testFederatedAccount})
}

// testFederatedAccount: a first federated login's user, registration and
// link are written all or nothing; a second link of the same upstream
// account conflicts; deleting the provider deletes its links.
func testFederatedAccount(t *testing.T, s storage.Storage) {
	seed(t, s)
	ctx := context.Background()
	must(t, s.CreateIdentityProvider(ctx, storage.IdentityProvider{ID: "idp1", Type: "OpenIDConnect", Name: "Upstream"}))
	wantErr(t, s.CreateIdentityProvider(ctx, storage.IdentityProvider{ID: "idp2", Type: "OpenIDConnect", Name: "Upstream"}), storage.ErrConflict)
	u := newUser("u2", "bob@example.com", "")
	link := storage.IdentityProviderLink{IdentityProviderID: "idp1", IdentityProviderUserID: "up-1", UserID: "u2", TenantID: tenantID}
	reg := storage.Registration{ID: "reg2", UserID: "u2", ApplicationID: "app1", Roles: []string{}}
	must(t, s.CreateFederatedAccount(ctx, storage.FederatedAccount{User: &u, Registration: &reg, Link: link}))
	got, err := s.GetIdentityProviderLink(ctx, tenantID, "idp1", "up-1")
	must(t, err)
	if got.UserID != "u2" {
		t.Fatalf("link %+v", got)
	}
	// All or nothing: a clashing email leaves no link and no registration.
	clash := newUser("u3", "BOB@example.com", "")
	err = s.CreateFederatedAccount(ctx, storage.FederatedAccount{User: &clash,
		Registration: &storage.Registration{ID: "reg3", UserID: "u3", ApplicationID: "app1"},
		Link:         storage.IdentityProviderLink{IdentityProviderID: "idp1", IdentityProviderUserID: "up-2", UserID: "u3", TenantID: tenantID}})
	wantErr(t, err, storage.ErrConflict)
	_, err = s.GetIdentityProviderLink(ctx, tenantID, "idp1", "up-2")
	wantErr(t, err, storage.ErrNotFound)
	// Linking an existing user (no user, no registration).
	must(t, s.CreateFederatedAccount(ctx, storage.FederatedAccount{Link: storage.IdentityProviderLink{
		IdentityProviderID: "idp1", IdentityProviderUserID: "up-3", UserID: "u1", TenantID: tenantID}}))
	wantErr(t, s.CreateFederatedAccount(ctx, storage.FederatedAccount{Link: link}), storage.ErrConflict)
	must(t, s.DeleteIdentityProvider(ctx, "idp1"))
	_, err = s.GetIdentityProviderLink(ctx, tenantID, "idp1", "up-3")
	wantErr(t, err, storage.ErrNotFound)
}
