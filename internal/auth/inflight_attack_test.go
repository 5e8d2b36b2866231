package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// blockingHasher holds every password verification of block until open is
// closed: guesses whose hash is slow (the CPU is busy).
type blockingHasher struct {
	hasher
	block   string
	started chan struct{}
	open    chan struct{}
}

func (h *blockingHasher) Verify(ctx context.Context, plain string, ph storage.PasswordHash) (bool, error) {
	if plain == h.block {
		h.started <- struct{}{}
		<-h.open
	}
	return h.hasher.Verify(ctx, plain, ph)
}

// placeFull reports how many attempts hold or wait for a place of key, and
// whether some of them wait.
func (f *inflight) placeFull(key string) (users int, full bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := f.keys[key]
	if k == nil {
		return 0, false
	}
	return k.taken + len(k.waiting), len(k.waiting) > 0
}

// TestAttemptsFromOneAddressDoNotTakeTheAccountCeilingFromOthers: guesses
// from one address beyond its own bound (threshold 3: two unsettled) wait
// for a place on their address's counter without holding a place on the
// account's ceiling, which every address shares. Otherwise an attacker at
// one address, with only two guesses charged, fills the ceiling's places
// and the real user's correct login from another address waits behind
// attempts that have reserved nothing.
func TestAttemptsFromOneAddressDoNotTakeTheAccountCeilingFromOthers(t *testing.T) {
	e := newEnv(t)
	e.svc.cfg.Lockout = LockoutLimits{Ceiling: 6, Share: 20} // five places on the ceiling
	bh := &blockingHasher{hasher: e.svc.pw, block: "guess", started: make(chan struct{}, 16), open: make(chan struct{})}
	e.svc.pw = bh
	const attackers = 5
	errs := make(chan error, attackers)
	for range attackers {
		go func() {
			_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: "guess", ApplicationID: appID, IPAddress: "198.51.100.7"})
			errs <- err
		}()
	}
	<-bh.started
	<-bh.started // two guesses from 198.51.100.7 are hashing (two charges)
	for e.svc.inflight.attempts(userID+"@198.51.100.7") != attackers {
		runtime.Gosched()
	}
	victim := make(chan error, 1)
	go func() {
		_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, IPAddress: "192.0.2.1"})
		victim <- err
	}()
	for done := false; !done; {
		select {
		case err := <-victim:
			must(t, err)
			done = true
		default:
			if users, full := e.svc.inflight.placeFull(userID); users == attackers+1 && full {
				f, err := e.store.GetLoginFailures(e.ctx, userID)
				must(t, err)
				close(bh.open)
				t.Fatalf("the real user's login from another address waits for a place on the account's ceiling "+
					"held by %d attempts from one address, of which %d are charged", attackers, f.Count)
			}
			runtime.Gosched()
		}
	}
	close(bh.open)
	for range attackers {
		if err := <-errs; !errors.Is(err, ErrInvalidCredentials) {
			var locked *LockedError
			if !errors.As(err, &locked) {
				t.Fatalf("a guess: %v", err)
			}
		}
	}
}

// TestThresholdLoweredWhileLoginsAreInFlightStillBoundsThem: the bound of
// unsettled attempts follows the tenant's threshold as it is when an
// attempt asks for a place, not as it was when the first of the attempts
// now in flight did. Lowered from 10 to 3 while a login is in flight,
// concurrent correct logins must not lock the account against its own
// password.
func TestThresholdLoweredWhileLoginsAreInFlightStillBoundsThem(t *testing.T) {
	e := newEnv(t, func(w *world) { w.tenant.FailedAuthenticationConfiguration.TooManyAttempts = 10 })
	h := &heldRecord{Storage: e.store, entered: make(chan struct{}, 16), release: make(chan struct{})}
	e.svc.cfg.Store = h
	login := func(errs chan<- error) {
		_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, IPAddress: "192.0.2.1"})
		errs <- err
	}
	errs := make(chan error, 16)
	go login(errs)
	<-h.entered // one login between reservation and write, threshold 10
	tn, err := e.store.GetTenant(e.ctx, tenantID)
	must(t, err)
	tn.FailedAuthenticationConfiguration.TooManyAttempts = 3
	must(t, e.store.UpdateTenant(e.ctx, tn))
	e.svc.ForgetTenant(tenantID)
	const more = 4
	for range more {
		go login(errs)
	}
	for e.svc.inflight.attempts(ipKey(userID)) != 1+more {
		select {
		case err := <-errs:
			close(h.release)
			t.Fatalf("a correct login ended while the others were held at their write: %v", err)
		default:
			runtime.Gosched()
		}
	}
	close(h.release)
	for range 1 + more {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent correct login after the threshold was lowered: %v", err)
		}
	}
}

