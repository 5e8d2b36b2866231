package auth

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// busyLogin runs a login from 192.0.2.1 while every hashing turn is held,
// ends its context (its client goes away) once it waits for a turn, and
// returns its error. It fails the test if the login ends without waiting
// for a turn (refused before its hash, e.g. locked).
func busyLogin(t *testing.T, e *env, held *password.HeldTurns, loginID, pass string) error {
	t.Helper()
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := e.svc.Login(ctx, LoginRequest{LoginID: loginID, Password: pass, ApplicationID: appID, IPAddress: "192.0.2.1"})
		done <- err
	}()
	for held.Waiting() < 1 {
		select {
		case err := <-done:
			t.Fatalf("login of %s ended before it waited for a turn: %v", loginID, err)
		default:
			runtime.Gosched()
		}
	}
	cancel()
	return <-done
}

// counts reads the three lockout counters of account from 192.0.2.1.
func counts(t *testing.T, e *env, account string) [3]storage.LoginFailures {
	t.Helper()
	var out [3]storage.LoginFailures
	for i, k := range []string{ipKey(account), ipKey(account) + "/h", account} {
		f, err := e.store.GetLoginFailures(e.ctx, k)
		must(t, err)
		out[i] = f
	}
	return out
}

// nearLockout is an env one failure from the lockout (tooManyAttempts 3,
// two wrong passwords from 192.0.2.1) and its user's counters then.
func nearLockout(t *testing.T) (*env, [3]storage.LoginFailures) {
	t.Helper()
	e := newEnv(t)
	for range 2 {
		_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: "wrong", ApplicationID: appID, IPAddress: "192.0.2.1"})
		wantErr(t, err, ErrInvalidCredentials)
	}
	before := counts(t, e, userID)
	if before[0].Count != 2 {
		t.Fatalf("counter after two failures: %+v", before[0])
	}
	return e, before
}

// untouched fails the test unless the user's counters are still before and
// no login of it was written (no refresh token, no lastLoginInstant) after
// what (logins that must have changed nothing).
func untouched(t *testing.T, e *env, before [3]storage.LoginFailures, what string) {
	t.Helper()
	if after := counts(t, e, userID); after != before {
		t.Fatalf("counters after the %s %+v, before %+v", what, after, before)
	}
	toks, err := e.store.ListRefreshTokens(e.ctx, userID)
	must(t, err)
	u, err := e.store.GetUser(e.ctx, userID)
	must(t, err)
	if len(toks) != 0 || u.LastLoginInstant != 0 {
		t.Fatalf("%s left %d refresh tokens, lastLoginInstant %d", what, len(toks), u.LastLoginInstant)
	}
}

// TestLoginsWhoseTurnNeverCameDoNotLock is the adversarial case: at the
// lockout threshold − 1 failures (tooManyAttempts 3, two failures), logins
// whose wait for a hashing turn ends before one comes (the server busy with
// other hashes, the client gone) answer password.ErrBusy, one after another,
// each reaching its wait (so each reservation, which locks the account at
// the threshold, was given back before the next), whatever the password.
// Afterwards every counter is as before, nothing was issued, and the
// correct password logs in. Before, such a login could not give up: it
// waited and hashed, and a wrong password then locked the account.
func TestLoginsWhoseTurnNeverCameDoNotLock(t *testing.T) {
	e, before := nearLockout(t)
	held := password.HoldTurnsForTest()
	defer held.Release()
	for i, pass := range []string{"guess-1", "guess-2", "guess-3", goodPass, "guess-4", "guess-5"} {
		if err := busyLogin(t, e, held, userEmail, pass); !errors.Is(err, password.ErrBusy) {
			t.Fatalf("busy login %d: error %v, want password.ErrBusy", i, err)
		}
	}
	held.Release()
	untouched(t, e, before, "busy logins")
	e.login()
	if f := counts(t, e, userID); f[0].Count != 0 {
		t.Fatalf("counter after the correct login: %+v", f[0])
	}
}

// TestBusyLoginTellsNoAccountApart: a login whose turn never came costs a
// known account and an unknown login id the same (one reservation before
// the wait, the same reads, one write after it: the reservation given
// back), answers the same error, and leaves both counters as they were.
// The wait ends by the client or the gate's deadline, never by anything
// about the account, so timing a busy answer tells nothing either.
func TestBusyLoginTellsNoAccountApart(t *testing.T) {
	type cost struct {
		err                                     string
		reserved, before, after, reads, charged int64
	}
	run := func(loginID, account string) cost {
		e := newEnv(t)
		p := e.watch()
		held := password.HoldTurnsForTest()
		defer held.Release()
		err := busyLogin(t, e, held, loginID, "guess")
		if !errors.Is(err, password.ErrBusy) {
			t.Fatalf("%s: error %v, want password.ErrBusy", loginID, err)
		}
		held.Release()
		var charged int64
		for _, f := range counts(t, e, account) {
			charged += int64(f.Count)
		}
		return cost{err.Error(), p.reserved.Load(), p.beforeHash.Load(), p.afterHash.Load(), p.accountReads.Load(), charged}
	}
	known := run(userEmail, userID)
	unknown := run("nobody@example.test", unknownLoginKey("nobody@example.test"))
	if known != unknown {
		t.Fatalf("busy login of a known account %+v, of an unknown id %+v", known, unknown)
	}
	if known.reserved != 1 || known.before != 0 || known.after != 1 || known.charged != 0 {
		t.Fatalf("busy login: %+v, want one reservation, one write after (the refund), nothing charged", known)
	}
}
