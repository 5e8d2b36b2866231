package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The family tests' users (the stack's clock reads 2026-03-01).
const (
	famParentID = "0f1a2b3c-0000-4000-8000-0000000fa001" // born 1990: an adult owner
	famChildID  = "0f1a2b3c-0000-4000-8000-0000000fa002" // born 2016
	adult2ID    = "0f1a2b3c-0000-4000-8000-0000000fa003" // born 1980
	youngID     = "0f1a2b3c-0000-4000-8000-0000000fa004" // 21 tomorrow
	nobirthID   = "0f1a2b3c-0000-4000-8000-0000000fa005" // no birthDate
	familyID    = "0f1a2b3c-0000-4000-8000-0000000fa0f1"
)

// familiesOn enables families in the default tenant, owners from 21.
func familiesOn(_ map[string]*storage.Application, tn *storage.Tenant) {
	tn.FamilyConfiguration = &storage.TenantFamilyConfiguration{Enabled: true, MinimumOwnerAge: 21, MaximumChildAge: 12}
}

// withFamilyUsers stores the family tests' users in the default tenant.
func (s *stack) withFamilyUsers() {
	s.t.Helper()
	for _, u := range []struct{ id, birth string }{
		{famParentID, "1990-05-17"}, {famChildID, "2016-02-01"}, {adult2ID, "1980-01-01"}, {youngID, "2005-03-02"}, {nobirthID, ""},
	} {
		must(s.t, s.Store.CreateUser(context.Background(), storage.User{ID: u.id, TenantID: tenantID, Active: true,
			Email: u.id[len(u.id)-4:] + "@family.test", BirthDate: u.birth, InsertInstant: s.Clock.Now().UnixMilli()}))
	}
}

func familyBody(userID, role string, owner bool) map[string]any {
	return map[string]any{"familyMember": map[string]any{"userId": userID, "role": role, "owner": owner}}
}

// familyMembers lists a {"family":...} answer's members as "userId-suffix:role:owner".
func familyMembers(t *testing.T, m map[string]any) []string {
	t.Helper()
	out := []string{}
	for _, v := range m["family"].(map[string]any)["members"].([]any) {
		mm := v.(map[string]any)
		id := mm["userId"].(string)
		own := "member"
		if mm["owner"] == true {
			own = "owner"
		}
		out = append(out, id[len(id)-4:]+":"+mm["role"].(string)+":"+own)
	}
	return out
}

// storedFamilies is every family any family test user is in.
func (s *stack) storedFamilies(users ...string) map[string]bool {
	s.t.Helper()
	out := map[string]bool{}
	for _, u := range users {
		fs, err := s.Store.ListUserFamilies(context.Background(), u)
		must(s.t, err)
		for _, f := range fs {
			out[f.ID] = true
		}
	}
	return out
}