// TestAttemptsThatGiveUpWhileWaitingLeaveNoPlaceBehind: attempts waiting for
// a place whose callers hang up return at once and hold nothing; attempts
// whose callers hang up after their reservation still settle; afterwards the
// account's counters hold no place on this node and a correct login works.
func TestAttemptsThatGiveUpWhileWaitingLeaveNoPlaceBehind(t *testing.T) {
	e := newEnv(t)
	h := &heldRecord{Storage: e.store, entered: make(chan struct{}, 16), release: make(chan struct{})}
	e.svc.cfg.Store = h
	ctx, hangUp := context.WithCancel(e.ctx)
	const n = 10
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := e.svc.Login(ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, IPAddress: "192.0.2.1"})
			errs <- err
		}()
	}
	<-h.entered
	<-h.entered
	for e.svc.inflight.attempts(ipKey(userID)) != n {
		runtime.Gosched()
	}
	hangUp()
	for range n - 2 {
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Fatalf("a waiting attempt whose caller hung up: %v, want context.Canceled", err)
		}
	}
	close(h.release)
	for range 2 {
		<-errs // the two held ones: their write's answer, whatever it is
	}
	for _, key := range []string{ipKey(userID), ipKey(userID) + "/h", userID} {
		if a := e.svc.inflight.attempts(key); a != 0 {
			t.Fatalf("%d attempts still in flight on %s", a, key)
		}
	}
	h2 := &heldRecord{Storage: e.store, entered: make(chan struct{}, 1), release: make(chan struct{})}
	close(h2.release)
	e.svc.cfg.Store = h2
	e.login()
}

// TestConcurrentGuessesOnTwoNodesGetAtMostThresholdHashes: guesses sent at
// once to two nodes sharing one database are checked at most threshold
// times; the bound of unsettled attempts, being per node, adds nothing the
// shared reservation does not already refuse.
func TestConcurrentGuessesOnTwoNodesGetAtMostThresholdHashes(t *testing.T) {
	e := newEnv(t)
	other := New(Config{Store: e.store, Keys: e.keys, Now: e.clock.Now, TenantID: tenantID, Logger: slog.New(slog.DiscardHandler)})
	oh := &countingHasher{hasher: other.pw}
	other.pw = oh
	const n = 24
	var wg sync.WaitGroup
	var mu sync.Mutex
	kinds := map[string]int{}
	for i := range n {
		svc := e.svc
		if i%2 == 1 {
			svc = other
		}
		wg.Go(func() {
			_, err := svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: "guess", ApplicationID: appID, IPAddress: "192.0.2.1"})
			var locked *LockedError
			kind := fmt.Sprint("other: ", err)
			switch {
			case errors.Is(err, ErrInvalidCredentials):
				kind = "invalid"
			case errors.As(err, &locked):
				kind = "locked"
			}
			mu.Lock()
			kinds[kind]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if hashes := e.hasher.evals.Load() + oh.evals.Load(); hashes != 3 || kinds["invalid"] != 3 || kinds["locked"] != n-3 {
		t.Fatalf("%d hashes, answers %v; want 3 hashes, 3 refused and %d locked", hashes, kinds, n-3)
	}
}

// TestPlacesNeverExceedTheBoundAndAllComeBack: attempts on shared counters,
// many of them giving up at any moment (while waiting, or just as a place
// is handed to them), never hold more places of a counter than its bound,
// and once all have ended no place or waiter is left on this node.
func TestPlacesNeverExceedTheBoundAndAllComeBack(t *testing.T) {
	var f inflight
	policy := func(n int) storage.LockoutPolicy { return storage.LockoutPolicy{Threshold: n} }
	a := []storage.LoginCounter{{Key: "u@1", Account: "u", Policy: policy(3), ResetOnSuccess: true},
		{Key: "u@1/h", Account: "u", Policy: policy(4)}, {Key: "u", Account: "u", Policy: policy(5)}}
	b := []storage.LoginCounter{{Key: "u@2/h", Account: "u", Policy: policy(4)}, {Key: "u", Account: "u", Policy: policy(5)}}
	var mu sync.Mutex
	inside := map[string]int{}
	var wg sync.WaitGroup
	for i := range 400 {
		cs := a
		if i%3 == 0 {
			cs = b
		}
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if i%2 == 0 {
				go func() {
					for range i % 7 {
						runtime.Gosched()
					}
					cancel()
				}()
			}
			release, err := f.hold(ctx, cs)
			if err != nil {
				return
			}
			mu.Lock()
			for _, c := range cs {
				if inside[c.Key]++; inside[c.Key] > c.Policy.Threshold-1 {
					t.Errorf("%d attempts hold %s, bound %d", inside[c.Key], c.Key, c.Policy.Threshold-1)
				}
			}
			mu.Unlock()
			runtime.Gosched()
			mu.Lock()
			for _, c := range cs {
				inside[c.Key]--
			}
			mu.Unlock()
			release()
		})
	}
	wg.Wait()
	if len(f.keys) != 0 {
		t.Fatalf("places left after every attempt ended: %d keys", len(f.keys))
	}
}

// panickingReserve is the real store whose ReserveLoginAttempt panics (a
// storage bug; the server's middleware recovers and goes on serving).
type panickingReserve struct{ storage.Storage }

func (panickingReserve) ReserveLoginAttempt(context.Context, time.Time, time.Time, []storage.LoginCounter) (storage.LoginReservation, error) {
	panic("storage bug")
}

// TestAPanickingReservationLeavesNoPlaceBehind: an attempt whose
// reservation panics gives its places back, so a node that survives the
// panic does not keep one place fewer for the account ever after.
func TestAPanickingReservationLeavesNoPlaceBehind(t *testing.T) {
	e := newEnv(t)
	e.svc.cfg.Store = panickingReserve{e.store}
	func() {
		defer func() { _ = recover() }()
		_, _ = e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, IPAddress: "192.0.2.1"})
	}()
	for _, key := range []string{ipKey(userID), ipKey(userID) + "/h", userID} {
		if a := e.svc.inflight.attempts(key); a != 0 {
			t.Fatalf("%d places of %s still taken after the attempt panicked", a, key)
		}
	}
}
