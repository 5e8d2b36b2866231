package janitor_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/janitor"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	tenantID = "7a000000-0000-4000-8000-000000000001"
	appID    = "7a000000-0000-4000-8000-0000000000a1"
	userID   = "7a000000-0000-4000-8000-0000000000b1"
)

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// world stores a tenant, an application and a user with refresh tokens
// in every state the janitor tells apart, on the real store (SQLite, or
// PostgreSQL when LATCHKEY_TEST_POSTGRES_DSN is set).
func world(t *testing.T) storage.Storage {
	t.Helper()
	st := sqlstorage.OpenTest(t)
	ctx := context.Background()
	must(t, st.CreateTenant(ctx, storage.Tenant{ID: tenantID, Name: "t"}))
	must(t, st.CreateApplication(ctx, storage.Application{ID: appID, TenantID: tenantID, Name: "a", Active: true, State: "Active"}))
	must(t, st.CreateUser(ctx, storage.User{ID: userID, TenantID: tenantID, Active: true, Email: "j@example.test"}))
	tok := func(id string, expires, revoked time.Time) {
		rt := storage.RefreshToken{ID: id, TenantID: tenantID, UserID: userID, ApplicationID: appID, Hash: hash(id),
			StartInstant: now.Add(-72 * time.Hour), LastUsedAt: now.Add(-72 * time.Hour), ExpiresAt: expires, AuthTime: now,
			InsertedAt: now.Add(-72 * time.Hour), RevokedAt: revoked}
		if !revoked.IsZero() {
			rt.RevokeReason = "logout"
		}
		must(t, st.CreateRefreshToken(ctx, rt))
	}
	for i := range 7 {
		tok(fmt.Sprintf("expired-%d", i), now.Add(-time.Duration(i+1)*time.Minute), time.Time{})
	}
	tok("live", now.Add(time.Hour), time.Time{})
	tok("revoked-an-hour-ago", now.Add(time.Hour), now.Add(-time.Hour)) // its JWTs may live 2 h
	tok("revoked-a-day-ago", now.Add(time.Hour), now.Add(-24*time.Hour))
	// The live session rotated long ago and recently.
	for i, at := range []time.Duration{-10 * 24 * time.Hour, -time.Hour} {
		_, err := st.RotateRefreshToken(ctx, storage.Rotation{ID: "live", OldHash: hash(fmt.Sprintf("live%s", suffix(i))),
			NewHash: hash(fmt.Sprintf("live%s", suffix(i+1))), At: now.Add(at), ExpiresAt: now.Add(time.Hour)})
		must(t, err)
	}
	return st
}

func suffix(i int) string {
	if i == 0 {
		return ""
	}
	return fmt.Sprint(i)
}

func newJanitor(st storage.Storage, batch int) *janitor.Janitor {
	hours := func(h int) func(context.Context) (time.Duration, error) {
		return func(context.Context) (time.Duration, error) { return time.Duration(h) * time.Hour, nil }
	}
	return janitor.New(janitor.Config{
		Tasks:      janitor.Tasks(st, janitor.Retention{TokenLifetime: hours(2), LockoutWindow: hours(1)}),
		ClaimLease: st.ClaimLease, Now: func() time.Time { return now }, Batch: batch, Pause: time.Millisecond,
	})
}

// TestOnePassPurgesWhatExpired: after one pass the expired tokens (with
// their history) and the session revoked longer ago than any of its tokens
// can live are gone, in batches; the live session with all of its rotation
// history (a value rotated away 10 days ago still names its family, so its
// reuse is detected) and the one revoked an hour ago (still in the
// revocation feed) are not.
func TestOnePassPurgesWhatExpired(t *testing.T) {
	st := world(t)
	ctx := context.Background()
	done, err := newJanitor(st, 2).Pass(ctx)
	must(t, err)
	if done["refresh_tokens"] != 8 {
		t.Fatalf("purged %d refresh tokens, want 8 (7 expired, 1 revoked a day ago): %v", done["refresh_tokens"], done)
	}
	for _, id := range []string{"live", "revoked-an-hour-ago"} {
		if _, err := st.GetRefreshToken(ctx, id); err != nil {
			t.Fatalf("%s was purged: %v", id, err)
		}
	}
	for _, id := range []string{"expired-0", "expired-6", "revoked-a-day-ago"} {
		if _, err := st.GetRefreshToken(ctx, id); err != storage.ErrNotFound {
			t.Fatalf("%s survived the pass: %v", id, err)
		}
	}
	if rt, current, err := st.FindRefreshTokenByHash(ctx, hash("live2")); err != nil || !current || rt.ID != "live" {
		t.Fatalf("the live session's current value: %v %v", current, err)
	}
	for _, v := range []string{"live", "live1"} { // rotated away 10 days and an hour ago
		if rt, current, err := st.FindRefreshTokenByHash(ctx, hash(v)); err != nil || current || rt.ID != "live" {
			t.Fatalf("%s is no longer recognised as a superseded value of its family: %v", v, err)
		}
	}
	again, err := newJanitor(st, 2).Pass(ctx)
	must(t, err)
	for task, n := range again {
		if n != 0 {
			t.Fatalf("a second pass purged %d by %s", n, task)
		}
	}
}

// TestOneNodeAtATime: janitors of several nodes on one database: at any
// time one holds the lease and works, the others skip their pass.
func TestOneNodeAtATime(t *testing.T) {
	st := world(t)
	var calls atomic.Int64
	counted := []janitor.Task{{Name: "count", Purge: func(context.Context, time.Time, int) (int, error) {
		calls.Add(1)
		return 0, nil
	}}}
	var wg sync.WaitGroup
	for range 5 {
		j := janitor.New(janitor.Config{Tasks: counted, ClaimLease: st.ClaimLease, Now: func() time.Time { return now }})
		wg.Go(func() {
			if _, err := j.Pass(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d nodes worked, want 1", n)
	}
}

// TestBatchesAreBounded: every purge asks for at most Batch rows, and a pass
// stops after MaxBatches of a task whatever is left (the next pass goes on),
// so no pass holds the database for long.
func TestBatchesAreBounded(t *testing.T) {
	st := world(t)
	var calls atomic.Int64
	endless := []janitor.Task{{Name: "endless", Purge: func(_ context.Context, _ time.Time, limit int) (int, error) {
		calls.Add(1)
		if limit != 7 {
			t.Errorf("limit %d, want the batch size 7", limit)
		}
		return limit, nil
	}}}
	j := janitor.New(janitor.Config{Tasks: endless, ClaimLease: st.ClaimLease, Now: func() time.Time { return now },
		Batch: 7, MaxBatches: 5, Pause: time.Millisecond})
	done, err := j.Pass(context.Background())
	must(t, err)
	if calls.Load() != 5 || done["endless"] != 35 {
		t.Fatalf("%d calls, %d rows; want 5 batches of 7", calls.Load(), done["endless"])
	}
}
