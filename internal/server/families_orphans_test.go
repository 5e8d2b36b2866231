package server_test

import (
	"context"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestOrphanInFamilyWithAdultMemberKept: the janitor's
// deleteOrphanedAccounts keeps a child in a family with an adult member
// after the family's owner left it (DELETE /api/user/family/{f}/{owner}
// keeps the family, its adult and its child), and deletes, in the same
// pass, an orphan created as long ago.
func TestOrphanInFamilyWithAdultMemberKept(t *testing.T) {
	s := buildStack(t, stackOpts{}, familiesOn)
	ctx := context.Background()
	old := s.Clock.Now().AddDate(0, 0, -31)
	user := func(id, birth string) {
		must(t, s.Store.CreateUser(ctx, storage.User{ID: id, TenantID: tenantID, Active: true, Email: id[len(id)-4:] + "@example.test",
			BirthDate: birth, InsertInstant: old.UnixMilli()}))
	}
	const owner, adult, child, orphan = "0f1a2b3c-0000-4000-8000-00000000a003", "0f1a2b3c-0000-4000-8000-00000000a004",
		"0f1a2b3c-0000-4000-8000-00000000a002", "0f1a2b3c-0000-4000-8000-00000000a001"
	user(owner, "1990-05-01")
	user(adult, "1985-05-01")
	user(child, "2017-05-01")
	user(orphan, "2018-05-01")
	fam := s.apiOK("POST", "/api/user/family", map[string]any{"familyMember": map[string]any{"userId": owner, "role": "Adult", "owner": true}})
	famID := fam["family"].(map[string]any)["id"].(string)
	s.apiOK("PUT", "/api/user/family/"+famID, map[string]any{"familyMember": map[string]any{"userId": adult, "role": "Adult"}})
	s.apiOK("PUT", "/api/user/family/"+famID, map[string]any{"familyMember": map[string]any{"userId": child, "role": "Child"}})
	wantStatus(t, s.api("DELETE", "/api/user/family/"+famID+"/"+owner, nil), 200)
	if members := s.apiOK("GET", "/api/user/family/"+famID, nil)["family"].(map[string]any)["members"].([]any); len(members) != 2 {
		t.Fatalf("the family after its owner left: %v, want the adult and the child", members)
	}
	s.apiOK("PATCH", "/api/tenant/"+tenantID, map[string]any{"tenant": map[string]any{"familyConfiguration": map[string]any{
		"deleteOrphanedAccounts": true, "deleteOrphanedAccountsDays": 30}}})
	if n, err := s.Srv.Manage.Families.PurgeOrphans(ctx, s.Clock.Now(), 500); n != 1 || err != nil {
		t.Fatalf("PurgeOrphans: %d deleted, %v; want the orphan only", n, err)
	}
	if res := s.api("GET", "/api/user/"+orphan, nil); res.status != 404 {
		t.Fatalf("the orphan: %d, want deleted", res.status)
	}
	for _, id := range []string{child, adult, owner} {
		if res := s.api("GET", "/api/user/"+id, nil); res.status != 200 {
			t.Fatalf("user %s: %d, want kept", id, res.status)
		}
	}
}

// TestOrphanDeleteSendsUserDelete: a child the janitor deletes under
// deleteOrphanedAccounts reaches the webhooks as a user's delete does:
// user.delete naming the user and its registration, and
// jwt.refresh-token.revoke for its sessions (run with
// LATCHKEY_TEST_POSTGRES_DSN for PostgreSQL).
func TestOrphanDeleteSendsUserDelete(t *testing.T) {
	s := newTunedStack(t, nil, webhookTuning, allEvents, familiesOn)
	rec := newReceiver(t)
	wantStatus(t, s.do(call{method: "POST", path: "/api/webhook", hdr: admin,
		body: webhookBody(rec.srv.URL, []string{events.UserDelete, events.JWTRefreshTokenRevoke}, "")}), 200)
	const email, pass = "kid@example.test", "a long enough password"
	res := s.do(call{method: "POST", path: "/api/user/registration", hdr: admin,
		body: `{"user":{"email":"` + email + `","password":"` + pass + `","birthDate":"2018-05-01"},"registration":{"applicationId":"` + storeApp + `"}}`})
	wantStatus(t, res, 200)
	id := res.json(t)["user"].(map[string]any)["id"].(string)
	wantStatus(t, s.do(call{method: "POST", path: "/api/login",
		body: `{"loginId":"` + email + `","password":"` + pass + `","applicationId":"` + storeApp + `"}`}), 200)
	s.apiOK("PATCH", "/api/tenant/"+tenantID, map[string]any{"tenant": map[string]any{"familyConfiguration": map[string]any{
		"deleteOrphanedAccounts": true, "deleteOrphanedAccountsDays": 30}}})

	ctx := context.Background()
	if n, err := s.Srv.Manage.Families.PurgeOrphans(ctx, s.Clock.Now().AddDate(0, 0, 31), 500); n != 1 || err != nil {
		t.Fatalf("PurgeOrphans: %d deleted, %v; want the child", n, err)
	}
	if got := s.api("GET", "/api/user/"+id, nil); got.status != 404 {
		t.Fatalf("the child: %d, want deleted", got.status)
	}
	d := rec.waitFor(events.UserDelete, 1)[0]
	u := d.event["user"].(map[string]any)
	regs, _ := u["registrations"].([]any)
	if u["id"] != id || u["email"] != email || len(regs) != 1 || regs[0].(map[string]any)["applicationId"] != storeApp {
		t.Errorf("user.delete names %v, want %s with its registration", u, id)
	}
	rec.waitMatch(t, func(d delivery) bool {
		return d.event["type"] == events.JWTRefreshTokenRevoke && d.event["userId"] == id
	})
}
