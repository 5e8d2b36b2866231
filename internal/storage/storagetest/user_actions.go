package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func newUserAction(id, name string, preventLogin bool) storage.UserAction {
	return storage.UserAction{ID: id, Name: name, Active: true, PreventLogin: preventLogin, Temporal: preventLogin,
		LocalizedNames: map[string]string{"de": name + " (de)"}, Options: []storage.UserActionOption{{Name: "one"}},
		InsertInstant: base.UnixMilli(), LastUpdateInstant: base.UnixMilli()}
}

// testUserActions: definitions round-trip, names are unique
// case-insensitively, and list, update and delete behave.
func testUserActions(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	a := newUserAction("a1", "Lock", true)
	must(t, s.CreateUserAction(ctx, a))
	got, err := s.GetUserAction(ctx, "a1")
	must(t, err)
	a.Revision = 1 // a new row's, as read
	wantEqual(t, "user action", got, a)
	wantErr(t, s.CreateUserAction(ctx, newUserAction("a2", "LOCK", false)), storage.ErrConflict)
	wantErr(t, s.CreateUserAction(ctx, newUserAction("a1", "Other", false)), storage.ErrConflict)
	must(t, s.CreateUserAction(ctx, newUserAction("a2", "Award", false)))
	list, err := s.ListUserActions(ctx)
	must(t, err)
	if len(list) != 2 || list[0].ID != "a2" {
		t.Fatalf("ListUserActions = %+v, want Award then Lock", list)
	}
	a.Name, a.Active = "Lock account", false
	must(t, s.UpdateUserAction(ctx, a))
	got, _ = s.GetUserAction(ctx, "a1")
	a.Revision++
	wantEqual(t, "updated", got, a)
	a2 := newUserAction("a2", "lock account", false)
	wantErr(t, s.UpdateUserAction(ctx, a2), storage.ErrConflict)
	wantErr(t, s.UpdateUserAction(ctx, newUserAction("missing", "x", false)), storage.ErrNotFound)
	must(t, s.DeleteUserAction(ctx, "a2"))
	wantErr(t, s.DeleteUserAction(ctx, "a2"), storage.ErrNotFound)
}

func newActionLog(id, userID string, preventLogin bool, expiry int64) storage.UserActionLog {
	return storage.UserActionLog{ID: id, TenantID: tenantID, ActioneeUserID: userID, UserActionID: "a1", Name: "Lock",
		ApplicationIDs: []string{}, Comment: "too many chargebacks", Expiry: expiry, InsertInstant: base.UnixMilli(),
		History: storage.UserActionHistory{HistoryItems: []storage.UserActionHistoryItem{
			{Comment: "too many chargebacks", CreateInstant: base.UnixMilli(), Expiry: expiry}}},
		PreventLogin: preventLogin, Temporal: expiry != 0}
}

// testTakeUserAction: taking an action stores it and, when asked, revokes
// the user's live sessions in the same transaction (all or nothing);
// LoginPreventions lists only what prevents login now; a cancel lifts it.
func testTakeUserAction(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, u := seed(t, s)
	must(t, s.CreateRefreshToken(ctx, newToken("rt1", u.ID, app.ID, "s1")))
	must(t, s.CreateRefreshToken(ctx, newToken("rt2", u.ID, app.ID, "s2")))
	now := base.UnixMilli()
	hour := time.Hour.Milliseconds()

	// For a user that does not exist nothing happens, not even the revocation.
	_, err := s.TakeUserAction(ctx, newActionLog("l0", "nobody", true, now+hour),
		&storage.SessionRevocation{UserID: u.ID, At: base, Reason: "login_prevented"})
	wantErr(t, err, storage.ErrNotFound)
	if live, _ := s.ListRefreshTokens(ctx, u.ID); len(live) != 2 {
		t.Fatalf("a refused action revoked sessions: %d live", len(live))
	}

	lock := newActionLog("l1", u.ID, true, now+hour)
	revoked, err := s.TakeUserAction(ctx, lock, &storage.SessionRevocation{UserID: u.ID, At: base, Reason: "login_prevented"})
	must(t, err)
	if len(revoked) != 2 || revoked[0].RevokeReason != "login_prevented" {
		t.Fatalf("revoked = %+v, want both tokens", revoked)
	}
	if live, _ := s.ListRefreshTokens(ctx, u.ID); len(live) != 0 {
		t.Fatalf("%d sessions still live after the lock", len(live))
	}
	got, err := s.GetUserActionLog(ctx, "l1")
	must(t, err)
	lock.Revision = 1 // a new row's
	wantEqual(t, "action log", got, lock)

	_, err = s.TakeUserAction(ctx, newActionLog("l2", u.ID, false, 0), nil) // not temporal
	must(t, err)
	_, err = s.TakeUserAction(ctx, newActionLog("l3", u.ID, true, now-1), nil) // already expired
	must(t, err)
	prev, err := s.LoginPreventions(ctx, u.ID, now)
	must(t, err)
	if len(prev) != 1 || prev[0].ID != "l1" {
		t.Fatalf("LoginPreventions = %+v, want only l1", prev)
	}
	if prev, _ := s.LoginPreventions(ctx, u.ID, now+hour); len(prev) != 0 {
		t.Fatalf("an expired lock still prevents login: %+v", prev)
	}
	list, err := s.ListUserActionLogs(ctx, u.ID)
	must(t, err)
	if len(list) != 3 {
		t.Fatalf("ListUserActionLogs = %d entries, want 3", len(list))
	}

	lock.Canceled, lock.Expiry = true, now+1
	must(t, s.UpdateUserActionLog(ctx, lock))
	if prev, _ := s.LoginPreventions(ctx, u.ID, now); len(prev) != 0 {
		t.Fatalf("a cancelled lock still prevents login: %+v", prev)
	}
	got, _ = s.GetUserActionLog(ctx, "l1")
	lock.Revision = 2 // every write adds 1
	wantEqual(t, "cancelled", got, lock)
	wantErr(t, s.UpdateUserActionLog(ctx, newActionLog("missing", u.ID, true, 1)), storage.ErrNotFound)
	must(t, s.DeleteUserAt(ctx, u.ID, base))
	_, err = s.GetUserActionLog(ctx, "l1")
	wantErr(t, err, storage.ErrNotFound)
}

