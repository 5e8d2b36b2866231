package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// heldThroughout is the heldUntil of reservations whose charges must not
// lapse: past every instant the cases that do not test lapsing use.
var heldThroughout = base.Add(time.Hour)

// reservationCounters are a login's three counters: the tenant's policy for
// account and address, the address's hourly share, the account's ceiling.
func reservationCounters(account, addr string, threshold int) []storage.LoginCounter {
	return []storage.LoginCounter{
		{Key: account + "|" + addr, Account: account, ResetOnSuccess: true,
			Policy: storage.LockoutPolicy{Threshold: threshold, Window: time.Minute, LockDuration: 5 * time.Minute}},
		{Key: account + "|" + addr + "|h", Account: account,
			Policy: storage.LockoutPolicy{Threshold: 10, Window: time.Hour, LockDuration: time.Hour}},
		{Key: account, Account: account,
			Policy: storage.LockoutPolicy{Threshold: 50, Window: time.Hour, LockDuration: time.Hour}},
	}
}

// testReserveLoginAttempt: a reservation charges every counter or none, as
// pending; a counter full of pending charges refuses the next reservation
// as in flight, not locked, without charging the others; settling the
// charges as failures locks at the threshold, and a locked counter refuses;
// a refund gives one charge back and deletes the counters reset on success;
// an account's counters go with ResetLoginFailures, another account's stay.
func testReserveLoginAttempt(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	cs := reservationCounters("u1", "10.0.0.1", 3)
	var charged []storage.LoginReservation
	for i := range 3 {
		r, err := s.ReserveLoginAttempt(ctx, base.Add(time.Duration(i)*time.Second), heldThroughout, cs)
		must(t, err)
		if !r.Allowed || r.InFlight || !r.LockedUntil.IsZero() || len(r.Charged) != 3 {
			t.Fatalf("attempt %d: %+v, want allowed with 3 counters charged and no lock", i, r)
		}
		charged = append(charged, r)
	}
	r, err := s.ReserveLoginAttempt(ctx, base.Add(3*time.Second), heldThroughout, cs)
	must(t, err)
	if r.Allowed || !r.InFlight || !r.LockedUntil.IsZero() || len(r.Charged) != 0 {
		t.Fatalf("reservation on a counter full of pending charges: %+v, want in flight and no lock", r)
	}
	for _, c := range cs {
		f, err := s.GetLoginFailures(ctx, c.Key)
		must(t, err)
		if f.Count != 3 || f.Pending != 3 || !f.LockedUntil.IsZero() {
			t.Fatalf("counter %s = %+v after a refused reservation, want 3 pending (nothing charged)", c.Key, f)
		}
	}
	at := base.Add(10 * time.Second)
	for i, r := range charged {
		locked, err := s.SettleLoginFailure(ctx, at, r, nil)
		must(t, err)
		if want := i == 2; locked.IsZero() == want {
			t.Fatalf("failure %d settled: lock %v, want a lock only from the third", i, locked)
		}
	}
	lock := at.Add(5 * time.Minute)
	r, err = s.ReserveLoginAttempt(ctx, at.Add(time.Second), heldThroughout, cs)
	must(t, err)
	if r.Allowed || r.InFlight || !r.LockedUntil.Equal(lock) || len(r.Charged) != 0 {
		t.Fatalf("reservation on a locked counter: %+v, want locked until %v", r, lock)
	}
	// Another address of the same account is not locked.
	other := reservationCounters("u1", "10.0.0.2", 3)
	r, err = s.ReserveLoginAttempt(ctx, base.Add(4*time.Second), heldThroughout, other)
	must(t, err)
	if !r.Allowed {
		t.Fatalf("another address refused: %+v", r)
	}
	// Its success gives the charge back: its address counter goes, its
	// hourly share and the account's ceiling lose one charge each.
	_, u := seed(t, s) // user u1
	must(t, s.RecordLogin(ctx, storage.Login{UserID: u.ID, At: base.Add(5 * time.Second).UnixMilli(), Refund: &r}))
	for key, want := range map[string]int{"u1|10.0.0.2": 0, "u1|10.0.0.2|h": 0, "u1": 3, "u1|10.0.0.1": 3} {
		if f, _ := s.GetLoginFailures(ctx, key); f.Count != want || f.Pending != 0 {
			t.Fatalf("counter %s = %+v after the refund, want %d and none pending", key, f, want)
		}
	}
	_, err = s.ReserveLoginAttempt(ctx, base, heldThroughout, reservationCounters("u2", "10.0.0.1", 3))
	must(t, err)
	must(t, s.ResetLoginFailures(ctx, "u1"))
	for _, c := range append(cs, other...) {
		if f, _ := s.GetLoginFailures(ctx, c.Key); f.Count != 0 {
			t.Fatalf("counter %s survived ResetLoginFailures of its account: %+v", c.Key, f)
		}
	}
	if f, _ := s.GetLoginFailures(ctx, "u2"); f.Count != 1 {
		t.Fatalf("another account's counter was reset: %+v", f)
	}
}