// TestFamilies pins the family API (families.mdx) as FusionAuth's client
// calls it: a family is created with the requested adult as its owner and
// only member; PUT adds a user, or updates a member (a child is never an
// owner; insertInstant stays); the family is read by id and by member; a
// second family is created with a generated id; members are removed and
// the family goes with its last one.
func TestFamilies(t *testing.T) {
	s := newStack(t, familiesOn)
	s.withFamilyUsers()
	res := s.api("POST", "/api/user/family/"+familyID, map[string]any{"familyMember": map[string]any{"userId": famParentID, "role": "Adult", "data": map[string]any{"nick": "mum"}}})
	if res.status != 200 {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	managementGolden(t, "family-create", res.status, res.body)
	created := float64(s.Clock.Now().UnixMilli())
	s.Clock.Advance(time.Minute)
	m := s.apiOK("PUT", "/api/user/family/"+familyID, familyBody(famChildID, "Child", true))
	if got := familyMembers(t, m); !equal(got, []string{"a001:Adult:owner", "a002:Child:member"}) {
		t.Fatalf("after adding a child: %v", got)
	}
	s.Clock.Advance(time.Minute)
	m = s.apiOK("PUT", "/api/user/family/"+familyID, familyBody(famChildID, "Teen", false))
	child := m["family"].(map[string]any)["members"].([]any)[1].(map[string]any)
	if child["role"] != "Teen" || child["insertInstant"] != created+60_000 || child["lastUpdateInstant"] != created+120_000 {
		t.Fatalf("updated member: %v", child)
	}
	res = s.api("GET", "/api/user/family/"+familyID, nil)
	managementGolden(t, "family-get", res.status, res.body)
	m = s.apiOK("GET", "/api/user/family?userId="+famChildID, nil)
	if fs := m["families"].([]any); len(fs) != 1 || fs[0].(map[string]any)["id"] != familyID {
		t.Fatalf("the child's families: %v", m)
	}

	m = s.apiOK("POST", "/api/user/family", familyBody(adult2ID, "Adult", false))
	second := m["family"].(map[string]any)["id"].(string)
	if !manage.ValidID(second) || second == familyID {
		t.Fatalf("generated family id %q", second)
	}
	// The teen may be in both families; an adult in one only.
	s.apiOK("PUT", "/api/user/family/"+second, familyBody(famChildID, "Teen", false))
	if res := s.api("PUT", "/api/user/family/"+second, familyBody(famParentID, "Adult", false)); res.status != 400 ||
		!strings.Contains(string(res.body), "[alreadyInFamily]familyMember.userId") {
		t.Fatalf("an adult of another family: %d %s", res.status, res.body)
	}
	m = s.apiOK("GET", "/api/user/family?userId="+famChildID, nil)
	if fs := m["families"].([]any); len(fs) != 2 {
		t.Fatalf("the teen's families: %v", m)
	}

	if res := s.api("DELETE", "/api/user/family/"+familyID+"/"+famChildID, nil); res.status != 200 || len(res.body) != 0 {
		t.Fatalf("remove: %d %s", res.status, res.body)
	}
	if res := s.api("DELETE", "/api/user/family/"+familyID+"/"+famChildID, nil); res.status != 404 {
		t.Fatalf("remove a non-member: %d %s", res.status, res.body)
	}
	if got := familyMembers(t, s.apiOK("GET", "/api/user/family/"+familyID, nil)); !equal(got, []string{"a001:Adult:owner"}) {
		t.Fatalf("after removing the teen: %v", got)
	}
	s.apiOK("DELETE", "/api/user/family/"+familyID+"/"+famParentID, nil)
	if res := s.api("GET", "/api/user/family/"+familyID, nil); res.status != 404 {
		t.Fatalf("a family without members: %d %s", res.status, res.body)
	}
	if m := s.apiOK("GET", "/api/user/family?userId="+famParentID, nil); len(m["families"].([]any)) != 0 {
		t.Fatalf("the former owner's families: %v", m)
	}
}

// TestFamilyRefusals: every bad request is 400 (or 404) in FusionAuth's
// error shape and stores nothing, not even an audit entry: a creator who
// is not an adult, unknown, too young by birthDate or without one, or
// already in a family; a taken family id; a role outside Adult, Teen,
// Child; ids that are not UUIDs; a missing userId or parentEmail.
func TestFamilyRefusals(t *testing.T) {
	s := newStack(t, familiesOn)
	s.withFamilyUsers()
	s.apiOK("POST", "/api/user/family/"+familyID, familyBody(famParentID, "Adult", true))
	unknown := "0f1a2b3c-0000-4000-8000-00000000dead"
	other := "0f1a2b3c-0000-4000-8000-0000000fa0f2"
	s.wantRefusals([]refusal{
		{"create, no role", "POST", "/api/user/family/" + other, familyBody(adult2ID, "", false), 400, []string{"[blank]familyMember.role"}},
		{"create, a child", "POST", "/api/user/family/" + other, familyBody(famChildID, "Child", false), 400, []string{"[invalid]familyMember.role"}},
		{"create, no user", "POST", "/api/user/family/" + other, familyBody("", "Adult", false), 400, []string{"[blank]familyMember.userId"}},
		{"create, unknown user", "POST", "/api/user/family/" + other, familyBody(unknown, "Adult", false), 400, []string{"[invalid]familyMember.userId"}},
		{"create, user not a UUID", "POST", "/api/user/family/" + other, familyBody("alice", "Adult", false), 400, []string{"[invalid]familyMember.userId"}},
		{"create, 20 years old", "POST", "/api/user/family/" + other, familyBody(youngID, "Adult", false), 400, []string{"[tooYoung]familyMember.userId"}},
		{"create, no birthDate", "POST", "/api/user/family/" + other, familyBody(nobirthID, "Adult", false), 400, []string{"[tooYoung]familyMember.userId"}},
		{"create, taken id", "POST", "/api/user/family/" + familyID, familyBody(adult2ID, "Adult", false), 400, []string{"[duplicate]familyId"}},
		{"create, already in a family", "POST", "/api/user/family/" + other, familyBody(famParentID, "Adult", false), 400, []string{"[alreadyInFamily]familyMember.userId"}},
		{"create, id not a UUID", "POST", "/api/user/family/xyz", familyBody(adult2ID, "Adult", false), 400, []string{"[couldNotConvert]familyId"}},
		{"create, not JSON", "POST", "/api/user/family", "{", 400, []string{"[invalid]"}},
		{"put, bad role", "PUT", "/api/user/family/" + familyID, familyBody(famChildID, "Baby", false), 400, []string{"[invalid]familyMember.role"}},
		{"put, no user", "PUT", "/api/user/family/" + familyID, familyBody("", "Child", false), 400, []string{"[blank]familyMember.userId"}},
		{"put, unknown family", "PUT", "/api/user/family/" + other, familyBody(famChildID, "Child", false), 404, nil},
		{"get, unknown family", "GET", "/api/user/family/" + other, nil, 404, nil},
		{"get, no userId", "GET", "/api/user/family", nil, 400, []string{"[blank]userId"}},
		{"get, userId not a UUID", "GET", "/api/user/family?userId=alice", nil, 400, []string{"[couldNotConvert]userId"}},
		{"get, unknown user", "GET", "/api/user/family?userId=" + unknown, nil, 404, nil},
		{"remove, unknown family", "DELETE", "/api/user/family/" + other + "/" + famParentID, nil, 404, nil},
		{"remove, user not a UUID", "DELETE", "/api/user/family/" + familyID + "/alice", nil, 400, []string{"[couldNotConvert]userId"}},
		{"pending, no parentEmail", "GET", "/api/user/family/pending", nil, 400, []string{"[blank]parentEmail"}},
		{"request, no parentEmail", "POST", "/api/user/family/request", map[string]any{}, 400, []string{"[blank]parentEmail"}},
		{"request, not an address", "POST", "/api/user/family/request", map[string]any{"parentEmail": "mum@example.test, evil@example.test"}, 400, []string{"[notEmail]parentEmail"}},
	})
	if got := s.storedFamilies(famParentID, famChildID, adult2ID, youngID, nobirthID); len(got) != 1 || !got[familyID] {
		t.Fatalf("families after the refusals: %v", got)
	}
	if got := familyMembers(t, s.apiOK("GET", "/api/user/family/"+familyID, nil)); !equal(got, []string{"a001:Adult:owner"}) {
		t.Fatalf("the family after the refusals: %v", got)
	}
	if _, n, err := s.Store.SearchAuditEntries(context.Background(), storage.AuditSearch{Message: "family", Limit: 10}); err != nil || n != 1 {
		t.Fatalf("audit entries about families: %d (%v), want the one create", n, err)
	}
}

// TestFamiliesDisabled: while tenant.familyConfiguration.enabled is false
// (the default) a family cannot be created or joined and no request email
// is sent: 400 [FamilyConfigurationDisabled], nothing stored or queued
// (deliberate: FusionAuth answers the request email 200 without sending
// it). Reading and removing still work, so a tenant that turned families
// off can clear them.
func TestFamiliesDisabled(t *testing.T) {
	s := newStack(t, familiesOn)
	s.withFamilyUsers()
	s.apiOK("POST", "/api/user/family/"+familyID, familyBody(famParentID, "Adult", true))
	s.apiOK("PATCH", "/api/tenant/"+tenantID, map[string]any{"tenant": map[string]any{"familyConfiguration": map[string]any{"enabled": false}}})
	other := "0f1a2b3c-0000-4000-8000-0000000fa0f2"
	s.wantRefusals([]refusal{
		{"create", "POST", "/api/user/family/" + other, familyBody(adult2ID, "Adult", false), 400, []string{"[FamilyConfigurationDisabled]"}},
		{"add", "PUT", "/api/user/family/" + familyID, familyBody(famChildID, "Child", false), 400, []string{"[FamilyConfigurationDisabled]"}},
		{"request", "POST", "/api/user/family/request", map[string]any{"parentEmail": "mum@example.test"}, 400, []string{"[FamilyConfigurationDisabled]"}},
	})
	if got := s.storedFamilies(famParentID, famChildID, adult2ID); len(got) != 1 {
		t.Fatalf("families while disabled: %v", got)
	}
	if got := familyMembers(t, s.apiOK("GET", "/api/user/family/"+familyID, nil)); !equal(got, []string{"a001:Adult:owner"}) {
		t.Fatalf("the family while disabled: %v", got)
	}
	s.apiOK("DELETE", "/api/user/family/"+familyID+"/"+famParentID, nil)
}

// TestFamiliesNeedTheirPermission: without a key, with a key for /api/user
// only, or with one whose /api/user/family permission lacks the method,
// every family endpoint is 401 and nothing changes; pending and request
// have their own permissions.
func TestFamiliesNeedTheirPermission(t *testing.T) {
	s := newStack(t, familiesOn)
	s.withFamilyUsers()
	s.apiOK("POST", "/api/user/family/"+familyID, familyBody(famParentID, "Adult", true))
	ctx := context.Background()
	const (
		userOnly = "user-only-key-0123456789abcdef0123456789abcdef"
		readOnly = "read-only-key-0123456789abcdef0123456789abcdef"
		family   = "family-all-key-0123456789abcdef0123456789abcdef"
	)
	all := []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	for key, endpoints := range map[string]map[string][]string{
		userOnly: {"/api/user": all},
		readOnly: {"/api/user/family": {"GET"}},
		family:   {"/api/user/family": all},
	} {
		must(t, s.Store.CreateAPIKey(ctx, storage.APIKey{ID: uuid.NewString(), TenantID: tenantID,
			KeyHash: manage.HashAPIKey(key), Endpoints: endpoints, InsertInstant: s.Clock.Now().UnixMilli()}))
	}
	other := "0f1a2b3c-0000-4000-8000-0000000fa0f2"
	for _, c := range []struct {
		key, method, path string
		body              any
		status            int
	}{
		{"", "POST", "/api/user/family/" + other, familyBody(adult2ID, "Adult", false), 401},
		{"", "GET", "/api/user/family/" + familyID, nil, 401},
		{userOnly, "POST", "/api/user/family/" + other, familyBody(adult2ID, "Adult", false), 401},
		{userOnly, "PUT", "/api/user/family/" + familyID, familyBody(famChildID, "Child", false), 401},
		{userOnly, "GET", "/api/user/family?userId=" + famParentID, nil, 401},
		{userOnly, "DELETE", "/api/user/family/" + familyID + "/" + famParentID, nil, 401},
		{readOnly, "PUT", "/api/user/family/" + familyID, familyBody(famChildID, "Child", false), 401},
		{readOnly, "DELETE", "/api/user/family/" + familyID + "/" + famParentID, nil, 401},
		{readOnly, "GET", "/api/user/family/" + familyID, nil, 200},
		{family, "GET", "/api/user/family/pending?parentEmail=mum@example.test", nil, 401},
		{family, "POST", "/api/user/family/request", map[string]any{"parentEmail": "mum@example.test"}, 401},
	} {
		res := s.api(c.method, c.path, c.body, "Authorization", c.key)
		if res.status != c.status {
			t.Errorf("%s %s with key %q: %d %s, want %d", c.method, c.path, c.key, res.status, res.body, c.status)
		}
	}
	if got := s.storedFamilies(famParentID, famChildID, adult2ID); len(got) != 1 {
		t.Fatalf("families after the refused keys: %v", got)
	}
	if got := familyMembers(t, s.apiOK("GET", "/api/user/family/"+familyID, nil)); !equal(got, []string{"a001:Adult:owner"}) {
		t.Fatalf("the family after the refused keys: %v", got)
	}
	s.apiOK("PUT", "/api/user/family/"+familyID, familyBody(famChildID, "Child", false), "Authorization", family)
}

// TestFamiliesTenantScope: a key scoped to the default tenant can neither
// read, join, change nor empty another tenant's family, nor put that
// tenant's user in a family, nor see its pending children; the other
// tenant's family stays as it was.
func TestFamiliesTenantScope(t *testing.T) {
	s := newStack(t, familiesOn)
	s.withFamilyUsers()
	s.withOtherTenant()
	ctx := context.Background()
	tn, err := s.Store.GetTenant(ctx, otherTenant)
	must(t, err)
	tn.FamilyConfiguration = &storage.TenantFamilyConfiguration{Enabled: true, MinimumOwnerAge: 21}
	must(t, s.Store.UpdateTenant(ctx, tn))
	u, err := s.Store.GetUser(ctx, otherUserID)
	must(t, err)
	u.BirthDate = "1970-01-01"
	must(t, s.Store.UpdateUser(ctx, u))
	kid := storage.User{ID: "0f1a2b3c-0000-4000-8000-0000000000f3", TenantID: otherTenant, Active: true, Email: "kid@other.test",
		ParentEmail: "mum@example.test", InsertInstant: s.Clock.Now().UnixMilli()}
	must(t, s.Store.CreateUser(ctx, kid))
	theirs := "0f1a2b3c-0000-4000-8000-0000000fa0f9"
	s.apiOK("POST", "/api/user/family/"+theirs, familyBody(otherUserID, "Adult", true))
	s.apiOK("POST", "/api/user/family/"+familyID, familyBody(famParentID, "Adult", true))

	for _, c := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"read theirs", "GET", "/api/user/family/" + theirs, nil, 404, ""},
		{"their user's families", "GET", "/api/user/family?userId=" + otherUserID, nil, 404, ""},
		{"join theirs", "PUT", "/api/user/family/" + theirs, familyBody(famChildID, "Child", false), 404, ""},
		{"remove from theirs", "DELETE", "/api/user/family/" + theirs + "/" + otherUserID, nil, 404, ""},
		{"their user in ours", "PUT", "/api/user/family/" + familyID, familyBody(kid.ID, "Child", false), 400, "[invalid]familyMember.userId"},
		{"their user's new family", "POST", "/api/user/family", familyBody(otherUserID, "Adult", false), 400, "[invalid]familyMember.userId"},
	} {
		res := s.api(c.method, c.path, c.body, "Authorization", scopedKey)
		if res.status != c.status || !strings.Contains(string(res.body), c.code) {
			t.Errorf("%s: %d %s, want %d %s", c.name, res.status, res.body, c.status, c.code)
		}
	}
	if m := s.apiOK("GET", "/api/user/family/pending?parentEmail=mum@example.test", nil, "Authorization", scopedKey); len(m["users"].([]any)) != 0 {
		t.Errorf("the scoped key sees another tenant's pending children: %v", m)
	}
	// A global key cannot mix tenants in one family either.
	if res := s.api("PUT", "/api/user/family/"+familyID, familyBody(kid.ID, "Child", false)); res.status != 400 {
		t.Errorf("another tenant's user in a family: %d %s", res.status, res.body)
	}
	if got := familyMembers(t, s.apiOK("GET", "/api/user/family/"+theirs, nil)); !equal(got, []string{"00f2:Adult:owner"}) {
		t.Fatalf("their family after the scoped key's attempts: %v", got)
	}
	if got := familyMembers(t, s.apiOK("GET", "/api/user/family/"+familyID, nil)); !equal(got, []string{"a001:Adult:owner"}) {
		t.Fatalf("our family after the attempts: %v", got)
	}
}

