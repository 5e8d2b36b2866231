package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

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

// testReserveLoginAttempt: a reservation charges every counter or none; the
// charge reaching a threshold locks; a locked counter refuses the next
// reservation without charging the others; a refund gives one charge back
// and deletes the counters reset on success; an account's counters go with
// ResetLoginFailures, another account's stay.
func testReserveLoginAttempt(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	cs := reservationCounters("u1", "10.0.0.1", 3)
	var last storage.LoginReservation
	for i := range 3 {
		r, err := s.ReserveLoginAttempt(ctx, base.Add(time.Duration(i)*time.Second), cs)
		must(t, err)
		if !r.Allowed || len(r.Charged) != 3 {
			t.Fatalf("attempt %d: %+v, want allowed with 3 counters charged", i, r)
		}
		last = r
	}
	if want := base.Add(2*time.Second + 5*time.Minute); !last.LockedUntil.Equal(want) {
		t.Fatalf("third charge of threshold 3: lockedUntil %v, want %v", last.LockedUntil, want)
	}
	r, err := s.ReserveLoginAttempt(ctx, base.Add(3*time.Second), cs)
	must(t, err)
	if r.Allowed || !r.LockedUntil.Equal(last.LockedUntil) || len(r.Charged) != 0 {
		t.Fatalf("reservation on a locked counter: %+v", r)
	}
	for _, c := range cs {
		f, err := s.GetLoginFailures(ctx, c.Key)
		must(t, err)
		if f.Count != 3 {
			t.Fatalf("counter %s = %d after a refused reservation, want 3 (nothing charged)", c.Key, f.Count)
		}
	}
	// Another address of the same account is not locked.
	other := reservationCounters("u1", "10.0.0.2", 3)
	r, err = s.ReserveLoginAttempt(ctx, base.Add(4*time.Second), other)
	must(t, err)
	if !r.Allowed {
		t.Fatalf("another address refused: %+v", r)
	}
	// Its success gives the charge back: its address counter goes, its
	// hourly share and the account's ceiling lose one charge each.
	_, u := seed(t, s) // user u1
	must(t, s.RecordLogin(ctx, storage.Login{UserID: u.ID, At: base.Add(5 * time.Second).UnixMilli(), Refund: &r}))
	for key, want := range map[string]int{"u1|10.0.0.2": 0, "u1|10.0.0.2|h": 0, "u1": 3, "u1|10.0.0.1": 3} {
		if f, _ := s.GetLoginFailures(ctx, key); f.Count != want {
			t.Fatalf("counter %s = %d after the refund, want %d", key, f.Count, want)
		}
	}
	_, err = s.ReserveLoginAttempt(ctx, base, reservationCounters("u2", "10.0.0.1", 3))
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

// testReserveLoginAttemptRefundUnlocks: a success whose reservation reached
// the threshold is not left locked by its own charge.
func testReserveLoginAttemptRefundUnlocks(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	cs := []storage.LoginCounter{{Key: u.ID, Account: u.ID, Policy: storage.LockoutPolicy{Threshold: 1, Window: time.Hour, LockDuration: time.Hour}}}
	r, err := s.ReserveLoginAttempt(ctx, base, cs)
	must(t, err)
	if !r.Allowed || r.LockedUntil.IsZero() {
		t.Fatalf("threshold 1: %+v, want allowed and locking", r)
	}
	must(t, s.RecordLogin(ctx, storage.Login{UserID: u.ID, At: base.UnixMilli(), Refund: &r}))
	f, err := s.GetLoginFailures(ctx, u.ID)
	must(t, err)
	if f.Count != 0 || !f.LockedUntil.IsZero() {
		t.Fatalf("after the refund: %+v, want count 0 and no lock", f)
	}
}

// testReserveLoginAttemptConcurrent: N concurrent reservations against a
// threshold of 3 allow exactly 3: the others find the lock the third set.
func testReserveLoginAttemptConcurrent(t *testing.T, s storage.Storage) {
	const n = 20
	ctx := context.Background()
	cs := reservationCounters("u1", "10.0.0.1", 3)
	allowed := make([]bool, n)
	errs := parallel(n, func(i int) error {
		r, err := s.ReserveLoginAttempt(ctx, base.Add(time.Duration(i)*time.Millisecond), cs)
		allowed[i] = r.Allowed
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
	if f, _ := s.GetLoginFailures(ctx, "u1"); f.Count != 3 {
		t.Fatalf("ceiling counter = %d, want 3: refused reservations charged nothing", f.Count)
	}
}
