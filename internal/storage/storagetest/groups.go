package storagetest

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func newGroup(id, name string, roles ...storage.GroupRole) storage.Group {
	if roles == nil {
		roles = []storage.GroupRole{}
	}
	return storage.Group{ID: id, TenantID: tenantID, Name: name, Data: map[string]any{"k": "v"}, Roles: roles,
		InsertInstant: base.UnixMilli(), LastUpdateInstant: base.UnixMilli()}
}

// testGroups: groups round-trip with their roles, names are unique per
// tenant case-insensitively, a role of a missing application is refused,
// and GroupRolesOf lists what each group grants in one application.
func testGroups(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, _ := seed(t, s)
	must(t, s.CreateApplication(ctx, newApp("app2", true)))
	g := newGroup("g1", "Staff", storage.GroupRole{ApplicationID: app.ID, RoleID: "r-admin"},
		storage.GroupRole{ApplicationID: "app2", RoleID: "r-editor"})
	must(t, s.CreateGroup(ctx, g))
	got, err := s.GetGroup(ctx, "g1")
	must(t, err)
	g.Revision = 1 // a new row's, as read
	wantEqual(t, "group", got, g)
	wantErr(t, s.CreateGroup(ctx, newGroup("g2", "STAFF")), storage.ErrConflict)
	wantErr(t, s.CreateGroup(ctx, newGroup("g1", "Other")), storage.ErrConflict)
	wantErr(t, s.CreateGroup(ctx, newGroup("g3", "Ghosts", storage.GroupRole{ApplicationID: "gone", RoleID: "r"})), storage.ErrNotFound)
	if _, err := s.GetGroup(ctx, "g3"); err == nil {
		t.Fatal("a refused group was stored")
	}
	const other = "22222222-2222-2222-2222-222222222222"
	must(t, s.CreateTenant(ctx, newTenant(other)))
	og := newGroup("g4", "Staff")
	og.TenantID = other
	must(t, s.CreateGroup(ctx, og)) // the same name in another tenant

	roles, err := s.GroupRolesOf(ctx, app.ID)
	must(t, err)
	wantEqual(t, "GroupRolesOf", roles, map[string][]string{"g1": {"r-admin"}})

	g.Name, g.Roles = "Staff members", []storage.GroupRole{{ApplicationID: "app2", RoleID: "r-viewer"}}
	must(t, s.UpdateGroup(ctx, g))
	got, _ = s.GetGroup(ctx, "g1")
	g.Revision++
	wantEqual(t, "updated group", got, g)
	if roles, _ := s.GroupRolesOf(ctx, app.ID); len(roles) != 0 {
		t.Fatalf("roles replaced by the update still listed: %v", roles)
	}
	wantErr(t, s.UpdateGroup(ctx, newGroup("missing", "x")), storage.ErrNotFound)
	list, err := s.ListGroups(ctx)
	must(t, err)
	if len(list) != 2 || list[0].ID != "g4" || list[1].ID != "g1" {
		t.Fatalf("ListGroups = %+v, want g4 (Staff) then g1 (Staff members)", list)
	}
	must(t, s.DeleteGroup(ctx, "g1"))
	wantErr(t, s.DeleteGroup(ctx, "g1"), storage.ErrNotFound)
	_, err = s.GetGroup(ctx, "g1")
	wantErr(t, err, storage.ErrNotFound)
}

func memberIDs(ms []storage.GroupMember) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.GroupID+"/"+m.UserID)
	}
	slices.Sort(out)
	return out
}

