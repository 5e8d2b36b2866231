package storagetest

import (
	"context"
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
		{"StaleActionLogWrite", testStaleActionLogWrite},
		{"StaleEntityTypeWrite", testStaleEntityTypeWrite},
		{"StaleEntityWrite", testStaleEntityWrite},
		{"DeletedPermissionLeavesGrants", testDeletedPermissionLeavesGrants},
		{"ConcurrentFirstGrants", testConcurrentFirstGrants},
		{"GrantToMissingRecipient", testGrantToMissingRecipient},
	}...)
}

// testStaleActionLogWrite: an action taken starts at revision 1 and every
// write adds 1; a write naming a revision that is no longer the row's
// (a modify computed before a cancel committed) is ErrStale and changes
// nothing, not the cancel above all; revision 0 writes without condition;
// a gone action is ErrNotFound whatever the revision.
func testStaleActionLogWrite(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	hour := int64(3_600_000)
	now := base.UnixMilli()
	_, err := s.TakeUserAction(ctx, newActionLog("l1", u.ID, true, now+hour), nil)
	must(t, err)
	read, err := s.GetUserActionLog(ctx, "l1")
	must(t, err)
	if read.Revision != 1 {
		t.Fatalf("a new action's revision is %d, want 1", read.Revision)
	}

	cancel := read
	cancel.Canceled, cancel.Expiry = true, now+1
	must(t, s.UpdateUserActionLog(ctx, cancel))
	cancelled, err := s.GetUserActionLog(ctx, "l1")
	must(t, err)
	if cancelled.Revision != 2 || !cancelled.Canceled {
		t.Fatalf("after the cancel: revision %d, canceled %v; want 2, true", cancelled.Revision, cancelled.Canceled)
	}

	modify := read // computed from the read before the cancel
	modify.Expiry = now + 2*hour
	wantErr(t, s.UpdateUserActionLog(ctx, modify), storage.ErrStale)
	got, err := s.GetUserActionLog(ctx, "l1")
	must(t, err)
	wantEqual(t, "after the stale modify", got, cancelled)
	if prev, _ := s.LoginPreventions(ctx, u.ID, now+2); len(prev) != 0 {
		t.Fatalf("the stale modify brought the lock back: %+v", prev)
	}

	// EndUserActionWith is a write too.
	_, err = s.TakeUserAction(ctx, storage.UserActionLog{ID: "l2", TenantID: tenantID, ActioneeUserID: u.ID, UserActionID: "a1",
		Name: "Lock", ApplicationIDs: []string{}, Expiry: now + 1, InsertInstant: now, Temporal: true, SendEndEvent: true}, nil)
	must(t, err)
	l2, _ := s.GetUserActionLog(ctx, "l2")
	ended, err := s.EndUserActionWith(ctx, l2, nil)
	must(t, err)
	if after, _ := s.GetUserActionLog(ctx, "l2"); !ended || after.Revision != 2 {
		t.Fatalf("ended %v, revision %d after the end; want true, 2", ended, after.Revision)
	}

	blind := cancelled
	blind.Revision, blind.Comment = 0, "no condition"
	must(t, s.UpdateUserActionLog(ctx, blind))
	if got, _ := s.GetUserActionLog(ctx, "l1"); got.Revision != 3 || got.Comment != "no condition" {
		t.Fatalf("the unconditional write: revision %d, comment %q", got.Revision, got.Comment)
	}
	gone := newActionLog("missing", u.ID, true, now+hour)
	gone.Revision = 1
	wantErr(t, s.UpdateUserActionLog(ctx, gone), storage.ErrNotFound)
}

