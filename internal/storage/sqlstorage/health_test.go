package sqlstorage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestProbeWriteFailsWhenSQLiteIsFull: with the database at its page limit
// (what a full disk is to SQLite's page allocator), the probe fails as
// unavailable, and succeeds again once space is back.
func TestProbeWriteFailsWhenSQLiteIsFull(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "full.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.ProbeWrite(ctx); err != nil {
		t.Fatalf("probe on a healthy database: %v", err)
	}
	restore, err := s.FillSQLiteForTest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = s.ProbeWrite(ctx)
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("probe on a full database: %v, want ErrUnavailable", err)
	}
	if err := restore(); err != nil {
		t.Fatal(err)
	}
	if err := s.ProbeWrite(ctx); err != nil {
		t.Fatalf("probe after space came back: %v", err)
	}
}

// TestPendingMigrationsCountsMissingRows: a migration whose row is missing
// (another node has not finished, or it failed) is pending.
func TestPendingMigrationsCountsMissingRows(t *testing.T) {
	onEachBackend(t, testPendingMigrationsCountsMissingRows)
}

func testPendingMigrationsCountsMissingRows(t *testing.T, s *Store) {
	ctx := context.Background()
	if err := s.ForgetLastMigrationForTest(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := s.PendingMigrations(ctx)
	if err != nil || n != 1 {
		t.Fatalf("PendingMigrations = %d, %v; want 1", n, err)
	}
}

// TestWrapCutConnectionIsUnavailable: a connection cut mid-query (the wire
// protocol's unexpected EOF) is ErrUnavailable, so the request answers 503
// and the client retries, rather than a 500.
func TestWrapCutConnectionIsUnavailable(t *testing.T) {
	s := &Store{}
	for _, err := range []error{io.ErrUnexpectedEOF, fmt.Errorf("read: %w", io.EOF)} {
		if got := s.wrap(err); !errors.Is(got, storage.ErrUnavailable) {
			t.Errorf("wrap(%v) = %v, want ErrUnavailable", err, got)
		}
	}
}