// testGroupMembers: adding is an upsert on (group, user) that keeps the id
// and instant; a replace prunes the group to the listed users; an unknown
// user or group writes nothing; deletes and lists select by ids, group and
// users.
func testGroupMembers(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	must(t, s.CreateUser(ctx, newUser("u2", "two@example.com", "")))
	must(t, s.CreateGroup(ctx, newGroup("g1", "One")))
	must(t, s.CreateGroup(ctx, newGroup("g2", "Two")))
	at := base.UnixMilli()
	saved, err := s.SaveGroupMembers(ctx, []storage.GroupMember{
		{ID: "m1", GroupID: "g1", UserID: u.ID, InsertInstant: at, Data: map[string]any{"n": json.Number("1")}},
		{ID: "m2", GroupID: "g1", UserID: "u2", InsertInstant: at + 1},
		{ID: "m3", GroupID: "g2", UserID: u.ID, InsertInstant: at + 2},
	}, nil)
	must(t, err)
	wantEqual(t, "saved", memberIDs(saved), []string{"g1/u1", "g1/u2", "g2/u1"})
	// Again for the same pair: the stored id and instant stay, data changes.
	again, err := s.SaveGroupMembers(ctx, []storage.GroupMember{{ID: "m9", GroupID: "g1", UserID: u.ID, InsertInstant: at + 9, Data: map[string]any{"n": json.Number("2")}}}, nil)
	must(t, err)
	wantEqual(t, "upsert", again, []storage.GroupMember{{ID: "m1", GroupID: "g1", UserID: u.ID, InsertInstant: at, Data: map[string]any{"n": json.Number("2")}}})

	_, err = s.SaveGroupMembers(ctx, []storage.GroupMember{
		{ID: "m5", GroupID: "g2", UserID: "u2", InsertInstant: at},
		{ID: "m6", GroupID: "g2", UserID: "nobody", InsertInstant: at},
	}, nil)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.SaveGroupMembers(ctx, []storage.GroupMember{{ID: "m7", GroupID: "nogroup", UserID: u.ID}}, nil)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.SaveGroupMembers(ctx, nil, []string{"nogroup"})
	wantErr(t, err, storage.ErrNotFound)
	list, total, err := s.ListGroupMembers(ctx, storage.GroupMemberFilter{UserIDs: []string{"u1", "u2"}})
	must(t, err)
	if total != 3 {
		t.Fatalf("after refused saves: %d memberships %v, want 3", total, memberIDs(list))
	}

	// A replace of g1 with only u2 removes u1 from g1, not from g2.
	_, err = s.SaveGroupMembers(ctx, []storage.GroupMember{{ID: "m8", GroupID: "g1", UserID: "u2", InsertInstant: at}}, []string{"g1"})
	must(t, err)
	list, _, _ = s.ListGroupMembers(ctx, storage.GroupMemberFilter{UserIDs: []string{"u1", "u2"}})
	wantEqual(t, "after replace", memberIDs(list), []string{"g1/u2", "g2/u1"})

	page, total, err := s.ListGroupMembers(ctx, storage.GroupMemberFilter{UserIDs: []string{"u1", "u2"}, Offset: 1, Limit: 1})
	must(t, err)
	if total != 2 || len(page) != 1 {
		t.Fatalf("page = %v total %d", memberIDs(page), total)
	}
	gone, err := s.DeleteGroupMembers(ctx, storage.GroupMemberFilter{GroupID: "g2", UserIDs: []string{u.ID}})
	must(t, err)
	wantEqual(t, "deleted", memberIDs(gone), []string{"g2/u1"})
	gone, err = s.DeleteGroupMembers(ctx, storage.GroupMemberFilter{IDs: []string{"m2"}})
	must(t, err)
	wantEqual(t, "deleted by id", memberIDs(gone), []string{"g1/u2"})
	if _, err := s.DeleteGroupMembers(ctx, storage.GroupMemberFilter{}); err == nil {
		t.Fatal("an empty filter deleted every membership")
	}
}

