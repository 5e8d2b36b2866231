package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testDeletedSessionsInFeed: a hard delete cascades the refresh tokens away,
// but their sessions must still reach the revocation feed (tombstones), with
// the delete's time for live ones and the original time for revoked ones; a
// refused delete records nothing; the purge removes tombstones after the
// token lifetime.
func testDeletedSessionsInFeed(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	revokeFixture(t, s) // app1: a1, a2 (u1), c1 (u2); app2: b1 (u1)
	t1, tDel, tApp := base.Add(time.Minute), base.Add(2*time.Minute), base.Add(3*time.Minute)
	_, err := s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{ID: "a2"}, t1, "logout")
	must(t, err)

	// Refused: unknown user. Nothing may appear in any feed.
	wantErr(t, s.DeleteUserAt(ctx, "missing", tDel), storage.ErrNotFound)
	feed := func(app string) []storage.RefreshToken {
		t.Helper()
		ts, err := s.ListRevocations(ctx, app, time.Time{}, "", 100)
		must(t, err)
		return ts
	}
	if got := order(feed("app1")); got != "a2" {
		t.Fatalf("after a refused delete app1 feed = %q, want \"a2\"", got)
	}

	must(t, s.DeleteUserAt(ctx, "u1", tDel))
	if _, err := s.GetRefreshToken(ctx, "a1"); err == nil {
		t.Fatal("a1 survived the user's hard delete")
	}
	tests := []struct {
		name, app, want string
		at              []time.Time
		reason          []string
	}{
		{"user's sessions on app1", "app1", "a2 a1", []time.Time{t1, tDel}, []string{"logout", "user_deleted"}},
		{"user's sessions on app2", "app2", "b1", []time.Time{tDel}, []string{"user_deleted"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := feed(tc.app)
			if order(got) != tc.want {
				t.Fatalf("feed = %q, want %q", order(got), tc.want)
			}
			for i, r := range got {
				if !r.RevokedAt.Equal(tc.at[i]) || r.RevokeReason != tc.reason[i] || r.UserID != "u1" || r.ApplicationID != tc.app {
					t.Fatalf("entry %d = %+v, want revoked %v (%s) for u1", i, r, tc.at[i], tc.reason[i])
				}
			}
		})
	}
	// The cursor pages across both tables: after (t1, a2) comes a1 only.
	after, err := s.ListRevocations(ctx, "app1", t1, "a2", 1)
	must(t, err)
	if order(after) != "a1" {
		t.Fatalf("after (t1, a2) = %q, want \"a1\"", order(after))
	}

	// Deleting the application tombstones u2's live c1 in app1's feed.
	must(t, s.DeleteApplicationAt(ctx, "app1", tApp))
	got := feed("app1")
	if order(got) != "a2 a1 c1" || got[2].RevokeReason != "application_deleted" || !got[2].RevokedAt.Equal(tApp) {
		t.Fatalf("after deleting app1 feed = %q (%+v), want \"a2 a1 c1\" with c1 application_deleted", order(got), got)
	}

	// The purge drops tombstones revoked before the instant, keeps later ones.
	n, err := s.DeleteExpiredRefreshTokens(ctx, tDel.Add(time.Millisecond))
	must(t, err)
	if n != 3 {
		t.Fatalf("purged %d, want 3 (a2, a1, b1)", n)
	}
	if order(feed("app1")) != "c1" || len(feed("app2")) != 0 {
		t.Fatalf("after purge app1 = %q app2 = %q, want \"c1\" and none", order(feed("app1")), order(feed("app2")))
	}
}
