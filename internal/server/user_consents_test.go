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

const (
	consentID = "0f1a2b3c-0000-4000-8000-00000000c0c1"
	parentID  = "0f1a2b3c-0000-4000-8000-00000000c0a1"
	childID   = "0f1a2b3c-0000-4000-8000-00000000c0a2"
)

// withConsentUsers stores a consent (values Written and Verbal, one at a
// time, self-consent from 13, 16 for German speakers), a parent and a child
// born 10 years before the stack's clock, who prefers German.
func (s *stack) withConsentUsers() {
	s.t.Helper()
	ctx := context.Background()
	now := s.Clock.Now()
	s.apiOK("POST", "/api/consent/"+consentID, consentBody("Patient Consent", map[string]any{"values": []string{"Written", "Verbal"},
		"countryMinimumAgeForSelfConsent": map[string]any{"de": 16}}))
	must(s.t, s.Store.CreateUser(ctx, storage.User{ID: parentID, TenantID: tenantID, Active: true, Email: "parent@example.test",
		BirthDate: now.AddDate(-40, 0, 0).Format(time.DateOnly), InsertInstant: now.UnixMilli()}))
	must(s.t, s.Store.CreateUser(ctx, storage.User{ID: childID, TenantID: tenantID, Active: true, Email: "child@example.test",
		BirthDate: now.AddDate(-10, 0, 0).Format(time.DateOnly), PreferredLanguages: []string{"de-AT"}, InsertInstant: now.UnixMilli()}))
}

// grant is a POST /api/user/consent body.
func grant(userID, giverID, consent string, values ...string) map[string]any {
	uc := map[string]any{"userId": userID, "giverUserId": giverID, "consentId": consent}
	if len(values) > 0 {
		uc["values"] = values
	}
	return map[string]any{"userConsent": uc}
}

// storedUserConsents is every consent granted to user, as stored.
func (s *stack) storedUserConsents(userID string) []storage.UserConsent {
	s.t.Helper()
	list, err := s.Store.ListUserConsents(context.Background(), userID)
	must(s.t, err)
	for i, uc := range list {
		list[i], err = s.Store.GetUserConsent(context.Background(), uc.ID)
		must(s.t, err)
	}
	return list
}

