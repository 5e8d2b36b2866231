package lambda

import (
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
)

// allocsMetric counts every byte the Go heap has handed out since the
// process started (monotonic; not lowered by garbage collection).
const allocsMetric = "/gc/heap/allocs:bytes"

// memoryTick is how often a running call's allocations are checked. Calls
// that finish sooner (nearly all) never see the check run.
const memoryTick = time.Millisecond

// stallSlack is how late a tick may be before the time it was late is taken
// for a stall of the whole process and not counted against the call (tick).
// A busy Go scheduler makes a timer late by up to its preemption period
// (10 ms) while the call runs; a lambda cannot make its watcher later than
// that, and what it could win at most is one more timeout.
const stallSlack = 20 * time.Millisecond

// watch stops one call: at its deadline, when the process has allocated more
// than the limit since the call began, or when the caller gives up. Stopping
// interrupts the runtime (goja checks between instructions) and raises a flag
// that the guarded builtins check, since goja's interrupt does not reach into
// native builtins. The first reason wins. Past the hard deadline (the
// deadline plus a tenth) it closes abandon, and the caller returns without
// waiting for the call. Both deadlines are moved later by the time the whole
// process stood still, up to one timeout (tick).
//
// One timer does all three: it fires every memoryTick (and at the
// deadline), checks the allocations and the time, and re-arms itself until
// the call finishes or is abandoned. A call that ends before its first tick
// costs one timer armed and stopped.
type watch struct {
	timeout time.Duration
	hard    time.Duration // timeout plus a tenth
	limit   uint64
	base    uint64
	clock   func() time.Time // time.Now; a test's own clock

	// Read and written by arm, then by each tick in turn (the timer is
	// re-armed only at the end of a tick).
	t0      time.Time     // the call's start, moved later by the stalls not counted
	last    time.Time     // when the timer was last armed
	next    time.Duration // what it was armed for
	stalls  time.Duration // stall time not counted so far (at most timeout)
	reason  atomic.Pointer[Reason]
	abandon chan struct{} // closed at the hard deadline if the call has not finished

	mu     sync.Mutex
	rt     *goja.Runtime
	done   bool
	timer  *time.Timer
	sample []metrics.Sample
}

func newWatch(timeout time.Duration, limit int64) *watch {
	w := &watch{timeout: timeout, hard: timeout + timeout/10, limit: uint64(limit), clock: time.Now,
		sample: []metrics.Sample{{Name: allocsMetric}}, abandon: make(chan struct{})}
	w.base = w.allocated()
	return w
}

func (w *watch) allocated() uint64 {
	metrics.Read(w.sample)
	if w.sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return w.sample[0].Value.Uint64()
}

// arm starts the clock; the caller arms the watch before handing the call
// over, so the hard deadline holds however late the call starts.
func (w *watch) arm() {
	w.t0 = w.clock()
	w.last, w.next = w.t0, min(memoryTick, w.timeout)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer = time.AfterFunc(w.next, w.tick)
}

// start gives the watch the call's runtime; a stop that came before start
// interrupts rt at once (goja then interrupts its next run).
func (w *watch) start(rt *goja.Runtime) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rt = rt
	if r := w.reason.Load(); r != nil {
		rt.Interrupt(*r)
	}
}

// tick checks the allocations and the deadlines, and re-arms the timer for
// the next check while the call runs.
func (w *watch) tick() {
	now := w.clock()
	if w.allocated()-w.base > w.limit {
		w.stop(ReasonMemory)
	}
	// A tick much later than it was armed for means the watcher did not run
	// in between, and when the whole process was stopped (an overloaded
	// machine descheduling it: tens of milliseconds at a run queue of four
	// per core), neither did the call: that time is not counted against it,
	// up to one timeout in all. Without this a trivial call caught in such
	// a stall met its deadline at the stall's end, before it could finish.
	if late := now.Sub(w.last) - w.next; late > stallSlack && w.stalls < w.timeout {
		late = min(late, w.timeout-w.stalls)
		w.stalls += late
		w.t0 = w.t0.Add(late)
	}
	elapsed := now.Sub(w.t0)
	if elapsed >= w.timeout {
		w.stop(ReasonTimeout)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return
	}
	if elapsed >= w.hard {
		close(w.abandon)
		return
	}
	next := memoryTick
	if left := w.timeout - elapsed; left > 0 {
		next = min(next, left)
	} else {
		next = min(next, w.hard-elapsed)
	}
	w.last, w.next = now, next
	w.timer.Reset(next)
}

// stop records the reason (the first one wins) and interrupts the runtime.
func (w *watch) stop(r Reason) {
	if !w.reason.CompareAndSwap(nil, &r) {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.rt != nil && !w.done {
		w.rt.Interrupt(r)
	}
}

// stopped reports the reason the call was stopped, if it was.
func (w *watch) stopped() (Reason, bool) {
	if r := w.reason.Load(); r != nil {
		return *r, true
	}
	return "", false
}

// finish disarms the timer; the runtime is never used again by this call.
func (w *watch) finish() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	if w.timer != nil {
		w.timer.Stop()
	}
}
