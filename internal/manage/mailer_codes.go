package manage

import (
	"context"
	"errors"
	"time"

	"github.com/latchkeyhq/latchkey/internal/mail"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The codes of issue 10 (internal/mfa): a two-factor code (enable,
// disable, or the second step of a login) and a passwordless code. They
// are not part of a change that commits, so they are enqueued on their
// own (storage.OutboxStore.EnqueueOutbox), and the worker sends them.

var (
	// mailTwoFactor: the tenant's multiFactorConfiguration.email.templateId
	// (SendCode), else the default.
	mailTwoFactor = mailKind{name: "two-factor code",
		tenant: func(storage.EmailTemplateIDs) string { return "" },
		app:    func(storage.Application) string { return "" },
		def:    mail.DefaultTwoFactorCodeID}
	mailPasswordless = mailKind{name: "passwordless login",
		tenant: func(t storage.EmailTemplateIDs) string { return t.PasswordlessEmailTemplateID },
		app:    func(a storage.Application) string { return a.EmailConfiguration.PasswordlessEmailTemplateID },
		def:    mail.DefaultPasswordlessID}
)

// errNoMailKind: a purpose latchkey has no email for.
var errNoMailKind = errors.New("manage: no email for this purpose")

// Enqueuer stores outbox messages on their own.
type Enqueuer interface {
	EnqueueOutbox(ctx context.Context, msgs ...storage.OutboxMessage) error
}

// SendCode renders the email of purpose ("two-factor" or "passwordless",
// mfa.MailTwoFactor and mfa.MailPasswordless) to address and enqueues it.
func (m *Mailer) SendCode(ctx context.Context, q Enqueuer, tenant storage.Tenant, app storage.Application, purpose string,
	to storage.User, address string, data map[string]any, now time.Time) error {
	msg, ok, err := m.ComposeCode(ctx, tenant, app, purpose, to, address, data, now)
	if err != nil || !ok {
		return err
	}
	if err := q.EnqueueOutbox(ctx, msg); err != nil {
		return err
	}
	m.CodeQueued()
	return nil
}

// ComposeCode renders what SendCode enqueues, for a caller that stores it
// with the change it belongs to (the code's challenge) and then calls
// CodeQueued; ok is false when nothing is to be sent (no address).
func (m *Mailer) ComposeCode(ctx context.Context, tenant storage.Tenant, app storage.Application, purpose string,
	to storage.User, address string, data map[string]any, now time.Time) (storage.OutboxMessage, bool, error) {
	k := mailPasswordless
	switch purpose {
	case "passwordless":
	case "two-factor":
		k = mailTwoFactor
		if c := tenant.MultiFactorConfiguration; c != nil && c.Email.TemplateID != "" {
			id := c.Email.TemplateID
			k.tenant = func(storage.EmailTemplateIDs) string { return id }
		}
	default:
		return storage.OutboxMessage{}, false, errNoMailKind
	}
	to.Email = address
	f := MailFor{Tenant: tenant, User: to}
	if app.ID != "" {
		f.App = &app
	}
	return m.message(ctx, k, f, data, now)
}

// CodeQueued wakes the mail worker once a composed code's mail is stored.
func (m *Mailer) CodeQueued() { m.notify(mail.Queue) }

// CodeMailer is internal/mfa's Mailer on this mail path: a code's mail is
// rendered by Mail and stored through Queue (the outbox), at Now.
type CodeMailer struct {
	Mail  *Mailer
	Queue Enqueuer
	Now   func() time.Time
}

// SendTemplate renders and enqueues a code's mail (SendCode).
func (c CodeMailer) SendTemplate(ctx context.Context, tenant storage.Tenant, app storage.Application, purpose string,
	to storage.User, address string, data map[string]any) error {
	return c.Mail.SendCode(ctx, c.Queue, tenant, app, purpose, to, address, data, c.Now())
}

// ComposeTemplate renders a code's mail without storing it (ComposeCode),
// for a caller that stores it in its own transaction.
func (c CodeMailer) ComposeTemplate(ctx context.Context, tenant storage.Tenant, app storage.Application, purpose string,
	to storage.User, address string, data map[string]any) (storage.OutboxMessage, bool, error) {
	return c.Mail.ComposeCode(ctx, tenant, app, purpose, to, address, data, c.Now())
}

// Queued wakes the mail worker after such a caller committed (CodeQueued).
func (c CodeMailer) Queued() { c.Mail.CodeQueued() }
