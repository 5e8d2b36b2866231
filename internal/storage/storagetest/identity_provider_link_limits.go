package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func init() {
	oauthTests = append(oauthTests, []struct {
		name string
		fn   func(t *testing.T, s storage.Storage)
	}{
		{"IdentityProviderLinkLimit", testIdentityProviderLinkLimit},
		{"IdentityProviderLinkLimitRace", testIdentityProviderLinkLimitRace},
	}...)
}

// linkLimitFixture makes a provider and a user with one link to it.
func linkLimitFixture(t *testing.T, s storage.Storage) (storage.User, func(upstream string) storage.IdentityProviderLink) {
	t.Helper()
	ctx := context.Background()
	_, u := seed(t, s)
	must(t, s.CreateIdentityProvider(ctx, storage.IdentityProvider{ID: "idp1", Type: "OpenIDConnect", Name: "Upstream"}))
	must(t, s.CreateIdentityProvider(ctx, storage.IdentityProvider{ID: "idp2", Type: "OpenIDConnect", Name: "Other"}))
	link := func(upstream string) storage.IdentityProviderLink {
		return storage.IdentityProviderLink{IdentityProviderID: "idp1", IdentityProviderUserID: upstream, UserID: u.ID,
			TenantID: tenantID, InsertInstant: base.UnixMilli()}
	}
	must(t, s.CreateIdentityProviderLink(ctx, link("up-0"), 0))
	return u, link
}

func linkedUpstreams(t *testing.T, s storage.Storage, userID string) []string {
	t.Helper()
	ls, err := s.ListIdentityProviderLinks(context.Background(), userID, "")
	must(t, err)
	out := []string{}
	for _, l := range ls {
		out = append(out, l.IdentityProviderID+"/"+l.IdentityProviderUserID)
	}
	return out
}

// testIdentityProviderLinkLimit: with maxLinks a user has at most that
// many links to the provider; the link beyond it is ErrLinkLimit and
// stores nothing (neither the link nor its audit entry, nor a federated
// login's registration); links to another provider do not count; 0 is no
// limit; a link of an upstream account already linked is ErrConflict
// first, whatever the count.
func testIdentityProviderLinkLimit(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	u, link := linkLimitFixture(t, s)
	entry := storage.AuditEntry{InsertInstant: base.UnixMilli(), InsertUser: "test", Message: "Linked at the limit"}
	must(t, s.CreateIdentityProviderLink(ctx, storage.IdentityProviderLink{IdentityProviderID: "idp2", IdentityProviderUserID: "other",
		UserID: u.ID, TenantID: tenantID}, 1))
	must(t, s.CreateIdentityProviderLink(ctx, link("up-1"), 2, entry))
	wantErr(t, s.CreateIdentityProviderLink(ctx, link("up-2"), 2, entry), storage.ErrLinkLimit)
	wantErr(t, s.CreateIdentityProviderLink(ctx, link("up-1"), 2), storage.ErrConflict)
	app2 := newApp("app2", true)
	must(t, s.CreateApplication(ctx, app2))
	reg := storage.Registration{ID: "reg-limit", UserID: u.ID, ApplicationID: app2.ID, InsertInstant: base.UnixMilli()}
	wantErr(t, s.CreateFederatedAccount(ctx, storage.FederatedAccount{Registration: &reg, Link: link("up-3"), MaxLinks: 2}), storage.ErrLinkLimit)
	if got, want := linkedUpstreams(t, s, u.ID), []string{"idp1/up-0", "idp1/up-1", "idp2/other"}; !slices.Equal(got, want) {
		t.Fatalf("links after the refusals: %v, want %v", got, want)
	}
	if _, err := s.GetRegistration(ctx, u.ID, app2.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the refused federated account's registration: %v", err)
	}
	if _, n, err := s.SearchAuditEntries(ctx, storage.AuditSearch{Message: "Linked at the limit", Limit: 10}); err != nil || n != 1 {
		t.Fatalf("%d audit entries (%v), want the accepted link's only", n, err)
	}
	must(t, s.CreateFederatedAccount(ctx, storage.FederatedAccount{Link: link("up-3"), MaxLinks: 3}))
	must(t, s.CreateIdentityProviderLink(ctx, link("up-4"), 0))
	// A new user's first link is within any limit.
	nu := newUser("u-new", "new@example.com", "")
	nl := link("up-new")
	nl.UserID = nu.ID
	must(t, s.CreateFederatedAccount(ctx, storage.FederatedAccount{User: &nu, Link: nl, MaxLinks: 1}))
	if got := linkedUpstreams(t, s, nu.ID); !slices.Equal(got, []string{"idp1/up-new"}) {
		t.Fatalf("the new user's links: %v", got)
	}
}

// testIdentityProviderLinkLimitRace: concurrent links of different
// upstream accounts to one user one below the limit, through both write
// paths: exactly one is stored. A few rounds, each on a pool the previous
// one warmed, so that the transactions overlap.
func testIdentityProviderLinkLimitRace(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	u, link := linkLimitFixture(t, s)
	for round := range 4 {
		limit := round + 2
		errs := parallel(8, func(i int) error {
			l := link(fmt.Sprintf("race-%d-%d", round, i))
			if i%2 == 0 {
				return s.CreateIdentityProviderLink(ctx, l, limit)
			}
			return s.CreateFederatedAccount(ctx, storage.FederatedAccount{Link: l, MaxLinks: limit})
		})
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, storage.ErrLinkLimit):
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if got := linkedUpstreams(t, s, u.ID); won != 1 || len(got) != limit {
			t.Fatalf("round %d: %d links won, the user has %v; want one won and %d links", round, won, got, limit)
		}
	}
}
