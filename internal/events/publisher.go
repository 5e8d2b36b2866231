package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/cache"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Queue is the outbox queue of webhook deliveries: one message per event
// and webhook.
const Queue = "webhook"

// Store is what the publisher reads.
type Store interface {
	ListWebhooks(ctx context.Context) ([]storage.Webhook, error)
	GetWebhook(ctx context.Context, id string) (storage.Webhook, error)
}

// Config wires a Publisher.
type Config struct {
	Store Store
	// Tenant reads a tenant (through the auth service's cache).
	Tenant func(ctx context.Context, id string) (storage.Tenant, error)
	// Poster sends one request (internal/events/sender); Signer signs the
	// X-FusionAuth-Signature-JWT header (internal/keys).
	Poster Poster
	Signer Signer
	// TransactionTimeout bounds the synchronous delivery of a
	// transactional event, whatever the webhooks' own timeouts (10 s).
	TransactionTimeout time.Duration
	// CacheTTL is how long the webhook list is reused (0: 1 s; negative:
	// never); changes on this node and, with PostgreSQL, on others (the
	// change feed) drop it at once.
	CacheTTL time.Duration
	Now      func() time.Time
	Logger   *slog.Logger
	// Notify wakes this node's webhook worker once a change that queued
	// deliveries has committed.
	Notify func()
}

// Publisher decides who receives an event and prepares its delivery. A
// nil *Publisher publishes nothing, so use cases and their tests run
// without one.
type Publisher struct {
	cfg    Config
	routes *cache.Cache[struct{}, routes]
}

// routes maps an event type to the webhooks that enable it.
type routes map[string][]storage.Webhook

// New returns a Publisher.
func New(cfg Config) *Publisher {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.TransactionTimeout <= 0 {
		cfg.TransactionTimeout = 10 * time.Second
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = time.Second
	}
	p := &Publisher{cfg: cfg}
	p.routes = cache.New(func(ctx context.Context, _ struct{}) (routes, error) {
		list, err := cfg.Store.ListWebhooks(ctx)
		if err != nil {
			return nil, err
		}
		r := routes{}
		for _, w := range list {
			for t, on := range w.EventsEnabled {
				if on {
					r[t] = append(r[t], w)
				}
			}
		}
		return r, nil
	}, cache.Options{TTL: cfg.CacheTTL, KeepLastGood: time.Minute, Transient: storage.Transient})
	return p
}

// ForgetWebhooks drops the cached webhook list: the webhook API calls it
// after every change, the change feed for changes made on other nodes.
func (p *Publisher) ForgetWebhooks() {
	if p != nil {
		p.routes.ForgetAll()
	}
}

// Plan is who receives one event: the webhooks, and the tenant's
// transaction type for it.
type Plan struct {
	typ, tenantID, tx string
	targets           []storage.Webhook
}

// Empty reports whether nobody receives the event: the caller then builds
// no event and writes nothing.
func (pl Plan) Empty() bool { return len(pl.targets) == 0 }

// Queued is pl without its transactional delivery: for an event that
// reports what has already happened (a temporal action's end), which no
// webhook can refuse.
func (pl Plan) Queued() Plan {
	pl.tx = TxNone
	return pl
}

// Plan finds the webhooks that receive an event of typ in tenantID's
// tenant: those enabling typ that are global or list the tenant, when the
// tenant enables typ too (FusionAuth's rule).
func (p *Publisher) Plan(ctx context.Context, tenantID, typ string) (Plan, error) {
	if p == nil {
		return Plan{}, nil
	}
	hooks, err := p.hooks(ctx, typ)
	if err != nil || len(hooks) == 0 {
		return Plan{}, err
	}
	t, err := p.cfg.Tenant(ctx, tenantID)
	if err != nil {
		return Plan{}, fmt.Errorf("events: read tenant %s: %w", tenantID, err)
	}
	return plan(t, typ, hooks), nil
}

// PlanFor is Plan for a tenant the caller already holds (the login path).
func (p *Publisher) PlanFor(ctx context.Context, t storage.Tenant, typ string) (Plan, error) {
	if p == nil {
		return Plan{}, nil
	}
	hooks, err := p.hooks(ctx, typ)
	if err != nil || len(hooks) == 0 {
		return Plan{}, err
	}
	return plan(t, typ, hooks), nil
}

func (p *Publisher) hooks(ctx context.Context, typ string) ([]storage.Webhook, error) {
	r, err := p.routes.Get(ctx, struct{}{})
	if err != nil {
		return nil, fmt.Errorf("events: list webhooks: %w", err)
	}
	return r[typ], nil
}

func plan(t storage.Tenant, typ string, hooks []storage.Webhook) Plan {
	cfg, ok := t.EventConfiguration.Events[typ]
	if !ok || !cfg.Enabled {
		return Plan{}
	}
	pl := Plan{typ: typ, tenantID: t.ID, tx: TxNone}
	if cfg.TransactionType != "" && CanVeto(typ) {
		pl.tx = cfg.TransactionType
	}
	for _, w := range hooks {
		if w.Global || slices.Contains(w.TenantIDs, t.ID) {
			pl.targets = append(pl.targets, w)
		}
	}
	return pl
}

