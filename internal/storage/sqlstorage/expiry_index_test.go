package sqlstorage

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestUnchangedExpiryWritesNoPageOfTheExpiryIndex: on SQLite, rotations and
// touches whose expiry stays the one they read (the default Fixed policy)
// leave every page of refresh_tokens_live_expires byte for byte as it was.
// SQLite deletes and reinserts the entry of every index whose column an
// UPDATE sets, even to its own value: at 10,000,000 tokens each rotation
// rewrote its family's entry in a random, cold leaf of that index (issue
// 13). A rotation that moves the expiry still changes the index: the check
// sees a change when there is one.
func TestUnchangedExpiryWritesNoPageOfTheExpiryIndex(t *testing.T) {
	ctx := context.Background()
	const n = 400 // an index of several pages
	s := openSeeded(t, n)
	const index = "refresh_tokens_live_expires"
	before := indexPages(t, s, index)
	if len(before) < 2 {
		t.Fatalf("the index has %d pages; the test needs several", len(before))
	}
	expires := make([]time.Time, n)
	for i := range n {
		tok, err := s.GetRefreshToken(ctx, fmt.Sprintf("tok-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		expires[i] = tok.ExpiresAt
	}
	now := time.Now()
	secret := func(i, g int) []byte {
		if g == 0 {
			return benchHash(fmt.Sprintf("sec-%d", i))
		}
		return benchHash(fmt.Sprintf("sec-%d-%d", i, g))
	}
	for g := 1; g <= 3; g++ {
		for i := range n {
			if _, err := s.RotateRefreshToken(ctx, storage.Rotation{ID: fmt.Sprintf("tok-%d", i), OldHash: secret(i, g-1),
				NewHash: secret(i, g), At: now, ExpiresAt: expires[i], OldExpiresAt: expires[i], NoHistory: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range n {
		if err := s.TouchRefreshToken(ctx, fmt.Sprintf("tok-%d", i), now, expires[i], expires[i]); err != nil {
			t.Fatal(err)
		}
	}
	after := indexPages(t, s, index)
	if len(after) != len(before) {
		t.Fatalf("the index had %d pages, has %d after %d rotations and %d touches", len(before), len(after), 3*n, n)
	}
	for pgno, data := range before {
		if !bytes.Equal(after[pgno], data) {
			t.Fatalf("page %d of %s changed under rotations and touches that kept the expiry", pgno, index)
		}
	}
	for i := range n {
		tok, err := s.GetRefreshToken(ctx, fmt.Sprintf("tok-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if !tok.ExpiresAt.Equal(expires[i]) || tok.Generation != 3 || !bytes.Equal(tok.Hash, secret(i, 3)) {
			t.Fatalf("tok-%d: generation %d, expires %v; want 3, %v", i, tok.Generation, tok.ExpiresAt, expires[i])
		}
	}

	later := expires[0].Add(time.Hour)
	if _, err := s.RotateRefreshToken(ctx, storage.Rotation{ID: "tok-0", OldHash: secret(0, 3), NewHash: secret(0, 4),
		At: now, ExpiresAt: later, OldExpiresAt: expires[0], NoHistory: true}); err != nil {
		t.Fatal(err)
	}
	moved := indexPages(t, s, index)
	changed := len(moved) != len(after)
	for pgno, data := range after {
		changed = changed || !bytes.Equal(moved[pgno], data)
	}
	if !changed {
		t.Fatalf("no page of %s changed when a rotation moved an expiry", index)
	}
}

// TestKeptExpiryStatementsFindTheRowByID: the statements that keep the
// expiry match expires_at = $n, which refresh_tokens_live_expires could
// answer; SQLite must still find the row by its id (the primary key), as
// the statements that write the expiry do.
func TestKeptExpiryStatementsFindTheRowByID(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "plans.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, q := range map[string]string{"rotation": rotateSQL.keep, "rotation with history": rotateIndexedSQL.keep, "touch": touchKeepSQL} {
		if plan := queryPlan(t, s, q, "id", []byte("x"), []byte("y"), 1, 2); plan != "SEARCH refresh_tokens USING INDEX sqlite_autoindex_refresh_tokens_1 (id=?)" {
			t.Errorf("the %s that keeps the expiry:\n%s", name, plan)
		}
	}
}

// indexPages reads every page of the named index raw (sqlite_dbpage),
// through the writer, WAL included.
func indexPages(t *testing.T, s *Store, index string) map[int64][]byte {
	t.Helper()
	pages, err := s.IndexPagesForTest(context.Background(), index)
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

// openSeeded opens a SQLite store of its own with n refresh tokens made as
// benchSeed makes them, closed when the test ends.
func openSeeded(t *testing.T, n int) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "latchkey.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	benchSeed(t, s, n)
	return s
}
