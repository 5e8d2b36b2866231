package sqlstorage

import (
	"context"
	"errors"
	"fmt"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestLoneWriteOutlivesItsCaller: a write that commits alone in its group
// runs, once started, to its own outcome when its caller gives up midway
// (a request's deadline passing, its client going away), as a group's
// members always did: the caller is answered that outcome, and the write is
// either committed whole (it succeeded) or absent (it failed); never half
// of it, never an answer that says otherwise.
func TestLoneWriteOutlivesItsCaller(t *testing.T) {
	s := openGroupTest(t)
	write := func(k string, fail bool) error {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		return s.tx(ctx, func(q querier) error {
			if _, err := q.ExecContext(ctx, `INSERT INTO gc (k, v) VALUES ($1, 1)`, k+"-1"); err != nil {
				return err
			}
			cancel() // the caller gives up between two statements of its write
			second := k + "-2"
			if fail {
				second = k + "-1" // a duplicate key: the write fails
			}
			_, err := q.ExecContext(ctx, `INSERT INTO gc (k, v) VALUES ($1, 2)`, second)
			return err
		})
	}
	if err := write("kept", false); err != nil {
		t.Fatalf("a write whose caller gave up midway: %v; want its outcome (committed)", err)
	}
	if a, b := countGC(t, s, "kept-1"), countGC(t, s, "kept-2"); a != 1 || b != 1 {
		t.Fatalf("the write answered committed has %d and %d of its two rows; want both", a, b)
	}
	err := write("failed", true)
	if !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("a failing write whose caller gave up midway: %v; want its own error (a conflict)", err)
	}
	if n := countGC(t, s, "failed-1"); n != 0 {
		t.Fatalf("the failed write left %d of its rows; want none", n)
	}
}

// TestLoneWritesStartNoWatcherPerStatement: a lone write's statements run
// on a context that cannot end, so the driver starts no goroutine per
// statement to interrupt it (modernc.org/sqlite does for a context that
// can end: 7–9 % of a refresh's wait for a CPU, docs/performance.md). What
// is left is database/sql's one per transaction. Counted, not timed.
func TestLoneWritesStartNoWatcherPerStatement(t *testing.T) {
	s := openGroupTest(t)
	const writes, statements = 50, 4
	perWrite := goroutinesPer(t, writes, func(i int) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a request's deadline
		defer cancel()
		err := s.tx(ctx, func(q querier) error {
			for j := range statements {
				if _, err := q.ExecContext(ctx, `INSERT INTO gc (k, v) VALUES ($1, $2)`, fmt.Sprint("w", i*statements+j), j); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	if perWrite > 2 {
		t.Fatalf("%.1f goroutines started per lone write of %d statements; want at most 2 (none per statement)", perWrite, statements)
	}
}

// goroutinesPer runs f n times, one after another, and returns the
// goroutines the process started meanwhile, per run.
func goroutinesPer(t *testing.T, n int, f func(i int)) float64 {
	t.Helper()
	sample := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	created := func() uint64 {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			t.Fatalf("%s: not supported by this Go", sample[0].Name)
		}
		return sample[0].Value.Uint64()
	}
	before := created()
	for i := range n {
		f(i)
	}
	return float64(created()-before) / float64(n)
}
