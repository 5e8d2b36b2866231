package janitor_test

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestExpiredCodesAndLoginSessionsArePurged: a pass deletes authorization
// codes a day after they expired (a replay within that day is still
// recognised) and expired login sessions with no refresh token left, and
// keeps a session whose grant is live: logout by its sid must still revoke it.
func TestExpiredCodesAndLoginSessionsArePurged(t *testing.T) {
	st := world(t)
	ctx := context.Background()
	code := func(name, session string, expires time.Time) storage.AuthorizationCode {
		c := storage.AuthorizationCode{Hash: hash(name), ClientID: appID, TenantID: tenantID, UserID: userID,
			RedirectURI: "https://app.example.test/cb", Scopes: []string{"openid"}, SessionID: session,
			AuthTime: now.Add(-72 * time.Hour), AuthType: "PASSWORD", GrantID: "g-" + name,
			CreatedAt: expires.Add(-time.Minute), ExpiresAt: expires}
		must(t, st.CreateAuthorizationCode(ctx, c))
		return c
	}
	session := func(id string, expires time.Time) {
		must(t, st.CreateLoginSession(ctx, storage.LoginSession{ID: id, TenantID: tenantID, UserID: userID,
			AuthTime: now.Add(-72 * time.Hour), AuthType: "PASSWORD", CreatedAt: now.Add(-72 * time.Hour), ExpiresAt: expires}))
	}
	code("expired-two-days-ago", "s-done", now.Add(-48*time.Hour))
	code("expired-an-hour-ago", "s-done", now.Add(-time.Hour))
	session("s-done", now.Add(-time.Hour))
	session("s-live", now.Add(time.Hour))
	session("s-granted", now.Add(-time.Hour))
	c := code("redeemed", "s-granted", now.Add(-47*time.Hour))
	grant := storage.RefreshToken{ID: "grant", TenantID: tenantID, UserID: userID, ApplicationID: appID, Hash: hash("grant"),
		StartInstant: now.Add(-48 * time.Hour), LastUsedAt: now, ExpiresAt: now.Add(24 * time.Hour), AuthTime: now, InsertedAt: now}
	must(t, st.RedeemAuthorizationCode(ctx, c.Hash, now.Add(-48*time.Hour), &grant))

	done, err := newJanitor(st, 100).Pass(ctx)
	must(t, err)
	if done["oauth_codes"] != 2 || done["login_sessions"] != 1 {
		t.Fatalf("purged %d codes (want 2) and %d sessions (want 1): %v", done["oauth_codes"], done["login_sessions"], done)
	}
	if _, err := st.GetAuthorizationCode(ctx, hash("expired-an-hour-ago")); err != nil {
		t.Fatalf("a code expired an hour ago is gone: a replay would no longer revoke its grant (%v)", err)
	}
	for _, id := range []string{"s-live", "s-granted"} {
		if _, err := st.GetLoginSession(ctx, id); err != nil {
			t.Fatalf("session %s was purged: %v", id, err)
		}
	}
	if _, err := st.GetLoginSession(ctx, "s-done"); err != storage.ErrNotFound {
		t.Fatalf("the expired session without tokens survived: %v", err)
	}
	revoked, err := st.EndLoginSession(ctx, "s-granted", now, "logout", nil)
	must(t, err)
	if len(revoked) != 1 || revoked[0].ID != "grant" {
		t.Fatalf("logout of the kept session revoked %v, want its grant", revoked)
	}
}
