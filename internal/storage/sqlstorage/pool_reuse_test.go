package sqlstorage

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestConcurrentReadsReuseConnections: reads running at once, up to the
// pool's size, keep their connections open for the next reads instead of
// closing all but two and opening new ones (database/sql's default idle
// limit), each with its pragmas and prepared statements to run again.
func TestConcurrentReadsReuseConnections(t *testing.T) {
	onEachBackend(t, testConcurrentReadsReuseConnections)
}

func testConcurrentReadsReuseConnections(t *testing.T, s *Store) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 20 {
		for range 8 {
			wg.Go(func() {
				if _, err := s.GetUser(ctx, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, storage.ErrNotFound) {
					t.Errorf("GetUser of no user: %v", err)
				}
			})
		}
		wg.Wait()
	}
	for name, db := range s.Pools() {
		if st := db.Stats(); st.MaxIdleClosed > 0 {
			t.Errorf("%s pool closed %d connections for want of idle room (%d open at most)", name, st.MaxIdleClosed, st.MaxOpenConnections)
		}
	}
}
