package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// goneAt is the real store with the login's client going away at one
// point (fault injection by embedding, design.md: no mocks): right after
// the attempt's reservation, or when the registrations are read after a
// correct password (the success's plan, before its write). gone cancels
// the login's context.
type goneAt struct {
	storage.Storage
	afterReserve, atRegistrations bool
	gone                          context.CancelFunc
}

func (s *goneAt) ReserveLoginAttempt(ctx context.Context, now time.Time, cs []storage.LoginCounter) (storage.LoginReservation, error) {
	r, err := s.Storage.ReserveLoginAttempt(ctx, now, cs)
	if s.afterReserve {
		s.gone()
	}
	return r, err
}

func (s *goneAt) ListRegistrations(ctx context.Context, userID string) ([]storage.Registration, error) {
	if s.atRegistrations {
		s.gone()
	}
	return s.Storage.ListRegistrations(ctx, userID)
}

// TestLoginsWhoseClientWentAwayDoNotLock: at the lockout threshold − 1
// failures (tooManyAttempts 3, two wrong passwords), logins whose client
// goes away after the attempt was charged, before its password was checked
// (any password) or after a correct one was accepted but before the login
// was written, end with the context's error, leave every counter as it was
// and write nothing; then the correct password logs in. Before, each such
// login kept its charge as a failure, and a user whose client timed out
// (a load balancer's timeout under load) was locked out with the right
// password. A wrong password whose client goes away after its check is
// still counted (TestLoginsWhoseTurnNeverCameDoNotLock covers the wait for
// a turn; lockout_test.go the counted refusals).
func TestLoginsWhoseClientWentAwayDoNotLock(t *testing.T) {
	e := newEnv(t)
	for range 2 {
		_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: "wrong", ApplicationID: appID, IPAddress: "192.0.2.1"})
		wantErr(t, err, ErrInvalidCredentials)
	}
	before := counts(t, e, userID)
	if before[0].Count != 2 {
		t.Fatalf("counter after two failures: %+v", before[0])
	}
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
	// An unknown login id's attempt the same way: its counter as before.
	// (The counters' rows exist after it, with no failure in them.)
	if err := login("nobody@example.com", "guess"); !errors.Is(err, context.Canceled) {
		t.Fatalf("unknown login id gone after its reservation: %v, want context.Canceled", err)
	}
	for _, c := range counts(t, e, unknownLoginKey("nobody@example.com")) {
		if c.Count != 0 || !c.LockedUntil.IsZero() {
			t.Fatalf("unknown login id's counter after the abandoned attempt: %+v, want no failure", c)
		}
	}
	g.afterReserve, g.atRegistrations = false, true
	for i := range 3 {
		if err := login(userEmail, goodPass); !errors.Is(err, context.Canceled) {
			t.Fatalf("correct login %d gone before its write: %v, want context.Canceled", i, err)
		}
	}
	g.atRegistrations = false
	if after := counts(t, e, userID); after != before {
		t.Fatalf("counters after the abandoned logins %+v, before %+v", after, before)
	}
	toks, err := e.store.ListRefreshTokens(e.ctx, userID)
	must(t, err)
	if len(toks) != 0 {
		t.Fatalf("abandoned logins left %d refresh tokens", len(toks))
	}
	// A wrong password checked before its client went away is counted.
	g.atRegistrations = true // never reached by a refusal
	if err := login(userEmail, "guess-4"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	g.atRegistrations = false
	if f := counts(t, e, userID); f[0].Count != 3 {
		t.Fatalf("counter after a wrong password: %+v, want 3 failures", f[0])
	}
}
