package kickstart

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/latchkeyhq/latchkey/internal/manage"
)

// keyName names a key in errors by position and description, never by its
// value: the error ends up in logs.
func keyName(i int, k apiKey) string {
	if k.Description == "" {
		return fmt.Sprintf("apiKeys[%d]", i)
	}
	return fmt.Sprintf("apiKeys[%d] (%q)", i, k.Description)
}

// checkKey checks what can be checked without the database: the key's
// value, its tenantId's form and its permissions, by the rules of
// /api/api-key (manage.APIKeyValueProblems, manage.EndpointProblems). That
// the tenant exists is checked when the key is created (apply).
func checkKey(i int, k *apiKey) error {
	name := keyName(i, *k)
	if ps := manage.APIKeyValueProblems(k.Key); len(ps) > 0 {
		return fmt.Errorf("%s: key: %s", name, ps[0].Message)
	}
	if k.TenantID != "" {
		if _, err := uuid.Parse(k.TenantID); err != nil || len(k.TenantID) != 36 {
			return fmt.Errorf("%s: tenantId %q is not a UUID", name, k.TenantID)
		}
		k.TenantID = strings.ToLower(k.TenantID)
	}
	if ps := manage.EndpointProblems(k.Permissions.Endpoints); len(ps) > 0 {
		return fmt.Errorf("%s: permissions.endpoints: %s (known endpoints: %s)",
			name, ps[0].Message, strings.Join(manage.EndpointPermissions, ", "))
	}
	return nil
}
