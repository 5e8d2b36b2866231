package server_test

import (
	"context"
	"slices"
	"testing"
)

const (
	roleID  = "0f1a2b3c-0000-4000-8000-0000000000d1"
	role2ID = "0f1a2b3c-0000-4000-8000-0000000000d2"
)

// registrationRoles reads alice's stored roles in Store.
func (s *stack) registrationRoles(t *testing.T) []string {
	t.Helper()
	reg, err := s.Store.GetRegistration(context.Background(), aliceID, storeApp)
	must(t, err)
	return reg.Roles
}

// TestApplicationRoles pins the role API (create/update/delete-application-role.mdx):
// a rename reaches every registration, a deletion leaves them, and a
// default role is given to a registration made without roles.
func TestApplicationRoles(t *testing.T) {
	s := newStack(t)
	steps := []struct {
		name, method, path string
		body               any
		status             int
		roles              []string // alice's roles in Store afterwards
	}{
		{"role-create", "POST", "/api/application/" + storeApp + "/role/" + roleID,
			map[string]any{"role": map[string]any{"name": "editor", "description": "Edits", "isDefault": true, "isSuperRole": false}}, 200, []string{"user"}},
		{"role-create-generated-id", "POST", "/api/application/" + storeApp + "/role",
			map[string]any{"role": map[string]any{"name": "admin", "isSuperRole": true}}, 200, []string{"user"}},
		{"role-create-duplicate-name", "POST", "/api/application/" + storeApp + "/role",
			map[string]any{"role": map[string]any{"name": "editor"}}, 400, []string{"user"}},
		{"role-create-blank", "POST", "/api/application/" + storeApp + "/role", map[string]any{"role": map[string]any{}}, 400, []string{"user"}},
		{"role-create-unknown-app", "POST", "/api/application/" + missing + "/role", map[string]any{"role": map[string]any{"name": "x"}}, 404, []string{"user"}},
		{"role-update-id-not-uuid", "PUT", "/api/application/" + storeApp + "/role/r-Store",
			map[string]any{"role": map[string]any{"name": "member"}}, 400, []string{"user"}}, // r-Store is not a UUID
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			res := s.api(st.method, st.path, st.body)
			if res.status != st.status {
				t.Fatalf("%d %s, want %d", res.status, res.body, st.status)
			}
			directoryGolden(t, st.name, res)
			if got := s.registrationRoles(t); !slices.Equal(got, st.roles) {
				t.Fatalf("alice's roles %v, want %v", got, st.roles)
			}
		})
	}
	// Give alice the new role, then rename and delete it.
	reg, _ := s.Store.GetRegistration(context.Background(), aliceID, storeApp)
	reg.Roles = []string{"user", "editor"}
	must(t, s.Store.UpdateRegistration(context.Background(), reg))
	res := s.api("PATCH", "/api/application/"+storeApp+"/role/"+roleID, map[string]any{"role": map[string]any{"name": "writer"}})
	directoryGolden(t, "role-patch-rename", res)
	if got := s.registrationRoles(t); !slices.Equal(got, []string{"user", "writer"}) {
		t.Fatalf("after the rename alice has %v", got)
	}
	// A new registration without roles gets the default role (writer).
	s.apiOK("POST", "/api/user/registration/"+bobID, map[string]any{"user": map[string]any{"email": "bob@example.test",
		"password": "another good password"}, "registration": map[string]any{"applicationId": storeApp}})
	bob, _ := s.Store.GetRegistration(context.Background(), bobID, storeApp)
	if !slices.Equal(bob.Roles, []string{"writer"}) {
		t.Fatalf("a registration without roles got %v, want the default [writer]", bob.Roles)
	}
	res = s.api("DELETE", "/api/application/"+storeApp+"/role?name=writer", nil)
	if res.status != 200 {
		t.Fatalf("delete by name: %d %s", res.status, res.body)
	}
	if got := s.registrationRoles(t); !slices.Equal(got, []string{"user"}) {
		t.Fatalf("after the delete alice has %v", got)
	}
	if res := s.api("DELETE", "/api/application/"+storeApp+"/role/"+roleID, nil); res.status != 404 {
		t.Fatalf("deleting a deleted role: %d", res.status)
	}
	app := s.apiOK("GET", "/api/application/"+storeApp, nil)["application"].(map[string]any)
	if n := len(app["roles"].([]any)); n != 2 {
		t.Fatalf("the application has %d roles, want user and admin", n)
	}
}
