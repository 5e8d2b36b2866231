package storagetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Rotations and touches that keep the expiry they read (the Fixed policy):
// storage may leave the column unwritten (Rotation.OldExpiresAt), and what
// is stored must be what writing it would have stored.
func init() {
	sessionTests = append(sessionTests, []struct {
		name string
		fn   func(t *testing.T, s storage.Storage)
	}{
		{"RotationKeepsOrWritesTheExpiry", testRotationKeepsOrWritesTheExpiry},
		{"TouchKeepsOrWritesTheExpiry", testTouchKeepsOrWritesTheExpiry},
		{"PurgeAfterRotationsThatKeptTheExpiry", testPurgeAfterRotationsThatKeptTheExpiry},
	}...)
}

// testRotationKeepsOrWritesTheExpiry: a rotation whose new expiry is the
// one it read stores everything else and keeps the expiry; one whose
// expiry changed (a sliding policy, a TTL changed by an administrator)
// stores the new one; one whose read expiry is stale (a touch changed the
// row since) stores the expiry it asked for, not the row's; and the
// compare-and-swap refuses the same values as without OldExpiresAt, with
// and without history.
func testRotationKeepsOrWritesTheExpiry(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	tok := newToken("rt1", "u1", "app1", "s0")
	must(t, s.CreateRefreshToken(ctx, tok))
	e0 := tok.ExpiresAt
	swap := func(old, next string, step int, expires, read time.Time, noHistory bool) (storage.RefreshToken, error) {
		at := base.Add(time.Duration(step) * time.Minute)
		return s.RotateRefreshToken(ctx, storage.Rotation{ID: "rt1", OldHash: hash(old), NewHash: hash(next), At: at,
			ExpiresAt: expires, OldExpiresAt: read, NoHistory: noHistory})
	}
	check := func(what string, got storage.RefreshToken, err error, cur string, step int, expires time.Time) {
		t.Helper()
		must(t, err)
		stored, err := s.GetRefreshToken(ctx, "rt1")
		must(t, err)
		wantEqual(t, what+": the answer and the stored row", got, stored)
		at := base.Add(time.Duration(step) * time.Minute)
		if !bytes.Equal(stored.Hash, hash(cur)) || stored.Generation != step || !stored.RotatedAt.Equal(at) ||
			!stored.LastUsedAt.Equal(at) || !stored.ExpiresAt.Equal(expires) {
			t.Fatalf("%s: generation %d, rotated %v, used %v, expires %v; want the hash of %s, %d, %v, %v",
				what, stored.Generation, stored.RotatedAt, stored.LastUsedAt, stored.ExpiresAt, cur, step, at, expires)
		}
	}

	got, err := swap("s0", "s1", 1, e0, e0, true)
	check("unchanged expiry", got, err, "s1", 1, e0)
	got, err = swap("s1", "s2", 2, e0, e0, false)
	check("unchanged expiry, with history", got, err, "s2", 2, e0)
	e1 := base.Add(2 * time.Minute).Add(time.Hour)
	got, err = swap("s2", "s3", 3, e1, e0, true)
	check("changed expiry", got, err, "s3", 3, e1)
	e2 := e1.Add(time.Hour)
	got, err = swap("s3", "s4", 4, e2, e1, false)
	check("changed expiry, with history", got, err, "s4", 4, e2)
	// The caller read e1 before a touch moved the row to e2, and asks for e1.
	got, err = swap("s4", "s5", 5, e1, e1, true)
	check("stale read expiry", got, err, "s5", 5, e1)
	must(t, s.TouchRefreshToken(ctx, "rt1", base.Add(5*time.Minute), e2, time.Time{}))
	got, err = swap("s5", "s6", 6, e1, e1, false)
	check("stale read expiry, with history", got, err, "s6", 6, e1)

	before, err := s.GetRefreshToken(ctx, "rt1")
	must(t, err)
	for _, noHistory := range []bool{true, false} {
		for _, stale := range []string{"s5", "s0", "forged"} {
			_, err := swap(stale, "stolen", 9, e1, e1, noHistory)
			wantErr(t, err, storage.ErrConflict)
		}
		_, err := s.RotateRefreshToken(ctx, storage.Rotation{ID: "nope", OldHash: hash("s6"), NewHash: hash("x"),
			At: base, ExpiresAt: e1, OldExpiresAt: e1, NoHistory: noHistory})
		wantErr(t, err, storage.ErrNotFound)
	}
	after, err := s.GetRefreshToken(ctx, "rt1")
	must(t, err)
	wantEqual(t, "after refused swaps", after, before)
	_, err = s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{ID: "rt1"}, base.Add(time.Hour), "logout")
	must(t, err)
	for _, noHistory := range []bool{true, false} {
		_, err = swap("s6", "s7", 7, e1, e1, noHistory)
		wantErr(t, err, storage.ErrConflict)
	}
}

