package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// janitorTests are the purges of internal/janitor.
var janitorTests = []struct {
	name string
	fn   func(t *testing.T, s storage.Storage)
}{
	{"PurgeRefreshTokens", testPurgeRefreshTokens},
	{"PurgeTombstonesLoginFailuresKeys", testPurgeOthers},
	{"ClaimLease", testClaimLease},
	{"ClaimLeaseConcurrent", testClaimLeaseConcurrent},
}

// purgeAll calls purge with a small limit until it deletes nothing, and
// checks that no call deleted more than the limit.
func purgeAll(t *testing.T, purge func(limit int) (int, error)) int {
	t.Helper()
	total := 0
	for {
		n, err := purge(2)
		must(t, err)
		if n > 2 {
			t.Fatalf("a purge with limit 2 deleted %d rows", n)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

// testPurgeRefreshTokens: expired (never revoked) tokens go once expired;
// revoked ones only once revokedBefore has passed them (the revocation feed
// still lists them until then); live ones stay; history goes with its token.
func testPurgeRefreshTokens(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	mk := func(id string, expires time.Time, revoked time.Time) {
		rt := newToken(id, "u1", "app1", id)
		rt.ExpiresAt, rt.RevokedAt = expires, revoked
		if !revoked.IsZero() {
			rt.RevokeReason = "logout"
		}
		must(t, s.CreateRefreshToken(ctx, rt))
	}
	now := base.Add(48 * time.Hour)
	for i := range 5 {
		mk(fmt.Sprintf("expired-%d", i), now.Add(-time.Duration(i+1)*time.Minute), time.Time{})
	}
	mk("live", now.Add(time.Hour), time.Time{})
	mk("revoked-recently", now.Add(time.Hour), now.Add(-10*time.Minute))
	mk("revoked-long-ago", now.Add(time.Hour), now.Add(-3*time.Hour))
	mk("expired-and-revoked-recently", now.Add(-time.Minute), now.Add(-2*time.Minute))
	_, err := s.RotateRefreshToken(ctx, storage.Rotation{ID: "expired-0", OldHash: hash("expired-0"), NewHash: hash("expired-0-next"),
		At: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Minute)})
	must(t, err)
	n := purgeAll(t, func(limit int) (int, error) { return s.PurgeRefreshTokens(ctx, now, now.Add(-time.Hour), limit) })
	if n != 6 {
		t.Fatalf("purged %d tokens, want 6 (5 expired, 1 revoked long ago)", n)
	}
	for _, id := range []string{"live", "revoked-recently", "expired-and-revoked-recently"} {
		if _, err := s.GetRefreshToken(ctx, id); err != nil {
			t.Fatalf("%s was purged: %v", id, err)
		}
	}
	if _, _, err := s.FindRefreshTokenByHash(ctx, hash("expired-0")); err != storage.ErrNotFound {
		t.Fatalf("history of a purged token: %v, want ErrNotFound", err)
	}
}

// testPurgeOthers: tombstones, lockout counters and retired signing keys.
func testPurgeOthers(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	rt := newToken("gone", "u1", "app1", "gone")
	must(t, s.CreateRefreshToken(ctx, rt))
	must(t, s.DeleteUserAt(ctx, rt.UserID, base.Add(time.Hour)))
	if n := purgeAll(t, func(l int) (int, error) { return s.PurgeTombstones(ctx, base.Add(time.Hour), l) }); n != 0 {
		t.Fatalf("purged a tombstone revoked at the cutoff: %d", n)
	}
	if n := purgeAll(t, func(l int) (int, error) { return s.PurgeTombstones(ctx, base.Add(2*time.Hour), l) }); n != 1 {
		t.Fatalf("purged %d tombstones, want 1", n)
	}

	p := storage.LockoutPolicy{Threshold: 2, Window: time.Minute, LockDuration: time.Hour}
	_, err := s.RecordLoginFailure(ctx, "stale", base, p)
	must(t, err)
	for range 2 {
		_, err = s.RecordLoginFailure(ctx, "locked", base, p) // locked until base+1h
		must(t, err)
	}
	_, err = s.RecordLoginFailure(ctx, "fresh", base.Add(50*time.Minute), p)
	must(t, err)
	if n := purgeAll(t, func(l int) (int, error) {
		return s.PurgeLoginFailures(ctx, base.Add(30*time.Minute), base.Add(55*time.Minute), l)
	}); n != 1 {
		t.Fatalf("purged %d counters, want 1 (stale; locked and fresh stay)", n)
	}
	for id, want := range map[string]int{"stale": 0, "locked": 2, "fresh": 1} {
		f, err := s.GetLoginFailures(ctx, id)
		must(t, err)
		if f.Count != want {
			t.Fatalf("counter %s = %d, want %d", id, f.Count, want)
		}
	}

	must(t, s.InsertSigningKey(ctx, signingKey("k1", "ES256", base)))
	must(t, s.RotateSigningKey(ctx, signingKey("k2", "ES256", base.Add(time.Hour)), base.Add(2*time.Hour)))
	if n := purgeAll(t, func(l int) (int, error) { return s.PurgeSigningKeys(ctx, base.Add(2*time.Hour), l) }); n != 0 {
		t.Fatalf("purged a key retired at the cutoff: %d", n)
	}
	if n := purgeAll(t, func(l int) (int, error) { return s.PurgeSigningKeys(ctx, base.Add(3*time.Hour), l) }); n != 1 {
		t.Fatalf("purged %d keys, want the retired one", n)
	}
	keys, err := s.ListSigningKeys(ctx, base)
	must(t, err)
	if len(keys) != 1 || keys[0].ID != "k2" {
		t.Fatalf("keys left: %v", keys)
	}
}

// testClaimLease: a lease is held until it expires; its holder renews it;
// another owner gets it only once it has expired.
func testClaimLease(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	claim := func(owner string, now time.Time) bool {
		ok, err := s.ClaimLease(ctx, "janitor", owner, now, now.Add(time.Minute))
		must(t, err)
		return ok
	}
	steps := []struct {
		owner string
		at    time.Duration
		want  bool
	}{
		{"a", 0, true},
		{"b", 30 * time.Second, false},
		{"a", 50 * time.Second, true}, // renewed until 1m50s
		{"b", 90 * time.Second, false},
		{"b", 110 * time.Second, true},
		{"a", 120 * time.Second, false},
	}
	for i, st := range steps {
		if got := claim(st.owner, base.Add(st.at)); got != st.want {
			t.Fatalf("step %d: %s claims at %v: %v, want %v", i, st.owner, st.at, got, st.want)
		}
	}
	if ok, err := s.ClaimLease(ctx, "other", "a", base, base.Add(time.Minute)); err != nil || !ok {
		t.Fatalf("another lease name: %v %v", ok, err)
	}
}

// testClaimLeaseConcurrent: of ten nodes claiming a free lease at once, one
// gets it.
func testClaimLeaseConcurrent(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	won := 0
	for _, err := range parallel(10, func(i int) error {
		ok, err := s.ClaimLease(ctx, "janitor", fmt.Sprintf("node-%d", i), base, base.Add(time.Minute))
		if err == nil && !ok {
			return errLost
		}
		return err
	}) {
		switch err {
		case nil:
			won++
		case errLost:
		default:
			t.Fatal(err)
		}
	}
	if won != 1 {
		t.Fatalf("%d nodes hold the lease, want 1", won)
	}
}

var errLost = fmt.Errorf("lease held by another")
