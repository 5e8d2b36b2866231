package auth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// codeChecks is the real store counting the reads of a user's methods that
// checking a six-digit code makes (checkSecondFactor: one per code
// checked), fault-free (design.md: embedding, no mocks).
type codeChecks struct {
	storage.Storage
	n atomic.Int64
}

func (s *codeChecks) ListTwoFactorMethods(ctx context.Context, userID string) ([]storage.TwoFactorMethod, error) {
	s.n.Add(1)
	return s.Storage.ListTwoFactorMethods(ctx, userID)
}

// wrongTOTP is a six-digit code that is none of the codes the clock can
// be near while a test runs.
func (e *env) wrongTOTP() string {
	step := TOTPStep(e.clock.Now())
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		hit := false
		for d := int64(-1); d <= 2; d++ {
			hit = hit || TOTPCode(totpSecret, step+d) == c
		}
		if !hit {
			return c
		}
	}
	e.t.Fatal("no wrong code found")
	return ""
}

// race runs fn n times at once, all released together, and waits.
func race(n int, fn func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

// outcomes tallies the answers of concurrent code checks: a wrong code
// (421), a spent or unknown twoFactorId (404), a locked account (409);
// anything else fails the test when it is read.
type outcomes struct {
	invalid, notFound, locked atomic.Int64
	other                     sync.Map
}

func (o *outcomes) add(i int, err error) {
	var le *LockedError
	switch {
	case errors.Is(err, ErrInvalidTwoFactorCode):
		o.invalid.Add(1)
	case errors.Is(err, ErrTwoFactorNotFound):
		o.notFound.Add(1)
	case errors.As(err, &le):
		o.locked.Add(1)
	default:
		o.other.Store(i, err)
	}
}

// noOther fails the test on an answer of another kind.
func (o *outcomes) noOther(t *testing.T) {
	t.Helper()
	o.other.Range(func(k, v any) bool { t.Fatalf("request %v: %v", k, v); return false })
}

// TestConcurrentWrongCodesCheckAtMostFiveAgainstOneTwoFactorID: 150
// wrong codes sent at once with one twoFactorId get at most five codes
// checked (maxTwoFactorAttempts), each a 421 counted toward the lockout;
// every other request is a 404 (or refused by the hourly ceilings its
// neighbours' charges reached) with no check. Before, each request that
// had read the pending login before the fifth failure deleted it had its
// code checked (up to 8 of 150 seen over HTTP). Sequentially, the fifth
// answer may still be the right code.
func TestConcurrentWrongCodesCheckAtMostFiveAgainstOneTwoFactorID(t *testing.T) {
	e := newEnv(t, func(w *world) { w.tenant.FailedAuthenticationConfiguration.TooManyAttempts = 1000 })
	e.enrolTOTP()
	checks := &codeChecks{Storage: e.store}
	e.svc.cfg.Store = checks
	e.clock.Run()
	id, wrong := e.pendingID(), e.wrongTOTP()
	var o outcomes
	race(150, func(i int) {
		// A lock here comes from the per-address and per-account hourly
		// ceilings, charged before the check by the requests in flight.
		_, err := e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: id, Code: wrong, IPAddress: "192.0.2.1"})
		o.add(i, err)
	})
	o.noOther(t)
	if n := checks.n.Load(); n > maxTwoFactorAttempts || n != o.invalid.Load() || o.invalid.Load()+o.notFound.Load()+o.locked.Load() != 150 {
		t.Fatalf("%d codes checked, %d answered 421, %d 404, %d locked: want at most %d checked, each a 421, the rest 404 or locked",
			n, o.invalid.Load(), o.notFound.Load(), o.locked.Load(), maxTwoFactorAttempts)
	}
	if c := counts(t, e, userID); c[0].Count != int(o.invalid.Load()) {
		t.Fatalf("lockout counter %d after %d wrong codes", c[0].Count, o.invalid.Load())
	}
	// The id is spent: even the right code is not checked.
	before := checks.n.Load()
	_, err := e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: id, Code: e.code()})
	wantErr(t, err, ErrTwoFactorNotFound)
	if checks.n.Load() != before {
		t.Fatal("a code was checked against a spent twoFactorId")
	}

	// Four wrong codes, then the right one: the fifth answer logs in.
	id = e.pendingID()
	for range maxTwoFactorAttempts - 1 {
		_, err := e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: id, Code: wrong})
		wantErr(t, err, ErrInvalidTwoFactorCode)
	}
	if tok, err := e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: id, Code: e.code()}); err != nil || tok.AccessToken == "" {
		t.Fatalf("the right code as the fifth answer: %v", err)
	}
}

