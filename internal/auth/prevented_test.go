package auth

import (
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
