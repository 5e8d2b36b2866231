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
	}{"Entities", testEntities})
}

// testEntities: types with unique names, entities with unique client ids,
// one grant per (entity, recipient) upserted in place, and deletes that
// take grants with them.
func testEntities(t *testing.T, s storage.Storage) {
	seed(t, s)
	ctx := context.Background()
	typ := storage.EntityType{ID: "type1", Name: "API", Permissions: []storage.EntityTypePermission{{ID: "p1", Name: "read"}}}
	must(t, s.CreateEntityType(ctx, typ))
	wantErr(t, s.CreateEntityType(ctx, storage.EntityType{ID: "type2", Name: "API"}), storage.ErrConflict)
	for _, id := range []string{"api", "client"} {
		must(t, s.CreateEntity(ctx, storage.Entity{ID: id, TenantID: tenantID, Name: id, TypeID: "type1", ClientID: "cid-" + id, ClientSecret: "s"}))
	}
	wantErr(t, s.CreateEntity(ctx, storage.Entity{ID: "dup", TenantID: tenantID, TypeID: "type1", ClientID: "cid-api"}), storage.ErrConflict)
	wantErr(t, s.CreateEntity(ctx, storage.Entity{ID: "orphan", TenantID: tenantID, TypeID: "nope", ClientID: "x"}), storage.ErrNotFound)
	e, err := s.FindEntityByClientID(ctx, "cid-client")
	must(t, err)
	if e.ID != "client" || e.TypeID != "type1" || e.ClientSecret != "s" {
		t.Fatalf("FindEntityByClientID = %+v", e)
	}
	g, err := s.UpsertEntityGrant(ctx, storage.EntityGrant{ID: "g1", EntityID: "api", RecipientEntityID: "client", Permissions: []string{"read"}, InsertInstant: 1})
	must(t, err)
	g2, err := s.UpsertEntityGrant(ctx, storage.EntityGrant{ID: "g-other", EntityID: "api", RecipientEntityID: "client", Permissions: []string{}, InsertInstant: 2})
	must(t, err)
	if g2.ID != g.ID || g2.InsertInstant != 1 {
		t.Errorf("upsert replaced the id or insert instant: %+v", g2)
	}
	_, err = s.UpsertEntityGrant(ctx, storage.EntityGrant{ID: "g2", EntityID: "api", UserID: "u1", Permissions: []string{"read"}})
	must(t, err)
	got, err := s.GetEntityGrant(ctx, "api", "client", "")
	must(t, err)
	if len(got.Permissions) != 0 || got.EntityID != "api" {
		t.Errorf("GetEntityGrant = %+v", got)
	}
	if gs, _ := s.ListEntityGrants(ctx, "api"); len(gs) != 2 {
		t.Errorf("ListEntityGrants = %d", len(gs))
	}
	must(t, s.DeleteEntity(ctx, "client"))
	_, err = s.GetEntityGrant(ctx, "api", "client", "")
	wantErr(t, err, storage.ErrNotFound)
	must(t, s.DeleteEntityGrant(ctx, "api", "", "u1"))
	wantErr(t, s.DeleteEntityGrant(ctx, "api", "", "u1"), storage.ErrNotFound)
	must(t, s.DeleteEntityType(ctx, "type1"))
	_, err = s.GetEntity(ctx, "api")
	wantErr(t, err, storage.ErrNotFound)
}
