package app

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/mail"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/observe"
	"github.com/latchkeyhq/latchkey/internal/outbox"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// workers drain this node's outbox queues: the mail (sent over SMTP with
// the tenant's configuration read at send time) and the account jobs
// (keyless forgot-password and verification requests, manage.JobQueue).
// Every node runs both; when several share PostgreSQL, a message is leased
// to one worker at a time (storage.OutboxStore.ClaimOutbox), so one node
// sends each.
type workers struct {
	mail  *mail.Worker
	jobs  *outbox.Worker
	hooks *outbox.Worker
	// extra are the other queues' workers (Email Plus reminders,
	// back-channel logout, keyless passwordless starts).
	extra []*outbox.Worker
	log   *slog.Logger
}

// newWorkers builds the workers and points the use cases' Notify at them,
// so a message stored by a request on this node goes out at once (other
// nodes' messages are found by polling).
func newWorkers(st storage.Storage, m *manage.Service, pub *events.Publisher, cfg config.Config, opts Options, log *slog.Logger,
	metrics *observe.Metrics) (*workers, error) {
	now := opts.Now
	roots, err := cfg.SMTPRootCAPool()
	if err != nil {
		return nil, err
	}
	configs := func(ctx context.Context, tenantID string) (mail.EmailConfiguration, error) {
		t, err := st.GetTenant(ctx, tenantID)
		return t.WithDefaults().EmailConfiguration, err
	}
	mw, err := mail.NewWorker(mail.WorkerConfig{Store: st, Configs: configs, Sender: mail.NewSender(mail.SenderOptions{RootCAs: roots}),
		Tuning: outbox.Config{Now: now, Logger: log.With("queue", mail.Queue), Observe: counted(metrics, nil),
			Failed: failedToEventLog(m.EventLogs, mail.FailureMessage, log)}})
	if err != nil {
		return nil, err
	}
	jw, err := outbox.New(outbox.Config{Store: st, Queue: manage.JobQueue, Deliver: m.Accounts.RunJob,
		Now: now, Logger: log.With("queue", manage.JobQueue), Observe: counted(metrics, nil),
		Failed: failedToEventLog(m.EventLogs, jobFailureMessage, log)})
	if err != nil {
		return nil, err
	}
	// Email Plus reminders, due hours after their grant: found by polling.
	rw, err := outbox.New(outbox.Config{Store: st, Queue: manage.ConsentReminderQueue, Deliver: m.Consents.RunReminder,
		Now: now, Logger: log.With("queue", manage.ConsentReminderQueue), Observe: counted(metrics, nil),
		Failed: failedToEventLog(m.EventLogs, jobFailureMessage, log)})
	if err != nil {
		return nil, err
	}
	m.Mail.Notify = func(queue string) {
		switch queue {
		case mail.Queue:
			mw.Notify()
		case manage.JobQueue:
			jw.Notify()
		}
	}
	hw, err := webhookWorker(st, pub, failedToEventLog(m.EventLogs, events.FailureMessage, log), cfg, opts, log, metrics)
	if err != nil {
		return nil, err
	}
	pub.SetNotify(hw.Notify)
	return &workers{mail: mw, jobs: jw, hooks: hw, extra: []*outbox.Worker{rw}, log: log}, nil
}

// webhookWorker delivers the webhook queue (internal/events), its failed
// attempts told to failed (the event log): at least once, retried with backoff from cfg.WebhookRetryBase, each attempt
// bounded by half the lease so a slow receiver is never taken over while
// its delivery still runs. opts.Webhooks overrides for tests.
func webhookWorker(st storage.Storage, pub *events.Publisher, failed func(context.Context, outbox.Outcome), cfg config.Config, opts Options, log *slog.Logger,
	metrics *observe.Metrics) (*outbox.Worker, error) {
	c := opts.Webhooks
	c.Observe, c.Failed = counted(metrics, c.Observe), failed
	c.Store, c.Queue, c.Deliver = st, events.Queue, pub.Deliver
	if c.Lease <= 0 {
		c.Lease = cfg.WebhookLease
	}
	if c.AttemptTimeout <= 0 {
		c.AttemptTimeout = c.Lease / 2
	}
	if c.BaseBackoff <= 0 {
		c.BaseBackoff = cfg.WebhookRetryBase
	}
	if c.Now == nil {
		c.Now = opts.Now
	}
	c.Logger = log.With("queue", events.Queue)
	return outbox.New(c)
}

// counted is an outbox.Config.Observe that counts each attempt's result in
// latchkey_outbox_deliveries_total{queue,result} and then calls next (a
// test's observer), when set.
func counted(metrics *observe.Metrics, next func(outbox.Outcome)) func(outbox.Outcome) {
	return func(o outbox.Outcome) {
		metrics.OutboxAttempt(o.Message.Queue, o.Result)
		if next != nil {
			next(o)
		}
	}
}

// start runs the workers until ctx is done; wait then returns once their
// deliveries in flight have finished, or after limit (a delivery left
// running is redone from its lease by a later run: delivery is at least
// once, the Message-ID lets a receiver drop the repeat).
func (w *workers) start(ctx context.Context) (wait func(limit time.Duration)) {
	var wg sync.WaitGroup
	runs := []func(context.Context) error{w.mail.Run, w.jobs.Run, w.hooks.Run}
	for _, x := range w.extra {
		runs = append(runs, x.Run)
	}
	for _, run := range runs {
		wg.Go(func() {
			if err := run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				w.log.Error("outbox worker stopped", "err", err)
			}
		})
	}
	return func(limit time.Duration) {
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(limit):
			w.log.Warn("outbox workers still delivering at shutdown; their messages will be retried", "waited", limit)
		}
	}
}
