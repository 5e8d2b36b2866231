package storagetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

var oauthTests = []struct {
	name string
	fn   func(t *testing.T, s storage.Storage)
}{
	{"AuthorizationCodeRoundTrip", testCodeRoundTrip},
	{"AuthorizationCodeRedeemOnce", testCodeRedeemOnce},
	{"AuthorizationCodeConcurrentRedeem", testCodeConcurrentRedeem},
	{"AuthorizationCodeOfEndedSessionRefused", testCodeOfEndedSessionRefused},
	{"AuthorizationCodeRedeemRacingSessionEnd", testCodeRedeemRacingSessionEnd},
	{"LoginSessionEndRevokesGrants", testLoginSessionEnd},
	{"LoginSessionSecondFactor", testLoginSessionSecondFactor},
	{"LoginSessionsEndWithTheirRevocation", testSessionsEndWithTheirRevocation},
	{"PurgeAuthorizationCodes", testPurgeAuthorizationCodes},
	{"PurgeLoginSessions", testPurgeLoginSessions},
}

func newCode(secret string) storage.AuthorizationCode {
	return storage.AuthorizationCode{
		Hash: hash(secret), ClientID: "app1", TenantID: tenantID, UserID: "u1",
		RedirectURI: "https://app.example.com/cb?x=1", Scopes: []string{"openid", "offline_access"},
		Nonce: "n-0S6", CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", CodeChallengeMethod: "S256",
		SessionID: "sess1", AuthTime: base.Add(-time.Minute), AuthType: "PASSWORD", GrantID: "grant-" + secret,
		CreatedAt: base, ExpiresAt: base.Add(30 * time.Second),
	}
}

func testCodeRoundTrip(t *testing.T, s storage.Storage) {
	seed(t, s)
	ctx := context.Background()
	c := newCode("c1")
	must(t, s.CreateAuthorizationCode(ctx, c))
	wantErr(t, s.CreateAuthorizationCode(ctx, c), storage.ErrConflict)
	got, err := s.GetAuthorizationCode(ctx, c.Hash)
	must(t, err)
	if !reflect.DeepEqual(got, c) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, c)
	}
	_, err = s.GetAuthorizationCode(ctx, hash("nope"))
	wantErr(t, err, storage.ErrNotFound)
	wantErr(t, s.RedeemAuthorizationCode(ctx, hash("nope"), base, nil), storage.ErrNotFound)
}

// testCodeRedeemOnce: the first redemption creates the grant and ties it to
// the session; a second one is refused and creates nothing.
func testCodeRedeemOnce(t *testing.T, s storage.Storage) {
	seed(t, s)
	ctx := context.Background()
	c := newCode("c1")
	must(t, s.CreateAuthorizationCode(ctx, c))
	must(t, s.CreateLoginSession(ctx, storage.LoginSession{ID: "sess1", TenantID: tenantID, UserID: "u1",
		AuthTime: base, AuthType: "PASSWORD", CreatedAt: base, ExpiresAt: base.Add(time.Hour)}))
	g := newToken(c.GrantID, "u1", "app1", "rt1")
	must(t, s.RedeemAuthorizationCode(ctx, c.Hash, base.Add(time.Second), &g))
	got, err := s.GetAuthorizationCode(ctx, c.Hash)
	must(t, err)
	if !got.RedeemedAt.Equal(base.Add(time.Second)) {
		t.Errorf("RedeemedAt = %v", got.RedeemedAt)
	}
	g2 := newToken("other-grant", "u1", "app1", "rt2")
	wantErr(t, s.RedeemAuthorizationCode(ctx, c.Hash, base.Add(2*time.Second), &g2), storage.ErrConflict)
	_, err = s.GetRefreshToken(ctx, "other-grant")
	wantErr(t, err, storage.ErrNotFound)
	if _, err := s.GetRefreshToken(ctx, c.GrantID); err != nil {
		t.Fatalf("grant of the first redemption: %v", err)
	}
	// A redemption without a grant (a failed exchange consumes the code).
	c2 := newCode("c2")
	c2.SessionID = ""
	must(t, s.CreateAuthorizationCode(ctx, c2))
	must(t, s.RedeemAuthorizationCode(ctx, c2.Hash, base, nil))
	wantErr(t, s.RedeemAuthorizationCode(ctx, c2.Hash, base, nil), storage.ErrConflict)
}