// TestUserConsents pins the user consent API: a grant is Active with its
// instants and carries its consent; retrieve one, list a user's oldest
// first; PUT changes values and status, PATCH the status; DELETE revokes
// and keeps it; Active again un-revokes; every write is audited.
func TestUserConsents(t *testing.T) {
	s := newStack(t)
	s.withConsentUsers()
	const ucID = "0f1a2b3c-0000-4000-8000-00000000c0e1"
	res := s.api("POST", "/api/user/consent/"+ucID, grant(childID, parentID, consentID, "Written"))
	if res.status != 200 {
		t.Fatalf("grant: %d %s", res.status, res.body)
	}
	managementGolden(t, "user-consent-grant", res.status, res.body)
	uc := res.json(t)["userConsent"].(map[string]any)
	if uc["status"] != "Active" || uc["insertInstant"] != float64(s.Clock.Now().UnixMilli()) {
		t.Fatalf("a grant is Active from now: %v", uc)
	}
	s.Clock.Advance(time.Minute)
	self := s.apiOK("POST", "/api/user/consent", grant(parentID, parentID, consentID))["userConsent"].(map[string]any)
	s.Clock.Advance(time.Minute)
	second := s.apiOK("POST", "/api/user/consent", grant(childID, parentID, consentID, "Verbal"))["userConsent"].(map[string]any)

	res = s.api("GET", "/api/user/consent/"+ucID, nil)
	managementGolden(t, "user-consent-retrieve", res.status, res.body)
	list := s.apiOK("GET", "/api/user/consent?userId="+childID, nil)["userConsents"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["id"] != ucID || list[1].(map[string]any)["id"] != second["id"] {
		t.Fatalf("the child's consents, oldest first: %v", list)
	}
	if own := s.apiOK("GET", "/api/user/consent?userId="+parentID, nil)["userConsents"].([]any); len(own) != 1 || own[0].(map[string]any)["id"] != self["id"] {
		t.Fatalf("the parent's own consents: %v", own)
	}

	s.Clock.Advance(time.Minute)
	put := s.apiOK("PUT", "/api/user/consent/"+ucID, map[string]any{"userConsent": map[string]any{"status": "Active", "values": []string{"Verbal"},
		"userId": parentID, "consentId": uuid.NewString()}})["userConsent"].(map[string]any)
	if put["values"].([]any)[0] != "Verbal" || put["userId"] != childID || put["consentId"] != consentID || put["lastUpdateInstant"] == put["insertInstant"] {
		t.Fatalf("PUT changes the values, never the user or consent: %v", put)
	}
	s.apiOK("DELETE", "/api/user/consent/"+ucID, nil)
	revoked := s.apiOK("GET", "/api/user/consent/"+ucID, nil)["userConsent"].(map[string]any)
	if revoked["status"] != "Revoked" || revoked["values"].([]any)[0] != "Verbal" {
		t.Fatalf("DELETE revokes and keeps the consent: %v", revoked)
	}
	again := s.apiOK("PATCH", "/api/user/consent/"+ucID, map[string]any{"userConsent": map[string]any{"status": "Active"}})["userConsent"].(map[string]any)
	if again["status"] != "Active" {
		t.Fatalf("PATCH Active un-revokes: %v", again)
	}
	if got := s.storedUserConsents(childID); len(got) != 2 || got[0].Status != "Active" || got[0].Revision != 4 {
		t.Fatalf("stored: %+v", got)
	}
	for _, msg := range []string{"Granted the consent", "Updated the user consent with Id [" + ucID, "Revoked the user consent with Id [" + ucID} {
		if _, n, err := s.Store.SearchAuditEntries(context.Background(), storage.AuditSearch{Message: msg, Limit: 10}); err != nil || n == 0 {
			t.Errorf("no audit entry %q (%v)", msg, err)
		}
	}
}

// TestUserConsentRefusals: a grant without or with an unknown user, giver
// or consent, a giver of another tenant, a bad status, a value the consent
// does not offer, two values when one is allowed, self-consent below the
// age of self-consent (16 for a German speaker here, though the default is
// 13), malformed bodies and ids are 400 (404 for an unknown user consent
// or user) and store nothing, not even an audit entry.
func TestUserConsentRefusals(t *testing.T) {
	s := newStack(t)
	s.withConsentUsers()
	s.withOtherTenant()
	const ucID = "0f1a2b3c-0000-4000-8000-00000000c0e1"
	s.apiOK("POST", "/api/user/consent/"+ucID, grant(childID, parentID, consentID, "Written"))
	unknown := "0f1a2b3c-0000-4000-8000-00000000dead"
	s.wantRefusals([]refusal{
		{"nothing", "POST", "/api/user/consent", map[string]any{"userConsent": map[string]any{}}, 400,
			[]string{"[blank]userConsent.userId", "[blank]userConsent.giverUserId", "[blank]userConsent.consentId"}},
		{"no object", "POST", "/api/user/consent", map[string]any{}, 400, []string{"[missing]userConsent"}},
		{"unknown user", "POST", "/api/user/consent", grant(unknown, parentID, consentID), 400, []string{"[invalid]userConsent.userId"}},
		{"user not a UUID", "POST", "/api/user/consent", grant("' OR 1=1 --", parentID, consentID), 400, []string{"[invalid]userConsent.userId"}},
		{"unknown giver", "POST", "/api/user/consent", grant(childID, unknown, consentID), 400, []string{"[invalid]userConsent.giverUserId"}},
		{"giver of another tenant", "POST", "/api/user/consent", grant(childID, otherUserID, consentID), 400, []string{"[invalid]userConsent.giverUserId"}},
		{"unknown consent", "POST", "/api/user/consent", grant(childID, parentID, unknown), 400, []string{"[invalid]userConsent.consentId"}},
		{"consent not a UUID", "POST", "/api/user/consent", grant(childID, parentID, "x"), 400, []string{"[invalid]userConsent.consentId"}},
		{"value not offered", "POST", "/api/user/consent", grant(childID, parentID, consentID, "Telepathic"), 400, []string{"[invalid]userConsent.values"}},
		{"two values, one allowed", "POST", "/api/user/consent", grant(childID, parentID, consentID, "Written", "Verbal"), 400,
			[]string{"[invalid]userConsent.values"}},
		{"child consents for themselves", "POST", "/api/user/consent", grant(childID, childID, consentID), 400, []string{"[invalid]userConsent.giverUserId"}},
		{"bad status", "POST", "/api/user/consent", map[string]any{"userConsent": map[string]any{"userId": childID, "giverUserId": parentID,
			"consentId": consentID, "status": "Maybe"}}, 400, []string{"[invalid]userConsent.status"}},
		{"duplicate id", "POST", "/api/user/consent/" + ucID, grant(childID, parentID, consentID), 400, []string{"[duplicate]userConsent.id"}},
		{"id not a UUID", "POST", "/api/user/consent/nope", grant(childID, parentID, consentID), 400, []string{"[couldNotConvert]userConsentId"}},
		{"not JSON", "POST", "/api/user/consent", "{", 400, []string{"[invalid]"}},
		{"values not a list", "POST", "/api/user/consent", `{"userConsent":{"values":"Written"}}`, 400, []string{"userConsent.values"}},
		{"PUT without status", "PUT", "/api/user/consent/" + ucID, map[string]any{"userConsent": map[string]any{"values": []string{"Verbal"}}}, 400,
			[]string{"[blank]userConsent.status"}},
		{"PUT, value not offered", "PUT", "/api/user/consent/" + ucID, map[string]any{"userConsent": map[string]any{"status": "Active",
			"values": []string{"Smoke signal"}}}, 400, []string{"[invalid]userConsent.values"}},
		{"PATCH, a second value", "PATCH", "/api/user/consent/" + ucID, map[string]any{"userConsent": map[string]any{"values": []string{"Verbal"}}}, 400,
			[]string{"[invalid]userConsent.values"}},
		{"PUT, unknown", "PUT", "/api/user/consent/" + unknown, map[string]any{"userConsent": map[string]any{"status": "Active"}}, 404, nil},
		{"GET, unknown", "GET", "/api/user/consent/" + unknown, nil, 404, nil},
		{"DELETE, unknown", "DELETE", "/api/user/consent/" + unknown, nil, 404, nil},
		{"list, unknown user", "GET", "/api/user/consent?userId=" + unknown, nil, 404, nil},
		{"list, user not a UUID", "GET", "/api/user/consent?userId=x", nil, 404, nil},
		{"list, no user", "GET", "/api/user/consent", nil, 400, []string{"[blank]userId"}},
	})
	got := s.storedUserConsents(childID)
	if len(got) != 1 || got[0].Revision != 1 || got[0].Values[0] != "Written" || got[0].Status != "Active" {
		t.Fatalf("the refused writes changed the user consents: %+v", got)
	}
	if n := len(s.storedUserConsents(parentID)) + len(s.storedUserConsents(otherUserID)); n != 0 {
		t.Fatalf("%d refused grants stored", n)
	}
	if _, n, err := s.Store.SearchAuditEntries(context.Background(), storage.AuditSearch{Message: "user consent", Limit: 10}); err != nil || n != 0 {
		t.Fatalf("refused writes left %d audit entries (%v)", n, err)
	}
}

// TestUserConsentSelfConsentAge: a user old enough consents for
// themselves; the age for their preferred language wins over the default,
// and a user without a birthDate is not checked.
func TestUserConsentSelfConsentAge(t *testing.T) {
	s := newStack(t)
	s.withConsentUsers()
	ctx := context.Background()
	now := s.Clock.Now()
	for _, u := range []storage.User{
		{ID: uuid.NewString(), Email: "teen@example.test", BirthDate: now.AddDate(-14, 0, 0).Format(time.DateOnly)},
		{ID: uuid.NewString(), Email: "german-teen@example.test", BirthDate: now.AddDate(-14, 0, 0).Format(time.DateOnly), PreferredLanguages: []string{"de"}},
		{ID: uuid.NewString(), Email: "german-adult@example.test", BirthDate: now.AddDate(-16, 0, 0).Format(time.DateOnly), PreferredLanguages: []string{"de"}},
		{ID: uuid.NewString(), Email: "ageless@example.test", PreferredLanguages: []string{"de"}},
	} {
		u.TenantID, u.Active, u.InsertInstant = tenantID, true, now.UnixMilli()
		must(t, s.Store.CreateUser(ctx, u))
		res := s.api("POST", "/api/user/consent", grant(u.ID, u.ID, consentID))
		want := 200
		if u.Email == "german-teen@example.test" {
			want = 400
		}
		if res.status != want {
			t.Errorf("%s consents for themselves: %d %s, want %d", u.Email, res.status, res.body, want)
		}
	}
}

// TestUserConsentsNeedTheirPermission: without a key, with a key for
// /api/user or /api/consent only, or with a read-only /api/user/consent
// key, grants, updates and revokes are 401 and change nothing.
func TestUserConsentsNeedTheirPermission(t *testing.T) {
	s := newStack(t)
	s.withConsentUsers()
	ctx := context.Background()
	const ucID = "0f1a2b3c-0000-4000-8000-00000000c0e1"
	s.apiOK("POST", "/api/user/consent/"+ucID, grant(childID, parentID, consentID, "Written"))
	keys := map[string]map[string][]string{
		"user-only-key-0123456789abcdef0123456789abcdef":   {"/api/user": {"GET", "POST", "PUT", "PATCH", "DELETE"}},
		"consent-only-key-0123456789abcdef0123456789abcde": {"/api/consent": {"GET", "POST", "PUT", "PATCH", "DELETE"}},
		"read-only-key-0123456789abcdef0123456789abcdef":   {"/api/user/consent": {"GET"}},
	}
	for key, endpoints := range keys {
		must(t, s.Store.CreateAPIKey(ctx, storage.APIKey{ID: uuid.NewString(), KeyHash: manage.HashAPIKey(key), Endpoints: endpoints,
			InsertInstant: s.Clock.Now().UnixMilli()}))
	}
	status := map[string]any{"userConsent": map[string]any{"status": "Revoked"}}
	for _, key := range []string{"", "user-only-key-0123456789abcdef0123456789abcdef", "consent-only-key-0123456789abcdef0123456789abcde",
		"read-only-key-0123456789abcdef0123456789abcdef"} {
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"POST", "/api/user/consent", grant(childID, parentID, consentID, "Verbal")},
			{"PUT", "/api/user/consent/" + ucID, status},
			{"PATCH", "/api/user/consent/" + ucID, status},
			{"DELETE", "/api/user/consent/" + ucID, nil},
		} {
			if res := s.api(c.method, c.path, c.body, "Authorization", key); res.status != 401 {
				t.Errorf("%s %s with key %q: %d %s, want 401", c.method, c.path, key, res.status, res.body)
			}
		}
	}
	if res := s.api("GET", "/api/user/consent/"+ucID, nil, "Authorization", "read-only-key-0123456789abcdef0123456789abcdef"); res.status != 200 {
		t.Errorf("the read-only key reads: %d", res.status)
	}
	if res := s.api("GET", "/api/user/consent?userId="+childID, nil, "Authorization", "user-only-key-0123456789abcdef0123456789abcdef"); res.status != 401 {
		t.Errorf("the /api/user key lists user consents: %d", res.status)
	}
	if got := s.storedUserConsents(childID); len(got) != 1 || got[0].Revision != 1 || got[0].Status != "Active" {
		t.Fatalf("a refused key changed the user consents: %+v", got)
	}
}

