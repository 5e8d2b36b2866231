package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

var lockPolicy = storage.LockoutPolicy{Threshold: 5, Window: time.Hour, LockDuration: time.Hour}

// testRecordLogin: one call sets both lastLoginInstants, resets the lockout
// counter when asked and creates the refresh token; other fields are kept.
func testRecordLogin(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, u := seed(t, s)
	_, err := s.RecordLoginFailure(ctx, u.ID, base, lockPolicy)
	must(t, err)
	at := base.Add(time.Hour).UnixMilli()
	tok := newToken("rt1", u.ID, app.ID, "s0")
	must(t, s.RecordLogin(ctx, storage.Login{UserID: u.ID, ApplicationID: app.ID, At: at, ResetFailures: true, RefreshToken: &tok}))
	gotU, err := s.GetUser(ctx, u.ID)
	must(t, err)
	gotR, err := s.GetRegistration(ctx, u.ID, app.ID)
	must(t, err)
	if gotU.LastLoginInstant != at || gotR.LastLoginInstant != at {
		t.Fatalf("lastLoginInstant user=%d registration=%d, want %d", gotU.LastLoginInstant, gotR.LastLoginInstant, at)
	}
	gotU.LastLoginInstant, gotR.LastLoginInstant = 0, 0
	wantEqual(t, "user apart from lastLoginInstant", unrevised(gotU), unrevised(u))
	if len(gotR.Roles) != 1 || gotR.Roles[0] != "admin" {
		t.Fatalf("RecordLogin changed the registration: %+v", gotR)
	}
	gotT, current, err := s.FindRefreshTokenByHash(ctx, hash("s0"))
	must(t, err)
	if !current {
		t.Fatal("new refresh token not current")
	}
	wantEqual(t, "refresh token", gotT, tok)
	f, err := s.GetLoginFailures(ctx, u.ID)
	must(t, err)
	wantEqual(t, "lockout counter after reset", f, storage.LoginFailures{})

	// Without an application, token or reset only the user changes.
	_, err = s.RecordLoginFailure(ctx, u.ID, base, lockPolicy)
	must(t, err)
	must(t, s.RecordLogin(ctx, storage.Login{UserID: u.ID, At: at + 1}))
	gotU, _ = s.GetUser(ctx, u.ID)
	gotR, _ = s.GetRegistration(ctx, u.ID, app.ID)
	if gotU.LastLoginInstant != at+1 || gotR.LastLoginInstant != at {
		t.Fatalf("after tenant-level login: user=%d registration=%d", gotU.LastLoginInstant, gotR.LastLoginInstant)
	}
	if f, _ := s.GetLoginFailures(ctx, u.ID); f.Count != 1 {
		t.Fatalf("counter without ResetFailures = %+v, want kept", f)
	}
}

// testRecordLoginAllOrNothing: a refused RecordLogin changes no row, whichever
// of its statements fails (adversarial: the failing part comes last).
func testRecordLoginAllOrNothing(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, u := seed(t, s)
	must(t, s.CreateApplication(ctx, newApp("app2", true))) // u1 is not registered to it
	must(t, s.CreateRefreshToken(ctx, newToken("taken", u.ID, app.ID, "taken-secret")))
	const at = int64(1_900_000_000_000)
	fresh := func(id, secret string) *storage.RefreshToken { tok := newToken(id, u.ID, app.ID, secret); return &tok }
	tests := []struct {
		name string
		l    storage.Login
		want error
	}{
		{"unknown user", storage.Login{UserID: "nobody", At: at, RefreshToken: fresh("rt-a", "a")}, storage.ErrNotFound},
		{"not registered", storage.Login{UserID: u.ID, ApplicationID: "app2", At: at, ResetFailures: true,
			RefreshToken: fresh("rt-b", "b")}, storage.ErrNotFound},
		{"token id taken", storage.Login{UserID: u.ID, ApplicationID: app.ID, At: at, ResetFailures: true,
			RefreshToken: fresh("taken", "c")}, storage.ErrConflict},
		{"token hash taken", storage.Login{UserID: u.ID, ApplicationID: app.ID, At: at, ResetFailures: true,
			RefreshToken: fresh("rt-d", "taken-secret")}, storage.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.RecordLoginFailure(ctx, u.ID, base, lockPolicy)
			must(t, err)
			before, err := s.GetLoginFailures(ctx, u.ID)
			must(t, err)
			wantErr(t, s.RecordLogin(ctx, tt.l), tt.want)
			gotU, err := s.GetUser(ctx, u.ID)
			must(t, err)
			gotR, err := s.GetRegistration(ctx, u.ID, app.ID)
			must(t, err)
			if gotU.LastLoginInstant != 0 || gotR.LastLoginInstant != 0 {
				t.Fatalf("refused RecordLogin wrote lastLoginInstant: user=%d registration=%d",
					gotU.LastLoginInstant, gotR.LastLoginInstant)
			}
			after, err := s.GetLoginFailures(ctx, u.ID)
			must(t, err)
			wantEqual(t, "lockout counter", after, before)
			if _, _, err := s.FindRefreshTokenByHash(ctx, tt.l.RefreshToken.Hash); tt.l.RefreshToken.ID != "rt-d" &&
				!errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("refused RecordLogin stored its refresh token: %v", err)
			}
			if tt.l.RefreshToken.ID != "taken" {
				_, err := s.GetRefreshToken(ctx, tt.l.RefreshToken.ID)
				wantErr(t, err, storage.ErrNotFound)
			}
		})
	}
}
