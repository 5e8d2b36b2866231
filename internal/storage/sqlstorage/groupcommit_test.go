package sqlstorage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// openGroupTest opens a SQLite store with a scratch table.
func openGroupTest(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "latchkey.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if s.commits == nil {
		t.Fatal("a SQLite store has no group commit")
	}
	if _, err := s.exec(ctx, `CREATE TABLE gc (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return s
}

// insertGC is a write transaction that inserts k and fails with fail after
// writing, when fail is set.
func insertGC(s *Store, k string, fail error) func(q querier) error {
	return func(q querier) error {
		if _, err := q.ExecContext(context.Background(), `INSERT INTO gc (k, v) VALUES ($1, 1)`, k); err != nil {
			return err
		}
		return fail
	}
}

func countGC(t *testing.T, s *Store, k string) int {
	t.Helper()
	var n int
	// The reader pool sees committed rows only (WAL).
	if err := s.r.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM gc WHERE k = $1`, k).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestGroupCommitSharesOneCommit: transactions that queue while the writer is
// busy commit together, once; each caller is answered with its own outcome,
// only after the commit (what it wrote is visible to a new reader as soon
// as it is answered); a member that fails after writing is rolled back
// alone.
func TestGroupCommitSharesOneCommit(t *testing.T) {
	s := openGroupTest(t)
	ctx := context.Background()
	hold, held := make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.tx(ctx, func(q querier) error {
			close(held)
			<-hold // the writer is busy: the next ones queue
			return nil
		})
	}()
	<-held
	before := s.commits.commits.Load()
	const n = 20
	fail := errors.New("member refuses")
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var f error
			if i == 7 {
				f = fail
			}
			errs[i] = s.tx(ctx, insertGC(s, fmt.Sprint("k", i), f))
			if errs[i] == nil && countGC(t, s, fmt.Sprint("k", i)) != 1 {
				t.Errorf("member %d was answered before its row was committed", i)
			}
		}()
	}
	for len(s.commits.in) < n { // every member queued behind the busy writer
		time.Sleep(time.Millisecond)
	}
	close(hold)
	wg.Wait()
	for i, err := range errs {
		want := error(nil)
		if i == 7 {
			want = fail
		}
		if !errors.Is(err, want) && err != want {
			t.Errorf("member %d: %v, want %v", i, err, want)
		}
		if got, w := countGC(t, s, fmt.Sprint("k", i)), map[bool]int{true: 0, false: 1}[i == 7]; got != w {
			t.Errorf("member %d: %d rows, want %d", i, got, w)
		}
	}
	// The busy one, then the twenty in one group.
	if got := s.commits.commits.Load() - before; got != 2 {
		t.Errorf("%d commits for the busy transaction and %d queued ones, want 2", got, n)
	}
}

// TestGroupCommitSeesEarlierMembers: members run in queue order and see
// each other's writes, as one after another on the single writer; a
// conflict with an earlier member of the same group is the member's own
// error.
func TestGroupCommitSeesEarlierMembers(t *testing.T) {
	s := openGroupTest(t)
	ctx := context.Background()
	hold, held := make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.tx(ctx, func(q querier) error { close(held); <-hold; return nil })
	}()
	<-held
	errs := make(chan error, 2)
	go func() { errs <- s.tx(ctx, insertGC(s, "same", nil)) }()
	for len(s.commits.in) < 1 {
		time.Sleep(time.Millisecond)
	}
	go func() { errs <- s.tx(ctx, insertGC(s, "same", nil)) }()
	for len(s.commits.in) < 2 {
		time.Sleep(time.Millisecond)
	}
	close(hold)
	a, b := <-errs, <-errs
	if (a == nil) == (b == nil) {
		t.Fatalf("two inserts of one key in one group: %v and %v, want one success and one conflict", a, b)
	}
	if got := countGC(t, s, "same"); got != 1 {
		t.Fatalf("%d rows, want 1", got)
	}
}

// TestGroupCommitCancelledWhileQueued: a caller that gives up while queued
// is answered with its context's error and its write never runs.
func TestGroupCommitCancelledWhileQueued(t *testing.T) {
	s := openGroupTest(t)
	hold, held := make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.tx(context.Background(), func(q querier) error { close(held); <-hold; return nil })
	}()
	<-held
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.tx(ctx, insertGC(s, "gone", nil)) }()
	for len(s.commits.in) < 1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	close(hold)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got := countGC(t, s, "gone"); got != 0 {
		t.Fatalf("the cancelled write ran: %d rows", got)
	}
}

// TestGroupCommitFullDisk: when the database cannot grow, the members of a
// group that need a page fail with ErrUnavailable (each gets its own
// outcome, whether SQLite rolled back the statement or the whole group's
// transaction); after the space is back every write works again.
func TestGroupCommitFullDisk(t *testing.T) {
	s := openGroupTest(t)
	ctx := context.Background()
	restore, err := s.FillSQLiteForTest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hold, held := make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.tx(ctx, func(q querier) error { close(held); <-hold; return nil })
	}()
	<-held
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			big := fmt.Sprintf("%0*d", 1<<14, i) // needs new pages
			if i%2 == 0 {
				big = fmt.Sprint(i) // fits (or not): either way its own outcome
			}
			errs[i] = s.tx(ctx, insertGC(s, big, nil))
		}()
	}
	for len(s.commits.in) < n {
		time.Sleep(time.Millisecond)
	}
	close(hold)
	wg.Wait()
	for i := 1; i < n; i += 2 {
		if !errors.Is(errs[i], storage.ErrUnavailable) {
			t.Errorf("member %d needed new pages of a full database: %v, want ErrUnavailable", i, errs[i])
		}
	}
	if err := restore(); err != nil {
		t.Fatal(err)
	}
	if err := s.tx(ctx, insertGC(s, "after", nil)); err != nil {
		t.Fatalf("after the space is back: %v", err)
	}
}
