package storagetest

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// revokeFixture: u1 has tokens on app1 (a1, a2) and app2 (b1); u2 has one on app1 (c1).
func revokeFixture(t *testing.T, s storage.Storage) {
	t.Helper()
	ctx := context.Background()
	seed(t, s)
	must(t, s.CreateApplication(ctx, newApp("app2", true)))
	must(t, s.CreateUser(ctx, newUser("u2", "bob@example.com", "")))
	for _, tok := range []storage.RefreshToken{
		newToken("a1", "u1", "app1", "a1"), newToken("a2", "u1", "app1", "a2"),
		newToken("b1", "u1", "app2", "b1"), newToken("c1", "u2", "app1", "c1"),
	} {
		must(t, s.CreateRefreshToken(ctx, tok))
	}
}

func ids(ts []storage.RefreshToken) []string {
	out := []string{}
	for _, t := range ts {
		out = append(out, t.ID)
	}
	sort.Strings(out)
	return out
}

type revokeCase struct {
	name    string
	filter  storage.RefreshTokenFilter
	revoked []string // returned by RevokeRefreshTokens
	liveU1  []string // ListRefreshTokens(u1) afterwards
	liveU2  []string
}

var revokeCases = []revokeCase{
	{"by id", storage.RefreshTokenFilter{ID: "a1"}, []string{"a1"}, []string{"a2", "b1"}, []string{"c1"}},
	{"by user", storage.RefreshTokenFilter{UserID: "u1"}, []string{"a1", "a2", "b1"}, []string{}, []string{"c1"}},
	{"by application", storage.RefreshTokenFilter{ApplicationID: "app1"}, []string{"a1", "a2", "c1"}, []string{"b1"}, []string{}},
	{"by user and application", storage.RefreshTokenFilter{UserID: "u1", ApplicationID: "app1"}, []string{"a1", "a2"}, []string{"b1"}, []string{"c1"}},
	// Fields are ANDed: an id that belongs to someone else revokes nothing.
	{"id of another user", storage.RefreshTokenFilter{ID: "c1", UserID: "u1"}, []string{}, []string{"a1", "a2", "b1"}, []string{"c1"}},
	{"unknown user", storage.RefreshTokenFilter{UserID: "nobody"}, []string{}, []string{"a1", "a2", "b1"}, []string{"c1"}},
}

// testRevoke runs one revokeCase on a fresh store.
func testRevoke(t *testing.T, s storage.Storage, tc revokeCase) {
	ctx := context.Background()
	revokeFixture(t, s)
	at := base.Add(time.Hour)
	got, err := s.RevokeRefreshTokens(ctx, tc.filter, at, "admin")
	must(t, err)
	wantEqual(t, "revoked ids", ids(got), tc.revoked)
	for _, r := range got {
		if !r.RevokedAt.Equal(at) || r.RevokeReason != "admin" {
			t.Fatalf("returned record not marked revoked: %+v", r)
		}
		stored, err := s.GetRefreshToken(ctx, r.ID)
		must(t, err)
		wantEqual(t, "stored revoked record", stored, r)
	}
	for user, want := range map[string][]string{"u1": tc.liveU1, "u2": tc.liveU2} {
		live, err := s.ListRefreshTokens(ctx, user)
		must(t, err)
		wantEqual(t, "live tokens of "+user, ids(live), want)
	}
	// Revoking again returns nothing and keeps the first reason and instant.
	again, err := s.RevokeRefreshTokens(ctx, tc.filter, at.Add(time.Hour), "reuse")
	must(t, err)
	wantEqual(t, "second revocation", ids(again), []string{})
}

func testRevokeEmptyFilter(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	revokeFixture(t, s)
	if _, err := s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{}, base, "admin"); err == nil {
		t.Fatal("an empty filter was accepted")
	}
	live, err := s.ListRefreshTokens(ctx, "u1")
	must(t, err)
	if len(live) != 3 {
		t.Fatalf("empty-filter revoke changed tokens: %d live, want 3", len(live))
	}
}

func testDeleteExpired(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	old := newToken("old", "u1", "app1", "old0")
	old.ExpiresAt = base.Add(-time.Minute)
	revoked := newToken("rev", "u1", "app1", "rev0")
	live := newToken("live", "u1", "app1", "live0")
	for _, tok := range []storage.RefreshToken{old, revoked, live} {
		must(t, s.CreateRefreshToken(ctx, tok))
	}
	_, err := s.RotateRefreshToken(ctx, storage.Rotation{ID: "old", OldHash: hash("old0"), NewHash: hash("old1"),
		At: base.Add(-time.Hour), ExpiresAt: base.Add(-time.Minute)})
	must(t, err)
	_, err = s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{ID: "rev"}, base.Add(-time.Second), "logout")
	must(t, err)
	n, err := s.DeleteExpiredRefreshTokens(ctx, base)
	must(t, err)
	if n != 2 {
		t.Fatalf("DeleteExpiredRefreshTokens = %d, want 2", n)
	}
	for _, h := range [][]byte{hash("old0"), hash("old1"), hash("rev0")} {
		_, _, err := s.FindRefreshTokenByHash(ctx, h)
		wantErr(t, err, storage.ErrNotFound)
	}
	_, current, err := s.FindRefreshTokenByHash(ctx, hash("live0"))
	must(t, err)
	if !current {
		t.Fatal("live token no longer current")
	}
}
