package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func testRegistrations(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, u := seed(t, s)
	must(t, s.CreateApplication(ctx, newApp("app2", true)))
	wantErr(t, s.CreateRegistration(ctx, storage.Registration{ID: "dup", UserID: u.ID, ApplicationID: app.ID}), storage.ErrConflict)
	if err := s.CreateRegistration(ctx, storage.Registration{ID: "ghost", UserID: "no-such-user", ApplicationID: app.ID}); err == nil {
		t.Fatal("registration of an unknown user was accepted")
	}
	r2 := storage.Registration{ID: "reg2", UserID: u.ID, ApplicationID: "app2", Roles: []string{"user"},
		Data: map[string]any{"k": "v"}, Username: "ada2", Verified: true, InsertInstant: base.UnixMilli()}
	must(t, s.CreateRegistration(ctx, r2))
	got, err := s.GetRegistration(ctx, u.ID, "app2")
	must(t, err)
	wantEqual(t, "registration", unrevisedReg(got), r2)
	list, err := s.ListRegistrations(ctx, u.ID)
	must(t, err)
	if len(list) != 2 {
		t.Fatalf("ListRegistrations = %+v, want 2", list)
	}
	r2.Roles = []string{"user", "moderator"}
	must(t, s.UpdateRegistration(ctx, r2))
	got, err = s.GetRegistration(ctx, u.ID, "app2")
	must(t, err)
	wantEqual(t, "updated registration", unrevisedReg(got), r2)
	wantErr(t, s.UpdateRegistration(ctx, storage.Registration{UserID: u.ID, ApplicationID: "nope"}), storage.ErrNotFound)

	must(t, s.DeleteRegistration(ctx, u.ID, "app2"))
	_, err = s.GetRegistration(ctx, u.ID, "app2")
	wantErr(t, err, storage.ErrNotFound)
	wantErr(t, s.DeleteRegistration(ctx, u.ID, "app2"), storage.ErrNotFound)
	empty, err := s.ListRegistrations(ctx, "nobody")
	must(t, err)
	if len(empty) != 0 {
		t.Fatalf("ListRegistrations(nobody) = %+v", empty)
	}
}

// cascadeFixture gives u1 a registration, a twice-rotated refresh token and a
// lockout counter, and returns the token's three secrets' hashes.
func cascadeFixture(t *testing.T, s storage.Storage) [][]byte {
	t.Helper()
	ctx := context.Background()
	seed(t, s)
	must(t, s.CreateRefreshToken(ctx, newToken("rt1", "u1", "app1", "s0")))
	for i, next := range []string{"s1", "s2"} {
		_, err := s.RotateRefreshToken(ctx, storage.Rotation{ID: "rt1", OldHash: hash([]string{"s0", "s1"}[i]), NewHash: hash(next),
			At: base.Add(time.Minute), ExpiresAt: base.Add(time.Hour)})
		must(t, err)
	}
	_, err := s.RecordLoginFailure(ctx, "u1", base, storage.LockoutPolicy{Threshold: 5, Window: time.Hour, LockDuration: time.Hour})
	must(t, err)
	return [][]byte{hash("s0"), hash("s1"), hash("s2")}
}

// wantTokensGone checks that no hash of the family is found any more.
func wantTokensGone(t *testing.T, s storage.Storage, hashes [][]byte) {
	t.Helper()
	ctx := context.Background()
	_, err := s.GetRefreshToken(ctx, "rt1")
	wantErr(t, err, storage.ErrNotFound)
	for i, h := range hashes {
		if _, _, err := s.FindRefreshTokenByHash(ctx, h); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("hash #%d still found after delete: err=%v", i, err)
		}
	}
}

func testDeleteUserCascades(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	hashes := cascadeFixture(t, s)
	must(t, s.DeleteUser(ctx, "u1"))
	_, err := s.GetUser(ctx, "u1")
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.GetRegistration(ctx, "u1", "app1")
	wantErr(t, err, storage.ErrNotFound)
	wantTokensGone(t, s, hashes)
	f, err := s.GetLoginFailures(ctx, "u1")
	must(t, err)
	if f.Count != 0 {
		t.Fatalf("lockout counter survived user deletion: %+v", f)
	}
	// The application is untouched.
	_, err = s.GetApplication(ctx, "app1")
	must(t, err)
}

func testDeleteApplicationCascades(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	hashes := cascadeFixture(t, s)
	must(t, s.DeleteApplication(ctx, "app1"))
	_, err := s.GetApplication(ctx, "app1")
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.GetRegistration(ctx, "u1", "app1")
	wantErr(t, err, storage.ErrNotFound)
	wantTokensGone(t, s, hashes)
	// The user is untouched.
	_, err = s.GetUser(ctx, "u1")
	must(t, err)
}
