package manage

import (
	"strconv"

	"github.com/google/uuid"
)

// Scope is what a caller may see: an API key scoped to a tenant
// (apiKey.tenantId) sees only that tenant's records; the zero Scope sees
// everything.
type Scope struct {
	TenantID string
}

// Sees reports whether a record of tenantID is visible in the scope.
func (s Scope) Sees(tenantID string) bool { return s.TenantID == "" || s.TenantID == tenantID }

// ValidID reports whether v is a UUID in FusionAuth's canonical form, the
// form of every id in the API.
func ValidID(v string) bool {
	if len(v) != 36 {
		return false
	}
	_, err := uuid.Parse(v)
	return err == nil
}

// newID is a new record id (users.mdx: "If not specified a secure random
// UUID will be generated").
func newID() string { return uuid.NewString() }

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }
