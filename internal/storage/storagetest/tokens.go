package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func testRefreshTokenRoundTrip(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	want := newToken("rt1", "u1", "app1", "secret")
	must(t, s.CreateRefreshToken(ctx, want))
	wantErr(t, s.CreateRefreshToken(ctx, newToken("rt1", "u1", "app1", "other")), storage.ErrConflict)
	wantErr(t, s.CreateRefreshToken(ctx, newToken("rt2", "u1", "app1", "secret")), storage.ErrConflict)
	got, err := s.GetRefreshToken(ctx, "rt1")
	must(t, err)
	wantEqual(t, "refresh token", got, want)
	got, current, err := s.FindRefreshTokenByHash(ctx, hash("secret"))
	must(t, err)
	if !current {
		t.Fatal("current hash reported as superseded")
	}
	wantEqual(t, "found refresh token", got, want)
	_, _, err = s.FindRefreshTokenByHash(ctx, hash("unknown"))
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.GetRefreshToken(ctx, "nope")
	wantErr(t, err, storage.ErrNotFound)
}

// rotate rotates rt1 from secret old to new at base+step minutes.
func rotate(ctx context.Context, s storage.Storage, old, next string, step int) (storage.RefreshToken, error) {
	at := base.Add(time.Duration(step) * time.Minute)
	return s.RotateRefreshToken(ctx, storage.Rotation{ID: "rt1", OldHash: hash(old), NewHash: hash(next), At: at, ExpiresAt: at.Add(time.Hour)})
}

func testRotationHistory(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	orig := newToken("rt1", "u1", "app1", "s0")
	must(t, s.CreateRefreshToken(ctx, orig))
	secrets := []string{"s0", "s1", "s2", "s3"}
	for i := 1; i < len(secrets); i++ {
		got, err := rotate(ctx, s, secrets[i-1], secrets[i], i)
		must(t, err)
		want := orig
		want.Hash, want.PrevHash, want.Generation = hash(secrets[i]), hash(secrets[i-1]), i
		want.RotatedAt, want.LastUsedAt = base.Add(time.Duration(i)*time.Minute), base.Add(time.Duration(i)*time.Minute)
		want.ExpiresAt = want.RotatedAt.Add(time.Hour)
		wantEqual(t, fmt.Sprintf("record after rotation %d", i), got, want)
	}
	for i, sec := range secrets {
		t.Run("find "+sec, func(t *testing.T) {
			got, current, err := s.FindRefreshTokenByHash(ctx, hash(sec))
			must(t, err)
			if got.ID != "rt1" || got.Generation != 3 {
				t.Fatalf("found %s generation %d, want rt1 generation 3", got.ID, got.Generation)
			}
			if wantCurrent := i == len(secrets)-1; current != wantCurrent {
				t.Fatalf("current = %v, want %v", current, wantCurrent)
			}
		})
	}
}

