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
		t.Cleanup(func() { s.Close() })
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
	}
}

// sqliteBatchOfTwo stores families tok-a and tok-b and reads them as one
// SQLite batch of two (a first read held the batcher while they queued),
// calling afterA inside the batch's transaction after tok-a's read and
// answer. It returns the two answers.
func sqliteBatchOfTwo(t *testing.T, s *Store, now time.Time, ctxA, ctxB context.Context, afterA func(ctx context.Context)) (a, b <-chan readRes) {
	t.Helper()
	if s.dialect != DialectSQLite {
		t.Fatalf("a %s store: the batch transaction is SQLite's", s.dialect)
	}
	sessionsOf(t, s, now, "a", "b", "first")
	s.reads.afterRead = func(ctx context.Context, id string) { // before any read: the loop reads it after a receive
		if id == "tok-a" {
			afterA(ctx)
		}
	}
	release := holdReads(t, s)
	base := s.reads.started.Load()
	read := func(ctx context.Context, id string) <-chan readRes {
		out := make(chan readRes, 1)
		go func() {
			sess, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: id, At: now.UnixMilli()})
			out <- readRes{sess, err}
		}()
		return out
	}
	first := read(context.Background(), "tok-first")
	waitFor(t, "the first read to start", func() bool { return s.reads.started.Load() == base+1 })
	a = read(ctxA, "tok-a")
	waitFor(t, "the first member to queue", func() bool { return len(s.reads.in) == 1 })
	b = read(ctxB, "tok-b")
	waitFor(t, "the second member to queue", func() bool { return len(s.reads.in) == 2 })
	release()
	if r := <-first; r.err != nil {
		t.Fatal(r.err)
	}
	return a, b
}

// TestSQLiteSessionReadsOfABatchShareOneSnapshot: the members of a batch
// are read in one read transaction, so a write committed between two
// members' reads is not seen by the later one (it was queued before that
// write); each member is answered as soon as its own family is read, not
// when the batch ends; and the next read sees the write.
func TestSQLiteSessionReadsOfABatchShareOneSnapshot(t *testing.T) {
	s := openTestOn(t, DialectSQLite)
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	later := now.Add(3 * time.Hour)
	var answeredEarly bool
	var gotA readRes
	var a <-chan readRes
	aSet := make(chan struct{})
	a, b := sqliteBatchOfTwo(t, s, now, ctx, ctx, func(context.Context) {
		select { // a is set once sqliteBatchOfTwo returns
		case <-aSet:
		case <-time.After(30 * time.Second):
			return
		}
		select {
		case gotA = <-a:
			answeredEarly = true
		case <-time.After(30 * time.Second):
		}
		if err := s.TouchRefreshToken(ctx, "tok-b", now, later, now.Add(time.Hour)); err != nil {
			t.Error(err)
		}
	})
	close(aSet)
	rb := <-b
	if !answeredEarly {
		t.Fatal("the batch's first member was not answered before the second was read")
	}
	if gotA.err != nil || gotA.sess.Token.ID != "tok-a" {
		t.Fatalf("first member: %+v, %v", gotA.sess.Token, gotA.err)
	}
	if rb.err != nil || !rb.sess.Token.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("second member: expires %v, %v; want %v, the value before the write committed during its batch (one snapshot)",
			rb.sess.Token.ExpiresAt, rb.err, now.Add(time.Hour))
	}
	after, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: "tok-b", At: now.UnixMilli()})
	if err != nil || !after.Token.ExpiresAt.Equal(later) {
		t.Fatalf("read after the write: expires %v, %v; want %v", after.Token.ExpiresAt, err, later)
	}
}

