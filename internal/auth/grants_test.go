package auth

import (
	"context"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// oauthConfiguration.requireRegistration refuses the password grant for a
// user who is not registered, after the password verified and before any
// write: no refresh token, no lastLoginInstant. /api/login is not affected
// (it answers 202), nor is a registered user.
func TestPasswordGrantRequireRegistration(t *testing.T) {
	tests := []struct {
		name       string
		require    bool
		registered bool
		oauth      bool
		want       error
	}{
		{"required, not registered", true, false, true, ErrRegistrationRequired},
		{"required, registered", true, true, true, nil},
		// latchkey refuses an unregistered user on the grant whatever the
		// setting says: it issues no token to an unregistered user.
		{"not required, not registered", false, false, true, ErrRegistrationRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(w *world) {
				w.app.OAuthConfiguration.RequireRegistration = tt.require
				if !tt.registered {
					w.roles = nil
				}
			})
			tok, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID,
				OAuth: tt.oauth, Scopes: []string{"offline_access"}})
			wantErr(t, err, tt.want)
			if tt.want == nil {
				if tok.AccessToken == "" {
					t.Fatal("no access token")
				}
				return
			}
			u, err := e.store.GetUser(e.ctx, userID)
			must(t, err)
			live, err := e.store.ListRefreshTokens(e.ctx, userID)
			must(t, err)
			if u.LastLoginInstant != 0 || len(live) != 0 {
				t.Fatalf("refused login wrote: lastLoginInstant %d, %d refresh tokens", u.LastLoginInstant, len(live))
			}
		})
	}
}

// A failing RecordLogin (the one write of a login) fails the login and
// leaves no half-login behind: no refresh token, no lastLoginInstant.
func TestLoginWriteFailureLeavesNothing(t *testing.T) {
	e := newEnv(t)
	e.svc.cfg.Store = failingRecordLogin{e.store}
	if _, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID}); err == nil {
		t.Fatal("login succeeded although its write failed")
	}
	u, err := e.store.GetUser(e.ctx, userID)
	must(t, err)
	live, err := e.store.ListRefreshTokens(e.ctx, userID)
	must(t, err)
	if u.LastLoginInstant != 0 || len(live) != 0 {
		t.Fatalf("after a failed write: lastLoginInstant %d, %d refresh tokens", u.LastLoginInstant, len(live))
	}
}

// failingRecordLogin is the real store with RecordLogin unavailable.
type failingRecordLogin struct{ storage.Storage }

func (failingRecordLogin) RecordLogin(_ context.Context, _ storage.Login) error {
	return storage.ErrUnavailable
}