// testStaleEntityTypeWrite: an entity type's write naming a revision that
// is no longer the row's is ErrStale and changes nothing (the permission
// added by the write that won stays).
func testStaleEntityTypeWrite(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	must(t, s.CreateEntityType(ctx, storage.EntityType{ID: "type1", Name: "API", Permissions: []storage.EntityTypePermission{}}))
	read, err := s.GetEntityType(ctx, "type1")
	must(t, err)
	if read.Revision != 1 {
		t.Fatalf("a new type's revision is %d, want 1", read.Revision)
	}
	first, second := read, read
	first.Permissions = []storage.EntityTypePermission{{ID: "p1", Name: "read"}}
	second.Permissions = []storage.EntityTypePermission{{ID: "p2", Name: "write"}}
	must(t, s.UpdateEntityType(ctx, first))
	wantErr(t, s.UpdateEntityType(ctx, second), storage.ErrStale)
	got, err := s.GetEntityType(ctx, "type1")
	must(t, err)
	first.Revision = 2
	wantEqual(t, "after the stale write", got, first)
	if ts, _ := s.ListEntityTypes(ctx); len(ts) != 1 || ts[0].Revision != 2 {
		t.Fatalf("ListEntityTypes = %+v, want the type at revision 2", ts)
	}
	gone := storage.EntityType{ID: "nope", Name: "Nope", Revision: 1}
	wantErr(t, s.UpdateEntityType(ctx, gone), storage.ErrNotFound)
}

// testStaleEntityWrite: the same for an entity.
func testStaleEntityWrite(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	must(t, s.CreateEntityType(ctx, storage.EntityType{ID: "type1", Name: "API"}))
	must(t, s.CreateEntity(ctx, storage.Entity{ID: "e1", TenantID: tenantID, Name: "one", TypeID: "type1", ClientID: "c1", ClientSecret: "s"}))
	read, err := s.GetEntity(ctx, "e1")
	must(t, err)
	if read.Revision != 1 {
		t.Fatalf("a new entity's revision is %d, want 1", read.Revision)
	}
	first, second := read, read
	first.Name, second.Name = "first", "second"
	must(t, s.UpdateEntity(ctx, first))
	wantErr(t, s.UpdateEntity(ctx, second), storage.ErrStale)
	for _, get := range []func() (storage.Entity, error){
		func() (storage.Entity, error) { return s.GetEntity(ctx, "e1") },
		func() (storage.Entity, error) { return s.FindEntityByClientID(ctx, "c1") },
		func() (storage.Entity, error) { es, err := s.ListEntities(ctx, tenantID); return es[0], err },
	} {
		got, err := get()
		must(t, err)
		if got.Name != "first" || got.Revision != 2 {
			t.Fatalf("after the stale write: name %q, revision %d; want first, 2", got.Name, got.Revision)
		}
	}
	wantErr(t, s.UpdateEntity(ctx, storage.Entity{ID: "nope", TenantID: tenantID, Name: "x", ClientID: "x", Revision: 1}), storage.ErrNotFound)
}

// testDeletedPermissionLeavesGrants: a permission taken out of an entity
// type leaves every grant on the type's entities (to entities and to
// users) in the same write; grants on entities of other types, and the
// permissions the type keeps, stay.
func testDeletedPermissionLeavesGrants(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	perms := []storage.EntityTypePermission{{ID: "p1", Name: "read"}, {ID: "p2", Name: "write"}}
	must(t, s.CreateEntityType(ctx, storage.EntityType{ID: "type1", Name: "API", Permissions: perms}))
	must(t, s.CreateEntityType(ctx, storage.EntityType{ID: "type2", Name: "Other", Permissions: perms}))
	for _, e := range [][2]string{{"api", "type1"}, {"client", "type1"}, {"other", "type2"}} {
		must(t, s.CreateEntity(ctx, storage.Entity{ID: e[0], TenantID: tenantID, Name: e[0], TypeID: e[1], ClientID: e[0], ClientSecret: "s"}))
	}
	grants := []storage.EntityGrant{
		{ID: "g1", EntityID: "api", RecipientEntityID: "client", Permissions: []string{"read", "write"}},
		{ID: "g2", EntityID: "api", UserID: "u1", Permissions: []string{"read"}},
		{ID: "g3", EntityID: "other", RecipientEntityID: "api", Permissions: []string{"read", "write"}},
	}
	for _, g := range grants {
		_, err := s.UpsertEntityGrant(ctx, g)
		must(t, err)
	}
	t1, err := s.GetEntityType(ctx, "type1")
	must(t, err)
	t1.Permissions = perms[1:] // "read" deleted
	must(t, s.UpdateEntityType(ctx, t1))
	for _, want := range []struct {
		entity, recipient, user string
		perms                   []string
	}{{"api", "client", "", []string{"write"}}, {"api", "", "u1", []string{}}, {"other", "api", "", []string{"read", "write"}}} {
		g, err := s.GetEntityGrant(ctx, want.entity, want.recipient, want.user)
		must(t, err)
		if !slices.Equal(g.Permissions, want.perms) || g.Permissions == nil {
			t.Errorf("grant on %s to %s%s: permissions %#v, want %#v", want.entity, want.recipient, want.user, g.Permissions, want.perms)
		}
	}
}

