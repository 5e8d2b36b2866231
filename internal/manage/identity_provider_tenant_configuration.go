package manage

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// MaxProviderTenantConfigurations bounds identityProvider.tenantConfiguration:
// one entry per tenant, and FusionAuth documents no bound (docs/api.md).
const MaxProviderTenantConfigurations = 500

// tenantConfiguration checks a provider's tenantConfiguration
// (identity-providers, "tenantConfiguration": by tenant id, the
// limitUserLinkCount policy, maximumLinks defaulting to 42) into e and
// returns it keyed by lower-case tenant id: every key an existing tenant's
// id, maximumLinks at least 1, at most MaxProviderTenantConfigurations
// entries. An entry the provider had already (prior) for a tenant deleted
// since is dropped rather than refused, so that deleting a tenant never
// makes its providers impossible to update.
func (ps *IdentityProviders) tenantConfiguration(ctx context.Context, e *Invalid, tc, prior map[string]storage.IdentityProviderTenantConfig) (map[string]storage.IdentityProviderTenantConfig, error) {
	const f = "identityProvider.tenantConfiguration"
	if len(tc) == 0 {
		return nil, nil
	}
	if len(tc) > MaxProviderTenantConfigurations {
		e.Field("tooMany", f, "The [tenantConfiguration] has more than "+strconv.Itoa(MaxProviderTenantConfigurations)+" tenants.")
		return nil, nil
	}
	out := make(map[string]storage.IdentityProviderTenantConfig, len(tc))
	for id, c := range tc {
		key := strings.ToLower(id)
		if _, dup := out[key]; dup || !ValidID(id) {
			e.Field("invalid", f, "The [tenantConfiguration] key ["+truncate(id, 64)+"] is not a tenant id, or is given twice.")
			continue
		}
		if _, err := ps.Store.GetTenant(ctx, key); errors.Is(err, storage.ErrNotFound) {
			if _, had := prior[key]; !had {
				e.Field("invalid", f, "No tenant exists with Id ["+key+"].")
			}
			continue
		} else if err != nil {
			return nil, err
		}
		if c.LimitUserLinkCount.MaximumLinks < 1 {
			e.Field("invalid", f+".limitUserLinkCount.maximumLinks",
				"The [maximumLinks] of tenant ["+key+"] must be at least 1.")
		}
		out[key] = c
	}
	return out, nil
}