// TestSQLiteSessionReadsAfterABatchFailedHalfway: a batch that fails after
// its transaction began (here: every caller gave up after the first
// member's read) keeps the answer already given, ends its transaction by
// giving its connection up (a TRUNCATE checkpoint then empties the WAL),
// and the next refresh reads are answered.
func TestSQLiteSessionReadsAfterABatchFailedHalfway(t *testing.T) {
	s := openTestOn(t, DialectSQLite)
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	ctxA, cancelA := context.WithCancel(ctx)
	ctxB, cancelB := context.WithCancel(ctx)
	defer cancelA()
	defer cancelB()
	a, b := sqliteBatchOfTwo(t, s, now, ctxA, ctxB, func(bctx context.Context) {
		cancelA()
		cancelB()
		select { // the batch's context ends once every caller has given up
		case <-bctx.Done():
		case <-time.After(30 * time.Second):
			t.Error("the batch's context did not end when its callers gave up")
		}
	})
	if r := <-a; r.err != nil || r.sess.Token.ID != "tok-a" {
		t.Fatalf("the member read before the failure: %+v, %v; want its session", r.sess.Token, r.err)
	}
	if r := <-b; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("the member whose caller gave up: %v", r.err)
	}
	for i := range 3 {
		if got, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: "tok-b", At: now.UnixMilli()}); err != nil || got.User.ID != "b" {
			t.Fatalf("read %d after the failed batch: %+v, %v", i, got.Token, err)
		}
	}
	if err := s.TouchRefreshToken(ctx, "tok-a", now, now.Add(2*time.Hour), now.Add(time.Hour)); err != nil {
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

// TestSQLiteSessionReadsAnswerEachMemberOnce: when a batch fails after its
// first member was answered (here: the store starts closing), the first
// member keeps its one answer and every later member gets exactly one,
// errStoreClosed. The batch is run directly, with answer channels nobody
// reads, so a second answer would block it and a missing one shows.
func TestSQLiteSessionReadsAnswerEachMemberOnce(t *testing.T) {
	s := openTestOn(t, DialectSQLite)
	ctx := context.Background()
	now := time.Now()
	sessionsOf(t, s, now, "a", "b", "c")
	s.reads.afterRead = func(_ context.Context, id string) {
		if id == "tok-a" {
			s.reads.cancel() // what Close does first: ends the batch's context
		}
	}
	if _, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: "no such family"}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatal(err)
	}
	waitFor(t, "the loop to be idle", func() bool { return s.reads.ended.Load() == s.reads.started.Load() })
	var live []*readReq
	for _, id := range []string{"tok-a", "tok-b", "tok-c"} {
		live = append(live, &readReq{ctx: ctx, id: id, at: now.UnixMilli(), out: make(chan readRes, 1)})
	}
	done := make(chan struct{})
	go func() { s.reads.run(live); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the batch did not return: a member was answered twice")
	}
	for i, r := range live {
		if n := len(r.out); n != 1 {
			t.Fatalf("member %d has %d answers, want 1", i, n)
		}
	}
	if r := <-live[0].out; r.err != nil || r.sess.Token.ID != "tok-a" {
		t.Errorf("the member answered before the failure: %+v, %v; want its session", r.sess.Token, r.err)
	}
	for _, m := range live[1:] {
		if r := <-m.out; !errors.Is(r.err, errStoreClosed) {
			t.Errorf("%s, after the store started closing: %v; want errStoreClosed", m.id, r.err)
		}
	}
}

// TestSQLiteSessionReadsStartNoWatcherPerStatement: a batch's statements
// run on a context that cannot end, so neither the driver nor database/sql
// starts a goroutine per statement to watch the callers' contexts (the
// batch looks at them between members instead:
// TestSQLiteSessionReadsAfterABatchFailedHalfway). Counted, not timed.
func TestSQLiteSessionReadsStartNoWatcherPerStatement(t *testing.T) {
	s := openTestOn(t, DialectSQLite)
	now := time.Now()
	sessionsOf(t, s, now, "a")
	const reads = 50
	perRead := goroutinesPer(t, reads, func(int) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a request's deadline
		defer cancel()
		if got, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: "tok-a", At: now.UnixMilli()}); err != nil || got.User.ID != "a" {
			t.Fatalf("refresh read: %+v, %v", got.Token, err)
		}
	})
	if perRead >= 1 {
		t.Fatalf("%.1f goroutines started per refresh read; want fewer than one (none per statement)", perRead)
	}
}
