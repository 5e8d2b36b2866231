package auth

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func oneTimeUse(grace int) func(*world) {
	return func(w *world) {
		w.tenant.JWTConfiguration.RefreshTokenUsagePolicy = usageOneTimeUse
		w.tenant.JWTConfiguration.RefreshTokenOneTimeUseConfiguration.GracePeriodInSeconds = grace
	}
}

// assertFamilyDead checks the record is revoked for reuse and that every
// given value of the family is refused.
func (e *env) assertFamilyDead(id, reason string, values ...string) {
	e.t.Helper()
	if rec := e.record(id); rec.RevokedAt.IsZero() || rec.RevokeReason != reason {
		e.t.Fatalf("record revoked at %v for %q, want revoked for %q", rec.RevokedAt, rec.RevokeReason, reason)
	}
	for i, v := range values {
		if _, err := e.refresh(v); err != ErrRefreshNotFound {
			e.t.Fatalf("value %d of the family still refreshes: %v", i, err)
		}
	}
}

// With default settings the previous value is honoured for the retry
// window (DefaultRetryWindow) and not one moment longer: a replay after it is
// reuse and revokes the whole family.
func TestReuseAfterRotationRevokesFamily(t *testing.T) {
	e := newEnv(t, oneTimeUse(0))
	rt0 := e.login()
	e.clock.Advance(time.Minute)
	rt1, err := e.refresh(rt0.RefreshToken)
	must(t, err)
	if rt1.RefreshToken == rt0.RefreshToken || rt1.RefreshTokenID != rt0.RefreshTokenID {
		t.Fatalf("rotation: value changed %v, id kept %v", rt1.RefreshToken != rt0.RefreshToken, rt1.RefreshTokenID == rt0.RefreshTokenID)
	}
	e.clock.Advance(DefaultRetryWindow + time.Millisecond)
	_, err = e.refresh(rt0.RefreshToken) // the thief, or the victim, replays
	wantErr(t, err, ErrRefreshNotFound)
	e.assertFamilyDead(rt0.RefreshTokenID, "reuse", rt1.RefreshToken, rt0.RefreshToken)

	logs := e.logs.String()
	if !strings.Contains(logs, `"event":"refresh_token_reuse"`) || !strings.Contains(logs, rt0.RefreshTokenID) {
		t.Fatalf("no refresh_token_reuse event naming the family:\n%s", logs)
	}
	for _, secret := range []string{rt0.RefreshToken, rt1.RefreshToken, goodPass, rt1.AccessToken} {
		if strings.Contains(logs, secret) {
			t.Fatal("a secret appears in the security log")
		}
	}
}

// Grace window edges: the immediately previous value is honoured up to and
// including gracePeriodInSeconds after the rotation, and answered with the
// current successor without a new generation.
func TestGraceWindow(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration
		ok    bool
	}{
		{"immediately", 0, true},
		{"just before the end", 10*time.Second - time.Millisecond, true},
		{"at the end", 10 * time.Second, true},
		{"just after", 10*time.Second + time.Millisecond, false},
		{"long after", 30 * time.Minute, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, oneTimeUse(10))
			rt0 := e.login()
			e.clock.Advance(time.Minute)
			rt1, err := e.refresh(rt0.RefreshToken)
			must(t, err)
			e.clock.Advance(tc.after)
			got, err := e.refresh(rt0.RefreshToken)
			if !tc.ok {
				wantErr(t, err, ErrRefreshNotFound)
				e.assertFamilyDead(rt0.RefreshTokenID, "reuse", rt1.RefreshToken)
				return
			}
			must(t, err)
			if got.RefreshToken != rt1.RefreshToken {
				t.Fatal("grace retry did not return the current successor")
			}
			if rec := e.record(rt0.RefreshTokenID); rec.Generation != 1 || !rec.RevokedAt.IsZero() {
				t.Fatalf("grace retry changed the family: generation %d, revoked %v", rec.Generation, rec.RevokedAt)
			}
			if _, err := e.refresh(rt1.RefreshToken); err != nil {
				t.Fatalf("successor unusable after a grace retry: %v", err)
			}
		})
	}
}

// Only the immediately previous value has a grace period: an ancestor two
// generations back is reuse even inside the window.
func TestReuseOfAncestorTwoGenerationsBack(t *testing.T) {
	e := newEnv(t, oneTimeUse(60))
	rt0 := e.login()
	e.clock.Advance(time.Second)
	rt1, err := e.refresh(rt0.RefreshToken)
	must(t, err)
	e.clock.Advance(time.Second)
	rt2, err := e.refresh(rt1.RefreshToken)
	must(t, err)
	e.clock.Advance(time.Second)
	_, err = e.refresh(rt0.RefreshToken)
	wantErr(t, err, ErrRefreshNotFound)
	e.assertFamilyDead(rt0.RefreshTokenID, "reuse", rt2.RefreshToken, rt1.RefreshToken)
}

