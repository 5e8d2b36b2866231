package manage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/mail"
	"github.com/latchkeyhq/latchkey/internal/outbox"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// AccountsStore is what Accounts uses.
type AccountsStore interface {
	tenantReader
	applicationReader
	userReader
	ChangeUser(ctx context.Context, c storage.UserChange) error
	GetIdentifier(ctx context.Context, kind string, hash []byte, now time.Time) (storage.Identifier, error)
	// ReserveIdentifierAttempt: a verificationId's one-time code is
	// counted before it is compared (verification.go).
	ReserveIdentifierAttempt(ctx context.Context, kind string, hash []byte, now time.Time, max int) (int, error)
	PasswordHistory(ctx context.Context, userID string, n int) ([]storage.PasswordHash, error)
	EnqueueOutbox(ctx context.Context, msgs ...storage.OutboxMessage) error
	ListRegistrations(ctx context.Context, userID string) ([]storage.Registration, error)
	// ListTwoFactorMethods: a user with methods needs a trustToken to
	// change the password (accounts_trust.go).
	ListTwoFactorMethods(ctx context.Context, userID string) ([]storage.TwoFactorMethod, error)
}

// PasswordChecker checks a user's current password as a login does
// (internal/auth): a locked account is refused unchecked, a wrong password
// counts toward the lockout, every failure is the same error.
type PasswordChecker interface {
	CheckPassword(ctx context.Context, t storage.Tenant, u storage.User, plain string) error
	FindRefreshToken(ctx context.Context, raw string) (storage.RefreshToken, error)
}

// Accounts is the self-service account API: forgot and change password,
// email verification (users.mdx; accounts spec §3-§5). Every change and
// the mail it causes commit together (storage.ChangeUser); mail leaves
// through the outbox, so an SMTP failure never fails a call.
type Accounts struct {
	Store AccountsStore
	Users *Users
	Auth  PasswordChecker
	Mail  *Mailer
	Now   func() time.Time
	// Events publishes user.password.update and user.email.verified.
	Events *events.Publisher
	// Revokes prepares the jwt.refresh-token.revoke of a password change
	// that ends sessions (nil: none).
	Revokes RevokeEventer
}

var (
	// ErrDisabled: the tenant has this feature off (FusionAuth's 403, e.g.
	// verify-email with an API key while emailConfiguration.verifyEmail is
	// false).
	ErrDisabled = errors.New("manage: disabled for this tenant")
	// ErrNoAddress: the user has no email address to send to (422).
	ErrNoAddress = errors.New("manage: the user has no email address")
)

// JobQueue is the outbox queue of keyless requests that must not reveal
// whether an account exists (forgot password, resend verification): the
// request stores a job and answers at once, the same way whatever the
// login id names, and a worker does the lookup and the mail (RunJob).
const JobQueue = "account"

// job is the payload of a JobQueue message.
type job struct {
	Kind          string         `json:"kind"` // forgot-password | verify-email
	TenantID      string         `json:"tenantId"`
	LoginID       string         `json:"loginId"`
	ApplicationID string         `json:"applicationId,omitempty"`
	State         map[string]any `json:"state,omitempty"`
}

// ForgotPassword is a forgot-password request (users.mdx "Start Forgot
// Password Workflow"; accounts spec §3).
type ForgotPassword struct {
	LoginID       string
	ApplicationID string
	State         map[string]any
	// WithKey: an API key called; only then do SendEmail=false and a
	// caller's ChangePasswordID apply, and is the changePasswordId returned.
	WithKey          bool
	SendEmail        bool
	ChangePasswordID string
}

// ForgotPassword starts a password reset. With an API key it finds the
// user at once (ErrNotFound, ErrNoAddress when a mail is due), stores the
// changePasswordId with the mail and returns the id. Without one it only
// stores a job and returns "": the answer and the work on the request path
// are the same whether the login id names an account or not (FusionAuth
// answers 200 too, but looks the user up first).
func (a *Accounts) ForgotPassword(ctx context.Context, scope Scope, in ForgotPassword) (string, error) {
	e := &Invalid{}
	if in.LoginID == "" {
		e.Field("blank", "loginId", "You must specify the [loginId] property.")
	}
	if in.ApplicationID != "" {
		if err := checkApplication(ctx, a.Store, e, "applicationId", in.ApplicationID); err != nil {
			return "", err
		}
	}
	if in.WithKey && in.ChangePasswordID != "" && (len(in.ChangePasswordID) < 16 || !auth.ValidIdentifier(in.ChangePasswordID)) {
		e.Field("invalid", "changePasswordId", "A changePasswordId must have 16 to 256 characters.")
	}
	if err := e.Err(); err != nil {
		return "", err
	}
	if !in.WithKey {
		return "", a.enqueueJob(ctx, job{Kind: "forgot-password", TenantID: DefaultTenantID, LoginID: in.LoginID,
			ApplicationID: in.ApplicationID, State: in.State})
	}
	u, err := a.Users.Find(ctx, scope, UserQuery{LoginID: in.LoginID})
	if err != nil {
		return "", err
	}
	return a.forgot(ctx, u, in.ApplicationID, in.State, in.SendEmail, in.ChangePasswordID)
}

