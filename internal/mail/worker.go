package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/latchkeyhq/latchkey/internal/outbox"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// ConfigSource returns a tenant's email configuration when a message is
// sent (not when it was queued), so a corrected SMTP password applies to the
// messages still waiting. The app wires it to the tenant record.
type ConfigSource func(ctx context.Context, tenantID string) (EmailConfiguration, error)

// WorkerConfig is what NewWorker needs. Tuning holds the outbox worker's
// knobs (Concurrency, Lease, AttemptTimeout, PollInterval, MaxAttempts,
// backoff, Now, Logger, Observe); its Store, Queue and Deliver are set here.
type WorkerConfig struct {
	Store   storage.OutboxStore
	Configs ConfigSource
	Sender  *Sender
	Tuning  outbox.Config
}

// Worker sends the mail queue of the outbox. Run it for the life of the
// server; call Notify after enqueueing on this node.
type Worker struct {
	*outbox.Worker
}

// NewWorker returns the worker that drains Queue through cfg.Sender.
func NewWorker(cfg WorkerConfig) (*Worker, error) {
	if cfg.Store == nil || cfg.Configs == nil || cfg.Sender == nil {
		return nil, errors.New("mail: NewWorker needs Store, Configs and Sender")
	}
	oc := cfg.Tuning
	oc.Store, oc.Queue = cfg.Store, Queue
	oc.Deliver = func(ctx context.Context, m storage.OutboxMessage) error {
		return deliver(ctx, cfg, m)
	}
	w, err := outbox.New(oc)
	if err != nil {
		return nil, err
	}
	return &Worker{w}, nil
}

func deliver(ctx context.Context, cfg WorkerConfig, om storage.OutboxMessage) error {
	var m Message
	if err := json.Unmarshal(om.Payload, &m); err != nil {
		return outbox.Permanent(fmt.Errorf("mail: undecodable outbox payload: %w", err))
	}
	c, err := cfg.Configs(ctx, om.TenantID)
	if err != nil {
		return fmt.Errorf("mail: email configuration of tenant %s: %w", om.TenantID, err)
	}
	err = cfg.Sender.Send(ctx, c, om.ID, m)
	var se *SendError
	if errors.As(err, &se) && se.Permanent {
		return outbox.Permanent(err)
	}
	return err
}
