package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

const familyTemplateID = "0f1a2b3c-0000-4000-8000-0000000fa0e1"

// TestFamilyRequestEmail: POST /api/user/family/request renders the
// tenant's familyRequestEmailTemplateId for the parent's address (with
// the parent as user when one has that email) and the outbox worker
// delivers it over SMTP to a real server; an address the tenant has no
// user for is mailed too. Without a template named, the request is 400
// [FamilyRequestEmailTemplateMissing] and nothing is sent (deliberate:
// FusionAuth answers 200 and sends nothing); a tenant naming a template
// that does not exist is refused at the tenant update.
func TestFamilyRequestEmail(t *testing.T) {
	s := newMailStack(t, familiesOn)
	ctx := context.Background()
	must(t, s.Store.CreateEmailTemplate(ctx, storage.EmailTemplate{ID: familyTemplateID, Name: "Family request",
		DefaultSubject: "Approve a child for ${parentEmail}", DefaultHTMLTemplate: "<p>Hello ${(user.firstName)!'parent'}</p>",
		DefaultTextTemplate: "Hello ${(user.firstName)!'parent'}, a child asks ${parentEmail} to join a family.", InsertInstant: s.Clock.Now().UnixMilli()}))

	if res := s.api("POST", "/api/user/family/request", map[string]any{"parentEmail": "mum@example.test"}); res.status != 400 ||
		!strings.Contains(string(res.body), "[FamilyRequestEmailTemplateMissing]") {
		t.Fatalf("without a template: %d %s", res.status, res.body)
	}
	s.noMailTo("mum@example.test")
	bad := map[string]any{"tenant": map[string]any{"familyConfiguration": map[string]any{"enabled": true, "familyRequestEmailTemplateId": "0f1a2b3c-0000-4000-8000-00000000dead"}}}
	if res := s.api("PATCH", "/api/tenant/"+tenantID, bad); res.status != 400 ||
		!strings.Contains(string(res.body), "[invalid]tenant.familyConfiguration.familyRequestEmailTemplateId") {
		t.Fatalf("an unknown template: %d %s", res.status, res.body)
	}
	m := s.apiOK("PATCH", "/api/tenant/"+tenantID, map[string]any{"tenant": map[string]any{"familyConfiguration": map[string]any{"familyRequestEmailTemplateId": familyTemplateID}}})
	fc := m["tenant"].(map[string]any)["familyConfiguration"].(map[string]any)
	if fc["enabled"] != true || fc["familyRequestEmailTemplateId"] != familyTemplateID || fc["minimumOwnerAge"] != 21.0 {
		t.Fatalf("the tenant's familyConfiguration: %v", fc)
	}

	must(t, s.Store.CreateUser(ctx, storage.User{ID: "0f1a2b3c-0000-4000-8000-0000000fa0d1", TenantID: tenantID, Active: true,
		Email: "mum@example.test", FirstName: "Maria", InsertInstant: s.Clock.Now().UnixMilli()}))
	if res := s.api("POST", "/api/user/family/request", map[string]any{"parentEmail": "Mum@Example.test"}); res.status != 200 || len(res.body) != 0 {
		t.Fatalf("request: %d %s", res.status, res.body)
	}
	got := s.mailTo("mum@example.test", 1)[0]
	if got.Subject != "Approve a child for mum@example.test" || !strings.Contains(got.Text, "Hello Maria, a child asks mum@example.test") {
		t.Fatalf("the family request email: %q / %q", got.Subject, got.Text)
	}
	s.apiOK("POST", "/api/user/family/request", map[string]any{"parentEmail": "dad@example.test"})
	if got := s.mailTo("dad@example.test", 1)[0]; !strings.Contains(got.Text, "Hello parent, a child asks dad@example.test") {
		t.Fatalf("the email to an address without a user: %q", got.Text)
	}
}
