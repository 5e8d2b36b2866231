package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

const (
	confirmChildTemplateID = "0f1a2b3c-0000-4000-8000-0000000fa0e2"
	parentRegTemplateID    = "0f1a2b3c-0000-4000-8000-0000000fa0e3"
)

// childStack is a mail stack whose Store lets anyone sign up, with
// families enabled (children up to 12), and no sign-up rate limit (these
// tests sign up more than 10 accounts from one address).
func childStack(t *testing.T) *mailStack {
	s := buildMailStack(t, stackOpts{cfg: func(c *config.Config) { c.RateLimits = "sign-up=0/1m" }}, signUpOpen, familiesOn)
	ctx := context.Background()
	for _, tpl := range []storage.EmailTemplate{
		{ID: confirmChildTemplateID, Name: "Confirm child", DefaultSubject: "Confirm ${child.firstName}",
			DefaultHTMLTemplate: "<p>${parent.firstName}</p>", DefaultTextTemplate: "Dear ${parent.firstName} (${user.email}), ${child.firstName} <${child.email}> signed up."},
		{ID: parentRegTemplateID, Name: "Parent registration", DefaultSubject: "${child.firstName} asks you to register",
			DefaultHTMLTemplate: "<p>${child.firstName}</p>", DefaultTextTemplate: "${child.firstName} <${child.email}> signed up; register to approve."},
	} {
		tpl.InsertInstant = s.Clock.Now().UnixMilli()
		must(t, s.Store.CreateEmailTemplate(ctx, tpl))
	}
	return s
}

// family sets the tenant's familyConfiguration fields (a PATCH merges)
// and returns the configuration answered.
func (s *mailStack) family(fields map[string]any) map[string]any {
	s.t.Helper()
	m := s.apiOK("PATCH", "/api/tenant/"+tenantID, map[string]any{"tenant": map[string]any{"familyConfiguration": fields}})
	return m["tenant"].(map[string]any)["familyConfiguration"].(map[string]any)
}

// born is the birthDate of someone years old today on the stack's clock
// (their birthday was days ago).
func (s *mailStack) born(years, days int) string {
	return s.Clock.Now().UTC().AddDate(-years, 0, -days).Format(time.DateOnly)
}

// signUpAs signs email up at the Store without an API key.
func (s *mailStack) signUpAs(email string, user map[string]any) result {
	s.t.Helper()
	u := map[string]any{"email": email, "password": "a long enough passphrase", "firstName": strings.Split(email, "@")[0]}
	for k, v := range user {
		u[k] = v
	}
	b, err := json.Marshal(map[string]any{"user": u, "registration": map[string]any{"applicationId": storeApp}})
	must(s.t, err)
	return s.do(call{method: "POST", path: "/api/user/registration", body: string(b)})
}

// noUser fails unless no user has email (nothing was written).
func (s *mailStack) noUser(email string) {
	s.t.Helper()
	if res := s.api("GET", "/api/user?email="+email, nil); res.status != http.StatusNotFound {
		s.t.Fatalf("%s: %d %s, want no user", email, res.status, res.body)
	}
}

