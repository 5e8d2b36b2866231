package auth

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// nodeStore is one node's view of the shared real store: its logins' writes
// (RecordLogin) are held until release is closed, and every reservation the
// store refuses because its counters are full of pending charges is told on
// inFlight.
type nodeStore struct {
	storage.Storage
	entered  chan struct{}
	release  chan struct{}
	inFlight chan struct{}
}

func (n *nodeStore) RecordLogin(ctx context.Context, l storage.Login) error {
	if n.entered != nil {
		n.entered <- struct{}{}
		<-n.release
	}
	return n.Storage.RecordLogin(ctx, l)
}

func (n *nodeStore) ReserveLoginAttempt(ctx context.Context, at, heldUntil time.Time, cs []storage.LoginCounter) (storage.LoginReservation, error) {
	r, err := n.Storage.ReserveLoginAttempt(ctx, at, heldUntil, cs)
	if err == nil && r.InFlight {
		select {
		case n.inFlight <- struct{}{}:
		default:
		}
	}
	return r, err
}

// TestCorrectLoginsOnTwoNodesWaitForChargesInFlightInsteadOfLocking: correct
// logins of one account sent at once to two nodes sharing one database
// (threshold 3; each node lets two of its own be unsettled, four in all)
// never lock the account against its own password. Three are held between
// their reservation and their write; the fourth finds the counter full of
// their pending charges and waits (it used to be refused as locked); once
// the three have written, every login succeeds and the counters are empty.
func TestCorrectLoginsOnTwoNodesWaitForChargesInFlightInsteadOfLocking(t *testing.T) {
	const n = 8
	e := newEnv(t)
	entered, release := make(chan struct{}, n), make(chan struct{})
	inFlight := make(chan struct{}, 1)
	a := &nodeStore{Storage: e.store, entered: entered, release: release, inFlight: inFlight}
	b := &nodeStore{Storage: e.store, entered: entered, release: release, inFlight: inFlight}
	e.svc.cfg.Store = a
	other := New(Config{Store: b, Keys: e.keys, Now: e.clock.Now, TenantID: tenantID, Logger: slog.New(slog.DiscardHandler)})
	errs := make(chan error, n)
	for i := range n {
		svc := e.svc
		if i%2 == 1 {
			svc = other
		}
		go func() {
			_, err := svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, IPAddress: "192.0.2.1"})
			errs <- err
		}()
	}
	for held := 0; held < 3; {
		select {
		case <-entered:
			held++
		case err := <-errs:
			close(release)
			t.Fatalf("a correct login ended while three were held at their write: %v", err)
		}
	}
	select {
	case <-inFlight: // a fourth reservation found the counter full of pending charges
	case err := <-errs:
		close(release)
		t.Fatalf("a correct login on two nodes was refused while three were in flight: %v", err)
	}
	select {
	case <-entered:
		close(release)
		t.Fatal("a fourth login reached its write while three were unsettled (threshold 3)")
	default:
	}
	close(release)
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent correct login on two nodes: %v", err)
		}
	}
	for _, key := range []string{ipKey(userID), ipKey(userID) + "/h", userID} {
		f, err := e.store.GetLoginFailures(e.ctx, key)
		must(t, err)
		if f.Count != 0 || f.Pending != 0 || !f.LockedUntil.IsZero() {
			t.Fatalf("counter %s after the logins: %+v", key, f)
		}
	}
}

// TestChargesInFlightAreWaitedOnAndOnlySettledFailuresLock: another node's
// three attempts hold pending charges on the account's counter (threshold
// 3). A login then waits, unhashed; when its caller gives up it answers
// busy (503), logs outcome in_flight, never locked, and charged nothing.
// Refunded, the charges let a correct login through; settled as failures,
// they lock, and only then is a login refused as locked.
func TestChargesInFlightAreWaitedOnAndOnlySettledFailuresLock(t *testing.T) {
	e := newEnv(t)
	tn, err := e.store.GetTenant(e.ctx, tenantID)
	must(t, err)
	counters := e.svc.counters(tn, userID, "192.0.2.1")
	elsewhere := func() []storage.LoginReservation { // another node's attempts, reserved and in flight
		var rs []storage.LoginReservation
		for range 3 {
			r, err := e.store.ReserveLoginAttempt(e.ctx, e.clock.Now(), e.clock.Now().Add(time.Minute), counters)
			must(t, err)
			if !r.Allowed {
				t.Fatalf("another node's reservation refused: %+v", r)
			}
			rs = append(rs, r)
		}
		return rs
	}
	pending := elsewhere()
	ns := &nodeStore{Storage: e.store, inFlight: make(chan struct{}, 1)}
	e.svc.cfg.Store = ns
	ctx, giveUp := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() {
		_, err := e.svc.Login(ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, IPAddress: "192.0.2.1"})
		done <- err
	}()
	select {
	case <-ns.inFlight:
		giveUp()
	case err := <-done:
		t.Fatalf("a login on a counter full of charges in flight ended at once: %v", err)
	}
	err = <-done
	var locked *LockedError
	if errors.As(err, &locked) || !errors.Is(err, password.ErrBusy) {
		t.Fatalf("a login whose wait for charges in flight ended: %v, want busy and not locked", err)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `"outcome":"in_flight"`) || strings.Contains(logs, `"outcome":"locked"`) {
		t.Fatalf("the refusal is not logged as what happened:\n%s", logs)
	}
	if n := e.hasher.evals.Load(); n != 0 {
		t.Fatalf("%d hashes while the counter was full, want none", n)
	}
	for _, c := range counters {
		f, err := e.store.GetLoginFailures(e.ctx, c.Key)
		must(t, err)
		if f.Count != 3 || f.Pending != 3 || !f.LockedUntil.IsZero() {
			t.Fatalf("counter %s after the refusal: %+v, want the three pending charges only", c.Key, f)
		}
	}

	// Refunded (correct logins elsewhere): a correct login goes through.
	for _, r := range pending {
		must(t, e.store.RefundLoginAttempt(e.ctx, r))
	}
	e.svc.cfg.Store = e.store
	e.login()

	// Settled as failures (wrong guesses elsewhere): now the account is locked.
	for _, r := range elsewhere() {
		_, err := e.store.SettleLoginFailure(e.ctx, e.clock.Now(), r, nil)
		must(t, err)
	}
	_, err = e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, IPAddress: "192.0.2.1"})
	if !errors.As(err, &locked) || locked.Until.IsZero() {
		t.Fatalf("a login after three settled failures: %v, want locked", err)
	}
	if !strings.Contains(e.logs.String(), `"outcome":"locked"`) {
		t.Fatalf("the lock's refusal is not logged as locked:\n%s", e.logs.String())
	}
}
