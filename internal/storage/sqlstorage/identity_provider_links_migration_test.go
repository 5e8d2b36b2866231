package sqlstorage

import (
	"context"
	"testing"
)

// A link stored before migration 0240 keyed links by provider and upstream
// account only; the migration gives each link its user's tenant, so a
// database upgraded in place finds its links in their users' tenants and
// in no other.
func TestLinksMigrateIntoTheirUsersTenants(t *testing.T) {
	ctx := context.Background()
	s := openMigratedFrom(t, 240,
		`INSERT INTO users (id, tenant_id, email_lower, username_lower, doc, pw_scheme, pw_factor, pw_salt, pw_hash)
			VALUES ('u-a', 'tenant-a', 'a@example.test', NULL, '{"id":"u-a","tenantId":"tenant-a"}', '', 0, '', ''),
			       ('u-b', 'tenant-b', 'b@example.test', NULL, '{"id":"u-b","tenantId":"tenant-b"}', '', 0, '', '')`,
		`INSERT INTO identity_providers (id, type, name, doc) VALUES ('idp', 'OpenIDConnect', 'Upstream', '{}')`,
		`INSERT INTO identity_provider_links (identity_provider_id, identity_provider_user_id, user_id, doc) VALUES
			('idp', 'up-a', 'u-a', '{"identityProviderId":"idp","identityProviderUserId":"up-a","userId":"u-a","tenantId":"tenant-a"}'),
			('idp', 'up-b', 'u-b', '{"identityProviderId":"idp","identityProviderUserId":"up-b","userId":"u-b","tenantId":"tenant-b"}')`)
	for _, c := range []struct{ tenant, upstream, user string }{{"tenant-a", "up-a", "u-a"}, {"tenant-b", "up-b", "u-b"}} {
		if l, err := s.GetIdentityProviderLink(ctx, c.tenant, "idp", c.upstream); err != nil || l.UserID != c.user {
			t.Errorf("link %s in %s after the migration: %+v %v", c.upstream, c.tenant, l, err)
		}
	}
	if _, err := s.GetIdentityProviderLink(ctx, "tenant-b", "idp", "up-a"); err == nil {
		t.Error("tenant-a's link found in tenant-b after the migration")
	}
	if ls, err := s.ListIdentityProviderLinks(ctx, "u-a", ""); err != nil || len(ls) != 1 {
		t.Errorf("u-a's links after the migration: %v %v", ls, err)
	}
}
