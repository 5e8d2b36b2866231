package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestPostgresTestDatabasesComeBackEmpty: a database a test is done with is
// passed to the next test only as the template it was copied from (no row
// but the migrations', sequences restarted), and never when its schema or
// its record of migrations was changed or a connection to it is left.
func TestPostgresTestDatabasesComeBackEmpty(t *testing.T) {
	ctx := context.Background()
	p, err := postgresPoolFor(ctx, postgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	name, err := p.take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = p.admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	})
	open := func() *Store {
		t.Helper()
		s, err := Open(ctx, withDatabase(p.u, name), Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	firstAudit := func(s *Store) int64 {
		t.Helper()
		e, err := s.CreateAuditEntry(ctx, storage.AuditEntry{InsertInstant: time.Now().UnixMilli(), InsertUser: "test", Message: "m"})
		if err != nil {
			t.Fatal(err)
		}
		return e.ID
	}

	s := open()
	benchSeed(t, s, 3)
	firstID := firstAudit(s)
	firstAudit(s)
	s.Close()
	if err := p.empty(ctx, name); err != nil {
		t.Fatalf("empty after a test that only wrote rows: %v", err)
	}
	s = open()
	if _, err := s.GetTenant(ctx, "t"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("tenant after emptying: %v, want not found", err)
	}
	var tokens, migrations int
	if err := s.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM refresh_tokens), (SELECT count(*) FROM schema_migrations)`).Scan(&tokens, &migrations); err != nil {
		t.Fatal(err)
	}
	if tokens != 0 || migrations == 0 {
		t.Errorf("after emptying: %d refresh tokens, %d migrations recorded; want 0 and all", tokens, migrations)
	}
	if id := firstAudit(s); id != firstID {
		t.Errorf("first audit id after emptying = %d, want %d as in a fresh database", id, firstID)
	}

	// A migration forgotten (readiness tests do that): not reused, or the
	// next Open would run it again on a schema that has it.
	s.Close()
	s = open()
	var version int64
	var mname string
	var applied any
	if err := s.r.QueryRowContext(ctx, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version DESC LIMIT 1`).Scan(&version, &mname, &applied); err != nil {
		t.Fatal(err)
	}
	if err := s.ForgetLastMigrationForTest(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := p.empty(ctx, name); err == nil {
		t.Error("a database that forgot a migration was emptied for reuse")
	}
	db, err := sql.Open("pgx", withDatabase(p.u, name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, version, mname, applied); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := p.empty(ctx, name); err != nil {
		t.Fatalf("empty once the migration is recorded again: %v", err)
	}
	s = open()

	// A connection left open: not reused.
	if err := p.empty(ctx, name); err == nil {
		t.Error("emptied while a store was still connected")
	}
	// A changed schema: not reused.
	if _, err := s.w.ExecContext(ctx, `ALTER TABLE tenants ADD COLUMN zz_extra int`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := p.empty(ctx, name); err == nil {
		t.Error("a database whose table was altered was emptied for reuse")
	}
	s = open()
	if _, err := s.w.ExecContext(ctx, `ALTER TABLE tenants DROP COLUMN zz_extra; DROP TRIGGER tenants_notify ON tenants`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := p.empty(ctx, name); err == nil {
		t.Error("a database whose trigger was dropped was emptied for reuse")
	}
	var exists bool
	if err := p.admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil || !exists {
		t.Fatalf("database gone before cleanup: %v %v", exists, err)
	}
}