// The two-tab race: one cookie, many concurrent refreshes. Every racer
// succeeds with the same successor, exactly one generation is added and the
// family survives (security-bar R6), with the application's default settings
// (gracePeriodInSeconds 0) as with a configured grace period. The clock runs:
// racers that look the token up after the winner committed see it already
// rotated, some milliseconds later, as they would in production.
func TestTwoTabRace(t *testing.T) {
	for _, grace := range []int{0, 5} {
		t.Run(map[int]string{0: "default settings", 5: "grace"}[grace], func(t *testing.T) {
			e := newEnv(t, oneTimeUse(grace))
			rt0 := e.login()
			e.clock.Advance(time.Minute)
			e.clock.Run()
			const n = 20
			var wg sync.WaitGroup
			results := make([]Tokens, n)
			errs := make([]error, n)
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					// Tabs do not fire in the same microsecond: spread the
					// racers over a few commits, so that some look the
					// token up after the winner rotated it.
					time.Sleep(time.Duration(i) * time.Millisecond)
					results[i], errs[i] = e.refresh(rt0.RefreshToken)
				})
			}
			close(start)
			wg.Wait()
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("racer %d: %v", i, errs[i])
				}
				if results[i].RefreshToken != results[0].RefreshToken {
					t.Fatalf("racer %d got a different successor", i)
				}
			}
			if results[0].RefreshToken == rt0.RefreshToken {
				t.Fatal("no rotation happened")
			}
			rec := e.record(rt0.RefreshTokenID)
			if rec.Generation != 1 || !rec.RevokedAt.IsZero() {
				t.Fatalf("after the race: generation %d, revoked %q; want 1, live", rec.Generation, rec.RevokeReason)
			}
			if strings.Contains(e.logs.String(), "refresh_token_reuse") {
				t.Fatal("the race was mistaken for reuse")
			}
			if _, err := e.refresh(results[0].RefreshToken); err != nil {
				t.Fatalf("the shared successor does not refresh: %v", err)
			}
		})
	}
}

// A rotation whose answer was lost (the node was killed after the commit, a
// proxy timed out, the network dropped the response) is retried by the
// client with the value it still holds. With default settings the retry gets
// the successor that was committed, not a revoked family: nothing was stolen.
func TestLostAnswerRetriedWithDefaultSettings(t *testing.T) {
	for _, after := range []time.Duration{0, time.Second, 30 * time.Second, DefaultRetryWindow} {
		t.Run(after.String(), func(t *testing.T) {
			e := newEnv(t, oneTimeUse(0))
			rt0 := e.login()
			e.clock.Advance(time.Minute)
			lost, err := e.refresh(rt0.RefreshToken) // the answer never arrives
			must(t, err)
			e.clock.Advance(after)
			retry, err := e.refresh(rt0.RefreshToken)
			must(t, err)
			if retry.RefreshToken != lost.RefreshToken {
				t.Fatal("the retry got another successor than the committed one")
			}
			if rec := e.record(rt0.RefreshTokenID); rec.Generation != 1 || !rec.RevokedAt.IsZero() {
				t.Fatalf("the retry changed the family: generation %d, revoked %q", rec.Generation, rec.RevokeReason)
			}
			if _, err := e.refresh(retry.RefreshToken); err != nil {
				t.Fatalf("the successor does not refresh after the retry: %v", err)
			}
		})
	}
}

// A configured grace period is honoured as configured, shorter than the
// default window too: an operator who sets 5 s gets 5 s.
func TestConfiguredGraceShorterThanDefault(t *testing.T) {
	e := newEnv(t, oneTimeUse(5))
	rt0 := e.login()
	e.clock.Advance(time.Minute)
	rt1, err := e.refresh(rt0.RefreshToken)
	must(t, err)
	e.clock.Advance(5*time.Second + time.Millisecond)
	_, err = e.refresh(rt0.RefreshToken)
	wantErr(t, err, ErrRefreshNotFound)
	e.assertFamilyDead(rt0.RefreshTokenID, "reuse", rt1.RefreshToken)
}

// The successor key can be replaced without logging anyone out: refresh
// tokens are looked up by hash, which no key enters, and a node that still
// accepts the previous key answers a retry whose successor that key derived.
// With the previous key dropped, such a retry is refused but revokes nothing.
func TestSuccessorKeyChange(t *testing.T) {
	e := newEnv(t, oneTimeUse(0))
	k1, k2, k3 := randomBytes(32), randomBytes(32), randomBytes(32)
	with := func(keys ...[]byte) *Service {
		return New(Config{Store: e.store, Keys: e.keys, Now: e.clock.Now, TenantID: tenantID, SuccessorKeys: keys})
	}
	refresh := func(s *Service, raw string) (Tokens, error) {
		return s.Refresh(e.ctx, RefreshRequest{RefreshToken: raw})
	}
	rt0 := e.login()
	e.clock.Advance(time.Second)
	rt1, err := refresh(with(k1), rt0.RefreshToken)
	must(t, err)

	// Rolling change: the new key first, the old one still accepted.
	rolling := with(k2, k1)
	retry, err := refresh(rolling, rt0.RefreshToken)
	must(t, err)
	if retry.RefreshToken != rt1.RefreshToken {
		t.Fatal("a retry on a node with the new key did not get the successor the old key derived")
	}
	rt2, err := refresh(rolling, rt1.RefreshToken)
	must(t, err)

	// The old key dropped: the session goes on.
	done := with(k2)
	rt3, err := refresh(done, rt2.RefreshToken)
	must(t, err)

	// A key replaced outright (no overlap): the current value still works;
	// a retry of the previous one is refused without revoking the family.
	abrupt := with(k3)
	_, err = refresh(abrupt, rt2.RefreshToken)
	wantErr(t, err, ErrRefreshNotFound)
	if rec := e.record(rt0.RefreshTokenID); !rec.RevokedAt.IsZero() {
		t.Fatalf("a retry refused for a replaced key revoked the family (%s)", rec.RevokeReason)
	}
	if _, err := refresh(abrupt, rt3.RefreshToken); err != nil {
		t.Fatalf("the current value stopped working after the key change: %v", err)
	}
}
