package server

import (
	"net/http"
	"time"
)

// rateConsoleLogin bounds sign-in attempts to the console per address, on
// top of the per-user lockout every login has.
var rateConsoleLogin = &rateLimit{"console-login", 20, time.Minute}

// consoleRoutes are the admin console's rows (docs/admin.md): every page
// html, every form same-origin only, every page but the sign-in for a
// signed-in admin (consoleAdmin, which also checks each form's CSRF token).
func (s *Server) consoleRoutes() []route {
	form := int64(maxBody)
	return []route{
		{pattern: "GET /admin", handler: s.consoleRoot, auth: public, html: true},
		{pattern: "GET /admin/console.css", handler: s.consoleStyle, auth: public},
		{pattern: "GET /admin/login", handler: s.consoleLoginPage, auth: public, html: true},
		{pattern: "POST /admin/login", handler: s.consoleLogin, auth: public, html: true, sameOrigin: true,
			password: verifiesPassword, body: form, rate: rateConsoleLogin},
		{pattern: "POST /admin/login/two-factor", handler: s.consoleTwoFactor, auth: public, html: true, sameOrigin: true,
			body: form, rate: rateConsoleLogin},
		{pattern: "POST /admin/login/two-factor/send", handler: s.consoleTwoFactorSend, auth: public, html: true, sameOrigin: true,
			body: form, rate: rateConsoleLogin},
		{pattern: "POST /admin/logout", handler: s.consoleLogout, auth: consoleAdmin, html: true, sameOrigin: true, body: form},
		{pattern: "GET /admin/{$}", handler: s.consoleHome, auth: consoleAdmin, html: true},
		// console_users.go
		{pattern: "GET /admin/users", handler: s.consoleUsers, auth: consoleAdmin, html: true},
		{pattern: "GET /admin/users/{id}", handler: s.consoleUser, auth: consoleAdmin, html: true},
		{pattern: "GET /admin/users/new", handler: s.consoleNewUser, auth: consoleAdmin, html: true},
		{pattern: "POST /admin/users", handler: s.consoleUserCreate, auth: consoleAdmin, html: true, sameOrigin: true,
			password: verifiesPassword, body: form},
		{pattern: "POST /admin/users/{id}/edit", handler: s.consoleUserEdit, auth: consoleAdmin, html: true,
			sameOrigin: true, body: form},
		{pattern: "POST /admin/users/{id}/{action}", handler: s.consoleUserAction, auth: consoleAdmin, html: true,
			sameOrigin: true, body: form},
		// console_apps.go
		{pattern: "GET /admin/applications", handler: s.consoleApplications, auth: consoleAdmin, html: true},
		{pattern: "GET /admin/applications/{id}", handler: s.consoleApplication, auth: consoleAdmin, html: true},
		{pattern: "POST /admin/applications/{id}", handler: s.consoleApplicationSave, auth: consoleAdmin, html: true,
			sameOrigin: true, body: form},
		{pattern: "POST /admin/applications/{id}/secret", handler: s.consoleApplicationSecret, auth: consoleAdmin, html: true,
			sameOrigin: true, body: form},
		// console_roles.go
		{pattern: "POST /admin/applications/{id}/roles", handler: s.consoleRoleAdd, auth: consoleAdmin, html: true,
			sameOrigin: true, body: form},
		{pattern: "POST /admin/applications/{id}/roles/{roleId}/delete", handler: s.consoleRoleRemove, auth: consoleAdmin, html: true,
			sameOrigin: true, body: form},
		// console_keys.go
		{pattern: "GET /admin/keys", handler: s.consoleKeys, auth: consoleAdmin, html: true},
		{pattern: "POST /admin/keys/rotate", handler: s.consoleRotateKey, auth: consoleAdmin, html: true,
			sameOrigin: true, body: form},
		// console_groups.go
		{pattern: "GET /admin/groups", handler: s.consoleGroups, auth: consoleAdmin, html: true},
		{pattern: "POST /admin/groups", handler: s.consoleGroupCreate, auth: consoleAdmin, html: true, sameOrigin: true, body: form},
		{pattern: "GET /admin/groups/{id}", handler: s.consoleGroup, auth: consoleAdmin, html: true},
		{pattern: "POST /admin/groups/{id}/{action}", handler: s.consoleGroupAction, auth: consoleAdmin, html: true,
			sameOrigin: true, body: form},
		// console_apikeys.go
		{pattern: "GET /admin/api-keys", handler: s.consoleAPIKeys, auth: consoleAdmin, html: true},
		{pattern: "POST /admin/api-keys", handler: s.consoleAPIKeyCreate, auth: consoleAdmin, html: true, sameOrigin: true, body: form},
		{pattern: "POST /admin/api-keys/{id}/delete", handler: s.consoleAPIKeyDelete, auth: consoleAdmin, html: true,
			sameOrigin: true, body: form},
		// console_templates.go
		{pattern: "GET /admin/email-templates", handler: s.consoleTemplates, auth: consoleAdmin, html: true},
		{pattern: "GET /admin/email-templates/{id}", handler: s.consoleTemplate, auth: consoleAdmin, html: true},
		{pattern: "POST /admin/email-templates/{id}", handler: s.consoleTemplateSave, auth: consoleAdmin, html: true,
			sameOrigin: true, body: form},
		// console_tenant.go
		{pattern: "GET /admin/tenant", handler: s.consoleTenant, auth: consoleAdmin, html: true},
		{pattern: "POST /admin/tenant", handler: s.consoleTenantSave, auth: consoleAdmin, html: true, sameOrigin: true, body: form},
		{pattern: "POST /admin/tenant/email", handler: s.consoleTenantEmail, auth: consoleAdmin, html: true, sameOrigin: true, body: form},
		// console_webhooks.go
		{pattern: "GET /admin/webhooks", handler: s.consoleWebhooks, auth: consoleAdmin, html: true},
		{pattern: "POST /admin/webhooks", handler: s.consoleWebhookSave, auth: consoleAdmin, html: true, sameOrigin: true, body: form},
		{pattern: "GET /admin/webhooks/{id}", handler: s.consoleWebhook, auth: consoleAdmin, html: true},
		{pattern: "POST /admin/webhooks/{id}", handler: s.consoleWebhookSave, auth: consoleAdmin, html: true, sameOrigin: true, body: form},
		{pattern: "POST /admin/webhooks/{id}/{action}", handler: s.consoleWebhookAction, auth: consoleAdmin, html: true,
			sameOrigin: true, body: form},
		// console_audit.go
		{pattern: "GET /admin/audit", handler: s.consoleAudit, auth: consoleAdmin, html: true},
		// console_event_log.go
		{pattern: "GET /admin/event-log", handler: s.consoleEventLog, auth: consoleAdmin, html: true},
	}
}

// consoleRoot sends /admin to the console's home, /admin/.
func (s *Server) consoleRoot(w http.ResponseWriter, r *http.Request) {
	consoleRedirect(w, consolePath+"/")
}
