package sqlstorage

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// readBatch reads the families of ids as one SQLite batch (a first read,
// of first, holds the batcher while they queue) and returns their answers
// in order.
func readBatch(t *testing.T, s *Store, now time.Time, first string, ids ...string) []readRes {
	t.Helper()
	release := holdReads(t, s)
	base := s.reads.started.Load()
	read := func(id string) <-chan readRes {
		out := make(chan readRes, 1)
		go func() {
			sess, err := s.FindRefreshSession(context.Background(), storage.SessionKey{ID: id, At: now.UnixMilli()})
			out <- readRes{sess, err}
		}()
		return out
	}
	held := read(first)
	waitFor(t, "the first read to start", func() bool { return s.reads.started.Load() == base+1 })
	outs := make([]<-chan readRes, len(ids))
	for i, id := range ids {
		outs[i] = read(id)
		waitFor(t, "a member to queue", func() bool { return len(s.reads.in) == i+1 })
	}
	release()
	if r := <-held; r.err != nil {
		t.Fatal(r.err)
	}
	got := make([]readRes, len(ids))
	for i, out := range outs {
		got[i] = <-out
		if got[i].err != nil || got[i].sess.Token.ID != ids[i] || got[i].sess.User.ID != ids[i][len("tok-"):] {
			t.Fatalf("read of %s: %+v, %v", ids[i], got[i].sess.Token, got[i].err)
		}
	}
	waitFor(t, "the batch to end", func() bool { return s.reads.ended.Load() == s.reads.started.Load() })
	return got
}

// TestReadAheadOnlyAfterABatchThatReadTheDisk: a SQLite read batch hands its
// later members to the read-ahead helpers only when the batch before it
// counted block reads of the process; on a node whose reads all come from
// the page cache nothing is read twice. The batch's answers are its own
// either way, and the metric counts the reads ahead.
func TestReadAheadOnlyAfterABatchThatReadTheDisk(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "l.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	a := s.reads.ahead
	if a == nil {
		t.Fatal("a SQLite store with the default pool has no read-ahead")
	}
	now := time.Now()
	sessionsOf(t, s, now, "a", "b", "c", "x", "y", "z", "first")
	var disk atomic.Int64
	var reading atomic.Bool // while set, the disk is read between any two looks
	a.blocks = func() (int64, bool) {
		if reading.Load() {
			return disk.Add(1), true
		}
		return disk.Load(), true
	}

	readBatch(t, s, now, "tok-first", "tok-a", "tok-b", "tok-c")
	if q := a.queued.Load(); q != 0 {
		t.Fatalf("batches with no block reads handed %d reads ahead, want none", q)
	}

	reading.Store(true)
	// The first read's batch counts block reads, so the next batch reads
	// its second and third members ahead; its first member's read waits
	// until they have run, so that the test sees them run.
	// (The batcher's goroutine may not end the test: the wait is bounded,
	// and the count is checked below.)
	s.reads.afterRead = func(ctx context.Context, id string) {
		for deadline := time.Now().Add(30 * time.Second); id == "tok-x" && a.read.Load() < 2 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}
	readBatch(t, s, now, "tok-first", "tok-x", "tok-y", "tok-z")
	s.reads.afterRead = nil
	if q, r := a.queued.Load(), a.read.Load(); q != 2 || r != 2 {
		t.Fatalf("after a batch that read the disk: %d reads ahead handed, %d run; want 2 and 2", q, r)
	}
	if st, _ := s.UserCacheStats(); st.ReadAhead != 2 {
		t.Fatalf("UserCacheStats().ReadAhead = %d, want 2", st.ReadAhead)
	}

	reading.Store(false)
	readBatch(t, s, now, "tok-first", "tok-a", "tok-b") // the last batch read the disk: ahead again
	q := a.queued.Load()
	readBatch(t, s, now, "tok-first", "tok-x", "tok-y", "tok-z")
	if a.queued.Load() != q {
		t.Fatalf("a batch after batches without block reads handed %d reads ahead, want none", a.queued.Load()-q)
	}
}

// TestReadAheadNeedsRoomInThePool: a reader pool too small to give the
// read-ahead its connections beside the batcher's and other reads' has
// none, and refresh reads are answered as before.
func TestReadAheadNeedsRoomInThePool(t *testing.T) {
	for _, n := range []int{minBatchedSQLitePool, minBatchedSQLitePool + readAheadConns - 1, minBatchedSQLitePool + readAheadConns} {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "l.db"), Options{MaxOpenConns: n})
		if err != nil {
			t.Fatal(err)
		}
		if has := s.reads.ahead != nil; has != (n >= minBatchedSQLitePool+readAheadConns) {
			t.Errorf("pool of %d: read-ahead %v", n, has)
		}
		s.Close()
	}
}