// TestFamiliesGoWithTheirUsers: deleting a user takes them out of their
// families, and a family whose last member they were goes.
func TestFamiliesGoWithTheirUsers(t *testing.T) {
	s := newStack(t, familiesOn)
	s.withFamilyUsers()
	s.apiOK("POST", "/api/user/family/"+familyID, familyBody(famParentID, "Adult", true))
	s.apiOK("PUT", "/api/user/family/"+familyID, familyBody(famChildID, "Child", false))
	m := s.apiOK("POST", "/api/user/family", familyBody(adult2ID, "Adult", true))
	second := m["family"].(map[string]any)["id"].(string)
	s.apiOK("DELETE", "/api/user/"+famParentID+"?hardDelete=true", nil)
	s.apiOK("DELETE", "/api/user/"+adult2ID+"?hardDelete=true", nil)
	if got := familyMembers(t, s.apiOK("GET", "/api/user/family/"+familyID, nil)); !equal(got, []string{"a002:Child:member"}) {
		t.Fatalf("the family after its owner's deletion: %v", got)
	}
	if res := s.api("GET", "/api/user/family/"+second, nil); res.status != 404 {
		t.Fatalf("the family of a deleted only member: %d %s", res.status, res.body)
	}
	// Gone, not only memberless: its id can be taken again.
	adult3 := "0f1a2b3c-0000-4000-8000-0000000fa006"
	must(t, s.Store.CreateUser(context.Background(), storage.User{ID: adult3, TenantID: tenantID, Active: true,
		Email: "a006@family.test", BirthDate: "1970-01-01", InsertInstant: s.Clock.Now().UnixMilli()}))
	s.apiOK("POST", "/api/user/family/"+second, familyBody(adult3, "Adult", true))
}

