package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestRefreshRefusedWhileLoginPrevented: while a user action prevents the
// user's login to the application, a refresh is refused like any unusable
// token and consumes nothing, even when the tenant's onLoginPrevented did
// not revoke the sessions; an action for another application does not
// stop it, and a cancelled one no longer does.
func TestRefreshRefusedWhileLoginPrevented(t *testing.T) {
	e := newEnv(t) // the test tenant leaves onLoginPrevented off: sessions survive the lock
	login := e.login()
	now := e.clock.Now().UnixMilli()
	lock := storage.UserActionLog{ID: "lock-1", TenantID: tenantID, ActioneeUserID: userID, Name: "Lock",
		ApplicationIDs: []string{}, PreventLogin: true, Temporal: true, Expiry: now + time.Hour.Milliseconds(), InsertInstant: now}
	scoped := lock
	scoped.ID, scoped.ApplicationIDs = "lock-other", []string{otherApp}
	_, err := e.store.TakeUserAction(e.ctx, scoped, nil)
	must(t, err)
	r1, err := e.refresh(login.RefreshToken)
	must(t, err) // a lock of another application
	_, err = e.store.TakeUserAction(e.ctx, lock, nil)
	must(t, err)
	before := e.record(login.RefreshTokenID)
	_, err = e.refresh(r1.RefreshToken)
	wantErr(t, err, ErrRefreshNotFound)
	if after := e.record(login.RefreshTokenID); after.Generation != before.Generation || !after.RevokedAt.IsZero() {
		t.Fatalf("the refused refresh consumed or revoked the token: %+v", after)
	}
	lock.Canceled, lock.Expiry = true, now
	must(t, e.store.UpdateUserActionLog(e.ctx, lock))
	_, err = e.refresh(r1.RefreshToken)
	must(t, err)
}

// lock takes an action that prevents login on alice (for apps, when given),
// without touching her sessions.
func (e *env) lock(id string, apps ...string) storage.UserActionLog {
	e.t.Helper()
	now := e.clock.Now().UnixMilli()
	l := storage.UserActionLog{ID: id, TenantID: tenantID, ActioneeUserID: userID, Name: "Lock", Reason: "Chargebacks",
		ReasonCode: "chargebacks", ApplicationIDs: append([]string{}, apps...), PreventLogin: true, Temporal: true,
		Expiry: now + time.Hour.Milliseconds(), InsertInstant: now}
	_, err := e.store.TakeUserAction(e.ctx, l, nil)
	must(e.t, err)
	return l
}

// TestLoginPreventedByAction (adversarial): while a user action prevents
// login, the right password answers 409 with the actions and writes nothing
// (no token, no login record, no lastLoginInstant), on /api/login and the
// password grant; a wrong password is refused and counted like any other,
// so the 409 tells a guesser nothing; an action for another application, or
// a cancelled one, does not stop the login.
func TestLoginPreventedByAction(t *testing.T) {
	for _, oauth := range []bool{false, true} {
		e := newEnv(t)
		e.lock("other-app-lock", otherApp)
		if _, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID}); err != nil {
			t.Fatalf("a lock of another application refused the login: %v", err)
		}
		lock := e.lock("lock-1")
		before := e.traces()
		_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: "wrong", ApplicationID: appID, OAuth: oauth})
		wantErr(t, err, ErrInvalidCredentials)
		if f, _ := e.store.GetLoginFailures(e.ctx, addrKey(userID)); f.Count != 1 {
			t.Fatalf("a wrong password on a locked account counted %d failures, want 1", f.Count)
		}
		_, err = e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID,
			OAuth: oauth, Scopes: []string{"offline_access"}})
		var w *Withheld
		if !errors.As(err, &w) || w.Kind != WithheldLoginPrevented || len(w.Actions) != 1 || w.Actions[0].ID != "lock-1" {
			t.Fatalf("oauth %v: login = %v (%+v), want 409 with lock-1", oauth, err, w)
		}
		after := e.traces()
		if len(after.live) != len(before.live) || len(after.records) != len(before.records) ||
			after.user.LastLoginInstant != before.user.LastLoginInstant {
			t.Fatalf("oauth %v: a prevented login left traces", oauth)
		}
		lock.Canceled, lock.Expiry = true, e.clock.Now().UnixMilli()
		must(t, e.store.UpdateUserActionLog(e.ctx, lock))
		if _, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID}); err != nil {
			t.Fatalf("after the cancel: %v", err)
		}
	}
}

// staleActions is the store as it was before a lock committed: the login's
// read of the user's actions sees none.
type staleActions struct{ storage.Storage }

func (staleActions) LoginPreventions(context.Context, string, int64) ([]storage.UserActionLog, error) {
	return nil, nil
}

// TestLockCommittedDuringLogin: a lock that commits after the login read
// the user's actions is caught by RecordLogin's gate, on the speculative
// path (lockout on) and the sequential one (lockout off): 409, no session.
func TestLockCommittedDuringLogin(t *testing.T) {
	for _, lockout := range []bool{true, false} {
		e := newEnv(t, func(w *world) { w.tenant.FailedAuthenticationConfiguration.Enabled = lockout })
		e.lock("late-lock")
		e.svc.cfg.Store = staleActions{e.store}
		_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID})
		var w *Withheld
		if !errors.As(err, &w) || w.Kind != WithheldLoginPrevented || len(w.Actions) != 1 {
			t.Fatalf("lockout %v: login = %v, want 409 from the gate", lockout, err)
		}
		if live, _ := e.store.ListRefreshTokens(e.ctx, userID); len(live) != 0 {
			t.Fatalf("lockout %v: a session despite the lock", lockout)
		}
	}
}

// TestLockedTwoFactorUser (adversarial): a user action that prevents login
// comes before the second factor, so a locked user with TOTP gets 409 and
// no 242 (no twoFactorId, no code mailed), and a lock taken between the two
// steps refuses the second step with 409 and no session.
func TestLockedTwoFactorUser(t *testing.T) {
	e := newEnv(t)
	e.enrolTOTP()
	lock := e.lock("lock-1")
	_, err := e.loginAlice(goodPass)
	var w *Withheld
	if !errors.As(err, &w) || w.Kind != WithheldLoginPrevented || w.TwoFactorID != "" {
		t.Fatalf("locked user with TOTP: login = %v (%+v), want 409 without a twoFactorId", err, w)
	}
	lock.Canceled, lock.Expiry = true, e.clock.Now().UnixMilli()
	must(t, e.store.UpdateUserActionLog(e.ctx, lock))

	_, err = e.loginAlice(goodPass)
	pending := held242(t, err)
	e.lock("lock-2")
	_, err = e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: pending.TwoFactorID, Code: e.code()})
	if !errors.As(err, &w) || w.Kind != WithheldLoginPrevented {
		t.Fatalf("second step after a lock: %v, want 409", err)
	}
	if live, _ := e.store.ListRefreshTokens(e.ctx, userID); len(live) != 0 {
		t.Fatalf("a session despite the lock: %d", len(live))
	}
}
