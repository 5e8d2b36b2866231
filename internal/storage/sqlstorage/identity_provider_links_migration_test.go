package sqlstorage

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// A link stored before migration 0240 keyed links by provider and upstream
// account only; the migration gives each link its user's tenant, so a
// database upgraded in place finds its links in their users' tenants and
// in no other.
func TestLinksMigrateIntoTheirUsersTenants(t *testing.T) {
	ctx := context.Background()
	ms, err := migrations(DialectSQLite)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`}
	for _, m := range ms {
		if m.version >= 240 {
			break
		}
		stmts = append(stmts, m.sql, fmt.Sprintf(`INSERT INTO schema_migrations VALUES (%d, '%s', 0)`, m.version, m.name))
	}
	stmts = append(stmts,
		`INSERT INTO users (id, tenant_id, email_lower, username_lower, doc, pw_scheme, pw_factor, pw_salt, pw_hash)
			VALUES ('u-a', 'tenant-a', 'a@example.test', NULL, '{"id":"u-a","tenantId":"tenant-a"}', '', 0, '', ''),
			       ('u-b', 'tenant-b', 'b@example.test', NULL, '{"id":"u-b","tenantId":"tenant-b"}', '', 0, '', '')`,
		`INSERT INTO identity_providers (id, type, name, doc) VALUES ('idp', 'OpenIDConnect', 'Upstream', '{}')`,
		`INSERT INTO identity_provider_links (identity_provider_id, identity_provider_user_id, user_id, doc) VALUES
			('idp', 'up-a', 'u-a', '{"identityProviderId":"idp","identityProviderUserId":"up-a","userId":"u-a","tenantId":"tenant-a"}'),
			('idp', 'up-b', 'u-b', '{"identityProviderId":"idp","identityProviderUserId":"up-b","userId":"u-b","tenantId":"tenant-b"}')`)
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	db.Close()
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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
