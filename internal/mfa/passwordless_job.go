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
// PasswordlessQueue worker, with mailer the mail path): the lookup, then
// the per-user limit (five codes a minute, as with an API key), the code
// and its mail in one write keyed by the job (issuePasswordless), so
// however often the outbox runs the job (a failed write is retried, a run
// whose outcome was lost is run again) the limit is charged once and one
// code is live, whose mail is queued. An unknown login id, an application
// no longer allowing passwordless and a start over the limit end the job
// quietly, which only the database and the logs know.
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
	if mailer == nil || user.Email == "" {
		s.log().WarnContext(ctx, "passwordless code not sent: no mail path or no address", "user_id", user.ID)
		return nil
	}
	_, _, err = s.issuePasswordless(ctx, app, user, j.LoginStrategy, j.State, &codeMail{mailer: mailer, id: jobMailID(m.ID)})
	if errors.Is(err, ErrRateLimited) || errors.Is(err, storage.ErrConflict) {
		// Over the limit; or the job's mail is stored already: an earlier
		// run committed its code and mail, and the outbox lost that run's
		// outcome (a crash, an expired lease). Its one write is its last
		// step, so there is nothing left to do.
		return nil
	}
	return err
}

// jobMailSpace names the mail ids derived from passwordless job ids.
var jobMailSpace = uuid.MustParse("4672851a-99b9-47c3-bfb1-066dcedb7172")

// jobMailID is the id of the mail of job jobID, the same on every run of
// the job: the key that makes a run after one that committed store and
// count nothing (storage.ChallengeStore.IssueChallenge).
func jobMailID(jobID string) string {
	return uuid.NewSHA1(jobMailSpace, []byte(jobID)).String()
}