// TestUserConsentsTenantScope: a tenant-scoped key grants, reads, lists,
// updates and revokes its own tenant's users' consents (consents being
// global, the definition is shared), while another tenant's are 404 (or
// [invalid]userId for a grant) and stay as they were.
func TestUserConsentsTenantScope(t *testing.T) {
	s := newStack(t)
	s.withConsentUsers()
	s.withOtherTenant()
	const theirs = "0f1a2b3c-0000-4000-8000-00000000c0e2"
	s.apiOK("POST", "/api/user/consent/"+theirs, grant(otherUserID, otherUserID, consentID, "Written"))
	mine := s.apiOK("POST", "/api/user/consent", grant(childID, parentID, consentID, "Written"), "Authorization", scopedKey)["userConsent"].(map[string]any)
	s.apiOK("DELETE", "/api/user/consent/"+mine["id"].(string), nil, "Authorization", scopedKey)
	for _, c := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"grant to", "POST", "/api/user/consent", grant(otherUserID, parentID, consentID), 400, "[invalid]userConsent.userId"},
		{"retrieve", "GET", "/api/user/consent/" + theirs, nil, 404, ""},
		{"list", "GET", "/api/user/consent?userId=" + otherUserID, nil, 404, ""},
		{"update", "PUT", "/api/user/consent/" + theirs, map[string]any{"userConsent": map[string]any{"status": "Revoked"}}, 404, ""},
		{"patch", "PATCH", "/api/user/consent/" + theirs, map[string]any{"userConsent": map[string]any{"status": "Revoked"}}, 404, ""},
		{"revoke", "DELETE", "/api/user/consent/" + theirs, nil, 404, ""},
	} {
		res := s.api(c.method, c.path, c.body, "Authorization", scopedKey)
		if res.status != c.status || !strings.Contains(string(res.body), c.code) {
			t.Errorf("%s: %d %s, want %d %s", c.name, res.status, res.body, c.status, c.code)
		}
	}
	if got := s.storedUserConsents(otherUserID); len(got) != 1 || got[0].Status != "Active" || got[0].Revision != 1 {
		t.Fatalf("the other tenant's consent after the scoped key's attempts: %+v", got)
	}
	if got := s.storedUserConsents(childID); len(got) != 1 || got[0].Status != "Revoked" {
		t.Fatalf("the scoped key's own grant and revoke: %+v", got)
	}
}

