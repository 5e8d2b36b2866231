package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

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
	err = withoutCredentials(cfg.Sender.Send(ctx, c, om.ID, m), c)
	var se *SendError
	if errors.As(err, &se) && se.Permanent {
		return outbox.Permanent(err)
	}
	return err
}

// scrubbed is an error whose text had the SMTP credentials taken out; it
// unwraps to the original, so its classification (SendError) stays.
type scrubbed struct {
	text string
	err  error
}

func (e *scrubbed) Error() string { return e.text }
func (e *scrubbed) Unwrap() error { return e.err }

// withoutCredentials is err with c's SMTP username and password replaced
// in its text: the outbox keeps the text as the message's last error and
// the event log shows it, and a server's reply may echo what it was sent.
func withoutCredentials(err error, c EmailConfiguration) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	for _, secret := range []string{c.Password, c.Username} {
		if secret != "" {
			text = strings.ReplaceAll(text, secret, "[redacted]")
		}
	}
	if text == err.Error() {
		return err
	}
	return &scrubbed{text, err}
}

// FailureMessage is the event log text of a failed attempt of the mail
// queue (outbox.Config.Failed): the template, the recipient, the attempt
// and the error, whose text has no SMTP credential (withoutCredentials).
// Neither the body nor the subject is shown: a message can carry a reset
// link or a code.
func FailureMessage(o outbox.Outcome) string {
	var m Message
	_ = json.Unmarshal(o.Message.Payload, &m) // an undecodable payload names no one; its error says why
	template := m.Template
	if template == "" {
		template = "none"
	}
	text := "Failed to send the email with template [" + template + "] to [" + m.To.Address + "] (" + o.Attempt() + ")"
	if o.Err != nil {
		text += ": " + o.Err.Error()
	}
	return text
}
