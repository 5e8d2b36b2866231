package auth

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// traces is what a refused login must not change: alice, her registration,
// her live refresh tokens and the application's revocation feed.
type traces struct {
	user storage.User
	reg  storage.Registration
	live []storage.RefreshToken
	feed []storage.RefreshToken
	// records are the login records (a speculative login's is taken back).
	records []storage.LoginRecord
}

func (e *env) traces() traces {
	e.t.Helper()
	var tr traces
	var err error
	tr.user, err = e.store.GetUser(e.ctx, userID)
	must(e.t, err)
	tr.reg, err = e.store.GetRegistration(e.ctx, userID, appID)
	must(e.t, err)
	tr.live, err = e.store.ListRefreshTokens(e.ctx, userID)
	must(e.t, err)
	tr.feed, err = e.store.ListRevocations(e.ctx, appID, time.Time{}, "", 100)
	must(e.t, err)
	tr.records, _, err = e.store.ListLoginRecords(e.ctx, storage.LoginRecordFilter{UserID: userID, Limit: 100})
	must(e.t, err)
	return tr
}

// noNewTraces returns a check that, called after a step, fails the test
// when the step issued anything since before: a refresh token, a login
// record, or a lastLoginInstant of the user or the registration.
func (e *env) noNewTraces(before traces) func(step string) {
	return func(step string) {
		e.t.Helper()
		after := e.traces()
		if len(after.live) != len(before.live) || len(after.records) != len(before.records) ||
			after.user.LastLoginInstant != before.user.LastLoginInstant || after.reg.LastLoginInstant != before.reg.LastLoginInstant {
			e.t.Fatalf("%s left traces", step)
		}
	}
}

// TestRefusedLoginLeavesOnlyTheCount (adversarial): every refusal leaves no
// trace but the failure count (the wrong password's and the inactive
// user's only), and every anti-enumeration refusal (wrong password,
// inactive user, unknown user) does the same work: one hash, no write
// before it, one write after it, one answer. A client hanging up during the
// hash changes nothing of that.
func TestRefusedLoginLeavesOnlyTheCount(t *testing.T) {
	setUser := func(f func(*storage.User)) func(e *env) {
		return func(e *env) {
			u, err := e.store.GetUser(e.ctx, userID)
			must(e.t, err)
			f(&u)
			must(e.t, e.store.UpdateUser(e.ctx, u))
		}
	}
	tests := []struct {
		name    string
		change  func(e *env) // after alice's earlier real login
		loginID string
		pass    string
		hangUp  bool
		want    error
		counted string // the counter key that gains one failure, "" none
	}{
		{name: "wrong password", pass: "wrong", want: ErrInvalidCredentials, counted: userID},
		{name: "wrong password, client hung up during the hash", pass: "wrong", hangUp: true,
			want: ErrInvalidCredentials, counted: userID},
		{name: "inactive user, right password", change: setUser(func(u *storage.User) { u.Active = false }),
			pass: goodPass, want: ErrInvalidCredentials, counted: userID},
		{name: "unusable stored hash", change: setUser(func(u *storage.User) { u.Password = storage.PasswordHash{Scheme: "rot13", Hash: "x"} }),
			pass: goodPass, want: ErrInvalidCredentials},
		{name: "unknown user", loginID: "mallory@example.test", pass: "wrong", want: ErrInvalidCredentials,
			counted: unknownLoginKey("mallory@example.test")},
		{name: "expired user, right password", change: setUser(func(u *storage.User) { u.Expiry = 1 }),
			pass: goodPass, want: ErrExpiredUser},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.login() // lastLoginInstants and one live token to restore
			_, err := e.store.RevokeRefreshTokens(e.ctx, storage.RefreshTokenFilter{UserID: userID}, e.clock.Now(), "logout")
			must(t, err)
			e.login()
			if tc.change != nil {
				tc.change(e)
			}
			e.clock.Advance(time.Minute)
			before := e.traces()
			loginID := userEmail
			if tc.loginID != "" {
				loginID = tc.loginID
			}
			p := e.watch()
			ctx, cancel := context.WithCancel(e.ctx)
			defer cancel()
			if tc.hangUp {
				p.hungUpOnce = cancel
			}
			evals := e.hasher.evals.Load()

			got, err := e.svc.Login(ctx, LoginRequest{LoginID: loginID, Password: tc.pass, ApplicationID: appID})
			wantErr(t, err, tc.want)
			if got.AccessToken != "" || got.RefreshToken != "" {
				t.Fatal("a refused login returned tokens")
			}
			if n := p.beforeHash.Load(); n != 0 {
				t.Fatalf("%d writes before the hash answered, want none but the reservation", n)
			}
			if n := p.reserved.Load(); n != 1 {
				t.Fatalf("%d reservations before the hash, want 1", n)
			}
			if n := e.hasher.evals.Load() - evals; n != 1 {
				t.Fatalf("%d hash evaluations, want 1", n)
			}
			// Every refusal writes once after the hash: a counted guess
			// settles its pending charge as a failure (the anti-enumeration
			// refusals answer alike); an unusable stored hash (the operator's
			// fault) and an expired user (410) count nothing: their one write
			// gives the reservation back.
			if n := p.afterHash.Load(); n != 1 {
				t.Fatalf("%d writes after the hash, want 1", n)
			}
			wantSame(t, e.traces(), before)
			for _, key := range []string{userID, unknownLoginKey("mallory@example.test")} {
				f, err := e.store.GetLoginFailures(e.ctx, addrKey(key))
				must(t, err)
				if want := map[bool]int{true: 1}[key == tc.counted]; f.Count != want || f.Pending != 0 {
					t.Fatalf("counter %s = %d, want %d", key, f.Count, want)
				}
			}
		})
	}
}

func wantSame(t *testing.T, got, want traces) {
	t.Helper()
	if got.user.LastLoginInstant != want.user.LastLoginInstant || got.reg.LastLoginInstant != want.reg.LastLoginInstant {
		t.Fatalf("lastLoginInstant user %d registration %d, want %d %d", got.user.LastLoginInstant,
			got.reg.LastLoginInstant, want.user.LastLoginInstant, want.reg.LastLoginInstant)
	}
	if len(got.live) != len(want.live) || len(got.live) != 1 || got.live[0].ID != want.live[0].ID {
		t.Fatalf("live refresh tokens %+v, want %+v", got.live, want.live)
	}
	if len(got.feed) != len(want.feed) || len(got.feed) != 1 {
		t.Fatalf("revocation feed lists %d tokens, want only the logged-out one", len(got.feed))
	}
	if len(got.records) != len(want.records) || len(got.records) != 2 {
		t.Fatalf("%d login records, want the 2 of the real logins", len(got.records))
	}
}
