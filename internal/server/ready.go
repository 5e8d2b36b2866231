package server

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/latchkeyhq/latchkey/internal/observe"
)

// HealthStore is what readiness asks the database.
type HealthStore interface {
	Ping(ctx context.Context) error
	PendingMigrations(ctx context.Context) (int, error)
	ProbeWrite(ctx context.Context) error
}

// Readiness answers "should a load balancer send requests here": the
// database answers, its schema is current, and it accepts writes. Results
// are reused for a second, so a probe storm costs the database one check per
// second; the write probe runs at most every ProbeEvery while it succeeds
// and every second while it fails, so a recovery is seen quickly.
type Readiness struct {
	Store HealthStore
	Now   func() time.Time
	// ProbeEvery spaces write probes while they succeed (default 10 s).
	ProbeEvery time.Duration
	// Timeout bounds each check (default 2 s), so a hung database turns
	// into "not ready" rather than a hung probe.
	Timeout time.Duration
	Logger  *slog.Logger

	mu       sync.Mutex
	checked  time.Time
	last     ReadyReport
	probed   time.Time
	probeErr error
	failures *observe.Throttle
}

// ReadyReport is the outcome of one check, served by GET /readyz.
type ReadyReport struct {
	Ready  bool              `json:"ready"`
	Checks map[string]string `json:"checks"`
}

// Check runs (or reuses) the readiness checks.
func (r *Readiness) Check(ctx context.Context) ReadyReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.Now()
	if !r.checked.IsZero() && now.Sub(r.checked) < time.Second && now.Sub(r.checked) >= 0 {
		return r.last
	}
	rep := r.check(ctx, now)
	r.checked, r.last = r.Now(), rep
	return rep
}

func (r *Readiness) check(ctx context.Context, now time.Time) ReadyReport {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	rep := ReadyReport{Ready: true, Checks: map[string]string{"database": "ok", "migrations": "ok", "writes": "ok"}}
	fail := func(check, state string, err error) {
		rep.Ready = false
		rep.Checks[check] = state
		r.logFailure(ctx, check, err)
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := r.Store.Ping(cctx); err != nil {
		fail("database", "unreachable", err)
		rep.Checks["migrations"], rep.Checks["writes"] = "unknown", "unknown"
		return rep
	}
	if n, err := r.Store.PendingMigrations(cctx); err != nil {
		fail("migrations", "unknown", err)
	} else if n > 0 {
		fail("migrations", fmt.Sprintf("%d pending", n), fmt.Errorf("%d migrations pending", n))
	}
	every := r.ProbeEvery
	if every <= 0 {
		every = 10 * time.Second
	}
	if r.probeErr != nil {
		every = time.Second
	}
	if r.probed.IsZero() || now.Sub(r.probed) >= every || now.Before(r.probed) {
		pctx, pcancel := context.WithTimeout(ctx, timeout)
		r.probeErr = r.Store.ProbeWrite(pctx)
		pcancel()
		r.probed = now
	}
	if r.probeErr != nil {
		fail("writes", "refused", r.probeErr)
	}
	return rep
}

// logFailure logs a failed check, once per distinct failure and then as a
// count (observe.Throttle), so a load balancer probing every second during
// an outage does not write a line per probe.
func (r *Readiness) logFailure(ctx context.Context, check string, err error) {
	if r.Logger == nil {
		return
	}
	if r.failures == nil {
		r.failures = observe.NewThrottle(time.Minute, r.Now)
	}
	msg := err.Error()
	if ok, n := r.failures.Allow(check + ": " + msg); ok {
		r.Logger.LogAttrs(ctx, slog.LevelWarn, "not ready", slog.String("check", check),
			slog.String("error", msg), slog.Int("repeated", n))
	}
}
