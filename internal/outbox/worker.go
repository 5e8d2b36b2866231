// Package outbox delivers the messages of one queue of the durable outbox
// (storage.OutboxStore): claim with a lease, deliver, record the outcome,
// back off exponentially on failure, give up (dead) after MaxAttempts or on
// a permanent error. Mail uses it today (internal/mail); webhook deliveries
// can use it unchanged with their own Deliver.
//
// Delivery is at least once: a message whose worker dies after delivering
// and before recording it is delivered again once its lease expires. It
// never imports net/http.
package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Deliver delivers one message. A nil error marks it sent; an error wrapped
// with Permanent marks it dead at once; any other error schedules a retry.
type Deliver func(ctx context.Context, m storage.OutboxMessage) error

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that retrying cannot fix (a recipient the
// server refuses for good).
func Permanent(err error) error { return &permanentError{err} }

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// Outcome is what happened to one claimed message (Config.Observe).
type Outcome struct {
	Message storage.OutboxMessage // as claimed
	Result  string                // storage.OutboxSent, "retry", storage.OutboxDead, or "lost" (lease taken over)
	Err     error                 // the delivery error, if any
	Next    time.Time             // the next attempt, for "retry"
}

// Config tunes a Worker. Store, Queue and Deliver are required.
type Config struct {
	Store   storage.OutboxStore
	Queue   string
	Deliver Deliver
	// Owner names this worker in leases; default host name plus random.
	Owner string
	// Concurrency is how many messages are claimed and delivered at once (4).
	Concurrency int
	// Lease is how long a claim keeps other workers off (2m). It must
	// exceed AttemptTimeout, so a slow delivery is not taken over and sent
	// twice while it is still running.
	Lease time.Duration
	// AttemptTimeout bounds one delivery (1m).
	AttemptTimeout time.Duration
	// PollInterval is how often the queue is looked at without Notify (2s):
	// messages enqueued on other nodes, and retries falling due.
	PollInterval time.Duration
	// MaxAttempts before a message is dead (12: with the default backoff,
	// about 12 hours of retries, TestDefaultRetriesLastAboutTwelveHours).
	MaxAttempts int
	// BaseBackoff and MaxBackoff shape the retry delay: BaseBackoff·2^(n-1)
	// after the n-th attempt, capped, ±20 % jitter (30s, 4h).
	BaseBackoff, MaxBackoff time.Duration
	Now                     func() time.Time
	Logger                  *slog.Logger
	// Observe, when set, is told every outcome (tests, metrics).
	Observe func(Outcome)
	// Failed, when set, is told each failed attempt (retried, dead or
	// lost) once its outcome is recorded: the app writes it to the event
	// log, where operators look for what background work could not do.
	Failed func(ctx context.Context, o Outcome)
}

// Worker drains one queue. Run it in a goroutine; Notify it after an
// enqueue on this node so the message goes out at once.
type Worker struct {
	cfg  Config
	wake chan struct{}
}

// New checks cfg and fills in defaults.
func New(cfg Config) (*Worker, error) {
	if cfg.Store == nil || cfg.Queue == "" || cfg.Deliver == nil {
		return nil, errors.New("outbox: Store, Queue and Deliver are required")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Lease, 2*time.Minute)
	def(&cfg.AttemptTimeout, time.Minute)
	def(&cfg.PollInterval, 2*time.Second)
	def(&cfg.BaseBackoff, 30*time.Second)
	def(&cfg.MaxBackoff, 4*time.Hour)
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 12
	}
	if cfg.Lease <= cfg.AttemptTimeout {
		return nil, fmt.Errorf("outbox: Lease (%s) must exceed AttemptTimeout (%s), or a slow delivery could be sent twice", cfg.Lease, cfg.AttemptTimeout)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 6)
		rand.Read(b)
		cfg.Owner = host + "-" + hex.EncodeToString(b)
	}
	return &Worker{cfg: cfg, wake: make(chan struct{}, 1)}, nil
}

