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

// watch stops one call: at its deadline, when the process has allocated more
// than the limit since the call began, or when the caller gives up. Stopping
// interrupts the runtime (goja checks between instructions) and raises a flag
// that the guarded builtins check, since goja's interrupt does not reach into
// native builtins. The first reason wins.
type watch struct {
	timeout time.Duration
	limit   uint64
	base    uint64
	reason  atomic.Pointer[Reason]

	mu       sync.Mutex
	rt       *goja.Runtime
	done     bool
	deadline *time.Timer
	tick     *time.Timer
	sample   []metrics.Sample
}

func newWatch(timeout time.Duration, limit int64) *watch {
	w := &watch{timeout: timeout, limit: uint64(limit), sample: []metrics.Sample{{Name: allocsMetric}}}
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

// start arms the deadline and the memory check for rt; a stop that came
// before start interrupts rt at once (goja then interrupts its next run).
func (w *watch) start(rt *goja.Runtime) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rt = rt
	if r := w.reason.Load(); r != nil {
		rt.Interrupt(*r)
		return
	}
	w.deadline = time.AfterFunc(w.timeout, func() { w.stop(ReasonTimeout) })
	w.tick = time.AfterFunc(memoryTick, w.checkMemory)
}

func (w *watch) checkMemory() {
	if w.allocated()-w.base > w.limit {
		w.stop(ReasonMemory)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.tick.Reset(memoryTick)
	}
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

// finish disarms the timers; the runtime is never used again.
func (w *watch) finish() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	if w.deadline != nil {
		w.deadline.Stop()
		w.tick.Stop()
	}
}
