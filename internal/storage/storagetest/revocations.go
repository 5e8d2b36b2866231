package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testListRevocations: the feed lists only the application's revoked tokens,
// in (revokedAt, id) order, pages through a bulk revocation that shares one
// instant without losing or repeating any, and never lists a live token.
func testListRevocations(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	revokeFixture(t, s) // app1: a1, a2 (u1), c1 (u2); app2: b1
	t1, t2 := base.Add(time.Minute), base.Add(2*time.Minute)
	_, err := s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{ID: "c1"}, t1, "logout")
	must(t, err)
	_, err = s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{UserID: "u1"}, t2, "password_changed")
	must(t, err)

	all, err := s.ListRevocations(ctx, "app1", time.Time{}, "", 100)
	must(t, err)
	if got := order(all); got != "c1 a1 a2" {
		t.Fatalf("app1 feed = %q, want \"c1 a1 a2\" (app2's b1 excluded)", got)
	}
	if !all[0].RevokedAt.Equal(t1) || all[0].RevokeReason != "logout" || all[1].UserID != "u1" {
		t.Fatalf("record fields lost: %+v", all[0])
	}

	// Page size 1 from the start: every entry exactly once.
	var paged []storage.RefreshToken
	since, after := time.Time{}, ""
	for range 10 {
		page, err := s.ListRevocations(ctx, "app1", since, after, 1)
		must(t, err)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		since, after = page[0].RevokedAt, page[0].ID
	}
	if got := order(paged); got != "c1 a1 a2" {
		t.Fatalf("paged feed = %q, want \"c1 a1 a2\"", got)
	}

	later, err := s.ListRevocations(ctx, "app1", t1, "c1", 100)
	must(t, err)
	if got := order(later); got != "a1 a2" {
		t.Fatalf("after (t1, c1) = %q, want \"a1 a2\"", got)
	}
	none, err := s.ListRevocations(ctx, "app1", t2, "zz", 100)
	must(t, err)
	if len(none) != 0 {
		t.Fatalf("after the last entry: %q, want none", order(none))
	}
	other, err := s.ListRevocations(ctx, "app2", time.Time{}, "", 100)
	must(t, err)
	if got := order(other); got != "b1" {
		t.Fatalf("app2 feed = %q, want \"b1\"", got)
	}
	unknown, err := s.ListRevocations(ctx, "nope", time.Time{}, "", 100)
	must(t, err)
	if len(unknown) != 0 {
		t.Fatalf("unknown application listed %q", order(unknown))
	}
}

func order(ts []storage.RefreshToken) string {
	out := ""
	for i, t := range ts {
		if i > 0 {
			out += " "
		}
		out += t.ID
	}
	return out
}

// testIssuedSessionsInFeed: a session whose tokens were issued for another
// application (AddSessionApplication, GET /api/jwt/issue) is listed in that
// application's feed once revoked, once, in the feed's order and pages;
// recording is idempotent, adds nothing for the session's own application,
// and refuses an unknown or revoked session. The records go with the
// session.
func testIssuedSessionsInFeed(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	revokeFixture(t, s) // app1: a1, a2 (u1), c1 (u2); app2: b1
	for _, sid := range []string{"a1", "a1", "c1", "b1"} {
		must(t, s.AddSessionApplication(ctx, sid, "app2"))
	}
	must(t, s.AddSessionApplication(ctx, "b1", "app1"))
	wantErr(t, s.AddSessionApplication(ctx, "nope", "app2"), storage.ErrNotFound)
	live, err := s.ListRevocations(ctx, "app2", time.Time{}, "", 100)
	must(t, err)
	if len(live) != 0 {
		t.Fatalf("feed lists live sessions: %q", order(live))
	}

	t1, t2 := base.Add(time.Minute), base.Add(2*time.Minute)
	_, err = s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{ID: "c1"}, t1, "logout")
	must(t, err)
	_, err = s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{UserID: "u1"}, t2, "password_changed")
	must(t, err)
	wantErr(t, s.AddSessionApplication(ctx, "a2", "app2"), storage.ErrNotFound) // revoked

	for _, tc := range []struct {
		app, want string
	}{
		{"app2", "c1 a1 b1"}, // a2 never issued for app2
		{"app1", "c1 a1 a2 b1"},
	} {
		all, err := s.ListRevocations(ctx, tc.app, time.Time{}, "", 100)
		must(t, err)
		if got := order(all); got != tc.want {
			t.Fatalf("%s feed = %q, want %q", tc.app, got, tc.want)
		}
		var paged []storage.RefreshToken
		since, after := time.Time{}, ""
		for range 10 {
			page, err := s.ListRevocations(ctx, tc.app, since, after, 1)
			must(t, err)
			if len(page) == 0 {
				break
			}
			paged = append(paged, page...)
			since, after = page[0].RevokedAt, page[0].ID
		}
		if got := order(paged); got != tc.want {
			t.Fatalf("%s paged feed = %q, want %q", tc.app, got, tc.want)
		}
	}
	later, err := s.ListRevocations(ctx, "app2", t1, "c1", 100)
	must(t, err)
	if got := order(later); got != "a1 b1" || later[0].ApplicationID != "app1" || !later[0].RevokedAt.Equal(t2) {
		t.Fatalf("app2 feed after (t1, c1) = %q %+v", got, later)
	}

	// Purged sessions take their records with them.
	_, err = s.DeleteExpiredRefreshTokens(ctx, t2.Add(time.Hour))
	must(t, err)
	gone, err := s.ListRevocations(ctx, "app2", time.Time{}, "", 100)
	must(t, err)
	if len(gone) != 0 {
		t.Fatalf("feed after the purge: %q", order(gone))
	}
}
