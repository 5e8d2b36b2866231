package storagetest

import (
	"context"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testHealth: a freshly opened store has no pending migration, and the
// write probe succeeds again and again without leaving anything behind
// that the migration check would see.
func testHealth(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	for i := range 3 {
		if err := s.ProbeWrite(ctx); err != nil {
			t.Fatalf("ProbeWrite #%d: %v", i+1, err)
		}
	}
	n, err := s.PendingMigrations(ctx)
	must(t, err)
	if n != 0 {
		t.Fatalf("PendingMigrations = %d on a migrated store, want 0", n)
	}
}
