package sqlstorage

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/storagetest"
)

// The conformance suite runs through the query-timing driver wrapper, as a
// server's store does (querytime.go).
func TestConformanceSQLite(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Storage {
		s, err := Open(context.Background(), MigratedSQLiteForTest(t), Options{QueryMetrics: testQueryMetrics})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// postgresDSN returns the test DSN, or skips (fails under LATCHKEY_REQUIRE_ALL=1).
func postgresDSN(t testing.TB) string {
	dsn := os.Getenv(TestPostgresEnv)
	if dsn == "" {
		if os.Getenv("LATCHKEY_REQUIRE_ALL") == "1" {
			t.Fatalf("%s is not set but LATCHKEY_REQUIRE_ALL=1 (run: export %s=$(scripts/postgres-test.sh))", TestPostgresEnv, TestPostgresEnv)
		}
		t.Skipf("%s not set; run scripts/postgres-test.sh to test PostgreSQL", TestPostgresEnv)
	}
	return dsn
}

// postgresSchema returns the URL of a fresh schema of the test PostgreSQL,
// dropped at cleanup (postgresDSN's skip or failure when there is none).
func postgresSchema(t testing.TB) string {
	t.Helper()
	schemaURL, drop, err := NewTestSchema(context.Background(), postgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = drop() })
	return schemaURL
}

func TestConformancePostgres(t *testing.T) {
	dsn := postgresDSN(t)
	storagetest.Run(t, func(t *testing.T) storage.Storage {
		return openPostgresTest(t, dsn)
	})
}

// openPostgresTest opens a store in a fresh database dropped at cleanup.
func openPostgresTest(t testing.TB, dsn string) *Store {
	t.Helper()
	ctx := context.Background()
	dbURL, drop, err := NewTestDatabase(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, dbURL, Options{MaxOpenConns: 25, QueryMetrics: testQueryMetrics})
	if err != nil {
		drop()
		t.Fatal(err)
	}
	if s.Dialect() != DialectPostgres {
		t.Fatalf("Dialect() = %q", s.Dialect())
	}
	t.Cleanup(func() {
		s.Close()
		if err := drop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// TestEventCountsTwoNodesSQLite: two stores on one SQLite file, flushing at
// once, sum exactly.
func TestEventCountsTwoNodesSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latchkey.db")
	open := func() *Store {
		s, err := Open(context.Background(), path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a := open()
	storagetest.EventCountsTwoNodes(t, a, open())
}

// TestEventCountsTwoNodesPostgres: two nodes on one PostgreSQL schema,
// flushing at once, sum exactly.
func TestEventCountsTwoNodesPostgres(t *testing.T) {
	a, b, _ := twoNodes(t)
	storagetest.EventCountsTwoNodes(t, a, b)
}
