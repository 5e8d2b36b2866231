package app

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// TestDryRunStartsFromASchemaOnlyCopy: the Kickstart dry run opens the copy
// of a fresh SQLite database's migrated schema (instead of migrating a
// database of its own), but never a copy that holds what a start writes
// after migrating (another node sharing the file got there first): its dry
// run would meet that node's tenant and keys. Then it starts empty, as
// before.
func TestDryRunStartsFromASchemaOnlyCopy(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	real, err := sqlstorage.Open(ctx, filepath.Join(t.TempDir(), "latchkey.db"), sqlstorage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer real.Close()

	path, remove := copySchema(ctx, real, quiet)
	defer remove()
	if path == "" {
		t.Fatal("no copy of a fresh SQLite database's schema")
	}
	st, done, err := openScratch(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the dry run did not open the schema copy: %v", err)
	}
	// The copy is a complete database: the dry run's server works on it.
	if err := manage.EnsureDefaults(ctx, st, "http://localhost", time.Now()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	done()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the copy is still there after the dry run: %v", err)
	}

	// Another node wrote its defaults before this copy was taken.
	if err := manage.EnsureDefaults(ctx, real, "http://localhost", time.Now()); err != nil {
		t.Fatal(err)
	}
	path, remove2 := copySchema(ctx, real, quiet)
	defer remove2()
	st, done, err = openScratch(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	defer st.Close()
	if _, err := st.GetTenant(ctx, manage.DefaultTenantID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the dry run's database holds the other node's default tenant (%v)", err)
	}
}
