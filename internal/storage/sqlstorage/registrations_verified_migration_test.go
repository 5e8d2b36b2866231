package sqlstorage

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// A registration stored before migration 0260, even one whose document says
// nothing of verification (written by storage directly), reads as verified
// after it: registration verification must not lock out existing users.
func TestRegistrationsMigrateVerified(t *testing.T) {
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
		if m.version >= 260 {
			break
		}
		stmts = append(stmts, m.sql, fmt.Sprintf(`INSERT INTO schema_migrations VALUES (%d, '%s', 0)`, m.version, m.name))
	}
	stmts = append(stmts,
		`INSERT INTO users (id, tenant_id, email_lower, username_lower, doc, pw_scheme, pw_factor, pw_salt, pw_hash)
			VALUES ('u-a', 'tenant-a', 'a@example.test', NULL, '{"id":"u-a","tenantId":"tenant-a"}', '', 0, '', '')`,
		`INSERT INTO applications (id, tenant_id, active, doc) VALUES ('app-1', 'tenant-a', 1, '{"id":"app-1"}'), ('app-2', 'tenant-a', 1, '{"id":"app-2"}')`,
		`INSERT INTO registrations (id, user_id, application_id, doc) VALUES
			('r1', 'u-a', 'app-1', '{"id":"r1","applicationId":"app-1","verified":false,"insertInstant":1700}'),
			('r2', 'u-a', 'app-2', '{"id":"r2","applicationId":"app-2","insertInstant":1800}')`)
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
	for app, at := range map[string]int64{"app-1": 1700, "app-2": 1800} {
		r, err := s.GetRegistration(ctx, "u-a", app)
		if err != nil || !r.Verified || r.VerifiedInstant != at {
			t.Errorf("registration for %s after the migration: %+v %v", app, r, err)
		}
	}
}
