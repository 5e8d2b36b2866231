package sqlstorage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestPostgresEnv names the PostgreSQL DSN tests use when set (CI sets it from
// scripts/postgres-test.sh).
const TestPostgresEnv = "LATCHKEY_TEST_POSTGRES_DSN"

// testQueryMetrics times the test stores' queries as a server's are
// (querytime.go), so every test runs through the driver wrapper the server
// runs through; nothing reads it.
var testQueryMetrics = func() *QueryMetrics {
	m, err := NewQueryMetrics(prometheus.NewRegistry())
	if err != nil {
		panic(err)
	}
	return m
}()

// OpenTest opens a fresh, migrated store for a test and closes it in
// t.Cleanup: SQLite in t.TempDir(), or, when LATCHKEY_TEST_POSTGRES_DSN is
// set, a new PostgreSQL database of its own (NewTestDatabase) that is dropped
// afterwards, so parallel tests never see each other's rows.
func OpenTest(t testing.TB) *Store {
	t.Helper()
	if dsn := os.Getenv(TestPostgresEnv); dsn != "" {
		return openTestPostgres(t, dsn)
	}
	return openTestSQLite(t)
}

// openTestSQLite is OpenTest on SQLite, whatever the environment says.
func openTestSQLite(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), MigratedSQLiteForTest(t), Options{QueryMetrics: testQueryMetrics})
	if err != nil {
		t.Fatalf("open SQLite test store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openTestPostgres is OpenTest on the PostgreSQL database of dsn.
func openTestPostgres(t testing.TB, dsn string) *Store {
	t.Helper()
	ctx := context.Background()
	dbURL, drop, err := NewTestDatabase(ctx, dsn)
	if err != nil {
		t.Fatalf("create PostgreSQL test database: %v", err)
	}
	s, err := Open(ctx, dbURL, Options{MaxOpenConns: 8, QueryMetrics: testQueryMetrics})
	if err != nil {
		drop()
		t.Fatalf("open PostgreSQL test store: %v", err)
	}
	t.Cleanup(func() {
		s.Close()
		if err := drop(); err != nil {
			t.Errorf("drop PostgreSQL test database: %v", err)
		}
	})
	return s
}

// MigratedSQLiteForTest copies a migrated, empty SQLite database into
// t.TempDir() and returns its path, for Open. Migrating a fresh file runs
// every migration's DDL, about a second of CPU per store under -race, and
// the suites open a store per test; the copy is the same file (Open then
// finds every migration applied). The template is built once per set of
// migrations, in a directory under os.TempDir() shared by test processes:
// it is named by a hash of the migrations and written under a temporary
// name, then renamed, so a process never copies a half-written template and
// a changed migration gets a new one. Tests of migrating itself open fresh
// files instead.
func MigratedSQLiteForTest(t testing.TB) string {
	t.Helper()
	sqliteTemplate.once.Do(func() { sqliteTemplate.path, sqliteTemplate.err = buildSQLiteTemplate() })
	if sqliteTemplate.err != nil {
		t.Fatalf("SQLite test template: %v", sqliteTemplate.err)
	}
	b, err := os.ReadFile(sqliteTemplate.path)
	if err != nil {
		t.Fatalf("SQLite test template: %v", err)
	}
	path := filepath.Join(t.TempDir(), "latchkey.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatalf("SQLite test template: %v", err)
	}
	return path
}

var sqliteTemplate struct {
	once sync.Once
	path string
	err  error
}

// buildSQLiteTemplate returns the path of the template for this set of
// migrations, building it when no earlier process has.
func buildSQLiteTemplate() (string, error) {
	sum, err := migrationsHash()
	if err != nil {
		return "", err
	}
	// One directory per user: another user's (mode 0700) is not readable.
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("latchkey-test-templates-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "sqlite-"+sum[:24]+".db")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	work, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	tmp := filepath.Join(work, "latchkey.db")
	s, err := Open(context.Background(), tmp, Options{Throwaway: true})
	if err != nil {
		return "", err
	}
	// Close checkpoints the WAL into the file and removes it
	// (TestCloseLeavesTheDatabaseInItsFile), so the file alone is the database.
	if err := s.Close(); err != nil {
		return "", err
	}
	f, err := os.Open(tmp)
	if err != nil {
		return "", err
	}
	err = f.Sync()
	f.Close()
	if err != nil {
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	return path, nil
}

// NewTestSchema creates an empty schema with a random name in the database of
// dsn and returns a DSN whose search_path is that schema, and a function that
// drops it (with everything in it).
func NewTestSchema(ctx context.Context, dsn string) (schemaDSN string, drop func() error, err error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "lk_test_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", dsn) // driver registered by pgx/v5/stdlib (open.go)
	if err != nil {
		return "", nil, err
	}
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		db.Close()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop = func() error {
		defer db.Close()
		_, err := db.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		return err
	}
	return u.String(), drop, nil
}

// FillSQLiteForTest makes the SQLite database full the way a full disk
// does for SQLite's page allocator: it sets max_page_count on the one writer
// connection to the pages in use now, so any write that needs a new page
// fails with SQLITE_FULL (https://www.sqlite.org/pragma.html#pragma_max_page_count).
// The returned function lifts the limit again. It is for tests of what a
// full database does; it fails on PostgreSQL.
func (s *Store) FillSQLiteForTest(ctx context.Context) (restore func() error, err error) {
	if s.dialect != DialectSQLite || s.r == s.w {
		return nil, errors.New("sqlstorage: FillSQLiteForTest needs SQLite with its single writer connection")
	}
	// VACUUM first empties the free list, which would otherwise keep
	// serving pages below the limit.
	if _, err := s.w.ExecContext(ctx, `VACUUM`); err != nil {
		return nil, err
	}
	var pages int64
	if err := s.w.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return nil, err
	}
	if _, err := s.w.ExecContext(ctx, fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		return nil, err
	}
	return func() error {
		_, err := s.w.ExecContext(context.Background(), `PRAGMA max_page_count = 1073741823`)
		return err
	}, nil
}

// ForgetLastMigrationForTest deletes the newest schema_migrations row, as
// if that migration had not run yet (readiness tests).
func (s *Store) ForgetLastMigrationForTest(ctx context.Context) error {
	_, err := s.exec(ctx, `DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)`)
	return err
}

// IndexPagesForTest returns every page of the SQLite index named index, by
// page number, as stored (sqlite_dbpage), read on the writer connection
// (which sees every committed write). Tests compare two reads to show a
// write left the index untouched. It fails on PostgreSQL.
func (s *Store) IndexPagesForTest(ctx context.Context, index string) (map[int64][]byte, error) {
	if s.dialect != DialectSQLite {
		return nil, errors.New("sqlstorage: IndexPagesForTest needs SQLite")
	}
	rows, err := s.w.QueryContext(ctx, `SELECT p.pgno, p.data FROM sqlite_dbpage p
		WHERE p.pgno IN (SELECT pageno FROM dbstat WHERE name = $1)`, index)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]byte{}
	for rows.Next() {
		var pgno int64
		var data []byte
		if err := rows.Scan(&pgno, &data); err != nil {
			return nil, err
		}
		out[pgno] = data
	}
	return out, rows.Err()
}
