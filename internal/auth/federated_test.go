package auth

import (
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestFederatedLoginPrevented (adversarial): a login an identity provider
// authenticated (IssueFederated: POST /api/identity-provider/login and the
// hosted page's "Sign in with …") is refused with 409 while a user action
// prevents it, as a password login is: when the lock was in force before
// the login read the user's actions, and when it committed between that
// read and the write (staleActions: RecordLogin's gate catches it). Either
// way, with or without tokens asked for, no refresh token, no login record
// and no lastLoginInstant are written. A lock of another application does
// not stop the login.
func TestFederatedLoginPrevented(t *testing.T) {
	e := newEnv(t)
	app, err := e.store.GetApplication(e.ctx, appID)
	must(t, err)
	user, err := e.store.GetUser(e.ctx, userID)
	must(t, err)
	federated := func(noJWT bool) (Tokens, error) {
		return e.svc.IssueFederated(e.ctx, FederatedLogin{User: user, Application: app, IPAddress: "192.0.2.1", NoJWT: noJWT,
			Provider: storage.IdentityProvider{ID: "0f1a2b3c-0000-4000-8000-0000000000c1", Name: "Upstream"}})
	}
	e.lock("other-app-lock", otherApp)
	if tok, err := federated(false); err != nil || tok.RefreshToken == "" {
		t.Fatalf("a lock of another application refused the federated login: %v", err)
	}
	e.clock.Advance(time.Minute) // a later login would write a later lastLoginInstant
	e.lock("lock-1")
	before := e.traces()
	for _, stale := range []bool{false, true} {
		if stale {
			e.svc.cfg.Store = staleActions{e.store} // the lock commits after the login's read
		}
		for _, noJWT := range []bool{false, true} {
			tok, err := federated(noJWT)
			var w *Withheld
			if !errors.As(err, &w) || w.Kind != WithheldLoginPrevented || len(w.Actions) != 1 || w.Actions[0].ID != "lock-1" {
				t.Fatalf("stale %v, noJWT %v: federated login = %v (%+v), want 409 with lock-1", stale, noJWT, err, w)
			}
			if tok.AccessToken != "" || tok.RefreshToken != "" {
				t.Fatalf("stale %v, noJWT %v: tokens with the refusal", stale, noJWT)
			}
			after := e.traces()
			if len(after.live) != len(before.live) || len(after.records) != len(before.records) ||
				after.user.LastLoginInstant != before.user.LastLoginInstant || after.reg.LastLoginInstant != before.reg.LastLoginInstant {
				t.Fatalf("stale %v, noJWT %v: a prevented federated login left traces", stale, noJWT)
			}
		}
	}
}
