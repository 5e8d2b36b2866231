package server

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// route is one row of the route table: the endpoint and every rule the
// middleware applies to it. The rules are data so that a new endpoint states
// them in one place and TestRouteTable can check every row; guard (guard.go)
// is the one middleware that reads them.
type route struct {
	// pattern is a Go ServeMux pattern, "METHOD /path/{wildcard}". A path
	// without a method is the row that answers every other method on that
	// path (methodNotAllowed).
	pattern string
	handler http.HandlerFunc
	// auth says who may call it; there is no default (auth.go).
	auth authClass
	// tenantHeader: X-FusionAuth-TenantId is checked (tenant.go).
	tenantHeader bool
	// cors is who may call it from a script on another origin (cors.go).
	cors corsClass
	// spendsCookie: it reads, sets or clears the session cookies, so a
	// browser request from an origin that is not allowed is refused before
	// the handler runs (the CSRF guard, security-bar.md §4.7).
	spendsCookie bool
	// password: it verifies a password, so it waits for a slot of the
	// hashing gate (limit.go).
	password passwordUse
	// body is the largest request body it reads, in bytes; 0 means it reads
	// none and its handler sees an empty body.
	body int64
	// html: it may answer text/html: the hosted pages (hosted.go) and the
	// admin console's pages (console_render.go), which set their own
	// Content-Security-Policy (middleware.go sets default-src 'none' for
	// everything else).
	html bool
	// hostedForm: a POST is a hosted HTML form, accepted only from this
	// origin with the form's CSRF token (csrf.go).
	hostedForm bool
	// sameOrigin: an unsafe method is refused unless it comes from a page
	// of this server (Origin, else Sec-Fetch-Site), before the body is read
	// (console.go refuseCrossSite). Every console form.
	sameOrigin bool
	// rate limits requests per client address (ratelimit.go); nil: none.
	rate *rateLimit
	// global: the route reads or changes something shared by every tenant
	// (system configuration, signing keys, templates, webhooks, lambdas,
	// identity providers, entity types, metrics), so a tenant-scoped API key
	// is refused with 403 before the handler runs (tenant.go refuseScoped).
	// The table sets it for a whole block with globalRoutes.
	global bool
	// timeout replaces Config.RequestTimeout (when longer) and the HTTP
	// server's read and write timeouts for this route: a bulk import's
	// batch is one transaction of thousands of users (deadline.go). Only on
	// a literal path.
	timeout time.Duration
}

// maxBody bounds every request body (documented in docs/api.md). A login
// body is a few hundred bytes; 64 KiB leaves room for large user.data objects
// while keeping hash-cost and parser abuse cheap to refuse.
const maxBody = 64 << 10

// passwordUse says whether a route runs a password KDF.
type passwordUse int

const (
	noPassword passwordUse = iota
	// verifiesPassword: every request verifies a password.
	verifiesPassword
	// verifiesPasswordGrant: a form body with grant_type=password does
	// (POST /oauth2/token); its other grants do not wait.
	verifiesPasswordGrant
	// verifiesPasswordForm: a hosted form (already parsed by the CSRF
	// guard) does: POST /oauth2/authorize with a password field, every
	// POST /oauth2/register.
	verifiesPasswordForm
)

