package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testCodeOfEndedSessionRefused: a code issued before its login session
// ended (a logout) is refused with ErrSessionEnded and nothing is written:
// the code stays unused, no grant exists, and asking again is refused
// again. A code of another, live session still redeems; a code the ended
// session redeemed before its end is a replay (ErrConflict), as without
// the session.
func testCodeOfEndedSessionRefused(t *testing.T, s storage.Storage) {
	seed(t, s)
	ctx := context.Background()
	for _, id := range []string{"sess-ended", "sess-live"} {
		must(t, s.CreateLoginSession(ctx, storage.LoginSession{ID: id, TenantID: tenantID, UserID: "u1",
			AuthTime: base, AuthType: "PASSWORD", CreatedAt: base, ExpiresAt: base.Add(time.Hour)}))
	}
	codes := map[string]storage.AuthorizationCode{}
	for name, sid := range map[string]string{"before": "sess-ended", "used": "sess-ended", "live": "sess-live"} {
		c := newCode(name)
		c.SessionID = sid
		must(t, s.CreateAuthorizationCode(ctx, c))
		codes[name] = c
	}
	used := newToken(codes["used"].GrantID, "u1", "app1", "rt-used")
	must(t, s.RedeemAuthorizationCode(ctx, codes["used"].Hash, base, &used))
	ended := base.Add(time.Second)
	if _, err := s.EndLoginSession(ctx, "sess-ended", ended, "logout", nil); err != nil {
		t.Fatal(err)
	}

	before, err := s.ListRefreshTokens(ctx, "u1")
	must(t, err)
	c := codes["before"]
	for i := range 2 {
		g := newToken(c.GrantID, "u1", "app1", "rt-before")
		wantErr(t, s.RedeemAuthorizationCode(ctx, c.Hash, ended.Add(time.Duration(i+1)*time.Second), &g), storage.ErrSessionEnded)
	}
	// Consuming it without a grant (a failed exchange) is refused too.
	wantErr(t, s.RedeemAuthorizationCode(ctx, c.Hash, ended, nil), storage.ErrSessionEnded)
	if got, err := s.GetAuthorizationCode(ctx, c.Hash); err != nil || !got.RedeemedAt.IsZero() {
		t.Errorf("refused code: RedeemedAt %v, %v; want unused", got.RedeemedAt, err)
	}
	_, err = s.GetRefreshToken(ctx, c.GrantID)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.GrantSession(ctx, c.GrantID)
	wantErr(t, err, storage.ErrNotFound)
	if after, _ := s.ListRefreshTokens(ctx, "u1"); len(after) != len(before) {
		t.Errorf("the refused redemptions left %d refresh tokens, want %d", len(after), len(before))
	}

	g := newToken("grant-again", "u1", "app1", "rt-again")
	wantErr(t, s.RedeemAuthorizationCode(ctx, codes["used"].Hash, ended, &g), storage.ErrConflict)

	live := newToken(codes["live"].GrantID, "u1", "app1", "rt-live")
	must(t, s.RedeemAuthorizationCode(ctx, codes["live"].Hash, ended, &live))
	if sid, err := s.GrantSession(ctx, live.ID); err != nil || sid != "sess-live" {
		t.Errorf("the live session's grant: GrantSession = %q, %v", sid, err)
	}
}

// testCodeRedeemRacingSessionEnd: a redemption and the end of its
// session, at once, never leave a live grant under the ended session:
// either the redemption is refused and writes nothing, or it wins and the
// end revokes the grant it created.
func testCodeRedeemRacingSessionEnd(t *testing.T, s storage.Storage) {
	seed(t, s)
	ctx := context.Background()
	for i := range 12 {
		sid := fmt.Sprintf("sess-%d", i)
		must(t, s.CreateLoginSession(ctx, storage.LoginSession{ID: sid, TenantID: tenantID, UserID: "u1",
			AuthTime: base, AuthType: "PASSWORD", CreatedAt: base, ExpiresAt: base.Add(time.Hour)}))
		c := newCode(sid)
		c.SessionID = sid
		must(t, s.CreateAuthorizationCode(ctx, c))
		errs := parallel(2, func(j int) error {
			if j == 0 {
				_, err := s.EndLoginSession(ctx, sid, base, "logout", nil)
				return err
			}
			g := newToken(c.GrantID, "u1", "app1", "rt-"+sid)
			return s.RedeemAuthorizationCode(ctx, c.Hash, base, &g)
		})
		must(t, errs[0])
		got, err := s.GetRefreshToken(ctx, c.GrantID)
		switch {
		case errors.Is(errs[1], storage.ErrSessionEnded):
			wantErr(t, err, storage.ErrNotFound)
		case errs[1] == nil:
			must(t, err)
			if got.RevokedAt.IsZero() {
				t.Fatalf("round %d: the redemption won and its grant outlived the session's end", i)
			}
		default:
			t.Fatalf("round %d: redemption: %v", i, errs[1])
		}
	}
}
