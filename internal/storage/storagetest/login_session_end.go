package storagetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testLoginSessionSecondFactor: whether the session's login completed a
// second factor round-trips, both ways.
func testLoginSessionSecondFactor(t *testing.T, s storage.Storage) {
	seed(t, s)
	ctx := context.Background()
	for id, done := range map[string]bool{"sess-2f": true, "sess-1f": false} {
		ls := storage.LoginSession{ID: id, Hash: hash("cookie-" + id), TenantID: tenantID, UserID: "u1", AuthTime: base,
			AuthType: "PASSWORD", SecondFactor: done, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
		must(t, s.CreateLoginSession(ctx, ls))
		got, err := s.FindLoginSessionByHash(ctx, ls.Hash)
		must(t, err)
		if !reflect.DeepEqual(got, ls) {
			t.Errorf("FindLoginSessionByHash:\n got %+v\nwant %+v", got, ls)
		}
		if got, _ := s.GetLoginSession(ctx, id); got.SecondFactor != done {
			t.Errorf("GetLoginSession(%s).SecondFactor = %v, want %v", id, got.SecondFactor, done)
		}
	}
}

// userRevocations are the writes that revoke refresh tokens of user u1,
// and whether each revokes ALL of them (and so must end u1's login
// sessions in its transaction) or only some (which must leave single
// sign-on alone).
var userRevocations = []struct {
	name   string
	all    bool
	revoke func(ctx context.Context, s storage.Storage, at time.Time) error
}{
	{"RevokeRefreshTokensOfUser", true, func(ctx context.Context, s storage.Storage, at time.Time) error {
		_, err := s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{UserID: "u1"}, at, "admin")
		return err
	}},
	{"RevokeRefreshTokensWithOfUser", true, func(ctx context.Context, s storage.Storage, at time.Time) error {
		_, err := s.RevokeRefreshTokensWith(ctx, storage.Revocation{Filter: storage.RefreshTokenFilter{UserID: "u1"}, At: at, Reason: "logout"})
		return err
	}},
	{"ChangeUserRevoking", true, func(ctx context.Context, s storage.Storage, at time.Time) error {
		return s.ChangeUser(ctx, storage.UserChange{UserID: "u1", Now: at, RevokeReason: "password_changed"})
	}},
	{"TakeUserActionRevokingAll", true, func(ctx context.Context, s storage.Storage, at time.Time) error {
		_, err := s.TakeUserAction(ctx, newActionLog("l1", "u1", true, at.UnixMilli()+time.Hour.Milliseconds()),
			&storage.SessionRevocation{UserID: "u1", At: at, Reason: "login_prevented"})
		return err
	}},
	{"RevokeRefreshTokensOfUserAndApplication", false, func(ctx context.Context, s storage.Storage, at time.Time) error {
		_, err := s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{UserID: "u1", ApplicationID: "app1"}, at, "admin")
		return err
	}},
	{"RevokeRefreshTokensOfApplication", false, func(ctx context.Context, s storage.Storage, at time.Time) error {
		_, err := s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{ApplicationID: "app1"}, at, "admin")
		return err
	}},
	{"RevokeOneRefreshToken", false, func(ctx context.Context, s storage.Storage, at time.Time) error {
		_, err := s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{ID: "rt-u1"}, at, "admin")
		return err
	}},
	{"TakeUserActionRevokingOneApplication", false, func(ctx context.Context, s storage.Storage, at time.Time) error {
		_, err := s.TakeUserAction(ctx, newActionLog("l1", "u1", true, at.UnixMilli()+time.Hour.Milliseconds()),
			&storage.SessionRevocation{UserID: "u1", ApplicationIDs: []string{"app1"}, At: at, Reason: "login_prevented"})
		return err
	}},
	{"ChangeUserNotRevoking", false, func(ctx context.Context, s storage.Storage, at time.Time) error {
		return s.ChangeUser(ctx, storage.UserChange{UserID: "u1", Now: at, DropIdentifiers: []string{storage.IdentifierChangePassword}})
	}},
}

// testRevokingAllTokensEndsLoginSessions: every write that revokes all of a
// user's refresh tokens ends that user's live login sessions at its
// instant, in its transaction; an already ended session keeps its instant,
// and another user's session is untouched. A write that revokes only some
// of them (one token, one application's) leaves the login sessions live.
func testRevokingAllTokensEndsLoginSessions(t *testing.T, newStorage func(t *testing.T) storage.Storage) {
	for _, rc := range userRevocations {
		t.Run(rc.name, func(t *testing.T) {
			s := newStorage(t)
			seed(t, s)
			ctx := context.Background()
			must(t, s.CreateUser(ctx, newUser("u2", "grace@example.com", "grace")))
			must(t, s.CreateRefreshToken(ctx, newToken("rt-u1", "u1", "app1", "s-u1")))
			sessions := map[string]string{"u1-live": "u1", "u1-ended": "u1", "u1-nocookie": "u1", "u2-live": "u2"}
			for id, user := range sessions {
				ls := storage.LoginSession{ID: id, TenantID: tenantID, UserID: user, AuthTime: base, AuthType: "PASSWORD",
					CreatedAt: base, ExpiresAt: base.Add(8 * time.Hour)}
				if id != "u1-nocookie" {
					ls.Hash = hash("cookie-" + id)
				}
				must(t, s.CreateLoginSession(ctx, ls))
			}
			_, err := s.EndLoginSession(ctx, "u1-ended", base, "logout", nil)
			must(t, err)

			at := base.Add(time.Minute)
			must(t, rc.revoke(ctx, s, at))
			want := map[string]time.Time{"u1-ended": base}
			if rc.all {
				want["u1-live"], want["u1-nocookie"] = at, at
			}
			for id := range sessions {
				got, err := s.GetLoginSession(ctx, id)
				must(t, err)
				if !got.RevokedAt.Equal(want[id]) {
					t.Errorf("session %s RevokedAt = %v, want %v", id, got.RevokedAt, want[id])
				}
			}
		})
	}
}

// testSessionsEndWithTheirRevocation: when the write that would revoke all
// of a user's tokens is refused (an action for a user who does not exist
// commits nothing), the login sessions stay live: they end in the
// revocation's transaction, not beside it.
func testSessionsEndWithTheirRevocation(t *testing.T, s storage.Storage) {
	seed(t, s)
	ctx := context.Background()
	must(t, s.CreateLoginSession(ctx, storage.LoginSession{ID: "u1-live", Hash: hash("cookie"), TenantID: tenantID, UserID: "u1",
		AuthTime: base, AuthType: "PASSWORD", CreatedAt: base, ExpiresAt: base.Add(8 * time.Hour)}))
	_, err := s.TakeUserAction(ctx, newActionLog("l0", "nobody", true, base.UnixMilli()+time.Hour.Milliseconds()),
		&storage.SessionRevocation{UserID: "u1", At: base, Reason: "login_prevented"})
	wantErr(t, err, storage.ErrNotFound)
	wantErr(t, s.ChangeUser(ctx, storage.UserChange{UserID: "u1", Now: base, RevokeReason: "password_changed",
		Consume: &storage.IdentifierRef{Kind: storage.IdentifierChangePassword, Hash: hash("no-such-id")}}), storage.ErrNotFound)
	if got, _ := s.GetLoginSession(ctx, "u1-live"); !got.RevokedAt.IsZero() {
		t.Fatalf("a refused write ended the login session at %v", got.RevokedAt)
	}
}
