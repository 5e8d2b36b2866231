package sqlstorage

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestRedemptionRacingASessionEndLeavesNoLiveGrant (PostgreSQL; SQLite has
// one writer, so its transactions cannot interleave): a code redemption
// is held after its session check (a third transaction holds the code's
// row), and the session is ended meanwhile by a logout or by each
// revocation of all the user's tokens. Whatever the order, no grant stays
// live under the ended session: the end waits for the redemption and then
// revokes its grant. Without the redemption's hold on the session row the
// end commits before the grant exists and misses it; with the end
// revoking tokens before sessions, it misses the grant too.
func TestRedemptionRacingASessionEndLeavesNoLiveGrant(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_000)
	for _, tc := range []struct {
		name string
		end  func(ctx context.Context, s *Store) error
	}{
		{"logout", func(ctx context.Context, s *Store) error {
			_, err := s.EndLoginSession(ctx, "sess", at, "logout", nil)
			return err
		}},
		{"revoke by user", func(ctx context.Context, s *Store) error {
			_, err := s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{UserID: "u"}, at, "admin")
			return err
		}},
		{"password change", func(ctx context.Context, s *Store) error {
			return s.ChangeUser(ctx, storage.UserChange{UserID: "u", Now: at, RevokeReason: "password_changed"})
		}},
		{"lock", func(ctx context.Context, s *Store) error {
			_, err := s.TakeUserAction(ctx, storage.UserActionLog{ID: "l1", TenantID: "t", ActioneeUserID: "u",
				UserActionID: "a1", PreventLogin: true, InsertInstant: at.UnixMilli()},
				&storage.SessionRevocation{UserID: "u", At: at, Reason: "login_prevented"})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTestOn(t, DialectPostgres)
			ctx := context.Background()
			code := seedCodeOfSession(t, s, at)

			hold, err := s.w.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = hold.Rollback() }()
			if _, err := hold.ExecContext(ctx, `SELECT 1 FROM oauth_codes WHERE hash = $1 FOR UPDATE`, code); err != nil {
				t.Fatal(err)
			}
			redeemed := make(chan error, 1)
			go func() {
				g := storage.RefreshToken{ID: "grant", TenantID: "t", UserID: "u", ApplicationID: "a", Hash: testHash("rt"),
					StartInstant: at, LastUsedAt: at, ExpiresAt: at.Add(time.Hour), InsertedAt: at}
				redeemed <- s.RedeemAuthorizationCode(ctx, code, at, &g)
			}()
			waitFor(t, "the redemption to wait for the code's row", func() bool { return lockWaits(t, s, "%UPDATE oauth_codes%") > 0 })
			ended := make(chan error, 1)
			go func() { ended <- tc.end(ctx, s) }()
			var endErr error
			endDone := false
			waitFor(t, "the session's end to finish or wait", func() bool {
				select {
				case endErr = <-ended:
					endDone = true
					return true
				default:
					// Waiting on the session row, or before it on the
					// user's (a password change, a lock).
					return lockWaits(t, s, "%login_sessions%")+lockWaits(t, s, "%FROM users%FOR UPDATE%") > 0
				}
			})
			_ = hold.Rollback()
			redeemErr := <-redeemed
			if !endDone {
				endErr = <-ended
			}
			if endErr != nil {
				t.Fatalf("end: %v", endErr)
			}
			if ls, err := s.GetLoginSession(ctx, "sess"); err != nil || ls.RevokedAt.IsZero() {
				t.Fatalf("the session did not end: %+v, %v", ls, err)
			}
			g, err := s.GetRefreshToken(ctx, "grant")
			switch {
			case errors.Is(redeemErr, storage.ErrSessionEnded):
				if !errors.Is(err, storage.ErrNotFound) {
					t.Errorf("refused redemption left a grant: %v", err)
				}
			case redeemErr == nil:
				if err != nil || g.RevokedAt.IsZero() {
					t.Errorf("the redemption's grant outlived the session's end (revoked at %v, %v)", g.RevokedAt, err)
				}
			default:
				t.Fatalf("redemption: %v", redeemErr)
			}
		})
	}
}

// seedCodeOfSession stores tenant t, application a, user u, login session
// sess and an unused code of it, and returns the code's hash.
func seedCodeOfSession(t *testing.T, s *Store, at time.Time) []byte {
	t.Helper()
	ctx := context.Background()
	code := testHash("code")
	for _, err := range []error{
		s.CreateTenant(ctx, storage.Tenant{ID: "t"}),
		s.CreateApplication(ctx, storage.Application{ID: "a", TenantID: "t", Active: true}),
		s.CreateUser(ctx, storage.User{ID: "u", TenantID: "t", Email: "u@example.com"}),
		s.CreateLoginSession(ctx, storage.LoginSession{ID: "sess", TenantID: "t", UserID: "u", AuthTime: at,
			AuthType: "PASSWORD", CreatedAt: at, ExpiresAt: at.Add(time.Hour)}),
		s.CreateAuthorizationCode(ctx, storage.AuthorizationCode{Hash: code, ClientID: "a", TenantID: "t", UserID: "u",
			RedirectURI: "https://app.example.com/cb", SessionID: "sess", AuthTime: at, AuthType: "PASSWORD",
			GrantID: "grant", CreatedAt: at, ExpiresAt: at.Add(time.Minute)}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return code
}

// lockWaits counts this database's statements like pattern waiting for a
// lock.
func lockWaits(t *testing.T, s *Store, pattern string) int {
	t.Helper()
	var n int
	if err := s.r.QueryRowContext(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1 AND pid <> pg_backend_pid()`,
		pattern).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func testHash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}
