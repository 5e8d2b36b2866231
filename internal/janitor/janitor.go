package janitor

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults applied by New.
const (
	DefaultInterval   = 5 * time.Minute
	DefaultBatch      = 500
	DefaultPause      = 20 * time.Millisecond
	DefaultMaxBatches = 200
	leaseName         = "janitor"
)

// Task is one kind of purge. Purge deletes at most limit rows that are
// stale at now and returns how many; the janitor calls it again while it
// deletes a full batch.
type Task struct {
	Name  string
	Purge func(ctx context.Context, now time.Time, limit int) (int, error)
}

// Config configures a Janitor.
type Config struct {
	// Tasks run under the lease, on one node at a time.
	Tasks []Task
	// Local tasks run on every node each pass (in-memory state).
	Local []Task
	// ClaimLease is storage.JanitorStore.ClaimLease.
	ClaimLease func(ctx context.Context, name, owner string, now, expires time.Time) (bool, error)
	Now        func() time.Time
	Interval   time.Duration // between passes (default DefaultInterval)
	Batch      int           // rows per purge call (default DefaultBatch)
	Pause      time.Duration // between batches (default DefaultPause)
	MaxBatches int           // per task and pass (default DefaultMaxBatches)
	Logger     *slog.Logger
}

// Janitor runs the tasks. Safe for one Run at a time.
type Janitor struct {
	cfg   Config
	owner string
}

// New returns a Janitor with the defaults filled in.
func New(cfg Config) *Janitor {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Pause <= 0 {
		cfg.Pause = DefaultPause
	}
	if cfg.MaxBatches <= 0 {
		cfg.MaxBatches = DefaultMaxBatches
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Janitor{cfg: cfg, owner: rand.Text()}
}

// Run does a pass every Interval until ctx ends (the first after a random
// part of an Interval, so nodes started together do not all try at once).
func (j *Janitor) Run(ctx context.Context) error {
	wait := time.Duration(randomInt(int64(j.cfg.Interval)))
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = j.cfg.Interval
		if _, err := j.Pass(ctx); err != nil && !errors.Is(err, context.Canceled) {
			j.cfg.Logger.Warn("janitor pass failed; the next one retries", "error", err.Error())
		}
	}
}

// Pass runs the local tasks, then, if this node holds (or takes) the lease,
// every task, and reports how many rows each deleted.
func (j *Janitor) Pass(ctx context.Context) (map[string]int, error) {
	done := map[string]int{}
	for _, t := range j.cfg.Local {
		n, err := t.Purge(ctx, j.cfg.Now(), j.cfg.Batch)
		if err != nil {
			return done, fmt.Errorf("janitor: %s: %w", t.Name, err)
		}
		done[t.Name] = n
	}
	for _, t := range j.cfg.Tasks {
		now := j.cfg.Now()
		held, err := j.cfg.ClaimLease(ctx, leaseName, j.owner, now, now.Add(j.cfg.Interval))
		if err != nil {
			return done, fmt.Errorf("janitor: lease: %w", err)
		}
		if !held {
			return done, nil // another node is the janitor this time
		}
		n, err := j.run(ctx, t)
		done[t.Name] = n
		if err != nil {
			return done, fmt.Errorf("janitor: %s: %w", t.Name, err)
		}
		if n > 0 {
			j.cfg.Logger.Info("janitor purged", "task", t.Name, "rows", n)
		}
	}
	return done, nil
}

// run calls t while it deletes full batches, pausing between them, at most
// MaxBatches times.
func (j *Janitor) run(ctx context.Context, t Task) (int, error) {
	total := 0
	for range j.cfg.MaxBatches {
		n, err := t.Purge(ctx, j.cfg.Now(), j.cfg.Batch)
		total += n
		if err != nil || n < j.cfg.Batch {
			return total, err
		}
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(j.cfg.Pause):
		}
	}
	return total, nil
}

func randomInt(n int64) int64 {
	if n <= 0 {
		return 0
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	v := int64(0)
	for _, x := range b {
		v = v<<8 | int64(x)
	}
	if v < 0 {
		v = -v
	}
	return v % n
}
