package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestChargesOfADeadNodeStopKeepingLoginsWaitingOnceTheirHoldEnds: a node
// died holding three charges of the account's counter (threshold 3, a
// window an operator raised to an hour, a lock of a minute): reserved, never
// settled or refunded. Until their hold ends (the longest its logins could
// have held them) the user's correct login waits for them, unhashed (503).
// From then on nobody waits: they count as the failures they may have been
// (each may be a guess checked before the node died), so the login is
// refused as locked, unhashed, for the lock's minute from their hold's end;
// after it the correct login succeeds, long before the window restarts.
func TestChargesOfADeadNodeStopKeepingLoginsWaitingOnceTheirHoldEnds(t *testing.T) {
	e := newEnv(t, func(w *world) {
		w.tenant.FailedAuthenticationConfiguration.ResetCountInSeconds = 3600
		w.tenant.FailedAuthenticationConfiguration.ActionDuration = 1
	})
	tn, err := e.store.GetTenant(e.ctx, tenantID)
	must(t, err)
	counters := e.svc.counters(tn, userID, "192.0.2.1")
	held := e.clock.Now().Add(chargeHold(e.ctx)) // what the dead node's logins stamped
	for range 3 {
		r, err := e.store.ReserveLoginAttempt(e.ctx, e.clock.Now(), held, counters)
		must(t, err)
		if !r.Allowed {
			t.Fatalf("the dead node's reservation refused: %+v", r)
		}
	}
	ns := &nodeStore{Storage: e.store, inFlight: make(chan struct{}, 1)}
	e.svc.cfg.Store = ns
	// login logs the user in with the right password, giving up as soon as
	// a reservation finds the counter full of charges in flight.
	login := func() error {
		select { // a signal the previous login's last retry left
		case <-ns.inFlight:
		default:
		}
		ctx, giveUp := context.WithCancel(e.ctx)
		defer giveUp()
		done := make(chan error, 1)
		go func() {
			_, err := e.svc.Login(ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, IPAddress: "192.0.2.1"})
			done <- err
		}()
		select {
		case <-ns.inFlight:
			giveUp()
		case err := <-done:
			return err
		}
		return <-done
	}

	e.clock.Advance(chargeHold(e.ctx) - time.Millisecond)
	if err := login(); !errors.Is(err, password.ErrBusy) {
		t.Fatalf("a login within the dead node's hold: %v, want busy (waiting for its charges)", err)
	}

	e.clock.Advance(time.Millisecond)
	err = login()
	var locked *LockedError
	if !errors.As(err, &locked) || !locked.Until.Equal(held.Add(time.Minute)) {
		t.Fatalf("a login once the dead node's hold ended: %v, want locked until %v", err, held.Add(time.Minute))
	}
	if !strings.Contains(e.logs.String(), `"outcome":"locked"`) {
		t.Fatalf("the refusal is not logged as locked:\n%s", e.logs.String())
	}
	if n := e.hasher.evals.Load(); n != 0 {
		t.Fatalf("%d hashes while the counter was full, want none", n)
	}

	e.clock.Advance(time.Minute)
	if err := login(); err != nil {
		t.Fatalf("the correct login after the lapsed charges' lock: %v", err)
	}
	if f, err := e.store.GetLoginFailures(e.ctx, counters[0].Key); err != nil || f != (storage.LoginFailures{}) {
		t.Fatalf("the address's counter after the success: %+v, %v; want reset", f, err)
	}
}

// TestALoginsChargeIsHeldUntilItsDeadlineAndItsLastWrite: a login's charge
// is stamped as held until the longest the login can take to settle or
// refund it: its deadline (here none: the server's default request
// deadline stands in) and the bound of its last, detached write. A node
// dying at that moment leaves charges that stop holding the account then.
func TestALoginsChargeIsHeldUntilItsDeadlineAndItsLastWrite(t *testing.T) {
	e := newEnv(t)
	entered, release := make(chan struct{}, 1), make(chan struct{})
	e.svc.cfg.Store = &nodeStore{Storage: e.store, entered: entered, release: release}
	done := make(chan error, 1)
	go func() {
		_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, IPAddress: "192.0.2.1"})
		done <- err
	}()
	select {
	case <-entered: // charged and checked, held at its write
	case err := <-done:
		t.Fatalf("the login ended before its write: %v", err)
	}
	want := e.clock.Now().Add(chargeHoldWithoutDeadline + detachedWriteTimeout)
	for _, key := range []string{ipKey(userID), ipKey(userID) + "/h", userID} {
		f, err := e.store.GetLoginFailures(e.ctx, key)
		if err != nil || f.Pending != 1 || !f.PendingUntil.Equal(want) {
			close(release)
			t.Fatalf("counter %s while the login is in flight: %+v, %v; want one charge held until %v", key, f, err, want)
		}
	}
	close(release)
	must(t, <-done)
}