// testTouchKeepsOrWritesTheExpiry: a touch stores its instant of use and
// the expiry it asks for, whether that is the one it read (kept), another
// (written), or the read one is stale; a revoked or unknown family is
// ErrNotFound either way.
func testTouchKeepsOrWritesTheExpiry(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	tok := newToken("rt1", "u1", "app1", "s0")
	must(t, s.CreateRefreshToken(ctx, tok))
	e0, e1 := tok.ExpiresAt, tok.ExpiresAt.Add(time.Hour)
	for i, c := range []struct {
		what             string
		expires, read    time.Time
		wantStoredExpiry time.Time
	}{
		{"unchanged", e0, e0, e0},
		{"changed", e1, e0, e1},
		{"stale read expiry", e0, e0, e0}, // the row holds e1
		{"unchanged again", e0, e0, e0},
	} {
		at := base.Add(time.Duration(i+1) * time.Minute)
		must(t, s.TouchRefreshToken(ctx, "rt1", at, c.expires, c.read))
		got, err := s.GetRefreshToken(ctx, "rt1")
		must(t, err)
		want := tok
		want.LastUsedAt, want.ExpiresAt = at, c.wantStoredExpiry
		wantEqual(t, c.what, got, want)
	}
	wantErr(t, s.TouchRefreshToken(ctx, "nope", base, e0, e0), storage.ErrNotFound)
	_, err := s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{ID: "rt1"}, base.Add(time.Hour), "logout")
	must(t, err)
	before, err := s.GetRefreshToken(ctx, "rt1")
	must(t, err)
	wantErr(t, s.TouchRefreshToken(ctx, "rt1", base.Add(time.Hour), e0, e0), storage.ErrNotFound)
	wantErr(t, s.TouchRefreshToken(ctx, "rt1", base.Add(time.Hour), e1, e0), storage.ErrNotFound)
	after, err := s.GetRefreshToken(ctx, "rt1")
	must(t, err)
	wantEqual(t, "a revoked family after touches", after, before)
}

// testPurgeAfterRotationsThatKeptTheExpiry: the janitor's purge finds a
// family by the expiry it has, whether rotations and touches kept it or
// moved it: kept, it goes once that expiry has passed and not before;
// moved later, it stays past its first expiry; moved earlier, it goes at
// the new one.
func testPurgeAfterRotationsThatKeptTheExpiry(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	now := base.Add(48 * time.Hour)
	first := now.Add(10 * time.Minute)
	for _, id := range []string{"kept", "moved-later", "moved-earlier", "touched"} {
		rt := newToken(id, "u1", "app1", id)
		rt.ExpiresAt = first
		must(t, s.CreateRefreshToken(ctx, rt))
	}
	rot := func(id, old, next string, expires time.Time) {
		t.Helper()
		_, err := s.RotateRefreshToken(ctx, storage.Rotation{ID: id, OldHash: hash(old), NewHash: hash(next), At: now,
			ExpiresAt: expires, OldExpiresAt: first, NoHistory: true})
		must(t, err)
	}
	rot("kept", "kept", "kept-1", first)
	rot("kept", "kept-1", "kept-2", first)
	rot("moved-later", "moved-later", "moved-later-1", first.Add(time.Hour))
	rot("moved-earlier", "moved-earlier", "moved-earlier-1", now.Add(time.Minute))
	must(t, s.TouchRefreshToken(ctx, "touched", now, first, first))
	purge := func(at time.Time) int {
		return purgeAll(t, func(limit int) (int, error) { return s.PurgeRefreshTokens(ctx, at, at.Add(-time.Hour), limit) })
	}
	alive := func(when string, want ...string) {
		t.Helper()
		for _, id := range []string{"kept", "moved-later", "moved-earlier", "touched"} {
			_, err := s.GetRefreshToken(ctx, id)
			wanted := false
			for _, w := range want {
				wanted = wanted || w == id
			}
			if (err == nil) != wanted {
				t.Fatalf("%s: %s present = %v (%v), want %v", when, id, err == nil, err, wanted)
			}
		}
	}
	if n := purge(now); n != 0 {
		t.Fatalf("purged %d tokens before any expiry", n)
	}
	if n := purge(now.Add(2 * time.Minute)); n != 1 {
		t.Fatalf("purged %d tokens after the earlier expiry, want 1", n)
	}
	alive("after the earlier expiry", "kept", "moved-later", "touched")
	if n := purge(first); n != 0 {
		t.Fatalf("purged %d tokens at the kept expiry itself, want 0", n)
	}
	if n := purge(first.Add(time.Millisecond)); n != 2 {
		t.Fatalf("purged %d tokens after the kept expiry, want 2", n)
	}
	alive("after the kept expiry", "moved-later")
	if n := purge(first.Add(time.Hour + time.Millisecond)); n != 1 {
		t.Fatalf("purged %d tokens after the later expiry, want 1", n)
	}
	alive("after the later expiry")
}
