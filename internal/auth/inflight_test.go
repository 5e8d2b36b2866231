package auth

import (
	"context"
	"runtime"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// heldRecord is the real store with every login write (RecordLogin) held
// until release is closed: logins past their reservation and their hash
// whose refund has not committed.
type heldRecord struct {
	storage.Storage
	entered chan struct{}
	release chan struct{}
}

func (h *heldRecord) RecordLogin(ctx context.Context, l storage.Login) error {
	h.entered <- struct{}{}
	<-h.release
	return h.Storage.RecordLogin(ctx, l)
}

// attempts is how many attempts hold or wait for a place of key.
func (f *inflight) attempts(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if k := f.keys[key]; k != nil {
		return k.taken + len(k.waiting)
	}
	return 0
}

// TestConcurrentCorrectLoginsDoNotLockTheAccount: correct logins of one
// account from one address, more at once than the lockout threshold (3),
// all succeed and leave the counter at zero. Each reservation holds a
// charge until its login's write gives it back, so without a bound on the
// unsettled attempts the third would find the counter at the threshold and
// lock the account against its own password; with it, at most two are
// between reservation and write and the others wait for their place.
func TestConcurrentCorrectLoginsDoNotLockTheAccount(t *testing.T) {
	const n = 8
	e := newEnv(t)
	h := &heldRecord{Storage: e.store, entered: make(chan struct{}, n), release: make(chan struct{})}
	e.svc.cfg.Store = h
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, IPAddress: "192.0.2.1"})
			errs <- err
		}()
	}
	<-h.entered
	<-h.entered
	for e.svc.inflight.attempts(ipKey(userID)) != n {
		select {
		case err := <-errs:
			t.Fatalf("a login ended while two were held at their write: %v", err)
		default:
			runtime.Gosched()
		}
	}
	select {
	case <-h.entered:
		t.Fatal("a third login reached its write while two were unsettled (threshold 3)")
	default:
	}
	close(h.release)
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent correct login: %v", err)
		}
	}
	for _, key := range []string{ipKey(userID), ipKey(userID) + "/h", userID} {
		f, err := e.store.GetLoginFailures(e.ctx, key)
		must(t, err)
		if f.Count != 0 || !f.LockedUntil.IsZero() {
			t.Fatalf("counter %s after the logins: %+v", key, f)
		}
		if a := e.svc.inflight.attempts(key); a != 0 {
			t.Fatalf("%d attempts still in flight on %s", a, key)
		}
	}
}
