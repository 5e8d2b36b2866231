package outbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// clock is a test clock the worker reads; tests move it instead of sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// outcomes collects Observe calls.
type outcomes struct {
	mu  sync.Mutex
	all []Outcome
	ch  chan Outcome
}

func (o *outcomes) observe(x Outcome) {
	o.mu.Lock()
	o.all = append(o.all, x)
	o.mu.Unlock()
	if o.ch != nil {
		o.ch <- x
	}
}

func (o *outcomes) results() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var r []string
	for _, x := range o.all {
		r = append(r, x.Message.ID+":"+x.Result)
	}
	return r
}

func setup(t *testing.T, deliver Deliver, tune func(*Config)) (*Worker, storage.Storage, *clock, *outcomes) {
	t.Helper()
	s := sqlstorage.OpenTest(t)
	c := &clock{t: t0}
	obs := &outcomes{}
	cfg := Config{Store: s, Queue: "mail", Deliver: deliver, Owner: "w1", Now: c.Now, Observe: obs.observe,
		BaseBackoff: time.Minute, MaxBackoff: time.Hour, MaxAttempts: 4}
	if tune != nil {
		tune(&cfg)
	}
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w, s, c, obs
}

func enqueue(t *testing.T, s storage.Storage, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := s.EnqueueOutbox(context.Background(), storage.OutboxMessage{ID: id, Queue: "mail", Payload: []byte(`"` + id + `"`), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
}

func poll(t *testing.T, w *Worker) int {
	t.Helper()
	n, err := w.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func state(t *testing.T, s storage.Storage, id string) storage.OutboxMessage {
	t.Helper()
	m, err := s.GetOutboxMessage(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestWorkerRetriesWithBackoffThenDelivers(t *testing.T) {
	fails := 2
	w, s, c, obs := setup(t, func(ctx context.Context, m storage.OutboxMessage) error {
		if fails > 0 {
			fails--
			return errors.New("421 busy")
		}
		return nil
	}, nil)
	enqueue(t, s, "m1")
	for attempt, wait := range []time.Duration{time.Minute, 2 * time.Minute} {
		if n := poll(t, w); n != 1 {
			t.Fatalf("attempt %d claimed %d", attempt+1, n)
		}
		m := state(t, s, "m1")
		if d := m.NextAttemptAt.Sub(c.Now()); m.State != storage.OutboxPending || d < wait*8/10 || d > wait*12/10 || m.LastError != "421 busy" {
			t.Fatalf("after failure %d: %+v (next in %s), want pending, next in %s ±20%%", attempt+1, m, d, wait)
		}
		if n := poll(t, w); n != 0 {
			t.Fatal("a message was claimed before its retry time")
		}
		c.Add(wait * 13 / 10)
	}
	poll(t, w)
	if m := state(t, s, "m1"); m.State != storage.OutboxSent || m.Attempts != 3 || m.Payload != nil {
		t.Fatalf("final = %+v, want sent after 3 attempts, payload cleared", m)
	}
	if got, want := fmt.Sprint(obs.results()), "[m1:retry m1:retry m1:sent]"; got != want {
		t.Errorf("outcomes %s, want %s", got, want)
	}
}

func TestWorkerPermanentErrorIsDeadAtOnce(t *testing.T) {
	w, s, _, _ := setup(t, func(ctx context.Context, m storage.OutboxMessage) error {
		return Permanent(errors.New("550 no such user"))
	}, nil)
	enqueue(t, s, "m1")
	poll(t, w)
	if m := state(t, s, "m1"); m.State != storage.OutboxDead || m.Attempts != 1 || string(m.Payload) != `"m1"` || m.LastError != "550 no such user" {
		t.Fatalf("got %+v, want dead after one attempt, payload and error kept", m)
	}
}

func TestWorkerGivesUpAfterMaxAttempts(t *testing.T) {
	calls := 0
	w, s, c, _ := setup(t, func(ctx context.Context, m storage.OutboxMessage) error {
		calls++
		return errors.New("connection refused")
	}, nil)
	enqueue(t, s, "m1")
	for range 10 {
		poll(t, w)
		c.Add(2 * time.Hour)
	}
	if m := state(t, s, "m1"); m.State != storage.OutboxDead || calls != 4 {
		t.Fatalf("got %+v after %d deliveries, want dead after MaxAttempts=4", m, calls)
	}
}

// TestWorkerResumesAfterCrash: a message claimed by a worker that died is
// delivered by another once the lease has expired, and one whose claims
// keep dying is declared dead instead of being tried forever.
func TestWorkerResumesAfterCrash(t *testing.T) {
	var delivered []string
	w, s, c, _ := setup(t, func(ctx context.Context, m storage.OutboxMessage) error {
		delivered = append(delivered, m.ID)
		return nil
	}, nil)
	enqueue(t, s, "m1")
	ctx := context.Background()
	if _, err := s.ClaimOutbox(ctx, storage.OutboxClaim{Queue: "mail", Owner: "crashed", Now: t0, LeaseUntil: t0.Add(2 * time.Minute), Limit: 1}); err != nil {
		t.Fatal(err)
	}
	if poll(t, w) != 0 {
		t.Fatal("claimed a message another worker still leases")
	}
	c.Add(2 * time.Minute)
	poll(t, w)
	if m := state(t, s, "m1"); m.State != storage.OutboxSent || fmt.Sprint(delivered) != "[m1]" {
		t.Fatalf("got %+v, delivered %v; want m1 sent by the new worker", m, delivered)
	}

	enqueue(t, s, "crashy")
	for i := range 4 { // four claims whose workers died
		now := c.Now().Add(time.Duration(i) * 3 * time.Minute)
		if _, err := s.ClaimOutbox(ctx, storage.OutboxClaim{Queue: "mail", Owner: "crashed", Now: now, LeaseUntil: now.Add(2 * time.Minute), Limit: 1}); err != nil {
			t.Fatal(err)
		}
	}
	c.Add(15 * time.Minute)
	poll(t, w)
	if m := state(t, s, "crashy"); m.State != storage.OutboxDead || fmt.Sprint(delivered) != "[m1]" {
		t.Fatalf("got %+v, delivered %v; want dead without another delivery", m, delivered)
	}
}

// TestWorkersShareAQueue: two workers (two nodes on PostgreSQL) deliver
// every message exactly once.
func TestWorkersShareAQueue(t *testing.T) {
	var mu sync.Mutex
	count := map[string]int{}
	deliver := func(ctx context.Context, m storage.OutboxMessage) error {
		mu.Lock()
		count[m.ID]++
		mu.Unlock()
		return nil
	}
	w1, s, c, _ := setup(t, deliver, func(cfg *Config) { cfg.Concurrency = 3 })
	w2, err := New(Config{Store: s, Queue: "mail", Deliver: deliver, Owner: "w2", Now: c.Now, Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 40 {
		ids = append(ids, fmt.Sprintf("m%02d", i))
	}
	enqueue(t, s, ids...)
	var wg sync.WaitGroup
	for _, w := range []*Worker{w1, w2} {
		wg.Go(func() {
			for {
				if n, err := w.Poll(context.Background()); err != nil || n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		if count[id] != 1 {
			t.Errorf("%s delivered %d times", id, count[id])
		}
	}
}

// TestWorkerRunWakesAndStops: Run sends a message as soon as it is told
// about it, and returns once its context ends.
func TestWorkerRunWakesAndStops(t *testing.T) {
	w, s, _, obs := setup(t, func(ctx context.Context, m storage.OutboxMessage) error { return nil },
		func(cfg *Config) { cfg.Now, cfg.PollInterval = time.Now, time.Hour })
	obs.ch = make(chan Outcome, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	if err := s.EnqueueOutbox(ctx, storage.OutboxMessage{ID: "now", Queue: "mail", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	w.Notify()
	select {
	case o := <-obs.ch:
		if o.Message.ID != "now" || o.Result != storage.OutboxSent {
			t.Fatalf("outcome %+v", o)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Notify did not wake the worker (poll interval is an hour)")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

func TestNewRefusesALeaseShorterThanADelivery(t *testing.T) {
	_, err := New(Config{Store: sqlstorage.OpenTest(t), Queue: "mail", Deliver: func(context.Context, storage.OutboxMessage) error { return nil },
		Lease: time.Minute, AttemptTimeout: time.Minute})
	if err == nil {
		t.Fatal("a lease no longer than the attempt timeout was accepted")
	}
}

// With the defaults a message is retried for about 12 hours before it is
// dead (docs/api.md, mail): the waits between its MaxAttempts attempts add
// up to 12.3 hours, give or take the ±20 % jitter.
func TestDefaultRetriesLastAboutTwelveHours(t *testing.T) {
	w, err := New(Config{Store: sqlstorage.OpenTest(t), Queue: "mail", Deliver: func(context.Context, storage.OutboxMessage) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	var total time.Duration
	for n := 1; n < w.cfg.MaxAttempts; n++ {
		total += w.backoff(n)
	}
	if total < 9*time.Hour || total > 15*time.Hour {
		t.Fatalf("the default retries last %v, want about 12 hours", total)
	}
}