// TestUserConsentsGoWithUserAndConsent: a hard-deleted user's consents go
// with them (those they gave others stay); deleting a consent deletes the
// consents granted of it.
func TestUserConsentsGoWithUserAndConsent(t *testing.T) {
	s := newStack(t)
	s.withConsentUsers()
	given := s.apiOK("POST", "/api/user/consent", grant(childID, parentID, consentID, "Written"))["userConsent"].(map[string]any)["id"].(string)
	own := s.apiOK("POST", "/api/user/consent", grant(parentID, parentID, consentID))["userConsent"].(map[string]any)["id"].(string)
	s.apiOK("DELETE", "/api/user/"+parentID+"?hardDelete=true", nil)
	if res := s.api("GET", "/api/user/consent/"+own, nil); res.status != 404 {
		t.Fatalf("the deleted user's own consent: %d %s", res.status, res.body)
	}
	if res := s.api("GET", "/api/user/consent/"+given, nil); res.status != 200 {
		t.Fatalf("the consent the deleted user gave: %d %s", res.status, res.body)
	}
	s.apiOK("DELETE", "/api/consent/"+consentID, nil)
	if res := s.api("GET", "/api/user/consent/"+given, nil); res.status != 404 {
		t.Fatalf("a consent granted of a deleted consent: %d %s", res.status, res.body)
	}
	if list := s.apiOK("GET", "/api/user/consent?userId="+childID, nil)["userConsents"].([]any); len(list) != 0 {
		t.Fatalf("the child's consents after the consent's deletion: %v", list)
	}
}
