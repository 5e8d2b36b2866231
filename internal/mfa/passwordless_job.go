package mfa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/outbox"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// PasswordlessQueue is the outbox queue of keyless passwordless starts.
// The request stores one job and answers at once, the same way whatever
// the login id names; the queue's worker (RunPasswordlessJob) looks the
// login id up, applies the per-user limit, stores the code and enqueues
// its mail. The job is durable: a start that was answered is not lost to
// a crash or a restart, and another node's worker can run it.
const PasswordlessQueue = "passwordless"

// passwordlessJob is the payload of a PasswordlessQueue message. It holds
// no secret: the code is made by the worker. The outbox clears the
// payload (and with it the login id) once the job is done.
type passwordlessJob struct {
	TenantID      string         `json:"tenantId"`
	ApplicationID string         `json:"applicationId"`
	LoginID       string         `json:"loginId"`
	LoginStrategy string         `json:"loginStrategy,omitempty"`
	State         map[string]any `json:"state,omitempty"`
}

// enqueuePasswordless stores a keyless start for the worker: one write,
// whatever the login id names.
func (s *Service) enqueuePasswordless(ctx context.Context, j passwordlessJob) error {
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	now := s.now()
	if err := s.Store.EnqueueOutbox(ctx, storage.OutboxMessage{ID: uuid.NewString(), Queue: PasswordlessQueue, TenantID: j.TenantID,
		Payload: b, CreatedAt: now, NextAttemptAt: now}); err != nil {
		return err
	}
	if s.Notify != nil {
		s.Notify()
	}
	return nil
}

// RunPasswordlessJob does a keyless start's work (the Deliver of the
// PasswordlessQueue worker, with mailer the mail path): the lookup, the
// per-user limit (five codes a minute, as with an API key), the code and
// its mail. An unknown login id, an application no longer allowing
// passwordless and a start over the limit end the job quietly, which only
// the database and the logs know. An error is retried by the outbox.
func (s *Service) RunPasswordlessJob(ctx context.Context, mailer Mailer, m storage.OutboxMessage) error {
	var j passwordlessJob
	if err := json.Unmarshal(m.Payload, &j); err != nil {
		return outbox.Permanent(fmt.Errorf("passwordless job %s: %w", m.ID, err))
	}
	sc := manage.Scope{TenantID: j.TenantID}
	app, err := s.passwordlessApp(ctx, sc, j.ApplicationID)
	var inv *manage.Invalid
	if errors.As(err, &inv) {
		return nil // deactivated, or passwordless turned off, since the start
	}
	if err != nil {
		return err
	}
	user, err := s.findUser(ctx, sc, "", j.LoginID)
	if errors.Is(err, manage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	code, d, err := s.issuePasswordless(ctx, app, user, j.LoginStrategy, j.State, true)
	if errors.Is(err, ErrRateLimited) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.mailCode(ctx, mailer, app, user, code, d)
}
