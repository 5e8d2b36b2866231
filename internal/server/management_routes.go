package server

import (
	"mime"
	"net/http"
	"strings"

	json "github.com/go-json-experiment/json"
)

// managementRoutes lists the management API (fusionauth-api.md §7). Every
// handler sits behind requireAPIKey with FusionAuth's endpoint permission name
// (the path prefix an API key's permissions.endpoints map lists).
func (s *Server) managementRoutes() []route {
	k := func(endpoint string, f http.HandlerFunc) http.Handler {
		return s.requireAPIKey(endpoint, tenantScoped(f))
	}
	return []route{
		{"POST /api/api-key", k("/api/api-key", s.createAPIKey)},
		{"POST /api/api-key/{id}", k("/api/api-key", s.createAPIKey)},

		{"POST /api/application", k("/api/application", s.createApplication)},
		{"POST /api/application/{id}", k("/api/application", s.createApplication)},
		{"GET /api/application", k("/api/application", s.listApplications)},
		{"GET /api/application/{id}", k("/api/application", s.getApplication)},
		{"GET /api/application/{id}/oauth-configuration", k("/api/application", s.getOAuthConfiguration)},
		{"PUT /api/application/{id}", k("/api/application", s.updateApplication)},
		{"PATCH /api/application/{id}", k("/api/application", s.updateApplication)},
		{"DELETE /api/application/{id}", k("/api/application", s.deleteApplication)},

		{"POST /api/user", k("/api/user", s.createUser)},
		{"POST /api/user/{id}", k("/api/user", s.createUser)},
		{"GET /api/user", k("/api/user", s.findUser)},
		{"GET /api/user/{id}", k("/api/user", s.getUser)},
		{"PUT /api/user/{id}", k("/api/user", s.updateUser)},
		{"PATCH /api/user/{id}", k("/api/user", s.updateUser)},
		{"DELETE /api/user/{id}", k("/api/user", s.deleteUser)},

		{"POST /api/user/registration", k("/api/user/registration", s.register)},
		{"POST /api/user/registration/{userId}", k("/api/user/registration", s.register)},
		{"GET /api/user/registration/{userId}/{applicationId}", k("/api/user/registration", s.getRegistration)},
		{"PUT /api/user/registration/{userId}/{applicationId}", k("/api/user/registration", s.updateRegistration)},
		{"PATCH /api/user/registration/{userId}/{applicationId}", k("/api/user/registration", s.updateRegistration)},
		// The TS client's updateRegistration/patchRegistration name only the
		// user; the application is registration.applicationId in the body.
		{"PUT /api/user/registration/{userId}", k("/api/user/registration", s.updateRegistration)},
		{"PATCH /api/user/registration/{userId}", k("/api/user/registration", s.updateRegistration)},
		{"DELETE /api/user/registration/{userId}/{applicationId}", k("/api/user/registration", s.deleteRegistration)},

		{"GET /api/tenant", k("/api/tenant", s.listTenants)},
		{"GET /api/tenant/{id}", k("/api/tenant", s.getTenant)},
		{"PATCH /api/tenant/{id}", k("/api/tenant", s.patchTenant)},

		{"GET /api/system-configuration", k("/api/system-configuration", s.getSystemConfiguration)},
		{"PUT /api/system-configuration", k("/api/system-configuration", s.updateSystemConfiguration)},
		{"PATCH /api/system-configuration", k("/api/system-configuration", s.updateSystemConfiguration)},
	}
}

// tenantHeader is the header FusionAuth's clients send after setTenantId
// (fusionauth-api.md §0.5).
const tenantHeader = "X-FusionAuth-TenantId"

// tenantScoped checks X-FusionAuth-TenantId on a management request.
// latchkey has one tenant, so the header is optional and may name only that
// tenant; FusionAuth answers a request scoped to a tenant that does not exist
// with a validation error rather than silently widening it, and so does this
// (400 [invalid]tenantId). A tenant-scoped API key (apiKey.tenantId) with a
// header naming another tenant is refused with 401, as FusionAuth refuses a
// key used outside its tenant.
func tenantScoped(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := strings.TrimSpace(r.Header.Get(tenantHeader))
		if v == "" {
			next(w, r)
			return
		}
		if k, _ := apiKeyFromContext(r.Context()); k.TenantID != "" && !strings.EqualFold(k.TenantID, v) {
			writeEmpty(w, http.StatusUnauthorized)
			return
		}
		if !strings.EqualFold(v, DefaultTenantID) {
			writeFieldError(w, "invalid", "tenantId", "The tenant ["+truncate(v, 64)+"] given in the "+tenantHeader+" header does not exist.")
			return
		}
		next(w, r)
	}
}

// pathID reads a UUID path segment. A non-UUID answers 400
// [couldNotConvert]<field>, as FusionAuth does when it cannot convert the URL
// segment to a UUID.
func pathID(w http.ResponseWriter, r *http.Request, name, field string) (string, bool) {
	v := r.PathValue(name)
	if !validUUID(v) {
		writeFieldError(w, "couldNotConvert", field, "Invalid ["+field+"] on the URL ["+truncate(v, 64)+"]. It must be a UUID.")
		return "", false
	}
	return strings.ToLower(v), true
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// isFlag reads a boolean query flag such as hardDelete=true; the TypeScript
// client's "undefined"/"null" literals count as absent (queryValue).
func isFlag(r *http.Request, name string) bool { return strings.EqualFold(queryValue(r, name), "true") }

// decodePatch applies a PATCH body to current (the record's JSON view) and
// decodes the result into into, which then goes through the same validation as
// a PUT. Content-Type application/merge-patch+json is RFC 7396; anything else
// JSON is FusionAuth's legacy merge (PATCH support since 1.12: objects merge
// recursively, arrays are appended, null removes). On failure the response is
// written and false returned.
func (s *Server) decodePatch(w http.ResponseWriter, r *http.Request, current, into any) bool {
	var patch map[string]any
	if !s.decodeJSON(w, r, &patch, false) {
		return false
	}
	raw, err := json.Marshal(current)
	var base map[string]any
	if err == nil {
		err = json.Unmarshal(raw, &base)
	}
	if err != nil {
		s.writeInternal(w, r, err)
		return false
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	merged := mergeJSON(base, patch, mt != "application/merge-patch+json")
	raw, err = json.Marshal(merged)
	if err == nil {
		err = json.Unmarshal(raw, into)
	}
	if err != nil {
		writeDecodeError(w, err)
		return false
	}
	return true
}

// mergeJSON merges patch into base. With appendArrays (FusionAuth legacy) an
// array in the patch is appended to the existing array; otherwise (RFC 7396
// §2) it replaces it. null removes the member in both.
func mergeJSON(base, patch map[string]any, appendArrays bool) map[string]any {
	if base == nil {
		base = map[string]any{}
	}
	for k, pv := range patch {
		switch pv := pv.(type) {
		case nil:
			delete(base, k)
		case map[string]any:
			bv, _ := base[k].(map[string]any)
			base[k] = mergeJSON(bv, pv, appendArrays)
		case []any:
			if bv, ok := base[k].([]any); ok && appendArrays {
				base[k] = append(bv, pv...)
			} else {
				base[k] = pv
			}
		default:
			base[k] = pv
		}
	}
	return base
}
