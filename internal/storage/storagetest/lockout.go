package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func testLockout(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	p := storage.LockoutPolicy{Threshold: 3, Window: time.Minute, LockDuration: 5 * time.Minute}
	f, err := s.GetLoginFailures(ctx, "u1")
	must(t, err)
	wantEqual(t, "no counter", f, storage.LoginFailures{})
	steps := []struct {
		at          time.Duration
		count       int
		windowStart time.Duration
		lockedUntil time.Duration // 0 = not locked
	}{
		{0, 1, 0, 0},
		{10 * time.Second, 2, 0, 0},
		{20 * time.Second, 3, 0, 20*time.Second + 5*time.Minute}, // threshold reached
		{30 * time.Second, 4, 0, 20*time.Second + 5*time.Minute}, // a lock is not extended
		{6 * time.Minute, 1, 6 * time.Minute, 0},                 // lock and window over: count restarts
		{8 * time.Minute, 1, 8 * time.Minute, 0},                 // window passed: restarts again
	}
	for i, st := range steps {
		f, err := s.RecordLoginFailure(ctx, "u1", base.Add(st.at), p)
		must(t, err)
		want := storage.LoginFailures{UserID: "u1", Count: st.count, WindowStart: base.Add(st.windowStart)}
		if st.lockedUntil != 0 {
			want.LockedUntil = base.Add(st.lockedUntil)
		}
		wantEqual(t, fmt.Sprintf("step %d", i), f, want)
		got, err := s.GetLoginFailures(ctx, "u1")
		must(t, err)
		wantEqual(t, fmt.Sprintf("stored step %d", i), got, want)
	}
	must(t, s.ResetLoginFailures(ctx, "u1"))
	f, err = s.GetLoginFailures(ctx, "u1")
	must(t, err)
	wantEqual(t, "after reset", f, storage.LoginFailures{})
	// Another user's counter is independent.
	f, err = s.RecordLoginFailure(ctx, "u2", base, storage.LockoutPolicy{Threshold: 1, Window: time.Minute, LockDuration: time.Hour})
	must(t, err)
	if f.Count != 1 || !f.LockedUntil.Equal(base.Add(time.Hour)) {
		t.Fatalf("threshold 1 did not lock on the first failure: %+v", f)
	}
}

// testLockoutConcurrent: N failures at once count N (no lost updates).
func testLockoutConcurrent(t *testing.T, s storage.Storage) {
	const n = 20
	ctx := context.Background()
	p := storage.LockoutPolicy{Threshold: 1000, Window: time.Hour, LockDuration: time.Hour}
	errs := parallel(n, func(i int) error {
		_, err := s.RecordLoginFailure(ctx, "u1", base.Add(time.Duration(i)*time.Millisecond), p)
		return err
	})
	if ok, others := countNil(errs); ok != n {
		t.Fatalf("%d of %d failures recorded: %v", ok, n, others)
	}
	f, err := s.GetLoginFailures(ctx, "u1")
	must(t, err)
	if f.Count != n {
		t.Fatalf("count = %d after %d concurrent failures", f.Count, n)
	}
}
