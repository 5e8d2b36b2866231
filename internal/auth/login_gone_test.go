package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// goneAt is the real store with a login failing at one point (fault
// injection by embedding, design.md: no mocks): its client going away
// right after the attempt's reservation, or at the read of the user's
// second-factor methods before the hash, or that read failing
// (methodsErr), or when the registrations are
// read after a correct password (the success's plan, before its write),
// or that read failing (regsErr); or the login's write committing and its
// answer being lost (lostCommit: RecordLogin's commit happens, the caller
// gets ErrUnavailable, as from PostgreSQL when the connection drops during
// COMMIT). gone cancels the login's context.
type goneAt struct {
	storage.Storage
	afterReserve, atMethods, atRegistrations, lostCommit bool
	methodsErr, regsErr                                  error
	gone                                                 context.CancelFunc
}

// ListTwoFactorMethods is the last read before the hash: the client goes
// away at it (atMethods), or it fails (methodsErr).
func (s *goneAt) ListTwoFactorMethods(ctx context.Context, userID string) ([]storage.TwoFactorMethod, error) {
	if s.atMethods {
		s.gone()
	}
	if s.methodsErr != nil {
		return nil, s.methodsErr
	}
	return s.Storage.ListTwoFactorMethods(ctx, userID)
}

func (s *goneAt) ReserveLoginAttempt(ctx context.Context, now, heldUntil time.Time, cs []storage.LoginCounter) (storage.LoginReservation, error) {
	r, err := s.Storage.ReserveLoginAttempt(ctx, now, heldUntil, cs)
	if s.afterReserve {
		s.gone()
	}
	return r, err
}

func (s *goneAt) ListRegistrations(ctx context.Context, userID string) ([]storage.Registration, error) {
	if s.atRegistrations {
		s.gone()
	}
	if s.regsErr != nil {
		return nil, s.regsErr
	}
	return s.Storage.ListRegistrations(ctx, userID)
}

func (s *goneAt) RecordLogin(ctx context.Context, l storage.Login) error {
	if err := s.Storage.RecordLogin(ctx, l); err != nil || !s.lostCommit {
		return err
	}
	return storage.ErrUnavailable
}

// goneHasher is the real hasher whose client goes away once the password
// was checked.
type goneHasher struct {
	hasher
	gone func()
}

func (h *goneHasher) Verify(ctx context.Context, plain string, ph storage.PasswordHash) (bool, error) {
	ok, err := h.hasher.Verify(ctx, plain, ph)
	h.gone()
	return ok, err
}

