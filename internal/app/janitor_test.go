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

// TestAppRunsTheJanitor: a running App purges an expired refresh token by
// itself (its janitor, shortened to a pass every 50 ms here) and leaves a
// live one alone.
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
	deadline := time.Now().Add(30 * time.Second) // bound only: a pass comes within 50 ms
	for {
		if _, err := st.GetRefreshToken(ctx, expired); err == storage.ErrNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the expired token was never purged")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := st.GetRefreshToken(ctx, live); err != nil {
		t.Fatalf("the live token was purged: %v", err)
	}
}
