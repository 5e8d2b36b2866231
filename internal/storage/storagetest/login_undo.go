package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// undoWorld is the state UndoLogin must return to: u1 and its registration
// with earlier lastLoginInstants (or none), one live refresh token and a
// revoked one that the revocation feed lists.
type undoWorld struct {
	user  storage.User
	reg   storage.Registration
	live  []storage.RefreshToken
	feed  []storage.RefreshToken
	count storage.LoginFailures
}

func snapshotUndo(t *testing.T, s storage.Storage, userID, appID string) undoWorld {
	t.Helper()
	ctx := context.Background()
	var w undoWorld
	var err error
	w.user, err = s.GetUser(ctx, userID)
	must(t, err)
	w.reg, err = s.GetRegistration(ctx, userID, appID)
	must(t, err)
	// The login and its undo are two writes of the rows: what they hold is
	// as before, their revisions are not.
	w.user, w.reg = unrevised(w.user), unrevisedReg(w.reg)
	w.live, err = s.ListRefreshTokens(ctx, userID)
	must(t, err)
	w.feed, err = s.ListRevocations(ctx, appID, time.Time{}, "", 100)
	must(t, err)
	w.count, err = s.GetLoginFailures(ctx, userID)
	must(t, err)
	return w
}

// testUndoLogin: a speculative RecordLogin followed by UndoLogin leaves
// exactly the state before it, apart from the counted failure: both
// lastLoginInstants as they were (absent when there were none), the refresh
// token gone (not revoked: the revocation feed does not list it, its hash
// finds nothing) and the other tokens untouched.
func testUndoLogin(t *testing.T, s storage.Storage) {
	const prev, at = int64(1_800_000_000_000), int64(1_900_000_000_000)
	tests := []struct {
		name       string
		earlier    bool // a real login happened before
		app        bool // the login names the application
		token      bool
		stored     bool // the speculative write happened (false: it failed)
		policy     bool // count the failure
		wantCount  int
		undoTwice  bool
		wantLocked bool
	}{
		{name: "wrong password after an earlier login", earlier: true, app: true, token: true, stored: true, policy: true, wantCount: 1},
		{name: "first login ever, wrong password", app: true, token: true, stored: true, policy: true, wantCount: 1},
		{name: "refusal that is not a guess counts nothing", earlier: true, app: true, token: true, stored: true},
		{name: "tenant-level login without token", earlier: true, stored: true, policy: true, wantCount: 1},
		{name: "speculative write never happened", earlier: true, app: true, token: true, policy: true, wantCount: 1},
		{name: "undone twice counts twice, restores once", earlier: true, app: true, token: true, stored: true, policy: true,
			undoTwice: true, wantCount: 2},
		{name: "last allowed failure locks", app: true, token: true, stored: true, policy: true, wantCount: 5, wantLocked: true},
	}
	ctx := context.Background()
	app, _ := seed(t, s)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A user of its own per case: the store is shared.
			id := func(name string) string { return fmt.Sprintf("%s-%d", name, i) }
			u := newUser(id("u"), id("u")+"@example.com", id("u"))
			must(t, s.CreateUser(ctx, u))
			must(t, s.CreateRegistration(ctx, storage.Registration{ID: id("reg"), UserID: u.ID, ApplicationID: app.ID}))
			if tt.earlier {
				must(t, s.RecordLogin(ctx, storage.Login{UserID: u.ID, ApplicationID: app.ID, At: prev}))
			}
			must(t, s.CreateRefreshToken(ctx, newToken(id("kept"), u.ID, app.ID, id("kept-secret"))))
			_, err := s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{ID: id("kept")}, base, "logout")
			must(t, err)
			must(t, s.CreateRefreshToken(ctx, newToken(id("live"), u.ID, app.ID, id("live-secret"))))
			if tt.wantLocked {
				for range lockPolicy.Threshold - 1 {
					_, err := s.RecordLoginFailure(ctx, u.ID, base, lockPolicy)
					must(t, err)
				}
			}
			before := snapshotUndo(t, s, u.ID, app.ID)

			l := storage.Login{UserID: u.ID, At: at}
			if tt.app {
				l.ApplicationID = app.ID
			}
			if tt.token {
				tok := newToken(id("spec"), u.ID, app.ID, id("spec-secret"))
				l.RefreshToken = &tok
			}
			if tt.stored {
				must(t, s.RecordLogin(ctx, l))
			}
			undo := storage.LoginUndo{Login: l, FailedAt: base}
			if tt.earlier {
				undo.PrevUserLastLogin = prev
				if tt.app {
					undo.PrevRegistrationLastLogin = prev
				}
			}
			if tt.policy {
				undo.Policy = &lockPolicy
			}
			f, err := s.UndoLogin(ctx, undo)
			must(t, err)
			if tt.undoTwice {
				f, err = s.UndoLogin(ctx, undo)
				must(t, err)
			}

			after := snapshotUndo(t, s, u.ID, app.ID)
			if after.count.Count != tt.wantCount || after.count.LockedUntil.IsZero() == tt.wantLocked {
				t.Fatalf("counter after undo = %+v, want count %d locked %v", after.count, tt.wantCount, tt.wantLocked)
			}
			if tt.policy {
				wantEqual(t, "UndoLogin's returned counter", f, after.count)
			}
			after.count = before.count
			wantEqual(t, "state after undo", after, before)
			if _, _, err := s.FindRefreshTokenByHash(ctx, hash(id("spec-secret"))); tt.token {
				wantErr(t, err, storage.ErrNotFound)
			}
			_, err = s.GetRefreshToken(ctx, id("spec"))
			wantErr(t, err, storage.ErrNotFound)
		})
	}
}