func testCodeConcurrentRedeem(t *testing.T, s storage.Storage) {
	seed(t, s)
	ctx := context.Background()
	c := newCode("c1")
	must(t, s.CreateAuthorizationCode(ctx, c))
	errs := parallel(8, func(i int) error {
		g := newToken("grant-"+string(rune('a'+i)), "u1", "app1", "rt-"+string(rune('a'+i)))
		return s.RedeemAuthorizationCode(ctx, c.Hash, base, &g)
	})
	ok, other := countNil(errs)
	if ok != 1 {
		t.Fatalf("%d redemptions succeeded, want 1: %v", ok, other)
	}
	for _, err := range errs {
		if err != nil {
			wantErr(t, err, storage.ErrConflict)
		}
	}
}

func testLoginSessionEnd(t *testing.T, s storage.Storage) {
	seed(t, s)
	ctx := context.Background()
	ls := storage.LoginSession{ID: "sess1", Hash: hash("cookie"), TenantID: tenantID, UserID: "u1",
		AuthTime: base, AuthType: "PASSWORD", CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	must(t, s.CreateLoginSession(ctx, ls))
	wantErr(t, s.CreateLoginSession(ctx, storage.LoginSession{ID: "sess2", Hash: hash("cookie"), TenantID: tenantID,
		UserID: "u1", CreatedAt: base, ExpiresAt: base}), storage.ErrConflict)
	// Two sessions without a cookie: NULL hashes do not collide.
	for _, id := range []string{"sess3", "sess4"} {
		must(t, s.CreateLoginSession(ctx, storage.LoginSession{ID: id, TenantID: tenantID, UserID: "u1",
			CreatedAt: base, ExpiresAt: base.Add(time.Hour)}))
	}
	got, err := s.FindLoginSessionByHash(ctx, hash("cookie"))
	must(t, err)
	if !reflect.DeepEqual(got, ls) {
		t.Errorf("FindLoginSessionByHash:\n got %+v\nwant %+v", got, ls)
	}
	_, err = s.FindLoginSessionByHash(ctx, nil)
	wantErr(t, err, storage.ErrNotFound)

	// Grants of sess1 (through two codes) and one of another session.
	for i, sid := range []string{"sess1", "sess1", "sess3"} {
		c := newCode("c" + string(rune('0'+i)))
		c.SessionID = sid
		must(t, s.CreateAuthorizationCode(ctx, c))
		g := newToken(c.GrantID, "u1", "app1", "rt"+string(rune('0'+i)))
		must(t, s.RedeemAuthorizationCode(ctx, c.Hash, base, &g))
	}
	if sid, err := s.GrantSession(ctx, "grant-c2"); err != nil || sid != "sess3" {
		t.Errorf("GrantSession(grant-c2) = %q, %v; want sess3", sid, err)
	}
	must(t, s.CreateRefreshToken(ctx, newToken("password-grant", "u1", "app1", "rt-pw")))
	_, err = s.GrantSession(ctx, "password-grant")
	wantErr(t, err, storage.ErrNotFound)
	at := base.Add(time.Minute)
	var notified int
	revoked, err := s.EndLoginSession(ctx, "sess1", at, "logout", func(ts []storage.RefreshToken) ([]storage.OutboxMessage, error) {
		notified = len(ts)
		return []storage.OutboxMessage{{ID: "bcl-1", Queue: "backchannel_logout", TenantID: tenantID, Payload: []byte(`{}`), CreatedAt: at}}, nil
	})
	must(t, err)
	if len(revoked) != 2 || notified != 2 {
		t.Fatalf("EndLoginSession revoked %d tokens (notify saw %d), want 2", len(revoked), notified)
	}
	if msgs, _ := s.ListOutbox(ctx, storage.OutboxFilter{Queue: "backchannel_logout"}); len(msgs) != 1 {
		t.Errorf("the notice was not enqueued with the session's end: %d messages", len(msgs))
	}
	if got, _ := s.GetLoginSession(ctx, "sess1"); !got.RevokedAt.Equal(at) {
		t.Errorf("session RevokedAt = %v, want %v", got.RevokedAt, at)
	}
	if other, _ := s.GetRefreshToken(ctx, "grant-c2"); !other.RevokedAt.IsZero() {
		t.Errorf("a grant of another session was revoked")
	}
	// Ending again keeps the first instant and revokes nothing more.
	again, err := s.EndLoginSession(ctx, "sess1", at.Add(time.Hour), "logout", nil)
	must(t, err)
	if len(again) != 0 {
		t.Errorf("second EndLoginSession revoked %d", len(again))
	}
	if got, _ := s.GetLoginSession(ctx, "sess1"); !got.RevokedAt.Equal(at) {
		t.Errorf("second end moved RevokedAt to %v", got.RevokedAt)
	}
	_, err = s.EndLoginSession(ctx, "nope", at, "logout", nil)
	wantErr(t, err, storage.ErrNotFound)
}

// Expired codes go in bounded batches; a live one stays.
func testPurgeAuthorizationCodes(t *testing.T, s storage.Storage) {
	seed(t, s)
	ctx := context.Background()
	fresh := newCode("fresh")
	fresh.ExpiresAt = base.Add(time.Hour)
	must(t, s.CreateAuthorizationCode(ctx, fresh))
	for _, c := range []string{"old1", "old2", "old3"} {
		must(t, s.CreateAuthorizationCode(ctx, newCode(c)))
	}
	must(t, s.RedeemAuthorizationCode(ctx, hash("old1"), base, nil)) // used codes go too
	for i, want := range []int{2, 1, 0} {
		n, err := s.PurgeAuthorizationCodes(ctx, base.Add(10*time.Minute), 2)
		must(t, err)
		if n != want {
			t.Errorf("pass %d purged %d, want %d", i, n, want)
		}
	}
	if _, err := s.GetAuthorizationCode(ctx, fresh.Hash); err != nil {
		t.Errorf("live code purged: %v", err)
	}
	_, err := s.GetAuthorizationCode(ctx, hash("old2"))
	wantErr(t, err, storage.ErrNotFound)
}

// An expired session goes only once no refresh token it issued is left:
// until then, ending it by its sid must still revoke that token.
func testPurgeLoginSessions(t *testing.T, s storage.Storage) {
	seed(t, s)
	ctx := context.Background()
	for id, exp := range map[string]time.Time{"s-old": base.Add(time.Minute), "s-granted": base.Add(time.Minute), "s-fresh": base.Add(2 * time.Hour)} {
		must(t, s.CreateLoginSession(ctx, storage.LoginSession{ID: id, TenantID: tenantID, UserID: "u1",
			AuthTime: base, AuthType: "PASSWORD", CreatedAt: base, ExpiresAt: exp}))
	}
	c := newCode("c1")
	c.SessionID = "s-granted"
	must(t, s.CreateAuthorizationCode(ctx, c))
	g := newToken("grant-1", "u1", "app1", "rt-1")
	must(t, s.RedeemAuthorizationCode(ctx, c.Hash, base, &g))

	later := base.Add(10 * time.Minute)
	n, err := s.PurgeLoginSessions(ctx, later, 10)
	must(t, err)
	if n != 1 {
		t.Errorf("purged %d sessions, want 1 (s-old)", n)
	}
	_, err = s.GetLoginSession(ctx, "s-old")
	wantErr(t, err, storage.ErrNotFound)
	revoked, err := s.EndLoginSession(ctx, "s-granted", later, "logout", nil)
	must(t, err)
	if len(revoked) != 1 || revoked[0].ID != g.ID {
		t.Fatalf("ending the expired session with a live grant revoked %v, want %s", revoked, g.ID)
	}
	// Once the janitor purged the revoked token, the session can go.
	if _, err := s.PurgeRefreshTokens(ctx, later, later.Add(time.Millisecond), 10); err != nil {
		t.Fatal(err)
	}
	n, err = s.PurgeLoginSessions(ctx, later, 10)
	must(t, err)
	if n != 1 {
		t.Errorf("after its token was purged: purged %d, want 1 (s-granted)", n)
	}
	if _, err := s.GetLoginSession(ctx, "s-fresh"); err != nil {
		t.Errorf("live session purged: %v", err)
	}
}
