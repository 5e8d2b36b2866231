package bench

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Status is what the progress line shows.
type Status struct {
	Elapsed, Bound time.Duration // time so far and the time bound
	Done, Failed   int           // requests completed, and how many failed
	Limit          int           // the count bound, 0 when none
}

// phase is one measured load phase.
type phase struct {
	t        *target
	o        Options
	sessions []*session
	pick     func(r *rand.Rand) string
	rec      *recorder
	started  atomic.Int64 // requests started, for the count bound
	unsent   int          // open loop: due requests never sent before the bounds
}

// claim reserves one request under the count bound.
func (p *phase) claim() bool {
	return p.o.Requests == 0 || p.started.Add(1) <= int64(p.o.Requests)
}

// do runs op on s and records it, with the latency counted from from,
// unless the run was interrupted (a request cut off by Ctrl-C says nothing
// about the server).
func (p *phase) do(ctx context.Context, op string, s *session, from time.Time) {
	o, rotated := p.t.run(ctx, op, s)
	if ctx.Err() != nil {
		return
	}
	p.rec.add(op, o, rotated, time.Since(from))
}

// closedLoop runs one client per session, each sending its next request
// when the previous one is answered, until stop closes or the count bound
// is reached. Requests in flight at the time bound finish and are counted.
func (p *phase) closedLoop(ctx context.Context, stop <-chan struct{}) {
	var wg sync.WaitGroup
	for i, s := range p.sessions {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(i), 0x6c61746368))
			for {
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				default:
				}
				if !p.claim() {
					return
				}
				p.do(ctx, p.pick(r), s, time.Now())
			}
		})
	}
	wg.Wait()
}

// openLoop sends Rate requests per second on a fixed schedule, whatever the
// answers, each on a free session. Latency counts from the time a request
// was due, not from when it went out, so a server that falls behind shows
// its queue in the percentiles instead of hiding it (coordinated omission).
// When every session is busy the schedule waits, and the wait is counted;
// requests still due at the time bound are reported as unsent.
func (p *phase) openLoop(ctx context.Context, stop <-chan struct{}, start time.Time) {
	free := make(chan *session, len(p.sessions))
	for _, s := range p.sessions {
		free <- s
	}
	interval := time.Duration(float64(time.Second) / p.o.Rate)
	planned := int(p.o.Duration / interval)
	if p.o.Requests > 0 {
		planned = min(planned, p.o.Requests)
	}
	var wg sync.WaitGroup
	sent := 0
	r := rand.New(rand.NewPCG(1, 0x6c61746368))
	for ; sent < planned; sent++ {
		due := start.Add(time.Duration(sent) * interval)
		if !sleepUntil(ctx, stop, due) {
			break
		}
		var s *session
		select {
		case s = <-free:
		case <-stop:
		case <-ctx.Done():
		}
		if s == nil {
			break
		}
		op := p.pick(r)
		wg.Go(func() {
			p.do(ctx, op, s, due)
			free <- s
		})
	}
	p.unsent = planned - sent
	wg.Wait()
}

// sleepUntil waits for t; false when stop or ctx ended the wait first.
func sleepUntil(ctx context.Context, stop <-chan struct{}, t time.Time) bool {
	wait := time.Until(t)
	if wait <= 0 {
		return true
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-stop:
		return false
	case <-ctx.Done():
		return false
	}
}