// testUndoLoginKeepsOthers (adversarial): UndoLogin takes back only what
// its own speculative write left. A real login that landed meanwhile keeps
// its lastLoginInstant and token; a token with the same id but another hash
// is not deleted; a login that reset the counter is refused and changes
// nothing.
func testUndoLoginKeepsOthers(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, u := seed(t, s)
	const spec, real = int64(1_900_000_000_000), int64(1_900_000_000_500)
	specTok := newToken("spec", u.ID, app.ID, "spec-secret")
	specLogin := storage.Login{UserID: u.ID, ApplicationID: app.ID, At: spec, RefreshToken: &specTok}
	must(t, s.RecordLogin(ctx, specLogin))
	realTok := newToken("real", u.ID, app.ID, "real-secret")
	must(t, s.RecordLogin(ctx, storage.Login{UserID: u.ID, ApplicationID: app.ID, At: real, RefreshToken: &realTok}))

	// The same id with a forged hash must not delete the spec token either.
	forged := specTok
	forged.Hash = hash("other")
	_, err := s.UndoLogin(ctx, storage.LoginUndo{Login: storage.Login{UserID: u.ID, At: spec, RefreshToken: &forged}})
	must(t, err)
	if _, err := s.GetRefreshToken(ctx, "spec"); err != nil {
		t.Fatalf("undo with another hash deleted the token: %v", err)
	}

	// A reset cannot be undone: refused, nothing changes.
	before := snapshotUndo(t, s, u.ID, app.ID)
	reset := specLogin
	reset.ResetFailures = true
	if _, err := s.UndoLogin(ctx, storage.LoginUndo{Login: reset, Policy: &lockPolicy, FailedAt: base}); err == nil {
		t.Fatal("UndoLogin of a login that reset the counter succeeded")
	}
	wantEqual(t, "state after refused undo", snapshotUndo(t, s, u.ID, app.ID), before)

	_, err = s.UndoLogin(ctx, storage.LoginUndo{Login: specLogin, Policy: &lockPolicy, FailedAt: base})
	must(t, err)
	gotU, err := s.GetUser(ctx, u.ID)
	must(t, err)
	gotR, err := s.GetRegistration(ctx, u.ID, app.ID)
	must(t, err)
	if gotU.LastLoginInstant != real || gotR.LastLoginInstant != real {
		t.Fatalf("undo overwrote a later real login: user=%d registration=%d, want %d", gotU.LastLoginInstant, gotR.LastLoginInstant, real)
	}
	live, err := s.ListRefreshTokens(ctx, u.ID)
	must(t, err)
	if len(live) != 1 || live[0].ID != "real" {
		t.Fatalf("live tokens after undo = %+v, want only the real login's", live)
	}
}