// TestConcurrentCodesOverManyPendingLoginsCheckAtMostTheThreshold: a
// caller who knows the password can open any number of pending logins (a
// right password answered 242 costs nothing), five answers each. Sent at
// once, their wrong codes get at most the lockout threshold's number of
// checks (three here), because each code is charged to the user's lockout
// counters before it is checked; the rest are refused as locked, their
// codes unchecked, and no id's answer is spent on them. Before, the
// lockout was only read up front and counted after the check, so each
// request that read it unlocked had its code checked.
func TestConcurrentCodesOverManyPendingLoginsCheckAtMostTheThreshold(t *testing.T) {
	e := newEnv(t) // three failures lock
	e.enrolTOTP()
	checks := &codeChecks{Storage: e.store}
	e.svc.cfg.Store = checks
	e.clock.Run()
	wrong := e.wrongTOTP()
	ids := make([]string, 12)
	for i := range ids {
		ids[i] = e.pendingID()
	}
	var o outcomes
	race(len(ids)*maxTwoFactorAttempts, func(i int) {
		_, err := e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: ids[i%len(ids)], Code: wrong, IPAddress: "192.0.2.1"})
		o.add(i, err)
	})
	o.noOther(t)
	if n := checks.n.Load(); n > 3 || n != o.invalid.Load() || o.invalid.Load()+o.locked.Load() != int64(len(ids)*maxTwoFactorAttempts) {
		t.Fatalf("%d codes checked, %d answered 421, %d locked: want at most 3 checked, each a 421, the rest locked", n, o.invalid.Load(), o.locked.Load())
	}
	if c := counts(t, e, userID); c[0].Count != int(o.invalid.Load()) || c[0].LockedUntil.IsZero() {
		t.Fatalf("lockout counter %+v after %d wrong codes: want that count, locked", c[0], o.invalid.Load())
	}
}

// TestGuardedCodeGuessesCountTowardLockout: codes of a second factor
// checked with the user's JWT (GuardCode) are charged like the second
// step of a login: wrong ones count, the threshold locks, a locked account
// is refused without its code checked (the right one too), and the
// password login is locked as well. A right code and a failed check give
// their charge back and reset nothing.
func TestGuardedCodeGuessesCountTowardLockout(t *testing.T) {
	e := newEnv(t) // three failures lock
	user, err := e.store.GetUser(e.ctx, userID)
	must(t, err)
	c := CodeCheck{User: user, IPAddress: "192.0.2.1"}
	checked := 0
	answer := func(ok bool, err error) func(context.Context) (bool, error) {
		return func(context.Context) (bool, error) { checked++; return ok, err }
	}
	for range 2 {
		wantErr(t, e.svc.GuardCode(e.ctx, c, answer(false, nil)), ErrInvalidTwoFactorCode)
	}
	must(t, e.svc.GuardCode(e.ctx, c, answer(true, nil)))
	wantErr(t, e.svc.GuardCode(e.ctx, c, answer(false, storage.ErrUnavailable)), storage.ErrUnavailable)
	if got := counts(t, e, userID); got[0].Count != 2 || got[2].Count != 2 || !got[0].LockedUntil.IsZero() {
		t.Fatalf("counters after two wrong codes, a right one and a failed check: %+v", got)
	}
	wantErr(t, e.svc.GuardCode(e.ctx, c, answer(false, nil)), ErrInvalidTwoFactorCode)
	checked = 0
	var locked *LockedError
	if err := e.svc.GuardCode(e.ctx, c, answer(true, nil)); !errors.As(err, &locked) || checked != 0 {
		t.Fatalf("the right code on a locked account: %v, checked %d times; want LockedError, unchecked", err, checked)
	}
	if _, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, IPAddress: "192.0.2.1"}); !errors.As(err, &locked) {
		t.Fatalf("password login after three wrong codes: %v, want LockedError", err)
	}
}

// TestConcurrentGuardedGuessesCheckAtMostTheThreshold: 150 wrong codes sent
// at once with the user's JWT get at most tooManyAttempts (3) checked; the
// rest are refused as locked, unchecked. Checking first and counting after
// let every request that read the counters before the lock be checked.
func TestConcurrentGuardedGuessesCheckAtMostTheThreshold(t *testing.T) {
	e := newEnv(t)
	user, err := e.store.GetUser(e.ctx, userID)
	must(t, err)
	e.clock.Run()
	var checked atomic.Int64
	var o outcomes
	race(150, func(i int) {
		o.add(i, e.svc.GuardCode(e.ctx, CodeCheck{User: user, IPAddress: "192.0.2.1"}, func(context.Context) (bool, error) {
			checked.Add(1)
			return false, nil
		}))
	})
	o.noOther(t)
	if checked.Load() > 3 || checked.Load() != o.invalid.Load() || o.invalid.Load()+o.locked.Load() != 150 {
		t.Fatalf("%d checked, %d answered 421, %d locked: want at most 3 checked, each a 421, the rest locked",
			checked.Load(), o.invalid.Load(), o.locked.Load())
	}
}