// testConcurrentFirstGrants: first grants on one entity to one recipient,
// released together, all succeed (one creates, the others replace), and
// one grant remains, whose id every answer names.
func testConcurrentFirstGrants(t *testing.T, s storage.Storage) {
	const n = 20
	ctx := context.Background()
	seed(t, s)
	must(t, s.CreateEntityType(ctx, storage.EntityType{ID: "type1", Name: "API", Permissions: []storage.EntityTypePermission{{ID: "p1", Name: "read"}}}))
	for _, id := range []string{"api", "client"} {
		must(t, s.CreateEntity(ctx, storage.Entity{ID: id, TenantID: tenantID, Name: id, TypeID: "type1", ClientID: id, ClientSecret: "s"}))
	}
	for _, recipient := range [][2]string{{"client", ""}, {"", "u1"}} {
		got := make([]storage.EntityGrant, n)
		errs := parallel(n, func(i int) error {
			var err error
			got[i], err = s.UpsertEntityGrant(ctx, storage.EntityGrant{ID: fmt.Sprint("g", recipient, i), EntityID: "api",
				RecipientEntityID: recipient[0], UserID: recipient[1], Permissions: []string{"read"}, InsertInstant: int64(i + 1)})
			return err
		})
		if ok, other := countNil(errs); ok != n {
			t.Fatalf("recipient %v: %d of %d upserts succeeded; the others: %v", recipient, ok, n, other)
		}
		stored, err := s.GetEntityGrant(ctx, "api", recipient[0], recipient[1])
		must(t, err)
		for i, g := range got {
			if g.ID != stored.ID || g.InsertInstant != stored.InsertInstant || g.EntityID != "api" {
				t.Fatalf("recipient %v: answer %d is %+v, the stored grant %+v", recipient, i, g, stored)
			}
		}
	}
	if gs, _ := s.ListEntityGrants(ctx, "api"); len(gs) != 2 {
		t.Fatalf("%d grants, want one per recipient", len(gs))
	}
}

// testGrantToMissingRecipient: a grant to a user or entity that does not
// exist (deleted since the caller looked) is ErrNotFound and stores
// nothing.
func testGrantToMissingRecipient(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	must(t, s.CreateEntityType(ctx, storage.EntityType{ID: "type1", Name: "API"}))
	must(t, s.CreateEntity(ctx, storage.Entity{ID: "api", TenantID: tenantID, Name: "api", TypeID: "type1", ClientID: "api", ClientSecret: "s"}))
	_, err := s.UpsertEntityGrant(ctx, storage.EntityGrant{ID: "g1", EntityID: "api", UserID: "nobody", Permissions: []string{}})
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.UpsertEntityGrant(ctx, storage.EntityGrant{ID: "g2", EntityID: "api", RecipientEntityID: "nothing", Permissions: []string{}})
	wantErr(t, err, storage.ErrNotFound)
	if gs, _ := s.ListEntityGrants(ctx, "api"); len(gs) != 0 {
		t.Fatalf("grants to missing recipients were stored: %+v", gs)
	}
}
