package manage

import (
	"context"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// GenerateVerification is PUT /api/user/verify-email (accounts spec §5.1):
// a new verificationId for the user of Email, mailed unless an API key says
// Send=false.
type GenerateVerification struct {
	Email         string
	ApplicationID string
	WithKey, Send bool
}

// GenerateVerification issues (and by default mails) a verificationId,
// voiding the user's earlier ones. With an API key it answers the id (and
// the FormField code) or ErrDisabled when the tenant does not verify
// addresses, ErrNotFound for an unknown or already verified user. Without
// one it stores a job and answers nothing, whatever the address names.
func (a *Accounts) GenerateVerification(ctx context.Context, scope Scope, in GenerateVerification) (id, code string, err error) {
	e := &Invalid{}
	if in.Email == "" {
		e.Field("blank", "email", "You must specify the [email] parameter.")
	}
	if in.ApplicationID != "" {
		if err := checkApplication(ctx, a.Store, e, "applicationId", in.ApplicationID); err != nil {
			return "", "", err
		}
	}
	if err := e.Err(); err != nil {
		return "", "", err
	}
	if !in.WithKey {
		return "", "", a.enqueueJob(ctx, job{Kind: "verify-email", TenantID: DefaultTenantID, LoginID: in.Email,
			ApplicationID: in.ApplicationID})
	}
	u, err := a.Users.Find(ctx, scope, UserQuery{Email: in.Email})
	if err != nil {
		return "", "", err
	}
	return a.resend(ctx, u, in.ApplicationID, in.Send)
}

// resend replaces u's verificationIds with a new one and, when send, its
// mail, in one write.
func (a *Accounts) resend(ctx context.Context, u storage.User, appID string, send bool) (string, string, error) {
	f, err := a.mailFor(ctx, u, appID)
	if err != nil {
		return "", "", err
	}
	if !f.Tenant.EmailConfiguration.VerifyEmail {
		return "", "", ErrDisabled
	}
	if !needsVerification(f.Tenant, u) {
		return "", "", ErrNotFound // nothing to verify
	}
	v, err := a.Mail.issueVerification(ctx, f, a.Now(), send)
	if err != nil {
		return "", "", err
	}
	err = a.commit(ctx, storage.UserChange{UserID: u.ID, Now: a.Now(), DropIdentifiers: []string{storage.IdentifierEmailVerification},
		Issue: []storage.Identifier{v.id}, Outbox: v.mail})
	return v.raw, v.code, err
}

// VerifyEmail is POST /api/user/verify-email (accounts spec §5.2).
type VerifyEmail struct {
	VerificationID, OneTimeCode string
	// UserID verifies administratively (API key only).
	UserID  string
	WithKey bool
}

// VerifyEmail marks an address verified: the verificationId is consumed in
// the same transaction (single use), it must verify the address the user
// has now, and with the FormField strategy the one-time code from the mail
// must come with it. Unknown, used, expired or stale ids are ErrNotFound.
func (a *Accounts) VerifyEmail(ctx context.Context, scope Scope, in VerifyEmail) error {
	verified := true
	if in.UserID != "" && in.WithKey && in.VerificationID == "" {
		u, err := a.Users.load(ctx, scope, in.UserID)
		if err != nil {
			return err
		}
		evs, err := a.verifiedEvent(ctx, u)
		if err != nil {
			return err
		}
		return a.commit(ctx, storage.UserChange{UserID: u.ID, Now: a.Now(), DropIdentifiers: []string{storage.IdentifierEmailVerification},
			Fields: storage.UserFields{Verified: &verified, LastUpdateInstant: a.Now().UnixMilli()}, Outbox: evs})
	}
	if in.VerificationID == "" {
		return invalid("blank", "verificationId", "You must specify the [verificationId] property.")
	}
	if !auth.ValidIdentifier(in.VerificationID) {
		return ErrNotFound
	}
	ref := storage.IdentifierRef{Kind: storage.IdentifierEmailVerification, Hash: auth.HashIdentifier(in.VerificationID)}
	id, err := a.Store.GetIdentifier(ctx, ref.Kind, ref.Hash, a.Now())
	if err != nil {
		return notFound(err)
	}
	u, err := a.Store.GetUser(ctx, id.UserID)
	if err != nil {
		return notFound(err)
	}
	if !strings.EqualFold(u.Email, id.Data.Email) {
		return ErrNotFound // the address changed since: the id proves nothing now
	}
	if err := a.checkVerificationCode(ctx, ref, id, in.OneTimeCode); err != nil {
		return err
	}
	evs, err := a.verifiedEvent(ctx, u)
	if err != nil {
		return err
	}
	err = a.commit(ctx, storage.UserChange{UserID: u.ID, Now: a.Now(), Consume: &ref,
		DropIdentifiers: []string{storage.IdentifierEmailVerification},
		Fields:          storage.UserFields{Verified: &verified, LastUpdateInstant: a.Now().UnixMilli()}, Outbox: evs})
	return notFound(err)
}

// verifiedEvent is user.email.verified for u, as after the verification.
func (a *Accounts) verifiedEvent(ctx context.Context, u storage.User) ([]storage.OutboxMessage, error) {
	u.Verified, u.LastUpdateInstant = true, a.Now().UnixMilli()
	return userEvent(ctx, a.Events, events.UserEmailVerified, u)
}

// IssueLoginVerification is a 212's verification with the FormField
// strategy (auth.EmailVerifier): a fresh id for the form, the code by
// mail, earlier ids voided.
func (a *Accounts) IssueLoginVerification(ctx context.Context, t storage.Tenant, app *storage.Application, u storage.User) (string, error) {
	v, err := a.Mail.issueVerification(ctx, MailFor{Tenant: t, App: app, User: u}, a.Now(), true)
	if err != nil {
		return "", err
	}
	err = a.commit(ctx, storage.UserChange{UserID: u.ID, Now: a.Now(), DropIdentifiers: []string{storage.IdentifierEmailVerification},
		Issue: []storage.Identifier{v.id}, Outbox: v.mail})
	return v.raw, err
}
