package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestAppRunsTheJanitor: a running App purges an expired refresh token and
// an expired two-factor challenge by itself (its janitor, shortened to a
// pass every 50 ms here) and leaves live ones alone.
func TestAppRunsTheJanitor(t *testing.T) {
	r := start(t, app.Options{JanitorInterval: 50 * time.Millisecond}, nil, nil)
	st := r.App.Store()
	ctx := context.Background()
	u, err := st.FindUser(ctx, storage.UserFilter{TenantID: manage.DefaultTenantID, Email: userEmail})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(expires time.Time) string {
		id := uuid.NewString()
		if err := st.CreateRefreshToken(ctx, storage.RefreshToken{ID: id, TenantID: manage.DefaultTenantID, UserID: u.ID,
			Hash: []byte(id), StartInstant: time.Now(), LastUsedAt: time.Now(), ExpiresAt: expires, AuthTime: time.Now(),
			InsertedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	expired, live := mk(time.Now().Add(-time.Minute)), mk(time.Now().Add(time.Hour))
	mkChallenge := func(value string, expires time.Time) storage.Challenge {
		c := storage.Challenge{Hash: []byte(value), Kind: storage.ChallengeTwoFactorLogin, UserID: u.ID,
			TenantID: manage.DefaultTenantID, CreatedAt: time.Now().Add(-time.Hour), ExpiresAt: expires}
		if err := st.CreateChallenge(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	deadChallenge := mkChallenge("expired-two-factor-id", time.Now().Add(-time.Minute))
	liveChallenge := mkChallenge("live-two-factor-id", time.Now().Add(time.Hour))
	// An expired row is invisible at now; reading at the zero instant (as
	// IssueMethodCode does to make room) still finds it until it is purged.
	challengeGone := func() bool {
		_, err := st.GetChallenge(ctx, deadChallenge.Kind, deadChallenge.Hash, time.Time{})
		return err == storage.ErrNotFound
	}
	if challengeGone() {
		t.Fatal("the expired challenge cannot be read at the zero instant; the test proves nothing")
	}
	deadline := time.Now().Add(30 * time.Second) // bound only: a pass comes within 50 ms
	for {
		_, err := st.GetRefreshToken(ctx, expired)
		if err == storage.ErrNotFound && challengeGone() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the expired token or challenge was never purged")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := st.GetRefreshToken(ctx, live); err != nil {
		t.Fatalf("the live token was purged: %v", err)
	}
	if _, err := st.GetChallenge(ctx, liveChallenge.Kind, liveChallenge.Hash, time.Now()); err != nil {
		t.Fatalf("the live challenge was purged: %v", err)
	}
}
