package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// lapseCase is one counter (threshold 3, a window of an hour, a lock of
// five minutes) and helpers over it.
type lapseCase struct {
	t   *testing.T
	s   storage.Storage
	ctx context.Context
	cs  []storage.LoginCounter
	key string
}

func newLapseCase(t *testing.T, s storage.Storage, key string) *lapseCase {
	p := storage.LockoutPolicy{Threshold: 3, Window: time.Hour, LockDuration: 5 * time.Minute}
	return &lapseCase{t: t, s: s, ctx: context.Background(), key: key,
		cs: []storage.LoginCounter{{Key: key, Account: key, Policy: p}}}
}

func (c *lapseCase) reserve(at, heldUntil time.Time) storage.LoginReservation {
	c.t.Helper()
	r, err := c.s.ReserveLoginAttempt(c.ctx, at, heldUntil, c.cs)
	must(c.t, err)
	return r
}

func (c *lapseCase) charge(at, heldUntil time.Time) storage.LoginReservation {
	c.t.Helper()
	r := c.reserve(at, heldUntil)
	if !r.Allowed {
		c.t.Fatalf("reservation at %v refused: %+v", at, r)
	}
	return r
}

func (c *lapseCase) counter() storage.LoginFailures {
	c.t.Helper()
	f, err := c.s.GetLoginFailures(c.ctx, c.key)
	must(c.t, err)
	return f
}

// testPendingChargesLapse: three charges held until base+30s (a node that
// died holding them) fill the counter: until their hold ends a reservation
// is in flight and charges nothing. From then on they no longer keep it
// waiting: they count as failures settled when their hold ended, locked
// from then for the lock's duration (each may be a guess checked before
// its node died), never given back. Once that lock has ended the counter
// restarts and takes a charge, although its window has not. The counter
// stays in flight while any of its charges is held: the latest heldUntil
// counts.
func testPendingChargesLapse(t *testing.T, s storage.Storage) {
	c := newLapseCase(t, s, "dead-node")
	held := base.Add(30 * time.Second)
	for range 3 {
		c.charge(base, held)
	}
	if f := c.counter(); !f.PendingUntil.Equal(held) || f.Count != 3 || f.Pending != 3 {
		t.Fatalf("counter after three charges: %+v, want 3 pending until %v", f, held)
	}
	if r := c.reserve(held.Add(-time.Millisecond), held.Add(time.Minute)); r.Allowed || !r.InFlight {
		t.Fatalf("a reservation within the charges' hold: %+v, want in flight", r)
	}
	if f := c.counter(); f.Count != 3 || f.Pending != 3 || !f.PendingUntil.Equal(held) || !f.LockedUntil.IsZero() {
		t.Fatalf("a refused reservation changed the counter: %+v", f)
	}
	lock := held.Add(5 * time.Minute)
	r := c.reserve(held, held.Add(time.Minute))
	if r.Allowed || r.InFlight || !r.LockedUntil.Equal(lock) {
		t.Fatalf("a reservation once the hold ended: %+v, want locked until %v (the lapsed charges' failures)", r, lock)
	}
	if f := c.counter(); f.Count != 3 || f.Pending != 0 || !f.LockedUntil.Equal(lock) {
		t.Fatalf("counter after the lapse: %+v, want 3 settled failures locked until %v", f, lock)
	}
	after := lock.Add(time.Second)
	r = c.charge(after, after.Add(time.Minute))
	if f := c.counter(); f.Count != 1 || f.Pending != 1 || !f.WindowStart.Equal(after) || !f.LockedUntil.IsZero() {
		t.Fatalf("counter after the lapse's lock ended: %+v, want a restarted window with this charge only", f)
	}
	must(t, s.RefundLoginAttempt(c.ctx, r))

	// A charge held longer keeps every pending charge in flight, whichever
	// came last.
	d := newLapseCase(t, s, "live-node")
	live := base.Add(time.Minute)
	d.charge(base, live)
	d.charge(base.Add(time.Second), held)
	d.charge(base.Add(time.Second), held)
	if r := d.reserve(held.Add(time.Second), live.Add(time.Minute)); r.Allowed || !r.InFlight {
		t.Fatalf("a reservation while one charge is still held: %+v, want in flight", r)
	}
	if f := d.counter(); f.Pending != 3 || !f.PendingUntil.Equal(live) {
		t.Fatalf("counter while one charge is held: %+v, want 3 pending until %v", f, live)
	}
	if r := d.reserve(live, live.Add(time.Minute)); r.Allowed || r.InFlight || !r.LockedUntil.Equal(live.Add(5*time.Minute)) {
		t.Fatalf("a reservation once the latest hold ended: %+v, want locked from it", r)
	}
}

