package sqlstorage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"testing"
)

// TestPostgresOpensWhenTheHeapStatementIsRefused: the statement each new
// connection runs to keep the backend's heap (widenBackendHeap) only saves
// CPU; a server that refuses it, here to a role that may not execute
// repeat, must still serve the store, as it did before the statement.
func TestPostgresOpensWhenTheHeapStatementIsRefused(t *testing.T) {
	dsn := postgresDSN(t)
	ctx := context.Background()
	schemaURL := postgresSchema(t)
	u, err := url.Parse(schemaURL)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	rand.Read(b)
	role := "lk_noheap_" + hex.EncodeToString(b)
	for _, q := range []string{
		`CREATE ROLE ` + role + ` LOGIN PASSWORD 'pw-noheap'`,
		`GRANT ALL ON SCHEMA ` + u.Query().Get("search_path") + ` TO ` + role,
		`REVOKE EXECUTE ON FUNCTION pg_catalog.repeat(text, integer) FROM PUBLIC`,
	} {
		if _, err := admin.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		for _, q := range []string{
			`GRANT EXECUTE ON FUNCTION pg_catalog.repeat(text, integer) TO PUBLIC`,
			`DROP OWNED BY ` + role, `DROP ROLE ` + role,
		} {
			if _, err := admin.ExecContext(context.Background(), q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	u.User = url.UserPassword(role, "pw-noheap")
	s, err := Open(ctx, u.String(), Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatalf("a server refusing the heap statement: %v", err)
	}
	defer s.Close()
	var n int
	if err := s.r.DB.QueryRowContext(ctx, `SELECT 1`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("a query on the store: %d, %v", n, err)
	}
}
