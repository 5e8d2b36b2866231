package kickstart

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/latchkeyhq/latchkey/internal/manage"
)

// endpointMethods are the methods a permission may list, spelled as
// /api/api-key accepts them.
var endpointMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// keyName names a key in errors by position and description, never by its
// value: the error ends up in logs.
func keyName(i int, k apiKey) string {
	if k.Description == "" {
		return fmt.Sprintf("apiKeys[%d]", i)
	}
	return fmt.Sprintf("apiKeys[%d] (%q)", i, k.Description)
}

// checkKey checks what can be checked without the database: the key's
// length, its tenantId's form and its permissions. That the tenant exists
// is checked when the key is created (apply).
func checkKey(i int, k *apiKey) error {
	name := keyName(i, *k)
	if len(k.Key) < 16 {
		return fmt.Errorf("%s: key must be at least 16 characters", name)
	}
	if k.TenantID != "" {
		if _, err := uuid.Parse(k.TenantID); err != nil || len(k.TenantID) != 36 {
			return fmt.Errorf("%s: tenantId %q is not a UUID", name, k.TenantID)
		}
		k.TenantID = strings.ToLower(k.TenantID)
	}
	for _, ep := range slices.Sorted(maps.Keys(k.Permissions.Endpoints)) {
		if !slices.Contains(manage.EndpointPermissions, ep) {
			return fmt.Errorf("%s: permissions.endpoints: %q is not an endpoint latchkey serves (known: %s)",
				name, ep, strings.Join(manage.EndpointPermissions, ", "))
		}
		methods := k.Permissions.Endpoints[ep]
		if len(methods) == 0 {
			return fmt.Errorf("%s: permissions.endpoints[%q] lists no methods", name, ep)
		}
		for _, m := range methods {
			if !slices.Contains(endpointMethods, m) {
				return fmt.Errorf("%s: permissions.endpoints[%q]: unknown method %q (want GET, POST, PUT, PATCH or DELETE)", name, ep, m)
			}
		}
	}
	return nil
}
