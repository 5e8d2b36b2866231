package auth

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// slotWatch records when a login gives its hashing-gate slot back: how
// often, and whether the hash had answered and any write after it had
// started by then.
type slotWatch struct {
	p          *probe
	releases   int
	hashed     bool
	afterHash  int64
	hashesThen int64
	e          *env
}

func (w *slotWatch) release() {
	w.releases++
	if w.releases == 1 {
		w.hashed, w.afterHash, w.hashesThen = w.p.hashed.Load(), w.p.afterHash.Load(), w.e.hasher.evals.Load()
	}
}

// TestLoginReleasesItsHashSlotOnceTheHashAnswered: a login gives its slot
// of the server's hashing gate back as soon as its last hash has answered
// and before its writes after the hash, whether it succeeds, fails on a
// wrong password or names no account (the dummy hash), so the gate bounds
// hashes and not commits. A success due a rehash computes a second hash
// and keeps its slot (the middleware frees it at the end of the request).
func TestLoginReleasesItsHashSlotOnceTheHashAnswered(t *testing.T) {
	tests := []struct {
		name        string
		loginID     string
		pass        string
		rehashDue   bool
		wantRelease bool
		wantErr     error
	}{
		{name: "success", loginID: userEmail, pass: goodPass, wantRelease: true},
		{name: "wrong password", loginID: userEmail, pass: "wrong", wantRelease: true, wantErr: ErrInvalidCredentials},
		{name: "unknown login id", loginID: "nobody@example.test", pass: "wrong", wantRelease: true, wantErr: ErrInvalidCredentials},
		{name: "wrong password, rehash due", loginID: userEmail, pass: "wrong", rehashDue: true, wantRelease: true,
			wantErr: ErrInvalidCredentials},
		{name: "success due a rehash", loginID: userEmail, pass: goodPass, rehashDue: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.rehashDue {
				h, err := password.Hash(context.Background(), goodPass, testAlg, testFactor+1)
				must(t, err)
				must(t, e.store.ChangeUser(e.ctx, storage.UserChange{UserID: userID, Now: e.clock.Now(), Password: &h}))
			}
			e.clock.Advance(time.Second)
			w := &slotWatch{p: e.watch(), e: e}
			ctx := WithHashSlot(e.ctx, w.release)
			_, err := e.svc.Login(ctx, LoginRequest{LoginID: tc.loginID, Password: tc.pass, ApplicationID: appID, IPAddress: "192.0.2.1"})
			if tc.wantErr != nil {
				wantErr(t, err, tc.wantErr)
			} else {
				must(t, err)
			}
			if !tc.wantRelease {
				if w.releases != 0 {
					t.Fatalf("slot released %d times by a login with a rehash still to compute", w.releases)
				}
				u, err := e.store.GetUser(e.ctx, userID)
				must(t, err)
				if u.Password.Factor != testFactor {
					t.Fatalf("stored factor %d after the login, want the rehash to %d", u.Password.Factor, testFactor)
				}
				return
			}
			if w.releases != 1 {
				t.Fatalf("slot released %d times, want once", w.releases)
			}
			if !w.hashed || w.hashesThen != 1 {
				t.Fatalf("released with hash answered %v after %d hashes, want after the one hash", w.hashed, w.hashesThen)
			}
			if w.afterHash != 0 {
				t.Fatalf("released after %d writes that follow the hash, want before them", w.afterHash)
			}
		})
	}
}
