package server_test

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// permissionVanishes is the real store with the permission "read" deleted
// from the grant's entity type just before the first grant is written: a
// permission delete committed between the use case's checks and its write.
type permissionVanishes struct {
	storage.Storage
	done *atomic.Bool
}

func (s permissionVanishes) UpsertEntityGrant(ctx context.Context, g storage.EntityGrant, audit ...storage.AuditEntry) (storage.EntityGrant, error) {
	if !s.done.Swap(true) {
		en, err := s.GetEntity(ctx, g.EntityID)
		if err != nil {
			return g, err
		}
		typ, err := s.GetEntityType(ctx, en.TypeID)
		if err != nil {
			return g, err
		}
		typ.Permissions = slices.DeleteFunc(typ.Permissions, func(p storage.EntityTypePermission) bool { return p.Name == "read" })
		if err := s.UpdateEntityType(ctx, typ); err != nil {
			return g, err
		}
	}
	return s.Storage.UpsertEntityGrant(ctx, g, audit...)
}

// TestGrantOfPermissionDeletedMeanwhile (adversarial): a grant naming a
// permission deleted from the entity's type after the request's checks and
// before its write answers what a grant of an unknown permission answers
// (400 on grant.permissions), and stores nothing: no grant names the
// deleted permission. A grant of the permissions the type keeps works.
func TestGrantOfPermissionDeletedMeanwhile(t *testing.T) {
	s := buildStack(t, stackOpts{store: permissionVanishes{sqlstorage.OpenTest(t), new(atomic.Bool)}})
	typeID, _ := entityType(t, s, "Service", "read", "write")
	api := s.apiOK("POST", "/api/entity", map[string]any{"entity": map[string]any{"name": "api", "type": map[string]any{"id": typeID}}})["entity"].(map[string]any)["id"].(string)
	grant := map[string]any{"grant": map[string]any{"userId": aliceID, "permissions": []string{"read", "write"}}}
	res := s.api("POST", "/api/entity/"+api+"/grant", grant)
	if res.status != 400 || !strings.Contains(string(res.body), `"grant.permissions"`) {
		t.Fatalf("a grant of a permission deleted meanwhile: %d %s", res.status, res.body)
	}
	if unknown := s.api("POST", "/api/entity/"+api+"/grant", grant); string(unknown.body) != string(res.body) {
		t.Fatalf("deleted meanwhile %s, deleted before %s: want the same answer", res.body, unknown.body)
	}
	if gs := s.apiOK("GET", "/api/entity/"+api+"/grant", nil)["grants"].([]any); len(gs) != 0 {
		t.Fatalf("grants stored: %v", gs)
	}
	s.apiOK("POST", "/api/entity/"+api+"/grant", map[string]any{"grant": map[string]any{"userId": aliceID, "permissions": []string{"write"}}})
	g := s.apiOK("GET", "/api/entity/"+api+"/grant?userId="+aliceID, nil)["grant"].(map[string]any)
	if p := g["permissions"].([]any); len(p) != 1 || p[0] != "write" {
		t.Fatalf("the grant of the kept permission: %v", p)
	}
}
