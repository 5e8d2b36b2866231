package sqlstorage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestPostgresTestDatabasesComeBackEmpty: a database a test is done with is
// passed to the next test only as the template it was copied from (no row
// but the migrations', sequences restarted), and never when its schema was
// changed or a connection to it is left.
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
	t.Cleanup(func() { _, _ = p.admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`) })
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
