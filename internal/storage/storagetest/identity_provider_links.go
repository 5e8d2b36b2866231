package storagetest

import (
	"context"
	"slices"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func init() {
	oauthTests = append(oauthTests, struct {
		name string
		fn   func(t *testing.T, s storage.Storage)
	}{"IdentityProviderLinks", testIdentityProviderLinks})
}

// testIdentityProviderLinks: an admin's link round-trips and is the one a
// login finds (GetIdentityProviderLink); a second link of the same upstream
// account is ErrConflict and a link to an unknown provider or user
// ErrNotFound, each storing nothing, not even its audit entry; a user's
// links list by provider then upstream id, of one provider when named; a
// delete names the user too and removes only that link; deleting the user
// deletes their links. Links are per tenant: another tenant links the
// same upstream account to a user of its own, and each tenant finds its
// own link.
func testIdentityProviderLinks(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	other := newUser("u2", "bob@example.com", "")
	must(t, s.CreateUser(ctx, other))
	for _, id := range []string{"idp1", "idp2"} {
		must(t, s.CreateIdentityProvider(ctx, storage.IdentityProvider{ID: id, Type: "OpenIDConnect", Name: "Upstream " + id}))
	}
	link := func(idp, upstream, user string) storage.IdentityProviderLink {
		return storage.IdentityProviderLink{IdentityProviderID: idp, IdentityProviderUserID: upstream, UserID: user,
			TenantID: tenantID, DisplayName: upstream + "@upstream", InsertInstant: base.UnixMilli()}
	}
	entry := storage.AuditEntry{InsertInstant: base.UnixMilli(), InsertUser: "test", Message: "Linked for the test"}
	must(t, s.CreateIdentityProviderLink(ctx, link("idp2", "up-b", u.ID), 0, entry))
	must(t, s.CreateIdentityProviderLink(ctx, link("idp1", "up-a", u.ID), 0))
	must(t, s.CreateIdentityProviderLink(ctx, link("idp1", "up-0", u.ID), 0))
	must(t, s.CreateIdentityProviderLink(ctx, link("idp1", "up-c", other.ID), 0))
	got, err := s.GetIdentityProviderLink(ctx, tenantID, "idp1", "up-a")
	must(t, err)
	if got != link("idp1", "up-a", u.ID) {
		t.Fatalf("link %+v", got)
	}
	audited := func(want int) {
		t.Helper()
		_, n, err := s.SearchAuditEntries(ctx, storage.AuditSearch{Message: "Linked for the test", Limit: 10})
		must(t, err)
		if n != want {
			t.Fatalf("%d audit entries, want %d", n, want)
		}
	}
	audited(1)
	for _, c := range []struct {
		l    storage.IdentityProviderLink
		want error
	}{
		{link("idp1", "up-a", other.ID), storage.ErrConflict}, // the upstream account is alice's
		{link("idp1", "up-a", u.ID), storage.ErrConflict},
		{link("idp3", "up-x", u.ID), storage.ErrNotFound},
		{link("idp1", "up-x", "nobody"), storage.ErrNotFound},
	} {
		wantErr(t, s.CreateIdentityProviderLink(ctx, c.l, 0, entry), c.want)
	}
	audited(1)
	if got, err := s.GetIdentityProviderLink(ctx, tenantID, "idp1", "up-a"); err != nil || got.UserID != u.ID {
		t.Fatalf("after the refused links: %+v %v", got, err)
	}
	const tenant2 = "22222222-2222-2222-2222-222222222222"
	must(t, s.CreateTenant(ctx, newTenant(tenant2)))
	carol := newUser("u3", "carol@example.com", "")
	carol.TenantID = tenant2
	must(t, s.CreateUser(ctx, carol))
	theirs := link("idp1", "up-a", carol.ID)
	theirs.TenantID = tenant2
	must(t, s.CreateIdentityProviderLink(ctx, theirs, 0))
	wantErr(t, s.CreateIdentityProviderLink(ctx, theirs, 0), storage.ErrConflict)
	for tn, want := range map[string]string{tenantID: u.ID, tenant2: carol.ID} {
		if got, err := s.GetIdentityProviderLink(ctx, tn, "idp1", "up-a"); err != nil || got.UserID != want {
			t.Fatalf("the link of up-a in tenant %s: %+v %v, want user %s", tn, got, err, want)
		}
	}
	if _, err := s.GetIdentityProviderLink(ctx, tenant2, "idp1", "up-0"); err != storage.ErrNotFound {
		t.Fatalf("tenant 1's link found in tenant 2: %v", err)
	}
	list := func(user, idp string) []string {
		t.Helper()
		ls, err := s.ListIdentityProviderLinks(ctx, user, idp)
		must(t, err)
		out := []string{}
		for _, l := range ls {
			out = append(out, l.IdentityProviderID+"/"+l.IdentityProviderUserID)
		}
		return out
	}
	for _, c := range []struct {
		user, idp string
		want      []string
	}{
		{u.ID, "", []string{"idp1/up-0", "idp1/up-a", "idp2/up-b"}},
		{u.ID, "idp2", []string{"idp2/up-b"}},
		{other.ID, "", []string{"idp1/up-c"}},
		{other.ID, "idp2", []string{}},
		{"nobody", "", []string{}},
	} {
		if got := list(c.user, c.idp); !slices.Equal(got, c.want) {
			t.Errorf("links of %s (%q): %v, want %v", c.user, c.idp, got, c.want)
		}
	}
	// A delete naming another user, or an unknown link, removes nothing.
	wantErr(t, s.DeleteIdentityProviderLink(ctx, "idp1", "up-a", other.ID, entry), storage.ErrNotFound)
	wantErr(t, s.DeleteIdentityProviderLink(ctx, "idp1", "up-zz", u.ID), storage.ErrNotFound)
	audited(1)
	must(t, s.DeleteIdentityProviderLink(ctx, "idp1", "up-a", u.ID, entry))
	audited(2)
	if _, err := s.GetIdentityProviderLink(ctx, tenantID, "idp1", "up-a"); err != storage.ErrNotFound {
		t.Fatalf("deleted link: %v", err)
	}
	if got, err := s.GetIdentityProviderLink(ctx, tenant2, "idp1", "up-a"); err != nil || got.UserID != carol.ID {
		t.Fatalf("tenant 2's link after tenant 1's was deleted: %+v %v", got, err)
	}
	if got, want := list(u.ID, ""), []string{"idp1/up-0", "idp2/up-b"}; !slices.Equal(got, want) {
		t.Fatalf("after the delete: %v, want %v", got, want)
	}
	must(t, s.DeleteUser(ctx, u.ID))
	if got := list(u.ID, ""); len(got) != 0 {
		t.Fatalf("links of the deleted user: %v", got)
	}
	if got := list(other.ID, ""); !slices.Equal(got, []string{"idp1/up-c"}) {
		t.Fatalf("the other user's links after the delete: %v", got)
	}
}
