package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testPurgeChallenges: the janitor's purges of challenges and rate counters
// delete in bounded batches and only what is dead.
func testPurgeChallenges(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	for i := range 5 {
		must(t, s.CreateChallenge(ctx, challenge(fmt.Sprint("old", i), storage.ChallengePasswordless, "u1", time.Minute)))
	}
	must(t, s.CreateChallenge(ctx, challenge("live", storage.ChallengeTwoFactorTrust, "u1", 30*24*time.Hour)))
	for _, want := range []int{2, 2, 1, 0} {
		n, err := s.PurgeChallenges(ctx, base.Add(time.Minute), 2)
		must(t, err)
		wantEqual(t, "batch", n, want)
	}
	if _, err := s.GetChallenge(ctx, storage.ChallengeTwoFactorTrust, hash("live"), base.Add(time.Hour)); err != nil {
		t.Fatalf("a live trust was purged: %v", err)
	}

	for _, key := range []string{"a", "b", "c"} {
		_, err := s.CountEvent(ctx, key, base, time.Minute)
		must(t, err)
	}
	_, err := s.CountEvent(ctx, "recent", base.Add(time.Hour), time.Minute)
	must(t, err)
	for _, want := range []int{2, 1, 0} {
		n, err := s.PurgeRateCounters(ctx, base.Add(time.Minute), 2)
		must(t, err)
		wantEqual(t, "counter batch", n, want)
	}
	n, err := s.CountEvent(ctx, "recent", base.Add(time.Hour+time.Second), time.Minute)
	must(t, err)
	wantEqual(t, "a counter in its window is kept", n, 2)
}
