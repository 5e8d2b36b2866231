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
		{"GrantOfDeletedPermission", testGrantOfDeletedPermission},
		{"GrantsRacingPermissionDelete", testGrantsRacingPermissionDelete},
	}...)
}

// testGrantOfDeletedPermission (adversarial): a grant naming a permission
// its entity's type no longer has (deleted after the caller checked) is
// ErrStale and writes nothing: an existing grant keeps what it had, no new
// grant appears. A grant of the permissions the type has still writes.
func testGrantOfDeletedPermission(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	must(t, s.CreateEntityType(ctx, storage.EntityType{ID: "type1", Name: "API",
		Permissions: []storage.EntityTypePermission{{ID: "p1", Name: "read"}, {ID: "p2", Name: "write"}}}))
	for _, id := range []string{"api", "client"} {
		must(t, s.CreateEntity(ctx, storage.Entity{ID: id, TenantID: tenantID, Name: id, TypeID: "type1", ClientID: id, ClientSecret: "s"}))
	}
	_, err := s.UpsertEntityGrant(ctx, storage.EntityGrant{ID: "g1", EntityID: "api", RecipientEntityID: "client", Permissions: []string{"write"}})
	must(t, err)
	typ, err := s.GetEntityType(ctx, "type1")
	must(t, err)
	typ.Permissions = typ.Permissions[1:] // "read" deleted
	must(t, s.UpdateEntityType(ctx, typ))

	_, err = s.UpsertEntityGrant(ctx, storage.EntityGrant{ID: "g2", EntityID: "api", RecipientEntityID: "client", Permissions: []string{"write", "read"}})
	wantErr(t, err, storage.ErrStale)
	_, err = s.UpsertEntityGrant(ctx, storage.EntityGrant{ID: "g3", EntityID: "api", UserID: "u1", Permissions: []string{"read"}})
	wantErr(t, err, storage.ErrStale)
	gs, err := s.ListEntityGrants(ctx, "api")
	must(t, err)
	if len(gs) != 1 || gs[0].ID != "g1" || !slices.Equal(gs[0].Permissions, []string{"write"}) {
		t.Fatalf("after the refused grants: %+v, want g1 with [write] only", gs)
	}
	_, err = s.UpsertEntityGrant(ctx, storage.EntityGrant{ID: "g4", EntityID: "api", UserID: "u1", Permissions: []string{"write"}})
	must(t, err)
	_, err = s.UpsertEntityGrant(ctx, storage.EntityGrant{ID: "g5", EntityID: "gone", UserID: "u1", Permissions: []string{}})
	wantErr(t, err, storage.ErrNotFound)
}

// testGrantsRacingPermissionDelete: grants naming a permission, released
// together with the write that deletes it from the entity's type, each
// either commit before the delete (which then strips the permission from
// them) or are refused (ErrStale); afterwards no grant names it.
func testGrantsRacingPermissionDelete(t *testing.T, s storage.Storage) {
	const n = 16
	ctx := context.Background()
	seed(t, s)
	for round := range 4 {
		typeID := fmt.Sprint("type", round)
		must(t, s.CreateEntityType(ctx, storage.EntityType{ID: typeID, Name: typeID,
			Permissions: []storage.EntityTypePermission{{ID: "p1", Name: "read"}, {ID: "p2", Name: "write"}}}))
		api := fmt.Sprint("api", round)
		must(t, s.CreateEntity(ctx, storage.Entity{ID: api, TenantID: tenantID, Name: api, TypeID: typeID, ClientID: api, ClientSecret: "s"}))
		for i := range n {
			id := fmt.Sprint("client", round, "-", i)
			must(t, s.CreateEntity(ctx, storage.Entity{ID: id, TenantID: tenantID, Name: id, TypeID: typeID, ClientID: id, ClientSecret: "s"}))
		}
		errs := parallel(n+1, func(i int) error {
			if i == n {
				typ, err := s.GetEntityType(ctx, typeID)
				if err != nil {
					return err
				}
				typ.Permissions = typ.Permissions[1:] // "read" deleted
				return s.UpdateEntityType(ctx, typ)
			}
			// Each grant is sent again and again, so some land before the
			// delete, some with it, some after.
			for range 4 {
				_, err := s.UpsertEntityGrant(ctx, storage.EntityGrant{ID: fmt.Sprint("g", round, "-", i), EntityID: api,
					RecipientEntityID: fmt.Sprint("client", round, "-", i), Permissions: []string{"read", "write"}})
				if err != nil && !errors.Is(err, storage.ErrStale) {
					return err
				}
			}
			return nil
		})
		if ok, other := countNil(errs); ok != n+1 {
			t.Fatalf("round %d: %d of %d writes succeeded or were refused as stale; the others: %v", round, ok, n+1, other)
		}
		gs, err := s.ListEntityGrants(ctx, api)
		must(t, err)
		for _, g := range gs {
			if slices.Contains(g.Permissions, "read") {
				t.Fatalf("round %d: grant %s names the deleted permission: %v", round, g.ID, g.Permissions)
			}
		}
	}
}
