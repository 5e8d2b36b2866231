package observe

import (
	"sync"
	"time"
)

// Throttle turns a flood of identical log lines into one line per window
// with a count (issue 15: "a flood of identical failures is logged as a
// count, not one line per request"). A key is the failure's text.
type Throttle struct {
	window time.Duration
	now    func() time.Time

	mu   sync.Mutex
	seen map[string]*throttled
}

type throttled struct {
	logged     time.Time
	suppressed int
}

// maxThrottleKeys bounds the memory a stream of distinct failures can take;
// past it the oldest window's keys are forgotten at once.
const maxThrottleKeys = 256

// NewThrottle returns a Throttle that lets one line per key through per
// window.
func NewThrottle(window time.Duration, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{window: window, now: now, seen: map[string]*throttled{}}
}

// Allow reports whether a line for key should be written now and, if so, how
// many identical lines were held back since the last one written.
func (t *Throttle) Allow(key string) (ok bool, suppressed int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	e := t.seen[key]
	if e == nil {
		if len(t.seen) >= maxThrottleKeys {
			clear(t.seen)
		}
		t.seen[key] = &throttled{logged: now}
		return true, 0
	}
	if now.Sub(e.logged) < t.window && !now.Before(e.logged) {
		e.suppressed++
		return false, 0
	}
	n := e.suppressed
	e.logged, e.suppressed = now, 0
	return true, n
}