// testLoginGate: a login whose gate finds an action in force that prevents
// it is refused with those actions and writes nothing (no token, no record,
// no lastLoginInstant); an action for another application, cancelled or
// expired, does not stop it.
func testLoginGate(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, u := seed(t, s)
	now := base.UnixMilli()
	hour := time.Hour.Milliseconds()
	other := newActionLog("l-other", u.ID, true, now+hour)
	other.ApplicationIDs = []string{"another-app"}
	_, err := s.TakeUserAction(ctx, other, nil)
	must(t, err)
	_, err = s.TakeUserAction(ctx, newActionLog("l-old", u.ID, true, now-1), nil)
	must(t, err)
	login := func(id string) storage.Login {
		tok := newToken(id, u.ID, app.ID, "secret-"+id)
		return storage.Login{UserID: u.ID, ApplicationID: app.ID, At: now, RefreshToken: &tok,
			Record: loginRecord("rec-"+id, u.ID, app.ID, now), Gate: &storage.LoginGate{ApplicationID: app.ID}}
	}
	must(t, s.RecordLogin(ctx, login("t1")))

	lock := newActionLog("l-lock", u.ID, true, now+hour)
	_, err = s.TakeUserAction(ctx, lock, nil)
	must(t, err)
	before, _ := s.GetUser(ctx, u.ID)
	err = s.RecordLogin(ctx, storage.Login{UserID: u.ID, ApplicationID: app.ID, At: now + 5,
		RefreshToken: login("t2").RefreshToken, Record: loginRecord("rec-t2", u.ID, app.ID, now+5), Gate: &storage.LoginGate{ApplicationID: app.ID}})
	var prevented *storage.LoginPrevented
	if !errors.As(err, &prevented) || len(prevented.Actions) != 1 || prevented.Actions[0].ID != "l-lock" {
		t.Fatalf("gated login: %v, want LoginPrevented by l-lock", err)
	}
	after, _ := s.GetUser(ctx, u.ID)
	_, found, _ := s.FindRefreshTokenByHash(ctx, hash("secret-t2"))
	recs, _, _ := s.ListLoginRecords(ctx, storage.LoginRecordFilter{UserID: u.ID, Limit: 10})
	if after.LastLoginInstant != before.LastLoginInstant || found || len(recs) != 1 {
		t.Fatal("a refused login wrote something")
	}
	lock.Canceled, lock.Expiry = true, now
	must(t, s.UpdateUserActionLog(ctx, lock))
	must(t, s.RecordLogin(ctx, login("t3")))
}

// testLoginGateRace: a lock and a login racing (RecordLogin with a gate,
// TakeUserAction revoking the user's sessions) never leave a live session
// behind: either the login is refused or its token is revoked by the lock.
func testLoginGateRace(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, u := seed(t, s)
	now := base.UnixMilli()
	for i := range 20 {
		tok := newToken(fmt.Sprint("race-", i), u.ID, app.ID, fmt.Sprint("race-secret-", i))
		lock := newActionLog(fmt.Sprint("race-lock-", i), u.ID, true, now+time.Hour.Milliseconds())
		errs := parallel(2, func(j int) error {
			if j == 0 {
				_, err := s.TakeUserAction(ctx, lock, &storage.SessionRevocation{UserID: u.ID, At: base, Reason: "login_prevented"})
				return err
			}
			return s.RecordLogin(ctx, storage.Login{UserID: u.ID, At: now, RefreshToken: &tok, Gate: &storage.LoginGate{ApplicationID: app.ID}})
		})
		must(t, errs[0])
		var prevented *storage.LoginPrevented
		if errs[1] != nil && !errors.As(errs[1], &prevented) {
			t.Fatalf("round %d: login failed with %v", i, errs[1])
		}
		if live, _ := s.ListRefreshTokens(ctx, u.ID); len(live) != 0 {
			t.Fatalf("round %d: a session outlived the lock racing its login", i)
		}
		lock.Canceled, lock.Expiry = true, now
		must(t, s.UpdateUserActionLog(ctx, lock))
	}
}