// TestLoginsWhoseClientWentAwayDoNotLock: at the lockout threshold − 1
// failures (tooManyAttempts 3, two wrong passwords), logins that end
// without tokens for reasons not the password's leave every counter as it
// was and write nothing: the client gone after the attempt was charged and
// before its password was checked (any password; an unknown login id's
// attempt too), or after a correct password and before the login's write;
// the database failing then; any other failure after a correct password.
// Then the correct password logs in. Before, each such login kept its
// charge as a failure, and a user whose client timed out (a load
// balancer's timeout under load) was locked out with the right password.
// A login whose write committed but whose answer was lost is not given back
// a second time (the write gave it back: a second refund would erase a real
// failure). A wrong password whose client goes away once it was checked is
// counted.
func TestLoginsWhoseClientWentAwayDoNotLock(t *testing.T) {
	e, before := nearLockout(t)
	g := &goneAt{Storage: e.store}
	e.svc.cfg.Store = g
	login := func(loginID, pass string) error {
		t.Helper()
		ctx, cancel := context.WithCancel(e.ctx)
		defer cancel()
		g.gone = cancel
		_, err := e.svc.Login(ctx, LoginRequest{LoginID: loginID, Password: pass, ApplicationID: appID, IPAddress: "192.0.2.1"})
		return err
	}
	g.afterReserve = true
	for i, pass := range []string{"guess-1", goodPass, "guess-2", "guess-3"} {
		if err := login(userEmail, pass); !errors.Is(err, context.Canceled) {
			t.Fatalf("login %d gone after its reservation: %v, want context.Canceled", i, err)
		}
	}
	// An unknown login id's attempt the same way. (Its counters' rows exist
	// after it, with no failure in them.)
	if err := login("nobody@example.com", "guess"); !errors.Is(err, context.Canceled) {
		t.Fatalf("unknown login id gone after its reservation: %v, want context.Canceled", err)
	}
	for _, c := range counts(t, e, unknownLoginKey("nobody@example.com")) {
		if c.Count != 0 || !c.LockedUntil.IsZero() {
			t.Fatalf("unknown login id's counter after the abandoned attempt: %+v, want no failure", c)
		}
	}
	// The same at the last read before the hash, the second-factor
	// methods': the client gone there, or the read failing.
	g.afterReserve, g.atMethods = false, true
	for i, loginID := range []string{userEmail, userEmail, "nobody@example.com"} {
		pass := []string{"guess-1", goodPass, "guess"}[i]
		if err := login(loginID, pass); !errors.Is(err, context.Canceled) {
			t.Fatalf("login %d gone at its second-factor read: %v, want context.Canceled", i, err)
		}
	}
	g.atMethods, g.methodsErr = false, storage.ErrUnavailable
	for i, pass := range []string{"guess-1", goodPass} {
		if err := login(userEmail, pass); !errors.Is(err, storage.ErrUnavailable) {
			t.Fatalf("login %d whose second-factor read failed: %v, want ErrUnavailable", i, err)
		}
	}
	if err := login("nobody@example.com", "guess"); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("unknown login id whose second-factor read failed: %v, want ErrUnavailable", err)
	}
	g.methodsErr = nil
	for _, c := range counts(t, e, unknownLoginKey("nobody@example.com")) {
		if c.Count != 0 || !c.LockedUntil.IsZero() {
			t.Fatalf("unknown login id's counter after attempts ended at its second-factor read: %+v, want no failure", c)
		}
	}
	g.atRegistrations = true
	for i := range 3 {
		if err := login(userEmail, goodPass); !errors.Is(err, context.Canceled) {
			t.Fatalf("correct login %d gone before its write: %v, want context.Canceled", i, err)
		}
	}
	g.atRegistrations = false
	for _, fault := range []error{storage.ErrUnavailable, errors.New("something else")} {
		g.regsErr = fault
		for i := range 3 {
			if err := login(userEmail, goodPass); !errors.Is(err, fault) {
				t.Fatalf("correct login %d whose registrations read failed: %v, want %v", i, err, fault)
			}
		}
	}
	g.regsErr = nil
	untouched(t, e, before, "unfinished logins")

	// A login whose write committed and whose answer was lost: its own
	// write reset the address's counter and took its charge off the
	// others, which keep their two real failures.
	g.lostCommit = true
	if err := login(userEmail, goodPass); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("login whose commit's answer was lost: %v, want ErrUnavailable", err)
	}
	g.lostCommit = false
	after := counts(t, e, userID)
	if after[0].Count != 0 || after[1].Count != before[1].Count || after[2].Count != before[2].Count {
		t.Fatalf("counters after a committed login whose answer was lost %+v, before %+v: want the address's reset and the others' two failures kept (no second refund)",
			after, before)
	}

	// A wrong password whose client goes away once it was checked counts.
	e.clock.Advance(time.Second)
	pw := e.svc.pw
	gh := &goneHasher{hasher: pw}
	e.svc.pw = gh
	ctx, cancel := context.WithCancel(e.ctx)
	gh.gone = cancel
	_, err := e.svc.Login(ctx, LoginRequest{LoginID: userEmail, Password: "guess-4", ApplicationID: appID, IPAddress: "192.0.2.1"})
	cancel()
	e.svc.pw = pw
	if !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("wrong password whose client left after its check: %v, want ErrInvalidCredentials", err)
	}
	if f := counts(t, e, userID); f[0].Count != 1 || f[2].Count != before[2].Count+1 {
		t.Fatalf("counters after a checked wrong password whose client left: %+v, want one more failure", f)
	}
}
