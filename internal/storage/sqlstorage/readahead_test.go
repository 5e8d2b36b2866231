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
// counted block reads of the process, and only that one batch: on a node
// whose reads all come from the page cache nothing is read twice. A helper
// reads its member's rows (the metric counts them); a member the batch has
// read already is not read ahead. The batch's answers are its own either
// way.
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
	// The process's block reads are the test's: a batch "reads the disk"
	// when a hook inside it adds one.
	var disk atomic.Int64
	a.blocks = func() (int64, bool) { return disk.Load(), true }
	// Hooks run on the batcher's and the helpers' goroutines, which may not
	// end the test: their waits are bounded, and the counts are checked
	// below.
	waitUntil := func(cond func() bool) {
		for deadline := time.Now().Add(30 * time.Second); !cond() && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}
	counts := func() (q, r, sk int64) { return a.queued.Load(), a.read.Load(), a.skipped.Load() }

	readBatch(t, s, now, "tok-first", "tok-a", "tok-b", "tok-c")
	if q, _, _ := counts(); q != 0 {
		t.Fatalf("batches with no block reads handed %d reads ahead, want none", q)
	}

	// The first read's batch reads the disk, so the next batch hands its
	// second and third members ahead; its first member's read waits until
	// they have run, so that the test sees them run.
	s.reads.afterRead = func(ctx context.Context, id string) {
		switch id {
		case "tok-first":
			disk.Add(1)
		case "tok-x":
			waitUntil(func() bool { return a.read.Load() == 2 })
		}
	}
	readBatch(t, s, now, "tok-first", "tok-x", "tok-y", "tok-z")
	if q, r, sk := counts(); q != 2 || r != 2 || sk != 0 {
		t.Fatalf("after a batch that read the disk: %d reads ahead handed, %d read their family, %d skipped; want 2, 2, 0", q, r, sk)
	}
	if st, _ := s.UserCacheStats(); st.ReadAhead != 2 {
		t.Fatalf("UserCacheStats().ReadAhead = %d, want 2", st.ReadAhead)
	}

	// That batch read no disk itself: the ones after it read nothing ahead.
	s.reads.afterRead = nil
	readBatch(t, s, now, "tok-first", "tok-a", "tok-b")
	if q, _, _ := counts(); q != 2 {
		t.Fatalf("a batch after a batch without block reads handed %d reads ahead, want none", q-2)
	}

	// Helpers that come to members the batch has read already skip them,
	// while the batch is still open: the helpers wait until the batch has
	// read its last member.
	release := make(chan struct{})
	a.beforeRead = func() { <-release }
	s.reads.afterRead = func(ctx context.Context, id string) {
		switch id {
		case "tok-first":
			disk.Add(1)
		case "tok-c":
			close(release)
			waitUntil(func() bool { return a.skipped.Load() == 2 })
		}
	}
	readBatch(t, s, now, "tok-first", "tok-a", "tok-b", "tok-c")
	if q, r, sk := counts(); q != 4 || r != 2 || sk != 2 {
		t.Fatalf("members read before their helpers came: %d handed, %d read, %d skipped; want 4, 2 and 2", q, r, sk)
	}
}

// TestReadAheadWaitsForThePrewarm: while the store's prewarm is still
// submitting its reads (which count as block reads too), a batch after one
// that read the disk reads nothing ahead; once it is done, it does.
func TestReadAheadWaitsForThePrewarm(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "l.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	now := time.Now()
	sessionsOf(t, s, now, "x", "y", "z", "first")
	a := s.reads.ahead
	var disk atomic.Int64
	a.blocks = func() (int64, bool) { return disk.Load(), true }
	s.reads.afterRead = func(ctx context.Context, id string) {
		if id == "tok-first" {
			disk.Add(1) // the batch before the one measured reads the disk
		}
	}
	running := &prewarmer{done: make(chan struct{})} // submitting until done closes
	s.prewarm = running
	t.Cleanup(func() { s.prewarm = nil }) // before Close: it has no file to stop
	readBatch(t, s, now, "tok-first", "tok-x", "tok-y", "tok-z")
	if q := a.queued.Load(); q != 0 {
		t.Fatalf("during the prewarm %d reads ahead were handed, want none", q)
	}
	close(running.done)
	readBatch(t, s, now, "tok-first", "tok-x", "tok-y", "tok-z")
	if q := a.queued.Load(); q != 2 {
		t.Fatalf("after the prewarm %d reads ahead were handed, want 2", q)
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