// VetoError is a change refused by its transactional event's webhooks
// (FusionAuth answers 504 with [WebhookTransactionException]).
type VetoError struct {
	Type         string
	Webhooks, OK int
}

func (e *VetoError) Error() string {
	return fmt.Sprintf("events: %s refused: %d of %d webhooks succeeded", e.Type, e.OK, e.Webhooks)
}

// ErrVetoed matches every *VetoError with errors.Is.
var ErrVetoed = errors.New("events: change refused by webhooks")

// Is makes errors.Is(err, ErrVetoed) true.
func (e *VetoError) Is(target error) bool { return target == ErrVetoed }

// message is an outbox message's payload: one event for one webhook. Body
// is the exact request body, so every attempt sends (and signs) the same
// bytes.
type message struct {
	WebhookID string          `json:"webhookId"`
	EventID   string          `json:"eventId,omitempty"`
	Type      string          `json:"type"`
	Body      json.RawMessage `json:"body,omitempty"`
}

// Prepare gives ev its envelope (id, type, instant, tenant) and returns
// the outbox messages that deliver it, for the caller to commit with its
// change. A transactional event (pl's transaction type is not None) is
// first delivered to every webhook at once, before the change: if too few
// answer 2xx the change must not happen and Prepare returns a *VetoError;
// otherwise only the webhooks that failed get a message, to be retried.
// Prepare of an empty plan returns nothing.
func (p *Publisher) Prepare(ctx context.Context, pl Plan, ev *Event) ([]storage.OutboxMessage, error) {
	if pl.Empty() {
		return nil, nil
	}
	now := p.cfg.Now()
	ev.ID, ev.Type, ev.CreateInstant, ev.TenantID = uuid.NewString(), pl.typ, now.UnixMilli(), pl.tenantID
	body, err := json.Marshal(map[string]*Event{"event": ev})
	if err != nil {
		return nil, fmt.Errorf("events: encode %s: %w", pl.typ, err)
	}
	targets := pl.targets
	if pl.tx != TxNone {
		if targets, err = p.deliverNow(ctx, pl, ev.ID, body); err != nil {
			return nil, err
		}
	}
	msgs := make([]storage.OutboxMessage, 0, len(targets))
	for _, w := range targets {
		payload, err := json.Marshal(message{WebhookID: w.ID, EventID: ev.ID, Type: pl.typ, Body: body})
		if err != nil {
			return nil, err
		}
		summary, err := json.Marshal(message{WebhookID: w.ID, Type: pl.typ})
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, storage.OutboxMessage{ID: uuid.NewString(), Queue: Queue, TenantID: pl.tenantID,
			Payload: payload, Ref: ev.ID, Summary: summary, CreatedAt: now})
	}
	return msgs, nil
}

// deliverNow sends a transactional event to every webhook of pl at once
// and returns those that failed, or a *VetoError when the transaction
// type is not met.
func (p *Publisher) deliverNow(ctx context.Context, pl Plan, eventID string, body []byte) ([]storage.Webhook, error) {
	ok := make([]bool, len(pl.targets))
	var wg sync.WaitGroup
	for i, w := range pl.targets {
		wg.Go(func() {
			timeout := min(p.cfg.TransactionTimeout, timeoutOf(w))
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
			defer cancel()
			err := p.post(dctx, w, body)
			if err != nil {
				p.cfg.Logger.WarnContext(ctx, "transactional webhook failed", "webhook_id", w.ID, "event_type", pl.typ,
					"event_id", eventID, "err", err)
			}
			ok[i] = err == nil
		})
	}
	wg.Wait()
	var failed []storage.Webhook
	for i, w := range pl.targets {
		if !ok[i] {
			failed = append(failed, w)
		}
	}
	n, good := len(pl.targets), len(pl.targets)-len(failed)
	if !Succeeded(pl.tx, n, good) {
		return nil, &VetoError{Type: pl.typ, Webhooks: n, OK: good}
	}
	return failed, nil
}

// SetNotify names the function Committed calls: the app sets it to its
// webhook worker's Notify before serving.
func (p *Publisher) SetNotify(fn func()) { p.cfg.Notify = fn }

// Committed wakes the webhook worker after the caller committed messages
// Prepare returned.
func (p *Publisher) Committed(msgs []storage.OutboxMessage) {
	if p != nil && len(msgs) > 0 && p.cfg.Notify != nil {
		p.cfg.Notify()
	}
}

// timeoutOf is a webhook's whole budget for one request.
func timeoutOf(w storage.Webhook) time.Duration {
	c, r := storage.Lifetime(w.ConnectTimeout, time.Millisecond), storage.Lifetime(w.ReadTimeout, time.Millisecond)
	return min(c, math.MaxInt64-max(r, 0)) + r // saturates, as each part does
}
