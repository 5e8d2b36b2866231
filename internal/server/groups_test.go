package server_test

import (
	"slices"
	"testing"
)

const (
	groupID  = "0f1a2b3c-0000-4000-8000-0000000000e1"
	group2ID = "0f1a2b3c-0000-4000-8000-0000000000e2"
	memberID = "0f1a2b3c-0000-4000-8000-0000000000e3"
)

// loginRoles logs alice into Store and returns the roles claim, sorted.
func (s *stack) loginRoles(t *testing.T) []string {
	t.Helper()
	res := s.login(storeApp, nil)
	if res.status != 200 {
		t.Fatalf("login: %d %s", res.status, res.body)
	}
	var roles []string
	for _, r := range jwtClaims(t, res.json(t)["token"].(string))["roles"].([]any) {
		roles = append(roles, r.(string))
	}
	slices.Sort(roles)
	return roles
}

// TestGroups pins the group and membership API (groups.mdx) and shows its
// effect: a member registered for the application gets the group's roles
// in the roles claim, user.memberships lists the membership, and removing
// the membership or the group takes them away.
func TestGroups(t *testing.T) {
	s := newStack(t)
	s.apiOK("POST", "/api/application/"+storeApp+"/role/"+roleID, map[string]any{"role": map[string]any{"name": "moderator"}})
	s.apiOK("POST", "/api/application/"+forumsApp+"/role/"+role2ID, map[string]any{"role": map[string]any{"name": "poster"}})
	steps := []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"group-create", "POST", "/api/group/" + groupID, map[string]any{"group": map[string]any{"name": "Moderators", "data": map[string]any{"floor": 3}},
			"roleIds": []string{roleID, role2ID}}, 200},
		{"group-create-duplicate-name", "POST", "/api/group", map[string]any{"group": map[string]any{"name": "moderators"}}, 400},
		{"group-create-unknown-role", "POST", "/api/group", map[string]any{"group": map[string]any{"name": "Ghosts"}, "roleIds": []string{missing}}, 400},
		{"group-create-blank", "POST", "/api/group", map[string]any{"group": map[string]any{}}, 400},
		{"group-member-add", "POST", "/api/group/member", map[string]any{"members": map[string]any{groupID: []any{
			map[string]any{"id": memberID, "userId": aliceID, "data": map[string]any{"since": 2024}}}}}, 200},
		{"group-member-unknown-user", "POST", "/api/group/member", map[string]any{"members": map[string]any{groupID: []any{
			map[string]any{"userId": missing}}}}, 400},
		{"group-user-memberships", "GET", "/api/user/" + aliceID, nil, 200},
		{"group-get", "GET", "/api/group/" + groupID, nil, 200},
		{"group-list", "GET", "/api/group", nil, 200},
		{"group-search", "POST", "/api/group/search", map[string]any{"search": map[string]any{"name": "mod*"}}, 200},
		{"group-member-search", "POST", "/api/group/member/search", map[string]any{"search": map[string]any{"groupId": groupID}}, 200},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			res := s.api(st.method, st.path, st.body)
			if res.status != st.status {
				t.Fatalf("%d %s, want %d", res.status, res.body, st.status)
			}
			directoryGolden(t, st.name, res)
		})
	}
	if got := s.loginRoles(t); !slices.Equal(got, []string{"moderator", "user"}) {
		t.Fatalf("a member's roles %v, want [moderator user] (not Forums' poster: alice is not registered there)", got)
	}
	// PUT replaces the roles: the group now grants nothing in Store.
	res := s.api("PUT", "/api/group/"+groupID, map[string]any{"group": map[string]any{"name": "Moderators"}, "roleIds": []string{role2ID}})
	directoryGolden(t, "group-put", res)
	if got := s.loginRoles(t); !slices.Equal(got, []string{"user"}) {
		t.Fatalf("after the group lost the role, roles %v", got)
	}
	s.apiOK("PATCH", "/api/group/"+groupID, map[string]any{"roleIds": []string{roleID}})
	if got := s.loginRoles(t); !slices.Equal(got, []string{"moderator", "user"}) {
		t.Fatalf("after the PATCH gave the role back, roles %v", got)
	}
	// Membership replaced by nobody (PUT with an empty list): roles go.
	s.apiOK("PUT", "/api/group/member", map[string]any{"members": map[string]any{groupID: []any{}}})
	if got := s.loginRoles(t); !slices.Equal(got, []string{"user"}) {
		t.Fatalf("after leaving the group, roles %v", got)
	}
	s.apiOK("POST", "/api/group/member", map[string]any{"members": map[string]any{groupID: []any{map[string]any{"userId": aliceID}}}})
	if res := s.api("DELETE", "/api/group/member?groupId="+groupID+"&userId="+aliceID, nil); res.status != 200 {
		t.Fatalf("delete by group and user: %d %s", res.status, res.body)
	}
	if res := s.api("DELETE", "/api/group/member?groupId="+groupID+"&userId="+aliceID, nil); res.status != 404 {
		t.Fatalf("deleting a removed membership: %d", res.status)
	}
	s.apiOK("POST", "/api/group/member", map[string]any{"members": map[string]any{groupID: []any{map[string]any{"id": memberID, "userId": aliceID}}}})
	s.apiOK("DELETE", "/api/group/"+groupID, nil)
	if got := s.loginRoles(t); !slices.Equal(got, []string{"user"}) {
		t.Fatalf("after the group's deletion, roles %v", got)
	}
	if u := s.apiOK("GET", "/api/user/"+aliceID, nil)["user"].(map[string]any); u["memberships"] != nil {
		t.Fatalf("a deleted group's membership is still listed: %v", u["memberships"])
	}
}

// TestGroupsTenantScope: a key scoped to the default tenant cannot add
// another tenant's user to its group, nor see that tenant's groups.
func TestGroupsTenantScope(t *testing.T) {
	s := newStack(t)
	s.withOtherTenant()
	s.apiOK("POST", "/api/group/"+groupID, map[string]any{"group": map[string]any{"name": "Staff"}}, "Authorization", scopedKey)
	res := s.api("POST", "/api/group/member", map[string]any{"members": map[string]any{groupID: []any{map[string]any{"userId": otherUserID}}}},
		"Authorization", scopedKey)
	if res.status != 400 {
		t.Fatalf("adding another tenant's user: %d %s", res.status, res.body)
	}
	if n := s.apiOK("POST", "/api/group/member/search", map[string]any{"search": map[string]any{"groupId": groupID}})["total"].(float64); n != 0 {
		t.Fatalf("a refused add left %v members", n)
	}
}