// testSettlementAfterLapse: a slow node's settlement or refund arriving
// after its charge lapsed. A settlement changes nothing (the charge counts
// as a failure already: no second count, no lock of its own) and never
// takes a pending charge of a later attempt, which would count a login
// still in flight as a failure. A refund gives its lapsed failure back
// (and the lock that failure completed), and takes no later attempt's
// pending charge.
func testSettlementAfterLapse(t *testing.T, s storage.Storage) {
	c := newLapseCase(t, s, "slow-node")
	held := base.Add(30 * time.Second)
	slow := []storage.LoginReservation{c.charge(base, held), c.charge(base, held), c.charge(base, held)}
	lock := held.Add(5 * time.Minute)
	if r := c.reserve(held, held.Add(time.Minute)); !r.LockedUntil.Equal(lock) {
		t.Fatalf("reservation after the lapse: %+v, want locked until %v", r, lock)
	}
	late := held.Add(time.Second)
	l, err := s.SettleLoginFailure(c.ctx, late, slow[0], nil)
	must(t, err)
	if !l.IsZero() {
		t.Fatalf("a settlement after its charge lapsed set a lock: %v", l)
	}
	if f := c.counter(); f.Count != 3 || f.Pending != 0 || !f.LockedUntil.Equal(lock) {
		t.Fatalf("counter after a late settlement: %+v, want unchanged (3 failures locked until %v)", f, lock)
	}
	must(t, s.RefundLoginAttempt(c.ctx, slow[1]))
	if f := c.counter(); f.Count != 2 || f.Pending != 0 || !f.LockedUntil.IsZero() {
		t.Fatalf("counter after a late refund: %+v, want 2 failures and no lock", f)
	}
	next := c.charge(late, late.Add(time.Minute))
	l, err = s.SettleLoginFailure(c.ctx, late, slow[2], nil)
	must(t, err)
	if f := c.counter(); !l.IsZero() || f.Count != 3 || f.Pending != 1 || !f.LockedUntil.IsZero() {
		t.Fatalf("a late settlement beside a live charge: lock %v, counter %+v; want the live charge still pending and no lock", l, f)
	}
	must(t, s.RefundLoginAttempt(c.ctx, next))
	if f := c.counter(); f.Count != 2 || f.Pending != 0 || !f.LockedUntil.IsZero() {
		t.Fatalf("counter after the live charge's refund: %+v, want the two lapsed failures left", f)
	}

	// A late refund beside a live charge gives back its failure only.
	d := newLapseCase(t, s, "slow-refunds")
	slow = []storage.LoginReservation{d.charge(base, held), d.charge(base, held), d.charge(base, held)}
	d.reserve(held, held.Add(time.Minute)) // lapses them
	must(t, s.RefundLoginAttempt(d.ctx, slow[0]))
	next = d.charge(late, late.Add(time.Minute))
	must(t, s.RefundLoginAttempt(d.ctx, slow[1]))
	if f := d.counter(); f.Count != 2 || f.Pending != 1 {
		t.Fatalf("a late refund beside a live charge: %+v, want one lapsed failure and the live charge pending", f)
	}
	if l, err := s.SettleLoginFailure(d.ctx, late, next, nil); err != nil || !l.IsZero() {
		t.Fatalf("the live charge settled: lock %v, %v; want two failures and no lock", l, err)
	}
	if f := d.counter(); f.Count != 2 || f.Pending != 0 {
		t.Fatalf("counter after the live charge settled: %+v, want two failures", f)
	}
}
