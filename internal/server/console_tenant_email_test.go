package server_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestConsoleEditsEmailSettings: the admin sets the tenant's SMTP server,
// credentials and sender; the password is stored but never shown again
// (nor written to the audit log), and a blank password keeps it. A bad
// port, security mode or sender address is shown next to its field and
// nothing changes; cross-site and non-admin posts change nothing.
func TestConsoleEditsEmailSettings(t *testing.T) {
	s, c, token := newAdminConsole(t, "/admin/tenant")
	ctx := context.Background()
	emailConf := func() storage.EmailConfiguration {
		tn, err := s.Store.GetTenant(ctx, manage.DefaultTenantID)
		must(t, err)
		return tn.EmailConfiguration
	}
	before := emailConf()
	const secret = "smtp-password-never-shown"
	form := url.Values{"csrf": {token}, "revision": {pageRevision(t, c.get("/admin/tenant"))}, "smtpHost": {"smtp.example.test"}, "smtpPort": {"587"}, "smtpSecurity": {"TLS"},
		"smtpUsername": {"mailer"}, "smtpPassword": {secret}, "fromEmail": {"noreply@example.test"}, "fromName": {"Example"}}
	for field, bad := range map[string]string{"smtpPort": "70000", "smtpSecurity": "STARTSSL", "fromEmail": "not an address",
		"smtpHost": "smtp://host:25"} {
		c.refuseField(t, "/admin/tenant/email", form, field, bad)
	}
	newRefusals(t, s, c).refused(t, "/admin/tenant/email", form, func() {
		if got := emailConf(); got.Host != before.Host || got.Password != before.Password || got.DefaultFromEmail != before.DefaultFromEmail {
			t.Fatalf("refused forms changed the email settings: %+v", got)
		}
	})

	wantConsoleStatus(t, "save", c.post("/admin/tenant/email", form), 303)
	got := emailConf()
	if got.Host != "smtp.example.test" || got.Port != 587 || got.Security != "TLS" || got.Username != "mailer" ||
		got.Password != secret || got.DefaultFromEmail != "noreply@example.test" || got.DefaultFromName != "Example" {
		t.Fatalf("saved email settings: %+v", got)
	}
	page := c.get("/admin/tenant")
	if strings.Contains(string(page.body), secret) || !strings.Contains(string(page.body), "one is stored") {
		t.Fatalf("the tenant page shows the password or not that one is stored:\n%s", page.body)
	}
	entries, _, err := s.Store.SearchAuditEntries(ctx, storage.AuditSearch{Message: "*tenant*", Limit: 50})
	must(t, err)
	if len(entries) == 0 {
		t.Fatal("the save wrote no audit entry")
	}
	for _, e := range entries {
		if b, _ := json.Marshal(e); strings.Contains(string(b), secret) {
			t.Fatalf("the audit log holds the SMTP password: %+v", e)
		}
	}
	form.Set("smtpPassword", "")
	form.Set("fromName", "Example Team")
	form.Set("revision", pageRevision(t, page)) // the page after the save
	wantConsoleStatus(t, "save with a blank password", c.post("/admin/tenant/email", form), 303)
	if got := emailConf(); got.Password != secret || got.DefaultFromName != "Example Team" {
		t.Fatalf("a blank password did not keep the stored one: %+v", got)
	}
}
