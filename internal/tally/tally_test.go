package tally_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
	"github.com/latchkeyhq/latchkey/internal/tally"
)

var start = time.Date(2026, 3, 1, 12, 59, 59, 0, time.UTC)

// clock is a settable clock (atomic: Count reads it from many goroutines).
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time   { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) set(t time.Time)  { c.ns.Store(t.UnixNano()) }
func newClock(t time.Time) *clock { c := &clock{}; c.set(t); return c }

func counts(t *testing.T, st storage.Storage) map[time.Time]map[string]int64 {
	t.Helper()
	rows, err := st.ListEventCounts(context.Background(), start.Add(-24*time.Hour), start.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	out := map[time.Time]map[string]int64{}
	for _, r := range rows {
		if out[r.Hour] == nil {
			out[r.Hour] = map[string]int64{}
		}
		out[r.Hour][r.Kind] = r.Count
	}
	return out
}

// TestCountKeepsTheHourOfTheEvent: an event counted at 12:59:59 and
// flushed at 13:00:01 is stored under 12:00; events auth emits that are not
// charted (logout) are not counted.
func TestCountKeepsTheHourOfTheEvent(t *testing.T) {
	st := sqlstorage.OpenTest(t)
	clk := newClock(start)
	tl := tally.New(st, clk.Now, nil)
	ctx := context.Background()
	tl.Count(ctx, "login_success", "success")
	tl.Count(ctx, "logout", "success")
	clk.set(start.Add(2 * time.Second))
	tl.Count(ctx, "account_locked", "locked")
	if err := tl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got := counts(t, st)
	h12, h13 := start.Truncate(time.Hour), start.Truncate(time.Hour).Add(time.Hour)
	if len(got) != 2 || len(got[h12]) != 1 || got[h12][tally.Login] != 1 || len(got[h13]) != 1 || got[h13][tally.Lockout] != 1 {
		t.Fatalf("counts = %v, want a login at 12:00 and a lockout at 13:00", got)
	}
}

// TestFailedFlushKeepsCounts: a flush the store refuses (its context is
// cancelled) stores nothing and loses nothing: the next flush stores it.
func TestFailedFlushKeepsCounts(t *testing.T) {
	st := sqlstorage.OpenTest(t)
	tl := tally.New(st, newClock(start).Now, nil)
	ctx := context.Background()
	for range 3 {
		tl.Count(ctx, "refresh", "success")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := tl.Flush(cancelled); err == nil {
		t.Fatal("a flush with a cancelled context succeeded")
	}
	if got := counts(t, st); len(got) != 0 {
		t.Fatalf("the failed flush stored %v", got)
	}
	tl.Count(ctx, "refresh", "success")
	if err := tl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := counts(t, st)[start.Truncate(time.Hour)][tally.Refresh]; got != 4 {
		t.Fatalf("refreshes after the retry = %d, want 4", got)
	}
}

// TestCountWhileFlushing: events counted by many goroutines while flushes
// run are each stored exactly once.
func TestCountWhileFlushing(t *testing.T) {
	st := sqlstorage.OpenTest(t)
	tl := tally.New(st, newClock(start).Now, nil)
	ctx := context.Background()
	const workers, each = 8, 200
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				tl.Count(ctx, "login_failure", "wrong_password")
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for flushing := true; flushing; {
		select {
		case <-done:
			flushing = false
		default:
		}
		if err := tl.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := counts(t, st)[start.Truncate(time.Hour)][tally.Failure]; got != workers*each {
		t.Fatalf("failures stored = %d, want %d", got, workers*each)
	}
}