// testGroupCascades: deleting a group, a user or an application removes the
// memberships and group roles that name it.
func testGroupCascades(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, u := seed(t, s)
	must(t, s.CreateGroup(ctx, newGroup("g1", "One", storage.GroupRole{ApplicationID: app.ID, RoleID: "r1"})))
	must(t, s.CreateGroup(ctx, newGroup("g2", "Two")))
	_, err := s.SaveGroupMembers(ctx, []storage.GroupMember{{ID: "m1", GroupID: "g1", UserID: u.ID}, {ID: "m2", GroupID: "g2", UserID: u.ID}}, nil)
	must(t, err)
	must(t, s.DeleteGroup(ctx, "g2"))
	if _, n, _ := s.ListGroupMembers(ctx, storage.GroupMemberFilter{GroupID: "g2"}); n != 0 {
		t.Fatal("a deleted group kept its members")
	}
	must(t, s.DeleteApplicationAt(ctx, app.ID, base))
	if g, _ := s.GetGroup(ctx, "g1"); len(g.Roles) != 0 {
		t.Fatalf("a deleted application's role is still granted: %+v", g.Roles)
	}
	must(t, s.DeleteUserAt(ctx, u.ID, base))
	if _, n, _ := s.ListGroupMembers(ctx, storage.GroupMemberFilter{GroupID: "g1"}); n != 0 {
		t.Fatal("a deleted user is still a member")
	}
}

// testApplicationRoleChange: a renamed role is renamed in the application's
// registrations (not in another application's role of the same name); a
// deleted role leaves every registration and group of the application.
func testApplicationRoleChange(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, u := seed(t, s) // u registered to app with roles [admin]
	other := newApp("app2", true)
	must(t, s.CreateApplication(ctx, other))
	must(t, s.CreateRegistration(ctx, storage.Registration{ID: "reg2", UserID: u.ID, ApplicationID: other.ID, Roles: []string{"admin"}}))
	app.Roles = append(app.Roles, storage.ApplicationRole{ID: "r-user", Name: "user"})
	must(t, s.UpdateApplication(ctx, app))
	reg, _ := s.GetRegistration(ctx, u.ID, app.ID)
	reg.Roles = []string{"user", "admin"}
	must(t, s.UpdateRegistration(ctx, reg))
	must(t, s.CreateGroup(ctx, newGroup("g1", "One", storage.GroupRole{ApplicationID: app.ID, RoleID: app.Roles[0].ID},
		storage.GroupRole{ApplicationID: app.ID, RoleID: "r-user"})))

	app.Roles[0].Name = "administrator"
	must(t, s.ChangeApplicationRole(ctx, storage.RoleChange{Application: app, RoleID: app.Roles[0].ID, OldName: "admin"}))
	got, _ := s.GetRegistration(ctx, u.ID, app.ID)
	wantEqual(t, "renamed in place", got.Roles, []string{"user", "administrator"})
	got, _ = s.GetRegistration(ctx, u.ID, other.ID)
	wantEqual(t, "another application's role", got.Roles, []string{"admin"})
	stored, _ := s.GetApplication(ctx, app.ID)
	app.Revision = 3 // created, updated, its role renamed
	wantEqual(t, "application", stored, app)

	deleted := app.Roles[0]
	app.Roles = app.Roles[1:]
	must(t, s.ChangeApplicationRole(ctx, storage.RoleChange{Application: app, RoleID: deleted.ID, OldName: deleted.Name, Deleted: true}))
	got, _ = s.GetRegistration(ctx, u.ID, app.ID)
	wantEqual(t, "after delete", got.Roles, []string{"user"})
	roles, _ := s.GroupRolesOf(ctx, app.ID)
	wantEqual(t, "group roles after delete", roles, map[string][]string{"g1": {"r-user"}})
	got, _ = s.GetRegistration(ctx, u.ID, other.ID)
	wantEqual(t, "another application's registration", got.Roles, []string{"admin"})

	gone := newApp("gone", true)
	wantErr(t, s.ChangeApplicationRole(ctx, storage.RoleChange{Application: gone, RoleID: "x"}), storage.ErrNotFound)
}