// testReserveLoginAttemptRefundUnlocks: a success whose reservation filled
// the counter (threshold 1) never locked it: another reservation meanwhile
// is in flight, not locked, and after the refund the counter is empty and
// takes a charge again.
func testReserveLoginAttemptRefundUnlocks(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	cs := []storage.LoginCounter{{Key: u.ID, Account: u.ID, Policy: storage.LockoutPolicy{Threshold: 1, Window: time.Hour, LockDuration: time.Hour}}}
	r, err := s.ReserveLoginAttempt(ctx, base, heldThroughout, cs)
	must(t, err)
	if !r.Allowed || !r.LockedUntil.IsZero() {
		t.Fatalf("threshold 1: %+v, want allowed and not locking", r)
	}
	if w, err := s.ReserveLoginAttempt(ctx, base, heldThroughout, cs); err != nil || w.Allowed || !w.InFlight || !w.LockedUntil.IsZero() {
		t.Fatalf("a second reservation while the first is pending: %+v, %v; want in flight, not locked", w, err)
	}
	must(t, s.RecordLogin(ctx, storage.Login{UserID: u.ID, At: base.UnixMilli(), Refund: &r}))
	f, err := s.GetLoginFailures(ctx, u.ID)
	must(t, err)
	if f.Count != 0 || f.Pending != 0 || !f.LockedUntil.IsZero() {
		t.Fatalf("after the refund: %+v, want count 0 and no lock", f)
	}
	if again, err := s.ReserveLoginAttempt(ctx, base, heldThroughout, cs); err != nil || !again.Allowed {
		t.Fatalf("a reservation after the refund: %+v, %v; want allowed", again, err)
	}
}

// testReserveLoginAttemptConcurrent: N concurrent reservations against a
// threshold of 3 allow exactly 3: the others find the counter full of
// pending charges (in flight), and nothing is locked.
func testReserveLoginAttemptConcurrent(t *testing.T, s storage.Storage) {
	const n = 20
	ctx := context.Background()
	cs := reservationCounters("u1", "10.0.0.1", 3)
	allowed := make([]bool, n)
	errs := parallel(n, func(i int) error {
		r, err := s.ReserveLoginAttempt(ctx, base.Add(time.Duration(i)*time.Millisecond), heldThroughout, cs)
		allowed[i] = r.Allowed
		if err == nil && !r.Allowed && (!r.InFlight || !r.LockedUntil.IsZero()) {
			return fmt.Errorf("refused reservation %+v, want in flight and not locked", r)
		}
		return err
	})
	if ok, others := countNil(errs); ok != n {
		t.Fatalf("%d of %d reservations answered: %v", ok, n, others)
	}
	got := 0
	for _, a := range allowed {
		if a {
			got++
		}
	}
	if got != 3 {
		t.Fatalf("%d of %d concurrent reservations allowed, want 3 (the threshold)", got, n)
	}
	if f, _ := s.GetLoginFailures(ctx, "u1"); f.Count != 3 || f.Pending != 3 || !f.LockedUntil.IsZero() {
		t.Fatalf("ceiling counter = %+v, want 3 pending and no lock: refused reservations charged nothing", f)
	}
}