// forgot issues u's changePasswordId (raw, or a fresh one) and, when send,
// the mail carrying it, in one write.
func (a *Accounts) forgot(ctx context.Context, u storage.User, appID string, state map[string]any, send bool, raw string) (string, error) {
	if send && u.Email == "" {
		return "", ErrNoAddress
	}
	f, err := a.mailFor(ctx, u, appID)
	if err != nil {
		return "", err
	}
	now := a.Now()
	c := f.Tenant.ExternalIdentifierConfiguration
	data := storage.IdentifierData{ApplicationID: appID, State: state}
	if send {
		data.Email = u.Email
	}
	id, rec := auth.NewIdentifier(storage.IdentifierChangePassword, c.ChangePasswordIDGenerator, c.ChangePasswordIDTimeToLiveInSeconds, u, now, data)
	if raw != "" {
		id, rec.Hash = raw, auth.HashIdentifier(raw)
	}
	change := storage.UserChange{UserID: u.ID, Now: now, Issue: []storage.Identifier{rec}}
	if send {
		msg, ok, err := a.Mail.message(ctx, mailForgotPassword, f, map[string]any{"changePasswordId": id, "state": stateOrEmpty(state)}, now)
		if err != nil {
			return "", err
		}
		if ok {
			change.Outbox = []storage.OutboxMessage{msg}
		}
	}
	if err := a.Store.ChangeUser(ctx, change); errors.Is(err, storage.ErrConflict) {
		return "", invalid("duplicate", "changePasswordId", "This changePasswordId is in use.")
	} else if err != nil {
		return "", err
	}
	a.Mail.notify(mail.Queue)
	return id, nil
}

func stateOrEmpty(s map[string]any) map[string]any {
	if s == nil {
		return map[string]any{}
	}
	return s
}

// mailFor loads the tenant of u (with its defaults) and the application
// appID names, when it is active.
func (a *Accounts) mailFor(ctx context.Context, u storage.User, appID string) (MailFor, error) {
	t, err := a.Store.GetTenant(ctx, u.TenantID)
	if err != nil {
		return MailFor{}, err
	}
	f := MailFor{Tenant: t.WithDefaults(), User: u}
	if appID != "" {
		app, err := a.Store.GetApplication(ctx, appID)
		if err == nil && app.Active {
			f.App = &app
		} else if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return f, err
		}
	}
	return f, nil
}

// enqueueJob stores a keyless request for the job worker.
func (a *Accounts) enqueueJob(ctx context.Context, j job) error {
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	now := a.Now()
	if err := a.Store.EnqueueOutbox(ctx, storage.OutboxMessage{ID: uuid.NewString(), Queue: JobQueue, TenantID: j.TenantID,
		Payload: b, CreatedAt: now, NextAttemptAt: now}); err != nil {
		return err
	}
	a.Mail.notify(JobQueue)
	return nil
}

// RunJob does a keyless request's work (the Deliver of the JobQueue
// worker): the lookup, and the identifier with its mail when the login id
// names an account with an address. An unknown login id ends the job
// quietly, which only the database and the logs know.
func (a *Accounts) RunJob(ctx context.Context, m storage.OutboxMessage) error {
	var j job
	if err := json.Unmarshal(m.Payload, &j); err != nil {
		return outbox.Permanent(fmt.Errorf("account job %s: %w", m.ID, err))
	}
	u, err := a.Users.Find(ctx, Scope{TenantID: j.TenantID}, UserQuery{LoginID: j.LoginID})
	if errors.Is(err, ErrNotFound) || (err == nil && (u.Email == "" || !u.Active)) {
		return nil
	}
	if err != nil {
		return err
	}
	switch j.Kind {
	case "forgot-password":
		_, err = a.forgot(ctx, u, j.ApplicationID, j.State, true, "")
	case "verify-email":
		_, _, err = a.resend(ctx, u, j.ApplicationID, true)
	default:
		return outbox.Permanent(fmt.Errorf("account job %s: unknown kind %q", m.ID, j.Kind))
	}
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrDisabled) {
		return nil
	}
	return err
}
