package cache

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a clock the test moves; nothing here sleeps to let time pass.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var (
	errDown = errors.New("database down")  // transient
	errGone = errors.New("record deleted") // not transient
)

// source is a loader over a value the test changes, counting loads. When
// gate is set, each load waits for it to be closed (or to receive).
type source struct {
	mu    sync.Mutex
	val   string
	err   error
	loads atomic.Int32
	gate  chan struct{}
	in    chan struct{} // receives once per load that started
}

func newSource(val string) *source { return &source{val: val, in: make(chan struct{}, 100)} }

func (s *source) set(val string, err error) {
	s.mu.Lock()
	s.val, s.err = val, err
	s.mu.Unlock()
}

func (s *source) load(ctx context.Context, k string) (string, error) {
	s.loads.Add(1)
	s.mu.Lock()
	gate := s.gate
	s.mu.Unlock()
	select {
	case s.in <- struct{}{}:
	default: // nobody is watching
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return "", s.err
	}
	return k + "=" + s.val, nil
}

func newTestCache(src *source, clk *clock) *Cache[string, string] {
	return New(src.load, Options{TTL: time.Second, KeepLastGood: time.Minute,
		Transient: func(err error) bool { return errors.Is(err, errDown) }, Now: clk.Now})
}

func get(t *testing.T, c *Cache[string, string], k string) (string, error) {
	t.Helper()
	return c.Get(context.Background(), k)
}

func want(t *testing.T, c *Cache[string, string], k, v string) {
	t.Helper()
	got, err := get(t, c, k)
	if err != nil || got != v {
		t.Fatalf("Get(%q) = %q, %v; want %q", k, got, err, v)
	}
}

func wantLoads(t *testing.T, src *source, n int32) {
	t.Helper()
	if got := src.loads.Load(); got != n {
		t.Fatalf("%d loads, want %d", got, n)
	}
}

// waitFor yields until cond holds. The bound only turns a broken cache into
// a failure instead of a hang; a passing run never comes near it.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		runtime.Gosched()
	}
}

func (c *Cache[K, V]) waiters(k K) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[k]; e != nil && e.call != nil {
		return e.call.waiters
	}
	return -1
}

// TestExpiry: a value is served from memory while younger than the TTL and
// loaded again once the clock has moved past it.
func TestExpiry(t *testing.T) {
	clk, src := newClock(), newSource("v1")
	c := newTestCache(src, clk)
	want(t, c, "a", "a=v1")
	src.set("v2", nil)
	clk.Advance(time.Second - time.Nanosecond)
	want(t, c, "a", "a=v1")
	wantLoads(t, src, 1)
	clk.Advance(time.Nanosecond)
	want(t, c, "a", "a=v2")
	wantLoads(t, src, 2)
	want(t, c, "b", "b=v2") // keys are independent
	wantLoads(t, src, 3)
}

// TestNoTTLLoadsEveryTime: a TTL of zero caches nothing.
func TestNoTTLLoadsEveryTime(t *testing.T) {
	src := newSource("v1")
	c := New(src.load, Options{})
	for range 3 {
		want(t, c, "a", "a=v1")
	}
	wantLoads(t, src, 3)
}

// TestSingleFlight: Gets arriving while a load runs share it: one load for
// sixteen callers, and all of them get its value.
func TestSingleFlight(t *testing.T) {
	clk, src := newClock(), newSource("v1")
	src.gate = make(chan struct{})
	c := newTestCache(src, clk)
	const n = 16
	results := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			v, err := get(t, c, "a")
			if err != nil {
				t.Error(err)
			}
			results <- v
		})
	}
	<-src.in // the one load started
	waitFor(t, "every other Get joins the running load", func() bool { return c.waiters("a") == n-1 })
	close(src.gate)
	wg.Wait()
	close(results)
	for v := range results {
		if v != "a=v1" {
			t.Fatalf("a caller got %q", v)
		}
	}
	wantLoads(t, src, 1)
}

// TestCallerLeavesLoadGoesOn: a caller whose context ends gets its error at
// once; the shared load is not cancelled with it and still fills the cache.
func TestCallerLeavesLoadGoesOn(t *testing.T) {
	clk, src := newClock(), newSource("v1")
	src.gate = make(chan struct{})
	c := newTestCache(src, clk)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := c.Get(ctx, "a"); errc <- err }()
	<-src.in
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller got %v", err)
	}
	close(src.gate)
	want(t, c, "a", "a=v1") // the first load's result, or a join of it
	wantLoads(t, src, 1)
}

// TestForgetDuringLoad: a Forget while a load runs (a change committed
// meanwhile) means that load's value, possibly read before the change, is
// not kept: the next Get loads again and sees the change.
func TestForgetDuringLoad(t *testing.T) {
	clk, src := newClock(), newSource("old")
	src.gate = make(chan struct{})
	c := newTestCache(src, clk)
	got := make(chan string, 1)
	go func() { v, _ := get(t, c, "a"); got <- v }()
	<-src.in
	c.Forget("a")
	close(src.gate)
	if v := <-got; v != "a=old" {
		t.Fatalf("the caller of the forgotten load got %q", v)
	}
	src.set("new", nil)
	want(t, c, "a", "a=new")
	wantLoads(t, src, 2)
}

