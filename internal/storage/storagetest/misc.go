package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func signingKey(id, alg string, created time.Time) storage.SigningKey {
	return storage.SigningKey{ID: id, Algorithm: alg, PrivateKeyPEM: "PRIV " + id, PublicKeyPEM: "PUB " + id,
		State: "active", CreatedAt: created}
}

func testSigningKeys(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	k1 := signingKey("k1", "ES256", base)
	must(t, s.InsertSigningKey(ctx, k1))
	wantErr(t, s.InsertSigningKey(ctx, signingKey("k1b", "ES256", base)), storage.ErrConflict)
	must(t, s.InsertSigningKey(ctx, signingKey("r1", "RS256", base.Add(time.Second))))
	keys, err := s.ListSigningKeys(ctx, base)
	must(t, err)
	wantEqual(t, "keys", keys, []storage.SigningKey{k1, signingKey("r1", "RS256", base.Add(time.Second))})

	retire := base.Add(24 * time.Hour)
	k2 := signingKey("k2", "ES256", base.Add(time.Hour))
	must(t, s.RotateSigningKey(ctx, k2, retire))
	oldK1 := k1
	oldK1.State, oldK1.RetireAt = "retiring", retire
	tests := []struct {
		name string
		now  time.Time
		want []string
	}{
		{"during overlap", base.Add(2 * time.Hour), []string{"k1", "r1", "k2"}},
		{"after retirement", retire.Add(time.Millisecond), []string{"r1", "k2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := s.ListSigningKeys(ctx, tc.now)
			must(t, err)
			var got []string
			for _, k := range keys {
				got = append(got, k.ID)
				if k.ID == "k1" {
					wantEqual(t, "retiring key", k, oldK1)
				}
			}
			wantEqual(t, "published keys", got, tc.want)
		})
	}
	// Still one active ES256 key: another insert is refused.
	wantErr(t, s.InsertSigningKey(ctx, signingKey("k3", "ES256", base)), storage.ErrConflict)
}

// testConcurrentSigningKeyInsert: N nodes start at once on an empty database;
// exactly one creates the key.
func testConcurrentSigningKeyInsert(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	errs := parallel(10, func(i int) error {
		return s.InsertSigningKey(ctx, signingKey(fmt.Sprintf("k%d", i), "ES256", base))
	})
	ok, others := countNil(errs)
	if ok != 1 {
		t.Fatalf("%d inserts succeeded, want 1 (%v)", ok, others)
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("loser error %v, want ErrConflict", err)
		}
	}
	keys, err := s.ListSigningKeys(ctx, base)
	must(t, err)
	if len(keys) != 1 {
		t.Fatalf("%d keys stored, want 1", len(keys))
	}
}

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

func testServerSecret(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	got := make([][]byte, 10)
	errs := parallel(10, func(i int) error {
		var err error
		got[i], err = s.ServerSecret(ctx, "refresh-derivation", []byte(fmt.Sprintf("candidate-%d", i)))
		return err
	})
	if ok, others := countNil(errs); ok != 10 {
		t.Fatalf("ServerSecret failed: %v", others)
	}
	if !bytes.HasPrefix(got[0], []byte("candidate-")) {
		t.Fatalf("stored secret %q is none of the candidates", got[0])
	}
	for i := range got {
		if !bytes.Equal(got[i], got[0]) {
			t.Fatalf("callers disagree: %q vs %q", got[i], got[0])
		}
	}
	later, err := s.ServerSecret(ctx, "refresh-derivation", []byte("late"))
	must(t, err)
	if !bytes.Equal(later, got[0]) {
		t.Fatalf("a later call replaced the secret: %q", later)
	}
	other, err := s.ServerSecret(ctx, "other", []byte("o"))
	must(t, err)
	if string(other) != "o" {
		t.Fatalf("secrets are not kept per name: %q", other)
	}
}
