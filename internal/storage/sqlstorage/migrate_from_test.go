package sqlstorage

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// openMigratedFrom builds a SQLite database as a release before migration
// version left it (every earlier migration applied and recorded), runs seed
// there as that release's storage would have written it, then opens it with
// this build, which applies version and the rest: a database upgraded in
// place.
func openMigratedFrom(t *testing.T, version int, seed ...string) *Store {
	t.Helper()
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
		if m.version >= version {
			break
		}
		stmts = append(stmts, m.sql, fmt.Sprintf(`INSERT INTO schema_migrations VALUES (%d, '%s', 0)`, m.version, m.name))
	}
	for _, q := range append(stmts, seed...) {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	db.Close()
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