// TestSignUpChildRules: while the tenant's families are enabled, a keyless
// sign-up of a child (birthDate at most maximumChildAge years ago) is
// refused with [ChildRegistrationNotAllowed] while allowChildRegistrations
// is false, and without a parentEmail ([blank]user.parentEmail) while
// parentEmailRequired is true; an adult, and a user without a birthDate,
// sign up either way; with families disabled nothing applies. Every
// refusal writes no user and sends no mail.
func TestSignUpChildRules(t *testing.T) {
	s := childStack(t)
	s.family(map[string]any{"enabled": false, "allowChildRegistrations": false, "parentEmailRequired": true})
	if res := s.signUpAs("kid0@example.test", map[string]any{"birthDate": s.born(8, 3)}); res.status != 200 {
		t.Fatalf("a child while families are disabled: %d %s", res.status, res.body)
	}

	s.family(map[string]any{"enabled": true})
	for _, c := range []struct {
		email string
		years int
	}{{"kid1@example.test", 8}, {"kid12@example.test", 12}} {
		res := s.signUpAs(c.email, map[string]any{"birthDate": s.born(c.years, 1), "parentEmail": "mum@example.test"})
		if res.status != 400 || !strings.Contains(string(res.body), "[ChildRegistrationNotAllowed]") {
			t.Fatalf("a child of %d while child registrations are not allowed: %d %s", c.years, res.status, res.body)
		}
		s.noUser(c.email)
	}
	s.noMailTo("kid1@example.test")
	s.noMailTo("mum@example.test")
	for email, user := range map[string]map[string]any{
		"teen@example.test":    {"birthDate": s.born(13, 0)}, // 13 today: no child
		"adult@example.test":   {"birthDate": s.born(30, 40)},
		"unknown@example.test": {},
	} {
		if res := s.signUpAs(email, user); res.status != 200 {
			t.Fatalf("%s while child registrations are not allowed: %d %s", email, res.status, res.body)
		}
	}

	s.family(map[string]any{"allowChildRegistrations": true, "parentEmailRequired": true})
	res := s.signUpAs("kid2@example.test", map[string]any{"birthDate": s.born(10, 0)})
	if res.status != 400 || !strings.Contains(string(res.body), "[blank]user.parentEmail") {
		t.Fatalf("a child without parentEmail: %d %s", res.status, res.body)
	}
	s.noUser("kid2@example.test")
	for _, bad := range []string{"not an address", "Mum <mum@example.test>", "a@b@example.test"} {
		res := s.signUpAs("kid2@example.test", map[string]any{"birthDate": s.born(10, 0), "parentEmail": bad})
		if res.status != 400 || !strings.Contains(string(res.body), "[notEmail]user.parentEmail") {
			t.Fatalf("parentEmail %q: %d %s", bad, res.status, res.body)
		}
		s.noUser("kid2@example.test")
	}
	if res := s.signUpAs("adult2@example.test", map[string]any{"birthDate": s.born(40, 0)}); res.status != 200 {
		t.Fatalf("an adult without parentEmail: %d %s", res.status, res.body)
	}
	res = s.signUpAs("kid2@example.test", map[string]any{"birthDate": s.born(10, 0), "parentEmail": "Dad@Example.test"})
	if res.status != 200 {
		t.Fatalf("a child with parentEmail: %d %s", res.status, res.body)
	}
	if u := s.apiOK("GET", "/api/user?email=kid2@example.test", nil)["user"].(map[string]any); u["parentEmail"] != "dad@example.test" {
		t.Fatalf("the child's parentEmail: %v", u["parentEmail"])
	}

	s.family(map[string]any{"parentEmailRequired": false})
	if res := s.signUpAs("kid3@example.test", map[string]any{"birthDate": s.born(10, 0)}); res.status != 200 {
		t.Fatalf("a child without parentEmail while none is required: %d %s", res.status, res.body)
	}
}

// TestSignUpChildBirthDates (adversarial): while families are enabled, a
// birthDate in the future or more than 150 years back is
// [invalid]user.birthDate and writes nothing (a child cannot pass for an
// unborn or ancient user); a child claiming to be an adult is a birthDate
// like any other, accepted.
func TestSignUpChildBirthDates(t *testing.T) {
	s := childStack(t)
	s.family(map[string]any{"allowChildRegistrations": false})
	for _, birth := range []string{s.Clock.Now().AddDate(0, 0, 2).Format(time.DateOnly), "2999-01-01", "1700-01-01", "0001-01-01"} {
		res := s.signUpAs("kid@example.test", map[string]any{"birthDate": birth})
		if res.status != 400 || !strings.Contains(string(res.body), "[invalid]user.birthDate") {
			t.Fatalf("birthDate %s: %d %s", birth, res.status, res.body)
		}
		s.noUser("kid@example.test")
	}
	if res := s.signUpAs("kid@example.test", map[string]any{"birthDate": "not-a-date"}); res.status != 400 ||
		!strings.Contains(string(res.body), "[invalid]user.birthDate") {
		t.Fatalf("a malformed birthDate: %d %s", res.status, res.body)
	}
	s.noUser("kid@example.test")
	if res := s.signUpAs("kid@example.test", map[string]any{"birthDate": "1990-01-01"}); res.status != 200 {
		t.Fatalf("a claimed adult birthDate: %d %s", res.status, res.body)
	}
}

