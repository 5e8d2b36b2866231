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
	}{"FederatedAccountReconciled", testFederatedAccountReconciled})
}

// testFederatedAccountReconciled: what a reconcile lambda changed of an
// existing user and registration is written with the login's link and
// registration, each only while its row has the revision read: a stale
// one writes nothing at all (neither the other change nor the link).
func testFederatedAccountReconciled(t *testing.T, s storage.Storage) {
	seed(t, s)
	ctx := context.Background()
	must(t, s.CreateIdentityProvider(ctx, storage.IdentityProvider{ID: "idp1", Type: "OpenIDConnect", Name: "Upstream",
		LambdaConfiguration: storage.IdentityProviderLambdaConfiguration{ReconcileID: "lam1"}}))
	p, err := s.GetIdentityProvider(ctx, "idp1")
	must(t, err)
	if p.LambdaConfiguration.ReconcileID != "lam1" {
		t.Fatalf("lambdaConfiguration not kept: %+v", p.LambdaConfiguration)
	}
	u := newUser("u2", "bob@example.com", "")
	reg := storage.Registration{ID: "reg2", UserID: "u2", ApplicationID: "app1", Roles: []string{}}
	must(t, s.CreateFederatedAccount(ctx, storage.FederatedAccount{User: &u, Registration: &reg,
		Link: storage.IdentityProviderLink{IdentityProviderID: "idp1", IdentityProviderUserID: "up-1", UserID: "u2", TenantID: tenantID}}))
	cur, err := s.GetUser(ctx, "u2")
	must(t, err)
	regs, err := s.ListRegistrations(ctx, "u2")
	must(t, err)
	curReg := regs[0]

	// Stale user: nothing written, not the registration, not the link.
	stale := cur
	stale.FirstName, stale.Revision = "Stale", cur.Revision+7
	r := curReg
	r.Roles = []string{"admin"}
	err = s.CreateFederatedAccount(ctx, storage.FederatedAccount{UpdatedUser: &stale, UpdatedRegistration: &r,
		Link: storage.IdentityProviderLink{IdentityProviderID: "idp1", IdentityProviderUserID: "up-9", UserID: "u2", TenantID: tenantID}})
	wantErr(t, err, storage.ErrStale)
	_, err = s.GetIdentityProviderLink(ctx, tenantID, "idp1", "up-9")
	wantErr(t, err, storage.ErrNotFound)
	if regs, _ := s.ListRegistrations(ctx, "u2"); len(regs) != 1 || len(regs[0].Roles) != 0 {
		t.Fatalf("a stale write changed the registration: %+v", regs)
	}
	// Stale registration: the user is not written either.
	fresh := cur
	fresh.FirstName = "Bob"
	staleReg := curReg
	staleReg.Roles, staleReg.Revision = []string{"admin"}, curReg.Revision+7
	wantErr(t, s.CreateFederatedAccount(ctx, storage.FederatedAccount{UpdatedUser: &fresh, UpdatedRegistration: &staleReg}), storage.ErrStale)
	if got, _ := s.GetUser(ctx, "u2"); got.FirstName != cur.FirstName {
		t.Fatalf("a stale registration let the user be written: %q", got.FirstName)
	}
	// Both current: both written.
	must(t, s.CreateFederatedAccount(ctx, storage.FederatedAccount{UpdatedUser: &fresh, UpdatedRegistration: &r}))
	got, err := s.GetUser(ctx, "u2")
	must(t, err)
	regs, err = s.ListRegistrations(ctx, "u2")
	must(t, err)
	if got.FirstName != "Bob" || got.Revision == cur.Revision || len(regs) != 1 || len(regs[0].Roles) != 1 || regs[0].Roles[0] != "admin" {
		t.Fatalf("user %q (revision %d, was %d), registrations %+v", got.FirstName, got.Revision, cur.Revision, regs)
	}
}