func testRotationRefusals(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	must(t, s.CreateRefreshToken(ctx, newToken("rt1", "u1", "app1", "s0")))
	_, err := rotate(ctx, s, "s0", "s1", 1)
	must(t, err)
	before, err := s.GetRefreshToken(ctx, "rt1")
	must(t, err)

	tests := []struct {
		name string
		rot  storage.Rotation
		want error
	}{
		{"superseded hash", storage.Rotation{ID: "rt1", OldHash: hash("s0"), NewHash: hash("x1"), At: base}, storage.ErrConflict},
		{"never issued hash", storage.Rotation{ID: "rt1", OldHash: hash("forged"), NewHash: hash("x2"), At: base}, storage.ErrConflict},
		{"unknown id", storage.Rotation{ID: "nope", OldHash: hash("s1"), NewHash: hash("x3"), At: base}, storage.ErrNotFound},
		{"another family's hash", storage.Rotation{ID: "rt1", OldHash: hash("other"), NewHash: hash("x4"), At: base}, storage.ErrConflict},
	}
	must(t, s.CreateRefreshToken(ctx, newToken("rt-other", "u1", "app1", "other")))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.RotateRefreshToken(ctx, tc.rot)
			wantErr(t, err, tc.want)
			after, err := s.GetRefreshToken(ctx, "rt1")
			must(t, err)
			wantEqual(t, "record after refused rotation", after, before)
			_, _, err = s.FindRefreshTokenByHash(ctx, tc.rot.NewHash)
			wantErr(t, err, storage.ErrNotFound)
		})
	}
	t.Run("revoked token", func(t *testing.T) {
		revoked, err := s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{ID: "rt1"}, base.Add(time.Hour), "logout")
		must(t, err)
		if len(revoked) != 1 {
			t.Fatalf("revoked %d tokens, want 1", len(revoked))
		}
		_, err = rotate(ctx, s, "s1", "s2", 2)
		wantErr(t, err, storage.ErrConflict)
		after, err := s.GetRefreshToken(ctx, "rt1")
		must(t, err)
		if !after.RevokedAt.Equal(base.Add(time.Hour)) || after.Generation != 1 || string(after.Hash) != string(hash("s1")) {
			t.Fatalf("revoked token changed by a refused rotation: %+v", after)
		}
	})
}

// testConcurrentRotation: the two-tab race. N goroutines present the same
// secret at once; exactly one rotation may win, the rest get ErrConflict.
func testConcurrentRotation(t *testing.T, s storage.Storage) {
	const n = 20
	ctx := context.Background()
	seed(t, s)
	must(t, s.CreateRefreshToken(ctx, newToken("rt1", "u1", "app1", "s0")))
	errs := parallel(n, func(i int) error {
		_, err := rotate(ctx, s, "s0", fmt.Sprintf("next-%d", i), 1)
		return err
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("rotations #%d and #%d both won", winner, i)
			}
			winner = i
		case !errors.Is(err, storage.ErrConflict):
			t.Fatalf("rotation #%d: %v, want nil or ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("no rotation won: %v", errs)
	}
	got, current, err := s.FindRefreshTokenByHash(ctx, hash(fmt.Sprintf("next-%d", winner)))
	must(t, err)
	if !current || got.Generation != 1 {
		t.Fatalf("winner's hash: current=%v generation=%d, want current generation 1", current, got.Generation)
	}
	for i := range n {
		if i == winner {
			continue
		}
		if _, _, err := s.FindRefreshTokenByHash(ctx, hash(fmt.Sprintf("next-%d", i))); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("loser #%d's hash is stored (err=%v)", i, err)
		}
	}
}

func testTouch(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	must(t, s.CreateRefreshToken(ctx, newToken("rt1", "u1", "app1", "s0")))
	at, exp := base.Add(time.Minute), base.Add(48*time.Hour)
	must(t, s.TouchRefreshToken(ctx, "rt1", at, exp, time.Time{}))
	got, err := s.GetRefreshToken(ctx, "rt1")
	must(t, err)
	if !got.LastUsedAt.Equal(at) || !got.ExpiresAt.Equal(exp) || got.Generation != 0 || string(got.Hash) != string(hash("s0")) {
		t.Fatalf("after touch: %+v", got)
	}
	wantErr(t, s.TouchRefreshToken(ctx, "nope", at, exp, time.Time{}), storage.ErrNotFound)
	_, err = s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{ID: "rt1"}, at, "logout")
	must(t, err)
	wantErr(t, s.TouchRefreshToken(ctx, "rt1", at.Add(time.Minute), exp.Add(time.Hour), exp), storage.ErrNotFound)
	after, err := s.GetRefreshToken(ctx, "rt1")
	must(t, err)
	if !after.ExpiresAt.Equal(exp) {
		t.Fatalf("touch of a revoked token changed its expiry: %v", after.ExpiresAt)
	}
}