// TestSignUpChildParentMail: a child's sign-up mails its parentEmail over
// SMTP: the confirmChildEmailTemplateId when a user of the tenant has that
// address (child, parent and user the parent), else the
// parentRegistrationEmailTemplateId (child); nothing while the template
// is not named, and nothing for an adult's parentEmail. A tenant that
// never set allowChildRegistrations lets children sign up and answers it
// as true (FusionAuth's default).
func TestSignUpChildParentMail(t *testing.T) {
	s := childStack(t)
	must(t, s.Store.CreateUser(context.Background(), storage.User{ID: "0f1a2b3c-0000-4000-8000-0000000fa0d2", TenantID: tenantID, Active: true,
		Email: "mum@example.test", FirstName: "Maria", InsertInstant: s.Clock.Now().UnixMilli()}))
	if res := s.signUpAs("kid1@example.test", map[string]any{"birthDate": s.born(9, 0), "parentEmail": "mum@example.test"}); res.status != 200 {
		t.Fatalf("sign-up: %d %s", res.status, res.body)
	}
	if res := s.signUpAs("kid2@example.test", map[string]any{"birthDate": s.born(9, 0), "parentEmail": "dad@example.test"}); res.status != 200 {
		t.Fatalf("sign-up: %d %s", res.status, res.body)
	}
	s.noMailTo("mum@example.test")
	s.noMailTo("dad@example.test")

	if fc := s.family(map[string]any{"confirmChildEmailTemplateId": confirmChildTemplateID, "parentRegistrationEmailTemplateId": parentRegTemplateID}); fc["allowChildRegistrations"] != true {
		t.Fatalf("allowChildRegistrations never set answers %v, want FusionAuth's default true", fc["allowChildRegistrations"])
	}
	if res := s.signUpAs("kid3@example.test", map[string]any{"birthDate": s.born(9, 0), "parentEmail": "Mum@example.test"}); res.status != 200 {
		t.Fatalf("sign-up: %d %s", res.status, res.body)
	}
	got := s.mailTo("mum@example.test", 1)[0]
	if got.Subject != "Confirm kid3" || !strings.Contains(got.Text, "Dear Maria (mum@example.test), kid3 <kid3@example.test> signed up.") {
		t.Fatalf("the confirm child email: %q / %q", got.Subject, got.Text)
	}
	if res := s.signUpAs("kid4@example.test", map[string]any{"birthDate": s.born(9, 0), "parentEmail": "dad@example.test"}); res.status != 200 {
		t.Fatalf("sign-up: %d %s", res.status, res.body)
	}
	got = s.mailTo("dad@example.test", 1)[0]
	if got.Subject != "kid4 asks you to register" || !strings.Contains(got.Text, "kid4 <kid4@example.test> signed up; register to approve.") {
		t.Fatalf("the parent registration email: %q / %q", got.Subject, got.Text)
	}
	if res := s.signUpAs("grown@example.test", map[string]any{"birthDate": s.born(25, 0), "parentEmail": "granny@example.test"}); res.status != 200 {
		t.Fatalf("sign-up: %d %s", res.status, res.body)
	}
	s.noMailTo("granny@example.test")
	if n := len(s.mailTo("mum@example.test", 1)); n != 1 {
		t.Fatalf("%d mails to mum, want the one", n)
	}
}

// TestOrphanedChildrenDeleted: with deleteOrphanedAccounts, the janitor
// deletes a child (by birthDate) created more than
// deleteOrphanedAccountsDays ago who is in no family with an adult, and
// keeps a child in such a family, an adult, a user without a birthDate and
// a child created since; without it, nobody goes.
func TestOrphanedChildrenDeleted(t *testing.T) {
	s := buildStack(t, stackOpts{janitor: 20 * time.Millisecond}, familiesOn)
	ctx := context.Background()
	now := s.Clock.Now()
	user := func(id, birth string, created time.Time) {
		must(t, s.Store.CreateUser(ctx, storage.User{ID: id, TenantID: tenantID, Active: true, Email: id[len(id)-4:] + "@example.test",
			BirthDate: birth, InsertInstant: created.UnixMilli()}))
	}
	old := now.AddDate(0, 0, -31)
	user("0f1a2b3c-0000-4000-8000-00000000a001", "2018-05-01", old) // the orphan
	user("0f1a2b3c-0000-4000-8000-00000000a002", "2017-05-01", old) // in a family with an adult
	user("0f1a2b3c-0000-4000-8000-00000000a003", "1990-05-01", old) // the adult
	user("0f1a2b3c-0000-4000-8000-00000000a004", "", old)
	user("0f1a2b3c-0000-4000-8000-00000000a005", "2018-05-01", now.AddDate(0, 0, -29))
	fam := s.apiOK("POST", "/api/user/family", map[string]any{"familyMember": map[string]any{"userId": "0f1a2b3c-0000-4000-8000-00000000a003", "role": "Adult", "owner": true}})
	famID := fam["family"].(map[string]any)["id"].(string)
	s.apiOK("PUT", "/api/user/family/"+famID, map[string]any{"familyMember": map[string]any{"userId": "0f1a2b3c-0000-4000-8000-00000000a002", "role": "Child"}})

	// Without deleteOrphanedAccounts the task deletes nobody.
	if n, err := s.Srv.Manage.Families.PurgeOrphans(ctx, s.Clock.Now(), 500); n != 0 || err != nil {
		t.Fatalf("without deleteOrphanedAccounts: %d deleted, %v", n, err)
	}
	s.apiOK("PATCH", "/api/tenant/"+tenantID, map[string]any{"tenant": map[string]any{"familyConfiguration": map[string]any{
		"deleteOrphanedAccounts": true, "deleteOrphanedAccountsDays": 30}}})
	deadline := time.Now().Add(15 * time.Second)
	for s.api("GET", "/api/user/0f1a2b3c-0000-4000-8000-00000000a001", nil).status != http.StatusNotFound {
		if time.Now().After(deadline) {
			t.Fatal("the orphan was not deleted")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, id := range []string{"a002", "a003", "a004", "a005"} {
		if res := s.api("GET", "/api/user/0f1a2b3c-0000-4000-8000-00000000"+id, nil); res.status != 200 {
			t.Fatalf("user %s: %d, want kept", id, res.status)
		}
	}
}
