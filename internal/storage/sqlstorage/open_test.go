package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in, dialect, target, errPart string
	}{
		{in: "/var/lib/latchkey.db", dialect: "sqlite", target: "/var/lib/latchkey.db"},
		{in: "latchkey.db", dialect: "sqlite", target: "latchkey.db"},
		{in: "sqlite:data/l.db", dialect: "sqlite", target: "data/l.db"},
		{in: "sqlite:///abs/l.db", dialect: "sqlite", target: "/abs/l.db"},
		{in: "file:l.db", dialect: "sqlite", target: "l.db"},
		{in: "postgres://u@h/db", dialect: "postgres", target: "postgres://u@h/db"},
		{in: "postgresql://u@h/db", dialect: "postgres", target: "postgresql://u@h/db"},
		{in: "", errPart: "empty database URL"},
		{in: "mysql://u@h/db", errPart: `unsupported database URL scheme "mysql"`},
		{in: "sqlite:", errPart: "empty path"},
		// A query string would override synchronous=FULL or foreign keys behind our back.
		{in: "sqlite:l.db?_pragma=synchronous(OFF)", errPart: "must not contain"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			d, target, err := parseURL(tc.in)
			if tc.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errPart) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.errPart)
				}
				return
			}
			if err != nil || d != tc.dialect || target != tc.target {
				t.Fatalf("parseURL = %q, %q, %v; want %q, %q", d, target, err, tc.dialect, tc.target)
			}
		})
	}
}

// TestSQLiteSettings checks the durability and integrity settings on both
// pools, that Open creates the file, and that reopening keeps data and does
// not re-run migrations.
func TestSQLiteSettings(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub dir", "l.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, "sqlite:"+path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not created: %v", err)
	}
	for name, db := range map[string]*sql.DB{"writer": s.w.DB, "reader": s.r.DB} {
		for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1"} {
			var got string
			if err := db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", name, pragma, got, want)
			}
		}
	}
	if err := s.CreateTenant(ctx, storage.Tenant{ID: "t"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.GetTenant(ctx, "t"); err != nil {
		t.Fatalf("data lost across reopen: %v", err)
	}
	// Each migration is recorded once, not again on the reopen.
	ms, err := migrations(DialectSQLite)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n != len(ms) {
		t.Fatalf("schema_migrations rows = %d, %v; want %d", n, err, len(ms))
	}
}

func TestOpenUnreachablePostgres(t *testing.T) {
	// Port 1 on loopback refuses at once; the password must not leak into the error.
	_, err := Open(context.Background(), "postgres://latchkey:s3cr3t-pw@127.0.0.1:1/latchkey?sslmode=disable&connect_timeout=5", Options{})
	if err == nil {
		t.Fatal("Open succeeded against a closed port")
	}
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("error %v is not ErrUnavailable", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "s3cr3t-pw") {
		t.Errorf("error should name the host and hide the password: %s", msg)
	}
}

func TestWrapErrors(t *testing.T) {
	s := &Store{}
	tests := []struct {
		name string
		in   error
		want error
	}{
		{"no rows", sql.ErrNoRows, storage.ErrNotFound},
		{"pg unique", &pgconn.PgError{Code: "23505"}, storage.ErrConflict},
		{"pg foreign key", &pgconn.PgError{Code: "23503"}, storage.ErrNotFound},
		{"pg connection failure", &pgconn.PgError{Code: "08006"}, storage.ErrUnavailable},
		{"pg shutting down", &pgconn.PgError{Code: "57P01"}, storage.ErrUnavailable},
		{"bad conn", fmt.Errorf("x: %w", sql.ErrConnDone), storage.ErrUnavailable},
		{"dropped mid-query", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), storage.ErrUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.wrap(tc.in); !errors.Is(got, tc.want) {
				t.Fatalf("wrap(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
	if got := s.wrap(&pgconn.PgError{Code: "42601"}); errors.Is(got, storage.ErrConflict) || errors.Is(got, storage.ErrUnavailable) || errors.Is(got, storage.ErrNotFound) {
		t.Fatalf("a syntax error was mapped to a sentinel: %v", got)
	}
}

// TestTxRetries: serialization failures and deadlocks are retried a bounded
// number of times; other errors are not retried.
func TestTxRetries(t *testing.T) { onEachBackend(t, testTxRetries) }

func testTxRetries(t *testing.T, s *Store) {
	tests := []struct {
		name      string
		failures  int
		code      string
		wantCalls int
		wantErr   bool
	}{
		{"serialization failure then success", 2, "40001", 3, false},
		{"deadlock then success", 1, "40P01", 2, false},
		{"gives up after the bound", 100, "40001", maxTxAttempts, true},
		{"unique violation not retried", 100, "23505", 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := s.tx(context.Background(), func(q querier) error {
				calls++
				if calls <= tc.failures {
					return &pgconn.PgError{Code: tc.code}
				}
				return nil
			})
			if calls != tc.wantCalls || (err != nil) != tc.wantErr {
				t.Fatalf("calls = %d, err = %v; want %d calls, error %v", calls, err, tc.wantCalls, tc.wantErr)
			}
		})
	}
}

// TestPostgresConcurrentMigrate: N nodes opening one empty schema at once
// migrate it exactly once (advisory lock) and all start.
func TestPostgresConcurrentMigrate(t *testing.T) {
	ctx := context.Background()
	schemaDSN := postgresSchema(t)
	var wg sync.WaitGroup
	stores := make([]*Store, 5)
	errs := make([]error, 5)
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = Open(ctx, schemaDSN, Options{MaxOpenConns: 2}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	ms, err := migrations(DialectPostgres)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := stores[0].r.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n != len(ms) {
		t.Fatalf("schema_migrations rows = %d, %v; want %d (each migration once)", n, err, len(ms))
	}
}

func TestOpenTestHelper(t *testing.T) {
	s := OpenTest(t)
	want := DialectSQLite
	if os.Getenv(TestPostgresEnv) != "" {
		want = DialectPostgres
	}
	if s.Dialect() != want {
		t.Fatalf("Dialect() = %q, want %q", s.Dialect(), want)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestThrowawaySQLite: Options.Throwaway (the Kickstart dry run's scratch
// database) turns off synchronous on both pools, and only it: the default
// stays FULL (TestSQLiteSettings).
func TestThrowawaySQLite(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "scratch.db"), Options{Throwaway: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, db := range map[string]*sql.DB{"writer": s.w.DB, "reader": s.r.DB} {
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != "0" {
			t.Errorf("%s: PRAGMA synchronous = %s, want 0 (OFF)", name, got)
		}
	}
	if err := s.CreateTenant(ctx, storage.Tenant{ID: "t"}); err != nil {
		t.Fatal(err)
	}
}
