package server

import (
	"net/http"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// tenantHeader is the header FusionAuth's clients send after setTenantId
// (fusionauth-api.md §0.5).
const tenantHeader = "X-FusionAuth-TenantId"

// checkTenantHeader checks X-FusionAuth-TenantId on a route with
// tenantHeader set. latchkey has one tenant, so the header is optional and
// may name only that tenant; FusionAuth answers a request scoped to a tenant
// that does not exist with a validation error rather than silently widening
// it, and so does this (400 [invalid]tenantId). On an API-key route a
// tenant-scoped key (apiKey.tenantId) with a header naming another tenant is
// refused with 401, as FusionAuth refuses a key used outside its tenant. On
// failure the response is written.
func checkTenantHeader(w http.ResponseWriter, r *http.Request, a authClass) bool {
	v := strings.TrimSpace(r.Header.Get(tenantHeader))
	if v == "" {
		return true
	}
	if k, _ := apiKeyFromContext(r.Context()); (a.kind == authAPIKey || a.kind == authKeyOrAnonymous) && k.TenantID != "" && !strings.EqualFold(k.TenantID, v) {
		writeEmpty(w, http.StatusUnauthorized)
		return false
	}
	if !strings.EqualFold(v, manage.DefaultTenantID) {
		writeFieldError(w, "invalid", "tenantId", "The tenant ["+truncate(v, 64)+"] given in the "+tenantHeader+" header does not exist.")
		return false
	}
	return true
}

// refuseScoped is the guard of a global route: a tenant-scoped API key
// (apiKey.tenantId) may not read or change what every tenant shares, so it
// gets 403 with FusionAuth's error body before the handler runs, whatever
// its endpoint permissions say. It reports whether it refused.
func refuseScoped(w http.ResponseWriter, r *http.Request) bool {
	if k, ok := apiKeyFromContext(r.Context()); !ok || k.TenantID == "" {
		return false
	}
	var e Errors
	e.General("TenantScopedKey", "A tenant-scoped API key cannot use this API: it acts on every tenant. Use a global key.")
	writeErrors(w, http.StatusForbidden, &e)
	return true
}

// inTenant reports whether a tenant-scoped API key may see a record.
func inTenant(r *http.Request, tenantID string) bool { return scope(r).Sees(tenantID) }

// scope is what the request's API key may see (manage.Scope).
func scope(r *http.Request) manage.Scope {
	k, _ := apiKeyFromContext(r.Context())
	return manage.Scope{TenantID: k.TenantID}
}
