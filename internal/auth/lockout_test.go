package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Lockout policy of defaultWorld: 3 failures within 60 s lock for 5 minutes.
func TestLockout(t *testing.T) {
	type step struct {
		advance time.Duration
		pass    string
		want    string // "ok", "invalid", "locked"
	}
	wrong := func(w string) step { return step{pass: "wrong", want: w} }
	right := func(w string) step { return step{pass: goodPass, want: w} }
	tests := []struct {
		name  string
		world func(*world)
		steps []step
	}{
		{name: "below threshold", steps: []step{wrong("invalid"), wrong("invalid"), right("ok")}},
		{name: "threshold locks, even the right password", steps: []step{wrong("invalid"), wrong("invalid"), wrong("invalid"), right("locked")}},
		{name: "lock ends at LockedUntil", steps: []step{wrong("invalid"), wrong("invalid"), wrong("invalid"),
			{advance: 5*time.Minute - time.Millisecond, pass: goodPass, want: "locked"},
			{advance: time.Millisecond, pass: goodPass, want: "ok"}}},
		{name: "window passing restarts the count", steps: []step{wrong("invalid"), wrong("invalid"),
			{advance: 61 * time.Second, pass: "wrong", want: "invalid"}, wrong("invalid"), right("ok")}},
		{name: "success resets the count", steps: []step{wrong("invalid"), wrong("invalid"), right("ok"),
			wrong("invalid"), wrong("invalid"), right("ok")}},
		{name: "count resets after a lock ends", steps: []step{wrong("invalid"), wrong("invalid"), wrong("invalid"),
			{advance: 5 * time.Minute, pass: goodPass, want: "ok"}, wrong("invalid"), wrong("invalid"), right("ok")}},
		// An inactive account with the right password is refused like a wrong
		// password and counted like one, so the lock at the threshold does
		// not tell the two apart (security-bar L2).
		{name: "deactivated account, right password at threshold-1 locks", world: func(w *world) { w.user.Active = false },
			steps: []step{wrong("invalid"), wrong("invalid"), right("invalid"), right("locked"), wrong("locked")}},
		{name: "deactivated account, right passwords alone lock", world: func(w *world) { w.user.Active = false },
			steps: []step{right("invalid"), right("invalid"), right("invalid"), right("locked")}},
		{name: "disabled lockout never locks", world: func(w *world) { w.tenant.FailedAuthenticationConfiguration.Enabled = false },
			steps: []step{wrong("invalid"), wrong("invalid"), wrong("invalid"), wrong("invalid"), right("ok")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts []func(*world)
			if tc.world != nil {
				opts = append(opts, tc.world)
			}
			e := newEnv(t, opts...)
			for i, s := range tc.steps {
				d := s.advance
				if d == 0 {
					d = time.Second
				}
				e.clock.Advance(d)
				_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: s.pass, ApplicationID: appID})
				var locked *LockedError
				got := "ok"
				switch {
				case errors.As(err, &locked):
					got = "locked"
				case errors.Is(err, ErrInvalidCredentials):
					got = "invalid"
				case err != nil:
					t.Fatalf("step %d: unexpected error %v", i, err)
				}
				if got != s.want {
					t.Fatalf("step %d (%s): got %s, want %s", i, s.pass, got, s.want)
				}
			}
		})
	}
}

// A locked account is refused before the password hash is evaluated: a
// guess during the lock is neither checked nor counted, and even the right
// password is refused until the lock ends.
func TestLockedAccountDoesNotEvaluateHash(t *testing.T) {
	e := newEnv(t)
	for range 3 {
		_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: "wrong", ApplicationID: appID})
		wantErr(t, err, ErrInvalidCredentials)
	}
	before, err := e.store.GetLoginFailures(e.ctx, addrKey(userID))
	must(t, err)
	if !before.LockedUntil.Equal(e.clock.Now().Add(5 * time.Minute)) {
		t.Fatalf("LockedUntil = %v, want now+5m", before.LockedUntil)
	}
	evals := e.hasher.evals.Load()
	for _, pass := range []string{"wrong", "wrong again", goodPass} {
		_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: pass, ApplicationID: appID})
		var locked *LockedError
		if !errors.As(err, &locked) || !locked.Until.Equal(before.LockedUntil) {
			t.Fatalf("password %q while locked: %v, want *LockedError until %v", pass, err, before.LockedUntil)
		}
	}
	if n := e.hasher.evals.Load() - evals; n != 0 {
		t.Fatalf("%d hash evaluations while locked, want 0", n)
	}
	after, err := e.store.GetLoginFailures(e.ctx, addrKey(userID))
	must(t, err)
	if after.Count != before.Count || !after.LockedUntil.Equal(before.LockedUntil) {
		t.Fatalf("counter changed while locked: %+v -> %+v", before, after)
	}
	if logs := e.logs.String(); !strings.Contains(logs, `"event":"account_locked"`) || strings.Contains(logs, goodPass) {
		t.Fatalf("want an account_locked event and no password in logs:\n%s", logs)
	}
}

// An unknown login id locks exactly like a real account (no 404-versus-409
// account-existence oracle, security-bar L2/L3): step by step, the outcome
// and the lock's end are the same for alice and for an id naming nobody, the
// hash is not evaluated while either is locked, and the counter key keeps no
// trace of the typed id.
func TestUnknownLoginIDLocksLikeARealOne(t *testing.T) {
	e := newEnv(t)
	type outcome struct {
		kind  string
		until time.Time
	}
	attempt := func(loginID, pass string) outcome {
		_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: loginID, Password: pass, ApplicationID: appID})
		var locked *LockedError
		switch {
		case errors.As(err, &locked):
			return outcome{"locked", locked.Until}
		case errors.Is(err, ErrInvalidCredentials):
			return outcome{kind: "invalid"}
		case err != nil:
			t.Fatalf("%s: unexpected error %v", loginID, err)
		}
		return outcome{kind: "ok"}
	}
	const nobody = "Nobody@Example.test"
	for i, pass := range []string{"wrong", "wrong", "wrong", "wrong", goodPass} {
		e.clock.Advance(time.Second)
		evals := e.hasher.evals.Load()
		real := attempt(userEmail, pass)
		realEvals := e.hasher.evals.Load() - evals
		evals = e.hasher.evals.Load()
		// Alternate the case: the unknown id's counter is case-insensitive
		// like the lookup, as a real account's is.
		id := nobody
		if i%2 == 1 {
			id = strings.ToLower(nobody)
		}
		unknown := attempt(id, pass)
		unknownEvals := e.hasher.evals.Load() - evals
		if real.kind != unknown.kind || !real.until.Equal(unknown.until) {
			t.Fatalf("attempt %d: real %+v, unknown %+v", i, real, unknown)
		}
		if realEvals != unknownEvals {
			t.Fatalf("attempt %d: %d hash evaluations for real, %d for unknown", i, realEvals, unknownEvals)
		}
		if want := i >= 3; (real.kind == "locked") != want {
			t.Fatalf("attempt %d: %s, locked want %v", i, real.kind, want)
		}
	}
	f, err := e.store.GetLoginFailures(e.ctx, addrKey(unknownLoginKey(nobody)))
	must(t, err)
	if f.Count != 3 || strings.Contains(f.UserID, "obody") {
		t.Fatalf("unknown id counter %+v", f)
	}
	// Another unknown id is not affected by the first one's lock.
	if got := attempt("someone-else@example.test", "wrong"); got.kind != "invalid" {
		t.Fatalf("other unknown id: %+v", got)
	}
}