// TestFamilyPendingChildren: users created with a parentEmail (checked as
// one address) are pending for that address, whatever its case, until
// they are in a family with an adult owner.
func TestFamilyPendingChildren(t *testing.T) {
	s := newStack(t, familiesOn)
	s.withFamilyUsers()
	res := s.api("POST", "/api/user", map[string]any{"user": map[string]any{"email": "bad@family.test", "password": "correct horse battery", "parentEmail": "not an address"}})
	if res.status != 400 || !strings.Contains(string(res.body), "[notEmail]user.parentEmail") {
		t.Fatalf("a user with a bad parentEmail: %d %s", res.status, res.body)
	}
	var kids []string
	for _, email := range []string{"kid1@family.test", "kid2@family.test"} {
		m := s.apiOK("POST", "/api/user", map[string]any{"user": map[string]any{"email": email, "password": "correct horse battery", "parentEmail": "Mum@Family.test"}})
		kids = append(kids, m["user"].(map[string]any)["id"].(string))
	}
	m := s.apiOK("GET", "/api/user/family/pending?parentEmail=MUM@family.test", nil)
	if got := members(t, m["users"], "email"); len(got) != 2 {
		t.Fatalf("pending children: %v", got)
	}
	if m["users"].([]any)[0].(map[string]any)["parentEmail"] != "mum@family.test" {
		t.Fatalf("a pending child: %v", m["users"].([]any)[0])
	}
	s.apiOK("POST", "/api/user/family/"+familyID, familyBody(famParentID, "Adult", true))
	s.apiOK("PUT", "/api/user/family/"+familyID, familyBody(kids[0], "Child", false))
	m = s.apiOK("GET", "/api/user/family/pending?parentEmail=mum@family.test", nil)
	if got := members(t, m["users"], "id"); !equal(got, []string{kids[1]}) {
		t.Fatalf("pending after one joined a family: %v, want %v", got, kids[1:])
	}
}
