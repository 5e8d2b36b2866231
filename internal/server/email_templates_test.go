package server_test

import (
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/mail"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestEmailTemplates pins the email template API (emails.mdx) with golden
// files: the shipped templates are seeded; create, retrieve, update, patch,
// delete and preview answer FusionAuth's JSON; a template latchkey cannot
// render is refused with [invalidTemplate] saying what and where; a
// template a tenant uses cannot be deleted; a tenant-scoped key is refused
// on this global API.
func TestEmailTemplates(t *testing.T) {
	s := newStack(t)
	list := s.do(call{method: "GET", path: "/api/email/template", hdr: admin})
	if n := len(list.json(t)["emailTemplates"].([]any)); list.status != 200 || n != len(mail.Defaults()) {
		t.Fatalf("seeded templates: %d, %d (want %d)", list.status, n, len(mail.Defaults()))
	}
	tpl := `{"emailTemplate":{"name":"Welcome","defaultSubject":"Hi ${user.firstName!'there'}",` +
		`"defaultHtmlTemplate":"<p>Hello ${user.email}</p>","defaultTextTemplate":"Hello ${user.email}","fromEmail":"hello@example.test",` +
		`"localizedSubjects":{"de":"Hallo ${user.firstName!'du'}"}}}`
	const id = "0f1a2b3c-0000-4000-8000-0000000000e1"
	for _, c := range []struct {
		name, method, path, body string
	}{
		{"email-template-create", "POST", "/api/email/template/" + id, tpl},
		{"email-template-duplicate", "POST", "/api/email/template/" + id, tpl},
		{"email-template-get", "GET", "/api/email/template/" + id, ""},
		{"email-template-patch", "PATCH", "/api/email/template/" + id, `{"emailTemplate":{"defaultSubject":"Welcome aboard"}}`},
		{"email-template-put-invalid", "PUT", "/api/email/template/" + id,
			`{"emailTemplate":{"name":"","defaultSubject":"${user.email?upper_case}","defaultHtmlTemplate":"<#if user.verified>x</#if><#list users as u>","defaultTextTemplate":"${nope}","fromEmail":"not an address"}}`},
		{"email-template-preview", "POST", "/api/email/template/preview",
			`{"emailTemplate":{"defaultSubject":"Hi ${user.firstName}","defaultHtmlTemplate":"<p>${missing}</p>","defaultTextTemplate":"Reset: ${baseUrl}/password/change/${changePasswordId}"},"locale":"en"}`},
		{"email-template-get-unknown", "GET", "/api/email/template/0f1a2b3c-0000-4000-8000-0000000000e2", ""},
	} {
		res := s.do(call{method: c.method, path: c.path, body: c.body, hdr: admin})
		managementGolden(t, c.name, res.status, res.body)
	}
	res := s.do(call{method: "PATCH", path: "/api/tenant/" + tenantID, hdr: admin,
		body: `{"tenant":{"emailConfiguration":{"forgotPasswordEmailTemplateId":"` + id + `"}}}`})
	if res.status != 200 {
		t.Fatalf("point the tenant at the template: %d %s", res.status, res.body)
	}
	res = s.do(call{method: "DELETE", path: "/api/email/template/" + id, hdr: admin})
	managementGolden(t, "email-template-delete-in-use", res.status, res.body)
	s.do(call{method: "PATCH", path: "/api/tenant/" + tenantID, hdr: admin, body: `{"tenant":{"emailConfiguration":{"forgotPasswordEmailTemplateId":null}}}`})
	if res := s.do(call{method: "DELETE", path: "/api/email/template/" + id, hdr: admin}); res.status != 200 {
		t.Fatalf("delete: %d %s", res.status, res.body)
	}
	if res := s.do(call{method: "GET", path: "/api/email/template/" + id, hdr: admin}); res.status != 404 {
		t.Fatalf("get after delete: %d", res.status)
	}
}

// TestTemplateInjection (adversarial): user fields holding template syntax
// and HTML reach the mail as text: never evaluated, escaped in the HTML
// part, verbatim in the text part.
func TestTemplateInjection(t *testing.T) {
	s := newMailStack(t)
	evil := `${user.password!'x'}<img src=x onerror=alert(1)>[#if true]yes[/#if]`
	res := s.do(call{method: "POST", path: "/api/user", hdr: admin,
		body: jsonBody(t, map[string]any{"user": map[string]any{"email": "eve@example.test", "password": "eve's long passphrase", "firstName": evil}})})
	if res.status != 200 {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	if res := s.do(call{method: "POST", path: "/api/user/forgot-password", hdr: admin, body: `{"loginId":"eve@example.test"}`}); res.status != 200 {
		t.Fatalf("forgot: %d", res.status)
	}
	m := s.mailTo("eve@example.test", 1)[0]
	if !strings.Contains(m.Text, "Hello "+evil+",") {
		t.Errorf("text part does not carry the name verbatim:\n%s", m.Text)
	}
	if strings.Contains(m.HTML, "<img") || !strings.Contains(m.HTML, "&lt;img src=x onerror=alert(1)&gt;") || !strings.Contains(m.HTML, "${user.password") {
		t.Errorf("HTML part does not escape the name:\n%s", m.HTML)
	}
}

// TestTenantEmailConfiguration: the tenant API takes emailConfiguration
// with internal/mail's validation and FusionAuth's field errors; the SMTP
// password is stored, never returned, and kept when a later update leaves
// it out; a template id must name a template.
func TestTenantEmailConfiguration(t *testing.T) {
	s := newStack(t)
	res := s.do(call{method: "PATCH", path: "/api/tenant/" + tenantID, hdr: admin, body: `{"tenant":{"emailConfiguration":{
		"host":"smtp.example.test","port":587,"security":"TLS","username":"mailer","password":"smtp-secret",
		"defaultFromEmail":"no-reply@example.test","verifyEmail":true,"unverified":{"behavior":"Gated"}}}}`})
	if res.status != 200 || strings.Contains(string(res.body), "smtp-secret") {
		t.Fatalf("patch: %d %s", res.status, res.body)
	}
	res = s.do(call{method: "PATCH", path: "/api/tenant/" + tenantID, hdr: admin, body: `{"tenant":{"emailConfiguration":{"port":2525}}}`})
	if res.status != 200 || strings.Contains(string(res.body), "smtp-secret") {
		t.Fatalf("second patch: %d %s", res.status, res.body)
	}
	tn, err := s.Store.GetTenant(t.Context(), tenantID)
	must(t, err)
	if tn.EmailConfiguration.Password != "smtp-secret" || tn.EmailConfiguration.Port != 2525 {
		t.Fatalf("stored configuration %+v: the password must be kept", tn.EmailConfiguration)
	}
	res = s.do(call{method: "GET", path: "/api/tenant/" + tenantID, hdr: admin})
	email := res.json(t)["tenant"].(map[string]any)["emailConfiguration"].(map[string]any)
	if _, ok := email["password"]; ok || email["username"] != "mailer" {
		t.Fatalf("GET shows %v", email)
	}
	res = s.do(call{method: "PUT", path: "/api/tenant/" + tenantID, hdr: admin,
		body: jsonBody(t, map[string]any{"tenant": withEmail(tn, storage.EmailConfiguration{Host: "smtp.example.test", Port: 70000,
			Security: "STARTTLS", Username: "u", DefaultFromEmail: "nope", VerificationStrategy: "FormField",
			EmailTemplateIDs: storage.EmailTemplateIDs{ForgotPasswordEmailTemplateID: "0f1a2b3c-0000-4000-8000-0000000000e9"}})})})
	managementGolden(t, "tenant-email-invalid", res.status, res.body)
}

func withEmail(t storage.Tenant, e storage.EmailConfiguration) storage.Tenant {
	t.EmailConfiguration = e
	return t
}

// TestPasswordValidationRules: GET /api/tenant/password-validation-rules
// answers without a key, for sign-up forms, FusionAuth's shape without
// breachDetection; an unknown tenant is 404.
func TestPasswordValidationRules(t *testing.T) {
	s := newStack(t, func(_ map[string]*storage.Application, tn *storage.Tenant) {
		tn.PasswordValidationRules.RequireNumber = true
		tn.PasswordValidationRules.BreachDetection.Enabled = true
	})
	for _, path := range []string{"/api/tenant/password-validation-rules", "/api/tenant/password-validation-rules/" + tenantID} {
		res := s.do(call{method: "GET", path: path, hdr: map[string]string{"Origin": storeSite}})
		if res.status != 200 || res.header.Get("Access-Control-Allow-Origin") != storeSite {
			t.Fatalf("%s: %d CORS %q", path, res.status, res.header.Get("Access-Control-Allow-Origin"))
		}
		managementGolden(t, "password-validation-rules", res.status, res.body)
	}
	if res := s.do(call{method: "GET", path: "/api/tenant/password-validation-rules/0f1a2b3c-0000-4000-8000-000000000999"}); res.status != 404 {
		t.Fatalf("unknown tenant: %d", res.status)
	}
}
