package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func testKickstart(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	stale := base.Add(-time.Minute) // claims made before this may be taken over
	claim := func(owner string, at, staleBefore time.Time) bool {
		t.Helper()
		ok, err := s.ClaimKickstart(ctx, owner, at, staleBefore)
		must(t, err)
		return ok
	}
	done := func() bool {
		t.Helper()
		ok, err := s.KickstartDone(ctx)
		must(t, err)
		return ok
	}
	if done() {
		t.Fatal("fresh store reports the Kickstart done")
	}
	// N nodes at once: exactly one claim.
	results := make([]bool, 10)
	errs := parallel(10, func(i int) error {
		var err error
		results[i], err = s.ClaimKickstart(ctx, fmt.Sprintf("node-%d", i), base, stale)
		return err
	})
	if ok, others := countNil(errs); ok != 10 {
		t.Fatalf("claims failed: %v", others)
	}
	winner := ""
	for i, r := range results {
		if r {
			if winner != "" {
				t.Fatalf("%s and node-%d both claimed the Kickstart", winner, i)
			}
			winner = fmt.Sprintf("node-%d", i)
		}
	}
	if winner == "" {
		t.Fatal("no caller claimed the Kickstart")
	}
	if claim("late", base.Add(time.Second), stale) || done() {
		t.Fatal("a fresh claim was taken over, or reported done before CompleteKickstart")
	}
	// The holder renews; a release by someone else changes nothing.
	if !claim(winner, base.Add(time.Minute), stale) {
		t.Fatal("the holder could not renew its claim")
	}
	must(t, s.ReleaseKickstart(ctx, "late"))
	if claim("late", base.Add(time.Minute), base.Add(time.Minute)) {
		t.Fatal("a renewed claim (claimed_at = staleBefore) was taken over")
	}
	// Released by its holder: the next start claims it.
	must(t, s.ReleaseKickstart(ctx, winner))
	if !claim("retry", base.Add(2*time.Minute), stale) {
		t.Fatal("claim after release refused")
	}
	// The holder crashed: after the stale bound one of N nodes takes over,
	// and the crashed holder can neither complete nor release any more.
	results = make([]bool, 10)
	errs = parallel(10, func(i int) error {
		var err error
		results[i], err = s.ClaimKickstart(ctx, fmt.Sprintf("taker-%d", i), base.Add(10*time.Minute), base.Add(5*time.Minute))
		return err
	})
	taker := ""
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("takeover claim: %v", errs[i])
		}
		if r {
			if taker != "" {
				t.Fatalf("%s and taker-%d both took over the stale claim", taker, i)
			}
			taker = fmt.Sprintf("taker-%d", i)
		}
	}
	if taker == "" {
		t.Fatal("nobody took over a stale claim")
	}
	wantErr(t, s.CompleteKickstart(ctx, "retry", base.Add(10*time.Minute)), storage.ErrConflict)
	must(t, s.ReleaseKickstart(ctx, "retry"))
	if done() || claim("other", base.Add(10*time.Minute), base.Add(5*time.Minute)) {
		t.Fatal("the crashed holder's release or complete affected the new holder")
	}
	// Done is final: nobody claims again, not even the holder or with a
	// stale bound in the far future, and a release keeps it done.
	must(t, s.CompleteKickstart(ctx, taker, base.Add(11*time.Minute)))
	if !done() {
		t.Fatal("not done after CompleteKickstart")
	}
	must(t, s.ReleaseKickstart(ctx, taker))
	for _, owner := range []string{taker, "other"} {
		if claim(owner, base.Add(time.Hour), base.Add(2*time.Hour)) {
			t.Fatalf("%s claimed a completed Kickstart", owner)
		}
	}
	wantErr(t, s.CompleteKickstart(ctx, taker, base.Add(time.Hour)), storage.ErrConflict)
	if !done() {
		t.Fatal("no longer done")
	}
}
