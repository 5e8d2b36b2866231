package sqlstorage

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestSQLiteSessionReadsInASmallPool: the read batcher keeps a reader
// connection for itself only in a pool of at least minBatchedSQLitePool;
// in a pool of one (--database-max-conns 1) refresh reads are not batched,
// so a refresh read does not leave every other read waiting for ever.
func TestSQLiteSessionReadsInASmallPool(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{1, minBatchedSQLitePool - 1, minBatchedSQLitePool} {
		s, err := Open(ctx, filepath.Join(t.TempDir(), "l.db"), Options{MaxOpenConns: n})
		if err != nil {
			t.Fatal(err)
		}
		benchSeed(t, s, 1)
		if batched := s.reads != nil; batched != (n >= minBatchedSQLitePool) {
			t.Errorf("pool of %d: batched %v", n, batched)
		}
		if got, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: "tok-0", At: time.Now().UnixMilli()}); err != nil || got.Token.ID != "tok-0" {
			t.Fatalf("pool of %d: refresh read: %+v, %v", n, got.Token, err)
		}
		wait, cancel := context.WithTimeout(ctx, 20*time.Second)
		if _, err := s.GetRefreshToken(wait, "tok-0"); err != nil {
			t.Fatalf("pool of %d: a read after a refresh read: %v", n, err)
		}
		cancel()
		s.Close()
	}
}

// TestSQLiteSessionReadsAfterTheirCallersGaveUp: a batch whose every
// caller gave up while it waited gives its connection up (no read
// transaction stays open on it: a TRUNCATE checkpoint still empties the
// WAL), and the next refresh reads are answered.
func TestSQLiteSessionReadsAfterTheirCallersGaveUp(t *testing.T) {
	if postgresDSNOptional() != "" {
		t.Skip("SQLite's batcher (PostgreSQL's: TestSessionReadsGiveUpWithTheirCallers)")
	}
	s := OpenTest(t)
	ctx := context.Background()
	now := time.Now()
	sessionsOf(t, s, now, "u")
	k := storage.SessionKey{ID: "tok-u", At: now.UnixMilli()}
	release := holdReads(t, s)
	base := s.reads.started.Load()
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := s.FindRefreshSession(short, k); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read behind the held batcher: %v, want its deadline", err)
	}
	release()
	waitFor(t, "the abandoned batch to run", func() bool { return s.reads.started.Load() == base+1 })
	for i := range 3 {
		if got, err := s.FindRefreshSession(ctx, k); err != nil || got.Token.ID != "tok-u" || got.User.ID != "u" {
			t.Fatalf("read %d after the abandoned batch: %+v, %v", i, got.Token, err)
		}
	}
	if err := s.TouchRefreshToken(ctx, "tok-u", now, now.Add(2*time.Hour), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var busy, log, done int
	if err := s.w.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &log, &done); err != nil {
		t.Fatal(err)
	}
	if busy != 0 || log != 0 {
		t.Fatalf("checkpoint after the batches: busy %d, %d frames left in the WAL; want 0, 0 (no read transaction left open)", busy, log)
	}
}