// routes is the one route table, in the order of the API documentation.
// Handlers live in one file per endpoint family (named in each block).
func (s *Server) routes() []route {
	// The management API (fusionauth-api.md §7) takes an API key holding
	// FusionAuth's endpoint permission (the path prefix an API key's
	// permissions.endpoints map lists) and the tenant header.
	rs := slices.Concat([]route{
		// status.go
		{pattern: "GET /api/status", handler: s.status, auth: public},
		{pattern: "GET /api/health", handler: s.health, auth: public},
		{pattern: "GET /livez", handler: s.livez, auth: public},
		{pattern: "GET /readyz", handler: s.readyz, auth: public},
	}, globalRoutes([]route{
		// FusionAuth's Prometheus path; the key needs that endpoint.
		{pattern: "GET /api/prometheus/metrics", handler: s.prometheusMetrics, auth: apiKey("/api/prometheus/metrics")},
	}), []route{
		// openapi.go: the description of every row (internal/openapi).
		{pattern: "GET /api/openapi.json", handler: s.openAPI, auth: public, cors: corsAnyOrigin},

		// apikeys.go
		{pattern: "POST /api/api-key", handler: s.createAPIKey, auth: apiKey("/api/api-key"), tenantHeader: true, body: maxBody},
		{pattern: "POST /api/api-key/{id}", handler: s.createAPIKey, auth: apiKey("/api/api-key"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/api-key", handler: s.getAPIKeys, auth: apiKey("/api/api-key"), tenantHeader: true},
		{pattern: "GET /api/api-key/{id}", handler: s.getAPIKeys, auth: apiKey("/api/api-key"), tenantHeader: true},
		{pattern: "PUT /api/api-key/{id}", handler: s.updateAPIKey, auth: apiKey("/api/api-key"), tenantHeader: true, body: maxBody},
		{pattern: "DELETE /api/api-key/{id}", handler: s.deleteAPIKey, auth: apiKey("/api/api-key"), tenantHeader: true},

		// applications.go
		{pattern: "POST /api/application", handler: s.createApplication, auth: apiKey("/api/application"), tenantHeader: true, body: maxBody},
		{pattern: "POST /api/application/{id}", handler: s.createApplication, auth: apiKey("/api/application"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/application", handler: s.listApplications, auth: apiKey("/api/application"), tenantHeader: true},
		{pattern: "GET /api/application/search", handler: s.searchApplications, auth: apiKey("/api/application/search"), tenantHeader: true},
		{pattern: "POST /api/application/search", handler: s.searchApplications, auth: apiKey("/api/application/search"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/application/{id}", handler: s.getApplication, auth: apiKey("/api/application"), tenantHeader: true},
		{pattern: "GET /api/application/{id}/oauth-configuration", handler: s.getOAuthConfiguration, auth: apiKey("/api/application"), tenantHeader: true},
		{pattern: "PUT /api/application/{id}", handler: s.updateApplication, auth: apiKey("/api/application"), tenantHeader: true, body: maxBody},
		{pattern: "PATCH /api/application/{id}", handler: s.updateApplication, auth: apiKey("/api/application"), tenantHeader: true, body: maxBody},
		{pattern: "DELETE /api/application/{id}", handler: s.deleteApplication, auth: apiKey("/api/application"), tenantHeader: true},

		// users.go
		{pattern: "POST /api/user", handler: s.createUser, auth: apiKey("/api/user"), tenantHeader: true, body: maxBody},
		{pattern: "POST /api/user/{id}", handler: s.createUser, auth: apiKey("/api/user"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/user", handler: s.findUser, auth: apiKey("/api/user"), tenantHeader: true},
		{pattern: "GET /api/user/{id}", handler: s.getUser, auth: apiKey("/api/user"), tenantHeader: true},
		{pattern: "PUT /api/user/{id}", handler: s.updateUser, auth: apiKey("/api/user"), tenantHeader: true, body: maxBody},
		{pattern: "PATCH /api/user/{id}", handler: s.updateUser, auth: apiKey("/api/user"), tenantHeader: true, body: maxBody},
		{pattern: "DELETE /api/user/{id}", handler: s.deleteUser, auth: apiKey("/api/user"), tenantHeader: true, body: maxBody},
		// users_bulk.go: FusionAuth's bulk delete (deleteUsers, deleteUsersByQuery).
		{pattern: "DELETE /api/user/bulk", handler: s.deleteUsers, auth: apiKey("/api/user/bulk"), tenantHeader: true, body: maxBody},

		// user_import.go: FusionAuth's bulk import (issue 14), one
		// transaction per request.
		{pattern: "POST /api/user/import", handler: s.importUsers, auth: apiKey("/api/user/import"), tenantHeader: true, body: maxImportBody,
			timeout: importTimeout},

		// registrations.go; without an API key POST /api/user/registration is
		// the SPA's self-service sign-up (signup.go).
		{pattern: "POST /api/user/registration", handler: s.register, auth: keyOrAnonymous("/api/user/registration"), tenantHeader: true,
			cors: corsCredentialed, password: verifiesPassword, rate: rateSignUp, body: maxBody},
		{pattern: "POST /api/user/registration/{userId}", handler: s.register, auth: apiKey("/api/user/registration"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/user/registration/{userId}/{applicationId}", handler: s.getRegistration, auth: apiKey("/api/user/registration"), tenantHeader: true},
		{pattern: "PUT /api/user/registration/{userId}/{applicationId}", handler: s.updateRegistration, auth: apiKey("/api/user/registration"), tenantHeader: true, body: maxBody},
		{pattern: "PATCH /api/user/registration/{userId}/{applicationId}", handler: s.updateRegistration, auth: apiKey("/api/user/registration"), tenantHeader: true, body: maxBody},
		// The TS client's updateRegistration/patchRegistration name only the
		// user; the application is registration.applicationId in the body.
		{pattern: "PUT /api/user/registration/{userId}", handler: s.updateRegistration, auth: apiKey("/api/user/registration"), tenantHeader: true, body: maxBody},
		{pattern: "PATCH /api/user/registration/{userId}", handler: s.updateRegistration, auth: apiKey("/api/user/registration"), tenantHeader: true, body: maxBody},
		{pattern: "DELETE /api/user/registration/{userId}/{applicationId}", handler: s.deleteRegistration, auth: apiKey("/api/user/registration"), tenantHeader: true},
	}, globalRoutes([]route{
		// entities.go: FusionAuth's entity management (client_credentials
		// clients). Entity types are shared by every tenant; entities are not.
		{pattern: "POST /api/entity/type", handler: s.createEntityType, auth: apiKey("/api/entity/type"), tenantHeader: true, body: maxBody},
		{pattern: "POST /api/entity/type/{id}", handler: s.createEntityType, auth: apiKey("/api/entity/type"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/entity/type", handler: s.listEntityTypes, auth: apiKey("/api/entity/type"), tenantHeader: true},
		{pattern: "POST /api/entity/type/search", handler: s.searchEntityTypes, auth: apiKey("/api/entity/type/search"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/entity/type/{id}", handler: s.getEntityType, auth: apiKey("/api/entity/type"), tenantHeader: true},
		{pattern: "PUT /api/entity/type/{id}", handler: s.updateEntityType, auth: apiKey("/api/entity/type"), tenantHeader: true, body: maxBody},
		{pattern: "PATCH /api/entity/type/{id}", handler: s.updateEntityType, auth: apiKey("/api/entity/type"), tenantHeader: true, body: maxBody},
		{pattern: "DELETE /api/entity/type/{id}", handler: s.deleteEntityType, auth: apiKey("/api/entity/type"), tenantHeader: true},
		{pattern: "POST /api/entity/type/{id}/permission", handler: s.createEntityTypePermission, auth: apiKey("/api/entity/type"), tenantHeader: true, body: maxBody},
		{pattern: "POST /api/entity/type/{id}/permission/{permissionId}", handler: s.createEntityTypePermission, auth: apiKey("/api/entity/type"), tenantHeader: true, body: maxBody},
		{pattern: "DELETE /api/entity/type/{id}/permission/{permissionId}", handler: s.deleteEntityTypePermission, auth: apiKey("/api/entity/type"), tenantHeader: true},
	}), []route{
		{pattern: "POST /api/entity", handler: s.createEntity, auth: apiKey("/api/entity"), tenantHeader: true, body: maxBody},
		{pattern: "POST /api/entity/{id}", handler: s.createEntity, auth: apiKey("/api/entity"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/entity/{id}", handler: s.getEntity, auth: apiKey("/api/entity"), tenantHeader: true},
		{pattern: "GET /api/entity/search", handler: s.searchEntities, auth: apiKey("/api/entity"), tenantHeader: true},
		{pattern: "POST /api/entity/search", handler: s.searchEntities, auth: apiKey("/api/entity"), tenantHeader: true, body: maxBody},
		{pattern: "PUT /api/entity/{id}", handler: s.updateEntity, auth: apiKey("/api/entity"), tenantHeader: true, body: maxBody},
		{pattern: "PATCH /api/entity/{id}", handler: s.updateEntity, auth: apiKey("/api/entity"), tenantHeader: true, body: maxBody},
		{pattern: "DELETE /api/entity/{id}", handler: s.deleteEntity, auth: apiKey("/api/entity"), tenantHeader: true},
		// {grant} is the literal "grant" (checked by the handlers): a literal
		// segment would make "/api/entity/type/grant" ambiguous for ServeMux.
		{pattern: "POST /api/entity/{id}/{grant}", handler: s.upsertEntityGrant, auth: apiKey("/api/entity"), tenantHeader: true, body: maxBody},
		{pattern: "PUT /api/entity/{id}/{grant}", handler: s.upsertEntityGrant, auth: apiKey("/api/entity"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/entity/{id}/{grant}", handler: s.getEntityGrants, auth: apiKey("/api/entity"), tenantHeader: true},
		{pattern: "DELETE /api/entity/{id}/{grant}", handler: s.deleteEntityGrant, auth: apiKey("/api/entity"), tenantHeader: true},
	}, globalRoutes([]route{
		// identity_providers.go, oauth_federation.go: federation.
		{pattern: "POST /api/identity-provider", handler: s.createIdentityProvider, auth: apiKey("/api/identity-provider"), tenantHeader: true, body: maxBody},
		{pattern: "POST /api/identity-provider/{id}", handler: s.createIdentityProvider, auth: apiKey("/api/identity-provider"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/identity-provider", handler: s.listIdentityProviders, auth: apiKey("/api/identity-provider"), tenantHeader: true},
		{pattern: "GET /api/identity-provider/{id}", handler: s.getIdentityProvider, auth: apiKey("/api/identity-provider"), tenantHeader: true},
		{pattern: "PUT /api/identity-provider/{id}", handler: s.updateIdentityProvider, auth: apiKey("/api/identity-provider"), tenantHeader: true, body: maxBody},
		{pattern: "PATCH /api/identity-provider/{id}", handler: s.updateIdentityProvider, auth: apiKey("/api/identity-provider"), tenantHeader: true, body: maxBody},
		{pattern: "DELETE /api/identity-provider/{id}", handler: s.deleteIdentityProvider, auth: apiKey("/api/identity-provider"), tenantHeader: true},
		{pattern: "GET /api/identity-provider/search", handler: s.searchIdentityProviders, auth: apiKey("/api/identity-provider/search"), tenantHeader: true},
		{pattern: "POST /api/identity-provider/search", handler: s.searchIdentityProviders, auth: apiKey("/api/identity-provider/search"), tenantHeader: true, body: maxBody},
	}), []route{
		// identity_provider_links.go: users' links to their upstream accounts.
		// Not global: a link belongs to a user, and a tenant-scoped key links
		// and sees only its tenant's users.
		{pattern: "POST /api/identity-provider/link", handler: s.linkUser, auth: apiKey("/api/identity-provider/link"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/identity-provider/link", handler: s.getUserLinks, auth: apiKey("/api/identity-provider/link"), tenantHeader: true},
		{pattern: "DELETE /api/identity-provider/link", handler: s.unlinkUser, auth: apiKey("/api/identity-provider/link"), tenantHeader: true},
		{pattern: "GET /api/identity-provider/link/pending/{id}", handler: s.getPendingLink, auth: apiKey("/api/identity-provider/link"), tenantHeader: true},
		// idp_connection_tests.go: the connection test API (identity-providers/test.mdx).
		{pattern: "POST /api/identity-provider/test", handler: s.startConnectionTest, auth: apiKey("/api/identity-provider/test"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/identity-provider/test", handler: s.connectionTestResults, auth: apiKey("/api/identity-provider/test"), tenantHeader: true},
		// Anonymous in FusionAuth: the hosted login asks it for an email's domain.
		{pattern: "GET /api/identity-provider/lookup", handler: s.lookupIdentityProvider, auth: public},
		{pattern: "POST /api/identity-provider/login", handler: s.identityProviderLogin, auth: optionalAPIKey, tenantHeader: true,
			cors: corsCredentialed, spendsCookie: true, body: maxBody},
		{pattern: "GET /oauth2/federate/{id}", handler: s.federate, auth: public, html: true},
		{pattern: "GET /oauth2/callback", handler: s.federationCallback, auth: public, html: true},

		// roles.go: application roles (create/update/delete-application-role.mdx).
		{pattern: "POST /api/application/{id}/role", handler: s.createRole, auth: apiKey("/api/application/role"), tenantHeader: true, body: maxBody},
		{pattern: "POST /api/application/{id}/role/{roleId}", handler: s.createRole, auth: apiKey("/api/application/role"), tenantHeader: true, body: maxBody},
		{pattern: "PUT /api/application/{id}/role/{roleId}", handler: s.updateRole, auth: apiKey("/api/application/role"), tenantHeader: true, body: maxBody},
		{pattern: "PATCH /api/application/{id}/role/{roleId}", handler: s.updateRole, auth: apiKey("/api/application/role"), tenantHeader: true, body: maxBody},
		{pattern: "DELETE /api/application/{id}/role/{roleId}", handler: s.deleteRole, auth: apiKey("/api/application/role"), tenantHeader: true},
		{pattern: "DELETE /api/application/{id}/role", handler: s.deleteRole, auth: apiKey("/api/application/role"), tenantHeader: true},

		// search.go: user search and bulk retrieve (the database engine).
		{pattern: "GET /api/user/search", handler: s.searchUsers, auth: apiKey("/api/user/search"), tenantHeader: true},
		{pattern: "POST /api/user/search", handler: s.searchUsers, auth: apiKey("/api/user/search"), tenantHeader: true, body: maxBody},
		// login_records.go
		{pattern: "GET /api/user/recent-login", handler: s.recentLogins, auth: apiKey("/api/user/recent-login"), tenantHeader: true},
		{pattern: "GET /api/system/login-record/search", handler: s.searchLoginRecords, auth: apiKey("/api/system/login-record/search"), tenantHeader: true},
		{pattern: "POST /api/system/login-record/search", handler: s.searchLoginRecords, auth: apiKey("/api/system/login-record/search"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/system/login-record/export", handler: s.exportLoginRecords, auth: apiKey("/api/system/login-record/export"), tenantHeader: true, timeout: exportTimeout},
		{pattern: "POST /api/system/login-record/export", handler: s.exportLoginRecords, auth: apiKey("/api/system/login-record/export"), tenantHeader: true, body: maxBody, timeout: exportTimeout},

		// families.go: the family API (families.mdx).
		{pattern: "POST /api/user/family", handler: s.createFamily, auth: apiKey("/api/user/family"), tenantHeader: true, body: maxBody},
		{pattern: "POST /api/user/family/{familyId}", handler: s.createFamily, auth: apiKey("/api/user/family"), tenantHeader: true, body: maxBody},
		{pattern: "PUT /api/user/family/{familyId}", handler: s.putFamilyMember, auth: apiKey("/api/user/family"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/user/family", handler: s.userFamilies, auth: apiKey("/api/user/family"), tenantHeader: true},
		{pattern: "GET /api/user/family/{familyId}", handler: s.getFamily, auth: apiKey("/api/user/family"), tenantHeader: true},
		{pattern: "DELETE /api/user/family/{familyId}/{userId}", handler: s.removeFamilyMember, auth: apiKey("/api/user/family"), tenantHeader: true},
		{pattern: "GET /api/user/family/pending", handler: s.pendingChildren, auth: apiKey("/api/user/family/pending"), tenantHeader: true},
		{pattern: "POST /api/user/family/request", handler: s.familyRequestEmail, auth: apiKey("/api/user/family/request"), tenantHeader: true, body: maxBody},

		// user_comments.go: the notes admins leave on users.
		{pattern: "POST /api/user/comment", handler: s.addUserComment, auth: apiKey("/api/user/comment"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/user/comment/{userId}", handler: s.listUserComments, auth: apiKey("/api/user/comment"), tenantHeader: true},
		{pattern: "GET /api/user/comment/search", handler: s.searchUserComments, auth: apiKey("/api/user/comment/search"), tenantHeader: true},
		{pattern: "POST /api/user/comment/search", handler: s.searchUserComments, auth: apiKey("/api/user/comment/search"), tenantHeader: true, body: maxBody},

		// user_consents.go: the consents granted to users.
		{pattern: "POST /api/user/consent", handler: s.grantUserConsent, auth: apiKey("/api/user/consent"), tenantHeader: true, body: maxBody},
		{pattern: "POST /api/user/consent/{id}", handler: s.grantUserConsent, auth: apiKey("/api/user/consent"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/user/consent", handler: s.listUserConsents, auth: apiKey("/api/user/consent"), tenantHeader: true},
		{pattern: "GET /api/user/consent/{id}", handler: s.getUserConsent, auth: apiKey("/api/user/consent"), tenantHeader: true},
		{pattern: "PUT /api/user/consent/{id}", handler: s.updateUserConsent, auth: apiKey("/api/user/consent"), tenantHeader: true, body: maxBody},
		{pattern: "PATCH /api/user/consent/{id}", handler: s.updateUserConsent, auth: apiKey("/api/user/consent"), tenantHeader: true, body: maxBody},
		{pattern: "DELETE /api/user/consent/{id}", handler: s.revokeUserConsent, auth: apiKey("/api/user/consent"), tenantHeader: true},

		// groups.go, group_members.go
		{pattern: "POST /api/group", handler: s.createGroup, auth: apiKey("/api/group"), tenantHeader: true, body: maxBody},
		{pattern: "POST /api/group/{id}", handler: s.createGroup, auth: apiKey("/api/group"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/group", handler: s.listGroups, auth: apiKey("/api/group"), tenantHeader: true},
		{pattern: "GET /api/group/{id}", handler: s.getGroup, auth: apiKey("/api/group"), tenantHeader: true},
		{pattern: "PUT /api/group/{id}", handler: s.updateGroup, auth: apiKey("/api/group"), tenantHeader: true, body: maxBody},
		{pattern: "PATCH /api/group/{id}", handler: s.updateGroup, auth: apiKey("/api/group"), tenantHeader: true, body: maxBody},
		{pattern: "DELETE /api/group/{id}", handler: s.deleteGroup, auth: apiKey("/api/group"), tenantHeader: true},
		{pattern: "POST /api/group/search", handler: s.searchGroups, auth: apiKey("/api/group/search"), tenantHeader: true, body: maxBody},
		{pattern: "POST /api/group/member", handler: s.saveMembers, auth: apiKey("/api/group/member"), tenantHeader: true, body: maxBody},
		{pattern: "PUT /api/group/member", handler: s.saveMembers, auth: apiKey("/api/group/member"), tenantHeader: true, body: maxBody},
		{pattern: "DELETE /api/group/member", handler: s.deleteMembers, auth: apiKey("/api/group/member"), tenantHeader: true, body: maxBody},
		{pattern: "DELETE /api/group/member/{id}", handler: s.deleteMembers, auth: apiKey("/api/group/member"), tenantHeader: true},
		{pattern: "GET /api/group/member/search", handler: s.searchMembers, auth: apiKey("/api/group/member/search"), tenantHeader: true},
		{pattern: "POST /api/group/member/search", handler: s.searchMembers, auth: apiKey("/api/group/member/search"), tenantHeader: true, body: maxBody},

		// user_actions.go: definitions; actions.go: actions taken on users.
		{pattern: "POST /api/user-action", handler: s.createUserAction, auth: apiKey("/api/user-action"), tenantHeader: true, body: maxBody},
		{pattern: "POST /api/user-action/{id}", handler: s.createUserAction, auth: apiKey("/api/user-action"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/user-action", handler: s.getUserActions, auth: apiKey("/api/user-action"), tenantHeader: true},
		{pattern: "GET /api/user-action/{id}", handler: s.getUserActions, auth: apiKey("/api/user-action"), tenantHeader: true},
		{pattern: "PUT /api/user-action/{id}", handler: s.updateUserAction, auth: apiKey("/api/user-action"), tenantHeader: true, body: maxBody},
		{pattern: "PATCH /api/user-action/{id}", handler: s.updateUserAction, auth: apiKey("/api/user-action"), tenantHeader: true, body: maxBody},
		{pattern: "DELETE /api/user-action/{id}", handler: s.deleteUserAction, auth: apiKey("/api/user-action"), tenantHeader: true},
		{pattern: "POST /api/user/action", handler: s.actionUser, auth: apiKey("/api/user/action"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/user/action", handler: s.getActions, auth: apiKey("/api/user/action"), tenantHeader: true},
		{pattern: "GET /api/user/action/{id}", handler: s.getActions, auth: apiKey("/api/user/action"), tenantHeader: true},
		{pattern: "PUT /api/user/action/{id}", handler: s.changeAction, auth: apiKey("/api/user/action"), tenantHeader: true, body: maxBody},
		{pattern: "DELETE /api/user/action/{id}", handler: s.changeAction, auth: apiKey("/api/user/action"), tenantHeader: true, body: maxBody},

		// audit_logs.go: FusionAuth's audit log; every management change writes one.
		{pattern: "POST /api/system/audit-log", handler: s.createAuditLog, auth: apiKey("/api/system/audit-log"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/system/audit-log/{id}", handler: s.getAuditLog, auth: apiKey("/api/system/audit-log"), tenantHeader: true},
		{pattern: "GET /api/system/audit-log/search", handler: s.searchAuditLogs, auth: apiKey("/api/system/audit-log/search"), tenantHeader: true},
		{pattern: "POST /api/system/audit-log/search", handler: s.searchAuditLogs, auth: apiKey("/api/system/audit-log/search"), tenantHeader: true, body: maxBody},
		// exports.go
		{pattern: "GET /api/system/audit-log/export", handler: s.exportAuditLogs, auth: apiKey("/api/system/audit-log/export"), tenantHeader: true, timeout: exportTimeout},
		{pattern: "POST /api/system/audit-log/export", handler: s.exportAuditLogs, auth: apiKey("/api/system/audit-log/export"), tenantHeader: true, body: maxBody, timeout: exportTimeout},
		// accounts.go: forgot and change password (accounts spec §3, §4).
		// Anonymous callers, API keys and (change password) access tokens
		// each have their mode; the SPA calls them from its own origin.
		{pattern: "POST /api/user/forgot-password", handler: s.forgotPassword, auth: keyOrAnonymous("/api/user/forgot-password"), tenantHeader: true,
			cors: corsCredentialed, rate: rateForgotPassword, body: maxBody},
		{pattern: "POST /api/user/change-password", handler: s.changePassword, auth: keyOrAnonymous("/api/user/change-password"), tenantHeader: true,
			cors: corsCredentialed, spendsCookie: true, password: verifiesPassword, rate: rateChangePassword, body: maxBody},
		{pattern: "POST /api/user/change-password/{changePasswordId}", handler: s.changePassword, auth: keyOrAnonymous("/api/user/change-password"), tenantHeader: true,
			cors: corsCredentialed, spendsCookie: true, password: verifiesPassword, rate: rateChangePassword, body: maxBody},
		{pattern: "GET /api/user/change-password", handler: s.checkChangePassword, auth: keyOrAnonymous("/api/user/change-password"), tenantHeader: true,
			cors: corsCredentialed, rate: rateChangePassword},
		{pattern: "GET /api/user/change-password/{changePasswordId}", handler: s.checkChangePassword, auth: keyOrAnonymous("/api/user/change-password"), tenantHeader: true,
			cors: corsCredentialed, rate: rateChangePassword},
		// verify_email.go (accounts spec §5).
		{pattern: "PUT /api/user/verify-email", handler: s.generateEmailVerification, auth: keyOrAnonymous("/api/user/verify-email"), tenantHeader: true,
			cors: corsCredentialed, rate: rateVerifyEmail, body: maxBody},
		{pattern: "POST /api/user/verify-email", handler: s.verifyEmail, auth: keyOrAnonymous("/api/user/verify-email"), tenantHeader: true,
			cors: corsCredentialed, rate: rateVerifyEmail, body: maxBody},
		{pattern: "POST /api/user/verify-email/{verificationId}", handler: s.verifyEmail, auth: keyOrAnonymous("/api/user/verify-email"), tenantHeader: true,
			cors: corsCredentialed, rate: rateVerifyEmail, body: maxBody},
		// verify_registration.go (registration verification).
		{pattern: "PUT /api/user/verify-registration", handler: s.resendRegistrationVerification, auth: apiKey("/api/user/verify-registration"), tenantHeader: true,
			body: maxBody},
		{pattern: "POST /api/user/verify-registration", handler: s.verifyRegistration, auth: keyOrAnonymous("/api/user/verify-registration"), tenantHeader: true,
			cors: corsCredentialed, rate: rateVerifyEmail, body: maxBody},
		{pattern: "POST /api/user/verify-registration/{verificationId}", handler: s.verifyRegistration, auth: keyOrAnonymous("/api/user/verify-registration"), tenantHeader: true,
			cors: corsCredentialed, rate: rateVerifyEmail, body: maxBody},

		// email_send.go: not a global route (templates are shared, the
		// users mailed are the key's tenant's).
		{pattern: "POST /api/email/send/{emailTemplateId}", handler: s.sendEmail, auth: apiKey("/api/email/send"), tenantHeader: true, body: maxBody},

		// tenants.go
		{pattern: "GET /api/tenant", handler: s.listTenants, auth: apiKey("/api/tenant"), tenantHeader: true},
		{pattern: "GET /api/tenant/{id}", handler: s.getTenant, auth: apiKey("/api/tenant"), tenantHeader: true},
		{pattern: "PUT /api/tenant/{id}", handler: s.updateTenant, auth: apiKey("/api/tenant"), tenantHeader: true, body: maxBody},
		{pattern: "PATCH /api/tenant/{id}", handler: s.updateTenant, auth: apiKey("/api/tenant"), tenantHeader: true, body: maxBody},
		// Keyless, for sign-up forms (accounts spec §9.1).
		{pattern: "GET /api/tenant/password-validation-rules", handler: s.passwordValidationRules, auth: public, tenantHeader: true, cors: corsCredentialed},
		{pattern: "GET /api/tenant/password-validation-rules/{tenantId}", handler: s.passwordValidationRules, auth: public, cors: corsCredentialed},
	}, globalRoutes([]route{
		// email_templates.go, as in FusionAuth.
		{pattern: "POST /api/email/template", handler: s.createEmailTemplate, auth: apiKey("/api/email/template"), body: maxBody},
		{pattern: "POST /api/email/template/{id}", handler: s.createEmailTemplate, auth: apiKey("/api/email/template"), body: maxBody},
		{pattern: "POST /api/email/template/preview", handler: s.previewEmailTemplate, auth: apiKey("/api/email/template"), body: maxBody},
		{pattern: "GET /api/email/template", handler: s.listEmailTemplates, auth: apiKey("/api/email/template")},
		{pattern: "GET /api/email/template/search", handler: s.searchEmailTemplates, auth: apiKey("/api/email/template/search")},
		{pattern: "POST /api/email/template/search", handler: s.searchEmailTemplates, auth: apiKey("/api/email/template/search"), body: maxBody},
		{pattern: "GET /api/email/template/{id}", handler: s.getEmailTemplate, auth: apiKey("/api/email/template")},
		{pattern: "PUT /api/email/template/{id}", handler: s.updateEmailTemplate, auth: apiKey("/api/email/template"), body: maxBody},
		{pattern: "PATCH /api/email/template/{id}", handler: s.updateEmailTemplate, auth: apiKey("/api/email/template"), body: maxBody},
		{pattern: "DELETE /api/email/template/{id}", handler: s.deleteEmailTemplate, auth: apiKey("/api/email/template")},

		// webhooks.go, lambdas.go, webhook_event_log.go, as in FusionAuth
		// (issue 14).
		{pattern: "POST /api/webhook", handler: s.createWebhook, auth: apiKey("/api/webhook"), body: maxBody},
		{pattern: "POST /api/webhook/{id}", handler: s.createWebhook, auth: apiKey("/api/webhook"), body: maxBody},
		{pattern: "POST /api/webhook/search", handler: s.searchWebhooks, auth: apiKey("/api/webhook"), body: maxBody},
		{pattern: "GET /api/webhook/search", handler: s.searchWebhooks, auth: apiKey("/api/webhook")},
		{pattern: "GET /api/webhook/delivery", handler: s.listWebhookDeliveries, auth: apiKey("/api/webhook")},
		{pattern: "GET /api/system/webhook-event-log/search", handler: s.searchWebhookEventLogs, auth: apiKey("/api/system/webhook-event-log/search")},
		{pattern: "POST /api/system/webhook-event-log/search", handler: s.searchWebhookEventLogs, auth: apiKey("/api/system/webhook-event-log/search"), body: maxBody},
		{pattern: "GET /api/system/webhook-event-log/{id}", handler: s.getWebhookEventLog, auth: apiKey("/api/system/webhook-event-log")},
		// event_log.go: what failed in background work.
		{pattern: "GET /api/system/event-log/search", handler: s.searchEventLogs, auth: apiKey("/api/system/event-log/search")},
		{pattern: "POST /api/system/event-log/search", handler: s.searchEventLogs, auth: apiKey("/api/system/event-log/search"), body: maxBody},
		{pattern: "GET /api/system/event-log/{id}", handler: s.getEventLog, auth: apiKey("/api/system/event-log")},
		{pattern: "POST /api/webhook/delivery/{id}/retry", handler: s.retryWebhookDelivery, auth: apiKey("/api/webhook"), body: maxBody},
		{pattern: "POST /api/webhook/{id}/test", handler: s.testWebhook, auth: apiKey("/api/webhook"), body: maxBody},
		{pattern: "GET /api/webhook", handler: s.listWebhooks, auth: apiKey("/api/webhook")},
		{pattern: "GET /api/webhook/{id}", handler: s.getWebhook, auth: apiKey("/api/webhook")},
		{pattern: "PUT /api/webhook/{id}", handler: s.updateWebhook, auth: apiKey("/api/webhook"), body: maxBody},
		{pattern: "PATCH /api/webhook/{id}", handler: s.updateWebhook, auth: apiKey("/api/webhook"), body: maxBody},
		{pattern: "DELETE /api/webhook/{id}", handler: s.deleteWebhook, auth: apiKey("/api/webhook")},
		// consents.go: the consent definitions, global in FusionAuth.
		{pattern: "POST /api/consent", handler: s.createConsent, auth: apiKey("/api/consent"), body: maxBody},
		{pattern: "POST /api/consent/{id}", handler: s.createConsent, auth: apiKey("/api/consent"), body: maxBody},
		{pattern: "GET /api/consent/search", handler: s.searchConsents, auth: apiKey("/api/consent/search")},
		{pattern: "POST /api/consent/search", handler: s.searchConsents, auth: apiKey("/api/consent/search"), body: maxBody},
		{pattern: "GET /api/consent", handler: s.listConsents, auth: apiKey("/api/consent")},
		{pattern: "GET /api/consent/{id}", handler: s.getConsent, auth: apiKey("/api/consent")},
		{pattern: "PUT /api/consent/{id}", handler: s.updateConsent, auth: apiKey("/api/consent"), body: maxBody},
		{pattern: "PATCH /api/consent/{id}", handler: s.updateConsent, auth: apiKey("/api/consent"), body: maxBody},
		{pattern: "DELETE /api/consent/{id}", handler: s.deleteConsent, auth: apiKey("/api/consent")},
		{pattern: "POST /api/lambda", handler: s.createLambda, auth: apiKey("/api/lambda"), body: maxBody},
		{pattern: "POST /api/lambda/{id}", handler: s.createLambda, auth: apiKey("/api/lambda"), body: maxBody},
		{pattern: "POST /api/lambda/search", handler: s.searchLambdas, auth: apiKey("/api/lambda"), body: maxBody},
		{pattern: "GET /api/lambda", handler: s.listLambdas, auth: apiKey("/api/lambda")},
		{pattern: "GET /api/lambda/{id}", handler: s.getLambda, auth: apiKey("/api/lambda")},
		{pattern: "PUT /api/lambda/{id}", handler: s.updateLambda, auth: apiKey("/api/lambda"), body: maxBody},
		{pattern: "PATCH /api/lambda/{id}", handler: s.updateLambda, auth: apiKey("/api/lambda"), body: maxBody},
		{pattern: "DELETE /api/lambda/{id}", handler: s.deleteLambda, auth: apiKey("/api/lambda")},

		// systemconfig.go
		{pattern: "GET /api/system-configuration", handler: s.getSystemConfiguration, auth: apiKey("/api/system-configuration"), tenantHeader: true},
		{pattern: "PUT /api/system-configuration", handler: s.updateSystemConfiguration, auth: apiKey("/api/system-configuration"), tenantHeader: true, body: maxBody},
		{pattern: "PATCH /api/system-configuration", handler: s.updateSystemConfiguration, auth: apiKey("/api/system-configuration"), tenantHeader: true, body: maxBody},
	}), []route{
		// login.go: the API key is optional; auth decides with
		// loginConfiguration.requireAuthentication whether its absence is a 401.
		{pattern: "POST /api/login", handler: s.login, auth: optionalAPIKey, tenantHeader: true,
			cors: corsCredentialed, spendsCookie: true, password: verifiesPassword, rate: rateLogin, body: maxBody},
		// login_ping.go: a backend records a login it made (no credential).
		{pattern: "PUT /api/login", handler: s.pingLoginWithRequest, auth: apiKey("/api/login"), tenantHeader: true, body: maxBody},
		{pattern: "PUT /api/login/{userId}", handler: s.pingLogin, auth: apiKey("/api/login"), tenantHeader: true, body: maxBody},
		{pattern: "PUT /api/login/{userId}/{applicationId}", handler: s.pingLogin, auth: apiKey("/api/login"), tenantHeader: true, body: maxBody},

		// twofactor.go (issue 10): enrolment by API key or by the user's JWT,
		// and the second step of a login.
		{pattern: "GET /api/two-factor/secret", handler: s.twoFactorSecret, auth: apiKeyOrAccessToken("/api/two-factor"), tenantHeader: true, cors: corsCredentialed},
		{pattern: "POST /api/two-factor/send", handler: s.sendTwoFactorCode, auth: apiKeyOrAccessToken("/api/two-factor"), tenantHeader: true,
			cors: corsCredentialed, spendsCookie: true, body: maxBody},
		{pattern: "POST /api/two-factor/send/{twoFactorId}", handler: s.sendTwoFactorLoginCode, auth: public, tenantHeader: true,
			cors: corsCredentialed, rate: rateCodes, body: maxBody},
		{pattern: "POST /api/two-factor/login", handler: s.twoFactorLogin, auth: optionalAPIKey, tenantHeader: true,
			cors: corsCredentialed, spendsCookie: true, rate: rateCodes, body: maxBody},
		// twofactor_start.go: a step-up, whose completion answers a trustToken.
		{pattern: "POST /api/two-factor/start", handler: s.startTwoFactor, auth: apiKey("/api/two-factor"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/two-factor/status", handler: s.twoFactorStatus, auth: apiKey("/api/two-factor"), tenantHeader: true},
		{pattern: "GET /api/two-factor/status/{twoFactorTrustId}", handler: s.twoFactorStatus, auth: apiKey("/api/two-factor"), tenantHeader: true},
		{pattern: "POST /api/two-factor/status", handler: s.twoFactorStatus, auth: apiKey("/api/two-factor"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/user/two-factor", handler: s.twoFactorMethods, auth: accessToken, tenantHeader: true, cors: corsCredentialed},
		{pattern: "POST /api/user/two-factor", handler: s.enableTwoFactor, auth: accessToken, tenantHeader: true,
			cors: corsCredentialed, spendsCookie: true, body: maxBody},
		{pattern: "DELETE /api/user/two-factor", handler: s.disableTwoFactor, auth: accessToken, tenantHeader: true,
			cors: corsCredentialed, spendsCookie: true, rate: rateCodes, body: maxBody},
		{pattern: "POST /api/user/two-factor/{userId}", handler: s.enableTwoFactor, auth: apiKey("/api/user/two-factor"), tenantHeader: true, body: maxBody},
		{pattern: "PUT /api/user/two-factor/{userId}", handler: s.renameTwoFactor, auth: apiKey("/api/user/two-factor"), tenantHeader: true, body: maxBody},
		{pattern: "DELETE /api/user/two-factor/{userId}", handler: s.disableTwoFactor, auth: apiKey("/api/user/two-factor"), tenantHeader: true, body: maxBody},
		{pattern: "GET /api/user/two-factor/recovery-code/{userId}", handler: s.retrieveRecoveryCodes, auth: apiKey("/api/user/two-factor"), tenantHeader: true},
		{pattern: "POST /api/user/two-factor/recovery-code/{userId}", handler: s.generateRecoveryCodes, auth: apiKey("/api/user/two-factor"), tenantHeader: true, body: maxBody},

		// webauthn.go (issue 10): FusionAuth's passkey API; the user's JWT may
		// register, list and delete its own passkeys, and a keyless start is
		// a usernameless login.
		{pattern: "POST /api/webauthn/register/start", handler: s.startWebAuthnRegistration, auth: apiKeyOrAccessToken("/api/webauthn"), tenantHeader: true,
			cors: corsCredentialed, spendsCookie: true, body: maxBody},
		{pattern: "POST /api/webauthn/register/complete", handler: s.completeWebAuthnRegistration, auth: apiKeyOrAccessToken("/api/webauthn"), tenantHeader: true,
			cors: corsCredentialed, spendsCookie: true, body: maxBody},
		{pattern: "POST /api/webauthn/start", handler: s.startWebAuthnLogin, auth: optionalAPIKey, tenantHeader: true,
			cors: corsCredentialed, body: maxBody},
		{pattern: "POST /api/webauthn/login", handler: s.webAuthnLogin, auth: optionalAPIKey, tenantHeader: true,
			cors: corsCredentialed, spendsCookie: true, body: maxBody},
		{pattern: "POST /api/webauthn/assert", handler: s.webAuthnAssert, auth: public, tenantHeader: true, cors: corsCredentialed, body: maxBody},
		{pattern: "GET /api/webauthn", handler: s.listWebAuthnCredentials, auth: apiKeyOrAccessToken("/api/webauthn"), tenantHeader: true, cors: corsCredentialed},
		{pattern: "GET /api/webauthn/{id}", handler: s.getWebAuthnCredential, auth: apiKeyOrAccessToken("/api/webauthn"), tenantHeader: true, cors: corsCredentialed},
		{pattern: "DELETE /api/webauthn/{id}", handler: s.deleteWebAuthnCredential, auth: apiKeyOrAccessToken("/api/webauthn"), tenantHeader: true,
			cors: corsCredentialed, spendsCookie: true},
		{pattern: "DELETE /api/webauthn", handler: s.deleteWebAuthnCredentials, auth: apiKey("/api/webauthn"), tenantHeader: true},

		// passwordless.go (issue 10): a keyless start mails the code and
		// reveals nothing.
		{pattern: "POST /api/passwordless/start", handler: s.startPasswordless, auth: optionalAPIKey, tenantHeader: true,
			cors: corsCredentialed, rate: rateCodes, body: maxBody},
		{pattern: "POST /api/passwordless/send", handler: s.sendPasswordless, auth: public, tenantHeader: true, cors: corsCredentialed, rate: rateCodes, body: maxBody},
		{pattern: "POST /api/passwordless/login", handler: s.passwordlessLogin, auth: optionalAPIKey, tenantHeader: true,
			cors: corsCredentialed, spendsCookie: true, rate: rateCodes, body: maxBody},

		// jwt.go
		{pattern: "POST /api/jwt/refresh", handler: s.refreshJWT, auth: refreshToken, tenantHeader: true,
			cors: corsCredentialed, spendsCookie: true, rate: rateRefresh, body: maxBody},
		{pattern: "GET /api/jwt/validate", handler: s.validateJWT, auth: accessToken, tenantHeader: true, cors: corsCredentialed},
		// jwt_issue.go
		{pattern: "GET /api/jwt/issue", handler: s.issueJWT, auth: accessToken, tenantHeader: true, cors: corsCredentialed},
		{pattern: "POST /api/jwt/vend", handler: s.vendJWT, auth: apiKey("/api/jwt/vend"), tenantHeader: true, body: maxBody},
		// refresh_tokens.go: FusionAuth's refresh-token administration.
		{pattern: "GET /api/jwt/refresh", handler: s.listRefreshTokens, auth: apiKey("/api/jwt/refresh"), tenantHeader: true},
		{pattern: "GET /api/jwt/refresh/{id}", handler: s.getRefreshToken, auth: apiKey("/api/jwt/refresh"), tenantHeader: true},
		{pattern: "DELETE /api/jwt/refresh", handler: s.revokeRefreshTokens, auth: apiKey("/api/jwt/refresh"), tenantHeader: true, body: maxBody},
		{pattern: "DELETE /api/jwt/refresh/{id}", handler: s.revokeRefreshTokens, auth: apiKey("/api/jwt/refresh"), tenantHeader: true, body: maxBody},
		// wellknown.go
		{pattern: "GET /api/jwt/public-key", handler: s.publicKey, auth: public, tenantHeader: true, cors: corsCredentialed},
		// revocations.go: resource servers poll it (latchkey extension).
		{pattern: "GET /api/jwt/revocations", handler: s.revocations, auth: clientOrAPIKey("/api/jwt/revocations")},

		// logout.go
		{pattern: "POST /api/logout", handler: s.logout, auth: refreshToken, tenantHeader: true,
			cors: corsCredentialed, spendsCookie: true, body: maxBody},

		// oauth_token.go: tenant-free, OAuth2 error format.
		{pattern: "POST /oauth2/token", handler: s.oauthToken, auth: oauthClient,
			cors: corsCredentialed, password: verifiesPasswordGrant, rate: rateToken, body: maxBody},

		// oauth_authorize.go: the hosted login page posts back to
		// /oauth2/authorize (FusionAuth's form does the same).
		{pattern: "GET /oauth2/authorize", handler: s.authorize, auth: public, html: true},
		{pattern: "POST /oauth2/authorize", handler: s.authorize, auth: public, html: true, hostedForm: true,
			password: verifiesPasswordForm, rate: rateHostedLogin, body: maxBody},
		// oauth_twofactor.go: the hosted page's second step.
		{pattern: "POST /oauth2/two-factor", handler: s.hostedTwoFactor, auth: public, html: true, hostedForm: true,
			rate: rateHostedLogin, body: maxBody},
		// oauth_register.go: the hosted registration page, the keyless
		// sign-up's use case and rate (one bucket for both).
		{pattern: "GET /oauth2/register", handler: s.hostedRegister, auth: public, html: true},
		{pattern: "POST /oauth2/register", handler: s.hostedRegister, auth: public, html: true, hostedForm: true,
			password: verifiesPasswordForm, rate: rateSignUp, body: maxBody},
		// hosted.go: a theme's stylesheet.
		{pattern: "GET /theme/{id}/styles.css", handler: s.themeCSS, auth: public},
		// oauth_userinfo.go, oauth_introspect.go, oauth_logout.go
		{pattern: "GET /oauth2/userinfo", handler: s.userinfo, auth: public, cors: corsCredentialed},
		{pattern: "POST /oauth2/userinfo", handler: s.userinfo, auth: public, cors: corsCredentialed, body: maxBody},
		{pattern: "POST /oauth2/introspect", handler: s.introspect, auth: oauthClient, body: maxBody},
		{pattern: "POST /oauth2/revoke", handler: s.revoke, auth: oauthClient, cors: corsCredentialed, body: maxBody},
		{pattern: "GET /oauth2/logout", handler: s.oauthLogout, auth: public, html: true},
		{pattern: "POST /oauth2/logout", handler: s.oauthLogout, auth: public, html: true, body: maxBody},

		// wellknown.go
		{pattern: "GET /.well-known/jwks.json", handler: s.jwks, auth: public, cors: corsCredentialed},
		{pattern: "GET /.well-known/openid-configuration", handler: s.openIDConfiguration, auth: public, cors: corsCredentialed},
	}, globalRoutes([]route{
		// keys.go: latchkey's key-management extension. FusionAuth's
		// permission name "/api/key", so a key limited to key management
		// covers it.
		{pattern: "POST /api/key/rotate", handler: s.rotateKey, auth: apiKey("/api/key"), body: maxBody},
		{pattern: "GET /api/key", handler: s.getKeys, auth: apiKey("/api/key"), tenantHeader: true},
		{pattern: "GET /api/key/{id}", handler: s.getKeys, auth: apiKey("/api/key"), tenantHeader: true},
	}), []route{
		// sdk.go: the browser SDK, a public file any page may import.
		{pattern: "GET /sdk/latchkey.js", handler: s.sdk, auth: public, cors: corsAnyOrigin},

		// The mux's catch-all "/" would answer other methods on these paths
		// with 404; a cookie-spending endpoint must say 405 instead so that a
		// GET (link, <img>) is clearly refused (security-bar.md R3).
		// TestRouteTable checks each Allow against the rows above.
		{pattern: "/api/login", handler: methodNotAllowed("POST, PUT"), auth: public},
		{pattern: "/api/jwt/refresh", handler: methodNotAllowed("GET, POST, DELETE"), auth: public},
		{pattern: "/api/logout", handler: methodNotAllowed("POST"), auth: public},
		{pattern: "/api/two-factor/login", handler: methodNotAllowed("POST"), auth: public},
		{pattern: "/oauth2/token", handler: methodNotAllowed("POST"), auth: public},
		// GET /api/key/{id} covers other paths under /api/key, so the
		// rotation's 405 is a GET row of its own (a method-less row would
		// conflict with it in the mux).
		{pattern: "GET /api/key/rotate", handler: methodNotAllowed("POST"), auth: public},
	}, s.consoleRoutes())
	return rs
}

// globalRoutes marks every row of a block global (route.global): a family
// that reads or changes what every tenant shares is declared as one block,
// so none of its rows can be left open to a tenant-scoped key.
func globalRoutes(rs []route) []route {
	for i := range rs {
		rs[i].global = true
	}
	return rs
}

// methodNotAllowed answers 405 with the Allow header (RFC 9110 §15.5.6).
func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			writeUnknownPath(w, r, strings.Split(allow, ", "))
			return
		}
		w.Header().Set("Allow", allow)
		writeEmpty(w, http.StatusMethodNotAllowed)
	}
}
