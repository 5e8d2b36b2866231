package bench

import (
	"context"
	"errors"
	"math"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"
)

// recorder collects every request's latency and outcome per operation.
// Latencies are kept whole (8 bytes a request, 80 MB for ten million) so
// the percentiles are exact, not a histogram's approximation.
type recorder struct {
	mu  sync.Mutex
	ops map[string]*opRecord
}

type opRecord struct {
	latencies []time.Duration // of successes and failures alike
	ok        int
	rotations int
	errors    map[string]int
	samples   map[string]string // one error message per class, to say why
}

func newRecorder() *recorder { return &recorder{ops: map[string]*opRecord{}} }

func (r *recorder) add(op string, o outcome, rotated bool, latency time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := r.ops[op]
	if rec == nil {
		rec = &opRecord{errors: map[string]int{}, samples: map[string]string{}}
		r.ops[op] = rec
	}
	rec.latencies = append(rec.latencies, latency)
	if o.ok() {
		rec.ok++
		if rotated {
			rec.rotations++
		}
		return
	}
	class := errorClass(o)
	rec.errors[class]++
	if _, seen := rec.samples[class]; !seen && o.err != nil {
		rec.samples[class] = o.err.Error()
	}
}

// errorClass is the HTTP status as text, or "timeout" / "transport" when
// no complete response came.
func errorClass(o outcome) string {
	if o.status != 0 {
		return strconv.Itoa(o.status)
	}
	var ne net.Error
	if errors.Is(o.err, context.DeadlineExceeded) || errors.As(o.err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return "transport"
}

// total is the number of requests recorded so far, for the progress line.
func (r *recorder) total() (n, failed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.ops {
		n += len(rec.latencies)
		failed += len(rec.latencies) - rec.ok
	}
	return n, failed
}

// Latency holds percentiles in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// percentiles sorts d in place and reads the nearest-rank percentiles.
func percentiles(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(d)))) - 1 // nearest rank
		return ms(d[min(max(i, 0), len(d)-1)])
	}
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	return Latency{P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), P999: rank(0.999),
		Max: ms(d[len(d)-1]), Mean: ms(sum / time.Duration(len(d)))}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