// testSettleLoginFailure: only settled failures lock. Of three pending
// charges (threshold 3) two settle as failures and one is refunded: no
// lock, and the counter takes a charge again, whose failure then locks. A
// charge of a window that has restarted, or of a counter reset since,
// settles nothing (another attempt's pending charge is not taken, no row
// comes back). A threshold lowered under the settled failures refuses as
// locked until the window restarts, not as in flight.
func testSettleLoginFailure(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	p := storage.LockoutPolicy{Threshold: 3, Window: time.Minute, LockDuration: 5 * time.Minute}
	cs := []storage.LoginCounter{{Key: u.ID, Account: u.ID, Policy: p}}
	reserve := func(at time.Time, cs []storage.LoginCounter) storage.LoginReservation {
		t.Helper()
		r, err := s.ReserveLoginAttempt(ctx, at, heldThroughout, cs)
		must(t, err)
		if !r.Allowed {
			t.Fatalf("reservation at %v refused: %+v", at, r)
		}
		return r
	}
	settle := func(at time.Time, r storage.LoginReservation) time.Time {
		t.Helper()
		l, err := s.SettleLoginFailure(ctx, at, r, nil)
		must(t, err)
		return l
	}
	counter := func() storage.LoginFailures {
		t.Helper()
		f, err := s.GetLoginFailures(ctx, u.ID)
		must(t, err)
		return f
	}
	a, b, c := reserve(base, cs), reserve(base, cs), reserve(base, cs)
	if l := settle(base, a); !l.IsZero() {
		t.Fatalf("first failure locked: %v", l)
	}
	must(t, s.RefundLoginAttempt(ctx, b))
	if l := settle(base, c); !l.IsZero() {
		t.Fatalf("two failures and a refund locked: %v", l)
	}
	if f := counter(); f.Count != 2 || f.Pending != 0 || !f.LockedUntil.IsZero() {
		t.Fatalf("after two failures and a refund: %+v", f)
	}
	d := reserve(base.Add(time.Second), cs)
	if l := settle(base.Add(2*time.Second), d); !l.Equal(base.Add(2*time.Second + 5*time.Minute)) {
		t.Fatalf("third failure: lock %v, want from its settlement", l)
	}

	// A charge of a window that restarted settles nothing.
	must(t, s.ResetLoginFailures(ctx, u.ID))
	old := reserve(base, cs)
	fresh := reserve(base.Add(2*time.Minute), cs) // the window of a minute restarted
	if l := settle(base.Add(2*time.Minute), old); !l.IsZero() {
		t.Fatalf("a charge of a restarted window locked: %v", l)
	}
	if f := counter(); f.Count != 1 || f.Pending != 1 {
		t.Fatalf("a charge of a restarted window settled the new window's: %+v", f)
	}
	settle(base.Add(2*time.Minute), fresh)
	if f := counter(); f.Count != 1 || f.Pending != 0 {
		t.Fatalf("the new window's charge settled: %+v, want one failure", f)
	}

	// A charge of a counter reset since settles nothing and brings no row back.
	stale := reserve(base.Add(3*time.Minute), cs)
	must(t, s.ResetLoginFailures(ctx, u.ID))
	settle(base.Add(3*time.Minute), stale)
	if f := counter(); f.Count != 0 || f.Pending != 0 || !f.LockedUntil.IsZero() {
		t.Fatalf("a settlement after a reset: %+v, want no counter", f)
	}

	// Settled failures over a lowered threshold: locked, not in flight.
	for range 2 {
		settle(base, reserve(base, cs))
	}
	lowered := []storage.LoginCounter{{Key: u.ID, Account: u.ID, Policy: storage.LockoutPolicy{Threshold: 2, Window: time.Minute, LockDuration: time.Hour}}}
	r, err := s.ReserveLoginAttempt(ctx, base.Add(time.Second), heldThroughout, lowered)
	must(t, err)
	if r.Allowed || r.InFlight || !r.LockedUntil.Equal(base.Add(time.Minute)) {
		t.Fatalf("two failures under a threshold lowered to 2: %+v, want locked until the window restarts", r)
	}
}
