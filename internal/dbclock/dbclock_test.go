package dbclock

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// skewed is a source whose clock runs off from ours by a fixed amount, as a
// database server's may.
func skewed(off time.Duration) Source {
	return func(context.Context) (time.Time, error) { return time.Now().Add(off), nil }
}

// TestNowFollowsTheDatabase: a node whose own clock is two minutes ahead
// or behind (Local) still reports the database's time. The bound, 30 s,
// is far outside any round trip or scheduling delay under load and far
// inside the two minutes: a clock that followed Local misses it by 90 s.
func TestNowFollowsTheDatabase(t *testing.T) {
	for _, localSkew := range []time.Duration{0, 120 * time.Second, -120 * time.Second} {
		c, err := Start(context.Background(), skewed(0), Options{Local: func() time.Time { return time.Now().Add(localSkew) }})
		if err != nil {
			t.Fatal(err)
		}
		got := c.Now()
		c.Stop()
		if d := time.Until(got); d < -30*time.Second || d > 30*time.Second {
			t.Fatalf("local clock %v off: Now is %v from the database's", localSkew, d)
		}
	}
}

// TestResampleKeepsLastOnFailure: a database that stops answering keeps the
// last sample; one that answers again is followed again; Start fails when
// the database does not answer at all.
func TestResampleKeepsLastOnFailure(t *testing.T) {
	var off atomic.Int64
	var down atomic.Bool
	var samples atomic.Int64
	src := func(context.Context) (time.Time, error) {
		samples.Add(1)
		if down.Load() {
			return time.Time{}, errors.New("down")
		}
		return time.Now().Add(time.Duration(off.Load())), nil
	}
	c, err := Start(context.Background(), src, Options{Interval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	down.Store(true)
	off.Store(int64(time.Hour))
	waitSamples(t, &samples, 10)
	if d := time.Until(c.Now()); d > time.Second {
		t.Fatalf("followed a sample that failed: %v", d)
	}
	down.Store(false)
	waitFor(t, func() bool { return time.Until(c.Now()) > 59*time.Minute })

	down.Store(true)
	if _, err := Start(context.Background(), src, Options{}); err == nil {
		t.Fatal("Start succeeded without a database clock")
	}
}

func waitSamples(t *testing.T, n *atomic.Int64, more int64) {
	t.Helper()
	target := n.Load() + more
	waitFor(t, func() bool { return n.Load() >= target })
}

// waitFor polls cond; the bound only turns a hang into a failure.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}
