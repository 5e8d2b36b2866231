// Package dbclock gives every node of a deployment one clock: the
// database's. Grace periods, refresh-token expiry, lockout windows and the
// iat/exp of access tokens are all computed from the node's Now; when each
// node used its own, a node running ahead accepted replays after the grace
// period, revoked families on in-grace retries, refused fresh tokens and
// split lockout counts (issue 15, security-bar D5).
//
// Options were computing every comparison in SQL with the database's now()
// (a change to every query, and access tokens are signed outside SQL), or
// following the database's clock here. A Clock samples the database's time
// (storage.DatabaseClock) and anchors it to this process's monotonic clock:
// Now = database time at the sample + monotonic time elapsed since. A step
// of the node's wall clock therefore changes nothing, and its drift matters
// only between samples. Each sample takes the best of a few probes (the one
// with the shortest round trip); the error of Now is at most half that round
// trip plus the drift since the sample (30 s at 100 ppm: 3 ms), well inside
// the tolerances it serves (grace windows in seconds, jwtverify's 5 s leeway).
// When the database does not answer a resample the previous anchor stays.
package dbclock

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults.
const (
	DefaultInterval = 30 * time.Second
	probes          = 3
	probeTimeout    = 5 * time.Second
)

// Source reads the database's clock.
type Source func(ctx context.Context) (time.Time, error)

// Options configure Start.
type Options struct {
	// Local is this process's clock (default time.Now). It must carry a
	// monotonic reading (time.Now does; so does time.Now().Add(d)), which
	// is what Now measures elapsed time with.
	Local func() time.Time
	// Interval between samples (default DefaultInterval).
	Interval time.Duration
	Logger   *slog.Logger
}

// anchor is one sample: the database's time db at this process's local.
type anchor struct {
	local, db time.Time
	rtt       time.Duration
}

// Clock follows the database's clock. Now is safe for concurrent use.
type Clock struct {
	src  Source
	opts Options
	cur  atomic.Pointer[anchor]
	stop context.CancelFunc
	done chan struct{}
	once sync.Once
}

// Start samples the database's clock (an error if it does not answer) and
// resamples every Interval until Stop.
func Start(ctx context.Context, src Source, opts Options) (*Clock, error) {
	if opts.Local == nil {
		opts.Local = time.Now
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Clock{src: src, opts: opts, done: make(chan struct{})}
	a, err := c.sample(ctx)
	if err != nil {
		return nil, err
	}
	c.set(a)
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c.stop = cancel
	go c.run(rctx)
	return c, nil
}

// Now is the database's time, as of now.
func (c *Clock) Now() time.Time {
	a := c.cur.Load()
	return a.db.Add(c.opts.Local().Sub(a.local))
}

// Stop ends the resampling; Now keeps working on the last sample.
func (c *Clock) Stop() {
	c.once.Do(func() {
		c.stop()
		<-c.done
	})
}

func (c *Clock) run(ctx context.Context) {
	defer close(c.done)
	t := time.NewTicker(c.opts.Interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		a, err := c.sample(ctx)
		switch {
		case err != nil && !failing:
			c.opts.Logger.Warn("database clock not sampled; keeping the last sample", "error", err.Error())
			failing = true
		case err == nil:
			failing = false
			c.set(a)
		}
	}
}

func (c *Clock) set(a anchor) {
	c.cur.Store(&a)
	off := a.db.Sub(a.local)
	if off < -time.Second || off > time.Second {
		c.opts.Logger.Debug("this node's clock differs from the database's; following the database", "offset", off.String(), "rtt", a.rtt.String())
	}
}

// sample probes the source a few times and keeps the probe with the
// shortest round trip, dating the database's answer to its midpoint.
func (c *Clock) sample(ctx context.Context) (anchor, error) {
	var best anchor
	var lastErr error
	for i := 0; i < probes; i++ {
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		t0 := c.opts.Local()
		db, err := c.src(pctx)
		t1 := c.opts.Local()
		cancel()
		if err != nil {
			lastErr = err
			continue
		}
		rtt := t1.Sub(t0)
		if best.db.IsZero() || rtt < best.rtt {
			best = anchor{local: t0.Add(rtt / 2), db: db, rtt: rtt}
		}
	}
	if best.db.IsZero() {
		return anchor{}, lastErr
	}
	return best, nil
}
