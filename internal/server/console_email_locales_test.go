package server_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/mail"
	"github.com/latchkeyhq/latchkey/internal/manage"
)

// TestConsoleSendsHeadersAndLocalizedMail: the admin adds SMTP headers to
// the tenant's email settings and a German version to the forgot-password
// template; the reset mail the console then sends to alice (who prefers
// German) arrives over SMTP with the headers and in German, and a user
// without a preference still gets the default version. A header line
// without a colon, a header name with a space, a malformed locale and a
// German body that does not parse are shown next to their fields and
// change nothing; both forms are refused cross-site and to a former admin.
func TestConsoleSendsHeadersAndLocalizedMail(t *testing.T) {
	ms := newMailStack(t)
	s := ms.stack
	ctx := context.Background()
	c := consoleOn(t, s)
	c.signInAdmin(t)
	strangers := newRefusals(t, s, c)
	token := csrf(t, c.get("/admin/tenant"))
	stored := func() string {
		tn, err := s.Store.GetTenant(ctx, manage.DefaultTenantID)
		must(t, err)
		tpl, err := s.Store.GetEmailTemplate(ctx, mail.DefaultForgotPasswordID)
		must(t, err)
		b, _ := json.Marshal([]any{tn.EmailConfiguration, tpl})
		return string(b)
	}
	was := stored()
	unchanged := func() {
		t.Helper()
		if now := stored(); now != was {
			t.Fatalf("the settings changed:\n%s\n%s", was, now)
		}
	}

	tn, err := s.Store.GetTenant(ctx, manage.DefaultTenantID)
	must(t, err)
	e := tn.EmailConfiguration
	smtp := url.Values{"csrf": {token}, "revision": {pageRevision(t, c.get("/admin/tenant"))}, "smtpHost": {e.Host}, "smtpPort": {strconv.Itoa(e.Port)}, "smtpSecurity": {e.Security},
		"fromEmail": {e.DefaultFromEmail}, "fromName": {e.DefaultFromName}}
	for _, bad := range []string{"X-Campaign spring", "X Campaign: spring"} {
		c.refuseField(t, "/admin/tenant/email", smtp, "smtpHeaders", bad)
		unchanged()
	}
	smtp.Set("smtpHeaders", "X-Campaign: spring\nX-Environment: test")
	strangers.refused(t, "/admin/tenant/email", smtp, unchanged)
	wantConsoleStatus(t, "save the headers", c.post("/admin/tenant/email", smtp), 303)
	if page := c.get("/admin/tenant"); !strings.Contains(string(page.body), "X-Campaign: spring\nX-Environment: test</textarea>") {
		t.Fatalf("the tenant page does not show the headers:\n%s", page.body)
	}
	was = stored()

	path := "/admin/email-templates/" + mail.DefaultForgotPasswordID
	tpl, err := s.Store.GetEmailTemplate(ctx, mail.DefaultForgotPasswordID)
	must(t, err)
	german := url.Values{"csrf": {token}, "revision": {pageRevision(t, c.get(path))}, "name": {tpl.Name}, "subject": {tpl.DefaultSubject}, "html": {tpl.DefaultHTMLTemplate},
		"text": {tpl.DefaultTextTemplate}, "locale-0": {"de"}, "new-0": {"1"}, "subject-0": {"Passwort zurücksetzen"},
		"html-0": {"<p>Hallo ${user.email}</p>"}, "text-0": {"Hallo ${user.email}, Ihr Passwort."}}
	for field, bad := range map[string]string{"locale-0": "not a locale!", "html-0": "<p>Hallo ${user.email</p>"} {
		c.refuseField(t, path, german, field, bad)
		unchanged()
	}
	preview := url.Values{"preview": {"1"}, "previewLocale": {"de"}}
	for k, v := range german {
		preview[k] = v
	}
	shown := c.post(path, preview)
	wantConsoleStatus(t, "preview in German", shown, 200)
	if !strings.Contains(string(shown.body), `id="preview-subject">Passwort zurücksetzen<`) {
		t.Fatalf("the German preview is not shown:\n%s", shown.body)
	}
	unchanged()
	strangers.refused(t, path, german, unchanged)
	wantConsoleStatus(t, "save the German version", c.post(path, german), 303)
	if page := c.get(path); !strings.Contains(string(page.body), `name="locale-0" value="de"`) {
		t.Fatalf("the template page does not list the German version:\n%s", page.body)
	}

	s.apiOK("PATCH", "/api/user/"+aliceID, map[string]any{"user": map[string]any{"preferredLanguages": []string{"fr", "de"}}})
	wantConsoleStatus(t, "send alice a reset", c.post("/admin/users/"+aliceID+"/reset", url.Values{"csrf": {token}}), 303)
	m := ms.mailTo(aliceEmail, 1)[0]
	if m.Subject != "Passwort zurücksetzen" || !strings.Contains(m.Text, "Hallo "+aliceEmail+", Ihr Passwort.") {
		t.Fatalf("alice's reset mail is not the German version: %q\n%s", m.Subject, m.Text)
	}
	for _, h := range []string{"X-Campaign: spring\r\n", "X-Environment: test\r\n"} {
		if !strings.Contains(string(m.Raw), h) {
			t.Fatalf("the mail lacks the header %q:\n%s", h, m.Raw)
		}
	}
	root, err := s.Srv.Manage.Users.Find(ctx, manage.Scope{}, manage.UserQuery{Email: rootEmail})
	must(t, err)
	wantConsoleStatus(t, "send the admin a reset", c.post("/admin/users/"+root.ID+"/reset", url.Values{"csrf": {token}}), 303)
	if m := ms.mailTo(rootEmail, 1)[0]; m.Subject != tpl.DefaultSubject {
		t.Fatalf("a user without a preferred language got %q, want the default version", m.Subject)
	}
}
