package storagetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testRotatedFamilyReadByID: a family rotated without history (values that
// name their family) is read by id with its current and previous hash
// wherever tokens are read (by id, a refresh's read, the user's list, a
// revocation's answer); it refreshes with its current hash; its previous
// hash, and its first one (which a backend may keep for the lookup by
// hash), are refused by the compare-and-swap and change nothing; and no
// hash it ever had is found by hash, as current or by a refresh's read.
func testRotatedFamilyReadByID(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	must(t, s.CreateRefreshToken(ctx, newToken("rt1", "u1", "app1", "s0")))
	swap := func(old, next string, step int) (storage.RefreshToken, error) {
		at := base.Add(time.Duration(step) * time.Minute)
		return s.RotateRefreshToken(ctx, storage.Rotation{ID: "rt1", OldHash: hash(old), NewHash: hash(next), At: at,
			ExpiresAt: at.Add(time.Hour), NoHistory: true})
	}
	for i := 1; i <= 3; i++ {
		_, err := swap(fmt.Sprint("s", i-1), fmt.Sprint("s", i), i)
		must(t, err)
	}
	check := func(what string, got storage.RefreshToken, cur, prev string, gen int) {
		t.Helper()
		if !bytes.Equal(got.Hash, hash(cur)) || !bytes.Equal(got.PrevHash, hash(prev)) || got.Generation != gen {
			t.Fatalf("%s: hash %x prev %x generation %d; want the hashes of %s and %s, %d",
				what, got.Hash, got.PrevHash, got.Generation, cur, prev, gen)
		}
	}
	want, err := s.GetRefreshToken(ctx, "rt1")
	must(t, err)
	check("by id", want, "s3", "s2", 3)
	sess, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: "rt1"})
	must(t, err)
	wantEqual(t, "a refresh's read", sess.Token, want)
	list, err := s.ListRefreshTokens(ctx, "u1")
	must(t, err)
	wantEqual(t, "the user's tokens", list, []storage.RefreshToken{want})

	for _, stale := range []string{"s2", "s0"} {
		_, err := swap(stale, "stolen", 9)
		wantErr(t, err, storage.ErrConflict)
	}
	got, err := s.GetRefreshToken(ctx, "rt1")
	must(t, err)
	wantEqual(t, "after refused swaps", got, want)
	for i := range 4 {
		_, _, err := s.FindRefreshTokenByHash(ctx, hash(fmt.Sprint("s", i)))
		wantErr(t, err, storage.ErrNotFound)
		// A refresh's read by hash neither: the first hash (which a
		// backend may keep for the lookup by hash) names a value rotated
		// away, not the family's current one.
		_, err = s.FindRefreshSession(ctx, storage.SessionKey{Hash: hash(fmt.Sprint("s", i))})
		wantErr(t, err, storage.ErrNotFound)
	}

	got, err = swap("s3", "s4", 4) // the current value refreshes
	must(t, err)
	check("the refresh's answer", got, "s4", "s3", 4)
	_, err = swap("s3", "s5", 5) // and is then the previous one
	wantErr(t, err, storage.ErrConflict)
	revoked, err := s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{ID: "rt1"}, base.Add(time.Hour), "reuse")
	must(t, err)
	if len(revoked) != 1 {
		t.Fatalf("revoked %d families", len(revoked))
	}
	check("the revocation's answer", revoked[0], "s4", "s3", 4)
	_, err = swap("s4", "s5", 6)
	wantErr(t, err, storage.ErrConflict)
}

// testEarlierFormatRotatedOnce: a family whose value is of the earlier
// format (looked up by hash) rotates once with history, into a value that
// names it, then without. The old value is found through the history, not
// as current, and points at the family's current hash; it no longer
// swaps. A hash a rotation with history wrote is found as current by hash
// until the family rotates again.
func testEarlierFormatRotatedOnce(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	must(t, s.CreateRefreshToken(ctx, newToken("rt1", "u1", "app1", "old")))
	_, err := rotate(ctx, s, "old", "n1", 1) // with history
	must(t, err)
	got, current, err := s.FindRefreshTokenByHash(ctx, hash("n1"))
	must(t, err)
	if !current || !bytes.Equal(got.Hash, hash("n1")) {
		t.Fatalf("the hash a rotation with history wrote: current %v, hash %x", current, got.Hash)
	}
	at := base.Add(2 * time.Minute)
	_, err = s.RotateRefreshToken(ctx, storage.Rotation{ID: "rt1", OldHash: hash("n1"), NewHash: hash("n2"), At: at,
		ExpiresAt: at.Add(time.Hour), NoHistory: true})
	must(t, err)

	want, err := s.GetRefreshToken(ctx, "rt1")
	must(t, err)
	if !bytes.Equal(want.Hash, hash("n2")) || !bytes.Equal(want.PrevHash, hash("n1")) || want.Generation != 2 {
		t.Fatalf("by id: %+v", want)
	}
	got, current, err = s.FindRefreshTokenByHash(ctx, hash("old"))
	must(t, err)
	if current {
		t.Fatal("the rotated-away value of the earlier format was found as current")
	}
	wantEqual(t, "found through the history", got, want)
	sess, err := s.FindRefreshSession(ctx, storage.SessionKey{Hash: hash("old")})
	must(t, err)
	wantEqual(t, "a refresh's read by the old value", sess.Token, want)
	for _, h := range []string{"n1", "n2"} {
		_, _, err := s.FindRefreshTokenByHash(ctx, hash(h))
		wantErr(t, err, storage.ErrNotFound)
	}
	for _, stale := range []string{"old", "n1"} {
		_, err := s.RotateRefreshToken(ctx, storage.Rotation{ID: "rt1", OldHash: hash(stale), NewHash: hash("x"), At: at,
			ExpiresAt: at.Add(time.Hour)})
		wantErr(t, err, storage.ErrConflict)
	}
	got, err = s.GetRefreshToken(ctx, "rt1")
	must(t, err)
	wantEqual(t, "after refused swaps", got, want)
}
