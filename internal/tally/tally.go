// Package tally counts the dashboard's security events per hour in memory
// and adds them to storage in batches, off the login and refresh paths.
//
// Count (auth.Config.Count's shape) costs the request a clock read, a
// sync.Map load and an atomic add. Run flushes every interval and once more
// when stopped: one transaction per flush, one upsert per (hour, kind), so
// several nodes on one PostgreSQL add up (count = count + excluded.count).
// A failed flush puts its counts back for the next one.
package tally

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The kinds charted, in the dashboard's order.
const (
	Login   = "login"
	Failure = "failure"
	Refresh = "refresh"
	Reuse   = "reuse"
	Lockout = "lockout"
)

// Kinds lists them; a bucket's counters are indexed like it.
var Kinds = [...]string{Login, Failure, Refresh, Reuse, Lockout}

// kindOf maps internal/auth's event names (auth/events.go) to a kind's index.
func kindOf(event string) (int, bool) {
	switch event {
	case "login_success":
		return 0, true
	case "login_failure":
		return 1, true
	case "refresh":
		return 2, true
	case "refresh_token_reuse":
		return 3, true
	case "account_locked":
		return 4, true
	}
	return 0, false
}

// DefaultInterval is how often Run flushes when not told.
const DefaultInterval = 5 * time.Second

// bucket is one hour's counters.
type bucket [len(Kinds)]atomic.Int64

// Tally is one node's counters. The zero value is not usable: use New.
type Tally struct {
	store storage.EventCountStore
	now   func() time.Time
	log   *slog.Logger

	hours   sync.Map   // int64 (Unix hour) -> *bucket
	flushMu sync.Mutex // one flush at a time
}

// New returns a tally adding to store; now is the node's clock.
func New(store storage.EventCountStore, now func() time.Time, log *slog.Logger) *Tally {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Tally{store: store, now: now, log: log}
}

// Count counts one auth event if it is a charted kind (the outcome is not
// used). It is auth.Config.Count's shape.
func (t *Tally) Count(_ context.Context, event, _ string) {
	k, ok := kindOf(event)
	if !ok || t == nil {
		return
	}
	h := t.now().Unix() / 3600
	b, ok := t.hours.Load(h)
	if !ok {
		b, _ = t.hours.LoadOrStore(h, new(bucket))
	}
	b.(*bucket)[k].Add(1)
}

// Flush adds what was counted since the last flush to storage in one
// transaction. On failure the counts are kept for the next flush.
func (t *Tally) Flush(ctx context.Context) error {
	if t == nil {
		return nil
	}
	t.flushMu.Lock()
	defer t.flushMu.Unlock()
	current := t.now().Unix() / 3600
	var batch []storage.HourlyCount
	var taken []func()
	t.hours.Range(func(key, value any) bool {
		h, b := key.(int64), value.(*bucket)
		empty := true
		for k := range b {
			n := b[k].Swap(0)
			if n == 0 {
				continue
			}
			empty = false
			batch = append(batch, storage.HourlyCount{Hour: time.Unix(h*3600, 0).UTC(), Kind: Kinds[k], Count: n})
			taken = append(taken, func() { b[k].Add(n) })
		}
		// An hour two behind is done: no request still holds its bucket.
		if empty && h < current-1 {
			t.hours.Delete(key)
		}
		return true
	})
	if len(batch) == 0 {
		return nil
	}
	if err := t.store.AddEventCounts(ctx, batch); err != nil {
		for _, undo := range taken {
			undo()
		}
		return err
	}
	return nil
}

// Run flushes every interval (DefaultInterval when not positive) until ctx
// is done, then once more with a fresh bounded context, so counts of the
// last requests of a draining node are kept.
func (t *Tally) Run(ctx context.Context, interval time.Duration) {
	if t == nil {
		return
	}
	if interval <= 0 {
		interval = DefaultInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if err := t.Flush(ctx); err != nil && ctx.Err() == nil {
				t.log.Warn("flushing the dashboard's event counts failed; kept for the next flush", "error", err.Error())
			}
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := t.Flush(fctx); err != nil {
				t.log.Warn("final flush of the dashboard's event counts failed", "error", err.Error())
			}
			cancel()
			return
		}
	}
}
