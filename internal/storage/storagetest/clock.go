package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testDatabaseTime: the database's clock answers, and (the test database
// runs on this machine) agrees with ours within a second.
func testDatabaseTime(t *testing.T, s storage.Storage) {
	before := time.Now()
	got, err := s.DatabaseTime(context.Background())
	must(t, err)
	if d := got.Sub(before); d < -time.Second || d > time.Second {
		t.Fatalf("DatabaseTime = %v, %v from this machine's clock", got, d)
	}
}