// Notify wakes the worker now (non-blocking).
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done, then returns once the deliveries in
// flight have finished (each is bounded by AttemptTimeout and is not
// cancelled by ctx: a message half-sent at shutdown would be sent twice).
func (w *Worker) Run(ctx context.Context) error {
	for {
		n, err := w.Poll(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			w.cfg.Logger.Warn("outbox: claim failed", "queue", w.cfg.Queue, "err", err)
		}
		if err == nil && n == w.cfg.Concurrency {
			continue // a full batch: there may be more waiting
		}
		t := time.NewTimer(w.cfg.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-w.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Poll claims one batch of due messages, delivers them concurrently and
// records each outcome; it returns how many it claimed.
func (w *Worker) Poll(ctx context.Context) (int, error) {
	now := w.cfg.Now()
	msgs, err := w.cfg.Store.ClaimOutbox(ctx, storage.OutboxClaim{
		Queue: w.cfg.Queue, Owner: w.cfg.Owner, Now: now, LeaseUntil: now.Add(w.cfg.Lease), Limit: w.cfg.Concurrency,
	})
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, m := range msgs {
		wg.Go(func() { w.handle(context.WithoutCancel(ctx), m) })
	}
	wg.Wait()
	return len(msgs), nil
}

func (w *Worker) handle(ctx context.Context, m storage.OutboxMessage) {
	var err error
	if m.Attempts > w.cfg.MaxAttempts {
		// Claimed this often without an outcome: its deliveries keep dying
		// with their worker. Stop before it takes more workers down.
		err = Permanent(fmt.Errorf("no outcome recorded after %d attempts", m.Attempts-1))
	} else {
		dctx, cancel := context.WithTimeout(ctx, w.cfg.AttemptTimeout)
		err = w.cfg.Deliver(dctx, m)
		cancel()
	}
	w.record(ctx, m, err)
}

// record stores the outcome of one delivery.
func (w *Worker) record(ctx context.Context, m storage.OutboxMessage, derr error) {
	now := w.cfg.Now()
	o := Outcome{Message: m, Err: derr}
	var err error
	switch {
	case derr == nil:
		o.Result = storage.OutboxSent
		err = w.cfg.Store.CompleteOutbox(ctx, m.ID, w.cfg.Owner, now)
	case IsPermanent(derr) || m.Attempts >= w.cfg.MaxAttempts:
		o.Result = storage.OutboxDead
		err = w.cfg.Store.FailOutbox(ctx, m.ID, w.cfg.Owner, now, truncate(derr.Error()))
		w.cfg.Logger.Error("outbox: message is dead", "queue", w.cfg.Queue, "id", m.ID, "attempts", m.Attempts, "err", derr)
	default:
		o.Result, o.Next = "retry", now.Add(w.backoff(m.Attempts))
		err = w.cfg.Store.RetryOutbox(ctx, m.ID, w.cfg.Owner, o.Next, truncate(derr.Error()))
		w.cfg.Logger.Warn("outbox: delivery failed, will retry", "queue", w.cfg.Queue, "id", m.ID, "attempt", m.Attempts, "next", o.Next, "err", derr)
	}
	if errors.Is(err, storage.ErrConflict) {
		// Our lease expired and another worker took the message over: it
		// owns the outcome now (and the message may go out twice).
		o.Result = "lost"
		w.cfg.Logger.Warn("outbox: lease lost before the outcome was recorded", "queue", w.cfg.Queue, "id", m.ID)
	} else if err != nil {
		// Not recorded: the lease expires and the message is claimed again.
		w.cfg.Logger.Error("outbox: recording the outcome failed", "queue", w.cfg.Queue, "id", m.ID, "err", err)
	}
	if derr != nil && w.cfg.Failed != nil {
		w.cfg.Failed(ctx, o)
	}
	if w.cfg.Observe != nil {
		w.cfg.Observe(o)
	}
}

// backoff is BaseBackoff·2^(attempt-1), capped at MaxBackoff, with ±20 %
// jitter so messages that failed together do not retry together.
func (w *Worker) backoff(attempt int) time.Duration {
	d := float64(w.cfg.BaseBackoff) * math.Pow(2, float64(max(attempt-1, 0)))
	d = min(d, float64(w.cfg.MaxBackoff))
	return time.Duration(d * (0.8 + 0.4*mrand.Float64()))
}

// truncate keeps stored errors short and storable: a server's reply can be
// long, and PostgreSQL text refuses NUL and invalid UTF-8.
func truncate(s string) string {
	const maxLen = 1000
	if len(s) > maxLen {
		s = s[:maxLen] + "…"
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "")
}

// Attempt describes o's attempt for the event log: its number and what
// happens next ("will retry at …", "gave up", or that another worker took
// the message over).
func (o Outcome) Attempt() string {
	n := strconv.Itoa(o.Message.Attempts)
	switch o.Result {
	case "retry":
		return "attempt " + n + ", will retry at " + o.Next.UTC().Format(time.RFC3339)
	case storage.OutboxDead:
		return "attempt " + n + ", gave up"
	default:
		return "attempt " + n + ", another worker took the message over"
	}
}
