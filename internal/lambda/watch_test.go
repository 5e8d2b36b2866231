package lambda

import (
	"math"
	"sync"
	"testing"
	"time"
)

// stallClock is a watch's clock that stands still or jumps as a test says:
// the watch reads it once when armed and once at the start of every tick.
type stallClock struct {
	mu    sync.Mutex
	now   time.Time
	step  func(tick int) time.Duration // how far the clock moves before tick n (from 1)
	ticks int
	seen  chan int // tick numbers, as they start
}

func (c *stallClock) read() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.step != nil { // not on arm
		c.ticks++
		c.now = c.now.Add(c.step(c.ticks))
		select {
		case c.seen <- c.ticks:
		default:
		}
	}
	return c.now
}

func (c *stallClock) at() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now.Sub(time.Unix(0, 0))
}

// armStalled arms a 100 ms watch whose clock moves by step before each tick.
func armStalled(step func(int) time.Duration) (*watch, *stallClock) {
	c := &stallClock{now: time.Unix(0, 0), seen: make(chan int, 1)}
	w := newWatch(100*time.Millisecond, math.MaxInt64)
	w.clock = c.read
	w.arm()
	c.mu.Lock()
	c.step = step
	c.mu.Unlock()
	return w, c
}

// A call whose process stood still for longer than its timeout (an
// overloaded machine not running it) is not stopped for it: a trivial
// lambda caught in such a stall used to fail the login with a timeout it
// never spent.
func TestWatchDoesNotCountAStall(t *testing.T) {
	w, c := armStalled(func(n int) time.Duration {
		if n == 1 {
			return 150 * time.Millisecond // the first tick comes 150 ms late
		}
		return time.Millisecond
	})
	defer w.finish()
	for {
		select {
		case n := <-c.seen:
			if n < 3 {
				continue
			}
			if r, stopped := w.stopped(); stopped {
				t.Fatalf("the call was stopped (%s) for the time its process stood still", r)
			}
			return
		case <-w.abandon:
			r, _ := w.stopped()
			t.Fatalf("the call was abandoned (%s) for the time its process stood still", r)
		}
	}
}

// Stalls are forgiven up to one timeout in all: a call whose every tick
// comes late is still stopped and abandoned, by twice the timeout and a
// tenth of it (and one tick).
func TestWatchForgivesStallsOnlyOnce(t *testing.T) {
	w, c := armStalled(func(int) time.Duration { return 50 * time.Millisecond })
	defer w.finish()
	<-w.abandon
	if r, _ := w.stopped(); r != ReasonTimeout {
		t.Fatalf("stopped for %q, want %q", r, ReasonTimeout)
	}
	if at, most := c.at(), 2*w.timeout+w.timeout/10+50*time.Millisecond; at > most {
		t.Fatalf("abandoned at %v of the watch's clock, want at most %v", at, most)
	}
}