// TestForgetAll drops every key, and a forgotten value is not a last good
// value: a failing reload returns its error.
func TestForgetAll(t *testing.T) {
	clk, src := newClock(), newSource("v1")
	c := newTestCache(src, clk)
	want(t, c, "a", "a=v1")
	want(t, c, "b", "b=v1")
	c.ForgetAll()
	src.set("", errDown)
	for _, k := range []string{"a", "b"} {
		if _, err := get(t, c, k); !errors.Is(err, errDown) {
			t.Fatalf("Get(%q) after ForgetAll with the database down: %v, want errDown", k, err)
		}
	}
}

// TestKeepLastGood: when reloading fails with a transient error the last
// good value is served, for at most TTL + KeepLastGood after it was read;
// then the error. Each Get past the TTL tries the database again.
func TestKeepLastGood(t *testing.T) {
	clk, src := newClock(), newSource("v1")
	c := newTestCache(src, clk)
	want(t, c, "a", "a=v1")
	src.set("", errDown)
	clk.Advance(time.Second)
	want(t, c, "a", "a=v1")
	clk.Advance(time.Minute - time.Nanosecond) // just under TTL + KeepLastGood
	want(t, c, "a", "a=v1")
	wantLoads(t, src, 3)
	clk.Advance(time.Nanosecond)
	if _, err := get(t, c, "a"); !errors.Is(err, errDown) {
		t.Fatalf("past TTL + KeepLastGood: %v, want errDown", err)
	}
	src.set("v2", nil) // the database is back
	want(t, c, "a", "a=v2")
}

// TestReloadReportsAFailureItHides: Reload says when its load failed even
// though a last good value was kept, and later Gets still serve that value.
func TestReloadReportsAFailureItHides(t *testing.T) {
	clk, src := newClock(), newSource("v1")
	c := newTestCache(src, clk)
	want(t, c, "a", "a=v1")
	src.set("", errDown)
	if v, err := c.Reload(context.Background(), "a"); !errors.Is(err, errDown) || v != "" {
		t.Fatalf("Reload during an outage = %q, %v; want errDown", v, err)
	}
	want(t, c, "a", "a=v1")
	src.set("v2", nil)
	if v, err := c.Reload(context.Background(), "a"); err != nil || v != "a=v2" {
		t.Fatalf("Reload once the source answers = %q, %v", v, err)
	}
	want(t, c, "a", "a=v2")
}

// TestNotTransientDropsValue: an error that is not transient (the record
// is gone) is returned at once and the old value is not served again.
func TestNotTransientDropsValue(t *testing.T) {
	clk, src := newClock(), newSource("v1")
	c := newTestCache(src, clk)
	want(t, c, "a", "a=v1")
	src.set("", errGone)
	clk.Advance(time.Second)
	if _, err := get(t, c, "a"); !errors.Is(err, errGone) {
		t.Fatalf("deleted record: %v, want errGone", err)
	}
	src.set("", errDown)
	if _, err := get(t, c, "a"); !errors.Is(err, errDown) {
		t.Fatalf("after a deletion, a transient error: %v, want errDown (no last good value)", err)
	}
}

// TestExpireKeepsLastGood: Expire reloads on the next Get, but unlike
// Forget keeps the value for when that reload fails.
func TestExpireKeepsLastGood(t *testing.T) {
	clk, src := newClock(), newSource("v1")
	c := newTestCache(src, clk)
	want(t, c, "a", "a=v1")
	src.set("v2", nil)
	c.Expire("a")
	want(t, c, "a", "a=v2")
	src.set("", errDown)
	c.Expire("a")
	want(t, c, "a", "a=v2")
	wantLoads(t, src, 3)
}

// TestErrorsNotCached: failed loads leave nothing behind, so ids that do not
// exist cannot fill the cache however many are asked for.
func TestErrorsNotCached(t *testing.T) {
	clk, src := newClock(), newSource("")
	src.set("", errGone)
	c := newTestCache(src, clk)
	for i := range 100 {
		if _, err := get(t, c, fmt.Sprint("missing-", i)); !errors.Is(err, errGone) {
			t.Fatal(err)
		}
	}
	c.mu.Lock()
	n := len(c.m)
	c.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d entries kept after failed loads", n)
	}
}

// TestLoadPanicIsAnError: a loader panic, on the load's own goroutine,
// reaches the caller as an error instead of ending the process.
func TestLoadPanicIsAnError(t *testing.T) {
	c := New(func(context.Context, string) (string, error) { panic("boom") }, Options{TTL: time.Second})
	if _, err := c.Get(context.Background(), "a"); err == nil {
		t.Fatal("no error from a panicking loader")
	}
}

// TestConcurrentUse runs under -race: Gets, Forgets and Expires of a few
// keys from many goroutines while the clock moves.
func TestConcurrentUse(t *testing.T) {
	clk, src := newClock(), newSource("v")
	c := newTestCache(src, clk)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				k := fmt.Sprint(j % 3)
				if _, err := get(t, c, k); err != nil {
					t.Error(err)
					return
				}
				switch (i + j) % 7 {
				case 0:
					c.Forget(k)
				case 1:
					c.Expire(k)
				case 2:
					clk.Advance(300 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
}
