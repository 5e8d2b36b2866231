package manage

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Registration verification (FusionAuth registrations.mdx and users.mdx
// "Verify a User Registration", "Resend a User Registration Verification
// Email"): a registration for an application with verifyRegistration starts
// unverified, and a verificationId (with the FormField strategy, a one-time
// code too) is mailed through the outbox with the application's
// verificationEmailTemplateId. The id, its code, its single use and its
// lifetime are email verification's (verification.go issueWith); the id
// names the registration it verifies, so one of a registration deleted and
// made again verifies nothing.

// startsUnverified makes reg unverified when app verifies registrations
// and the caller did not skip it (skipRegistrationVerification, an API
// key's choice), and reports whether it did.
func startsUnverified(app storage.Application, reg *storage.Registration, skip bool) bool {
	if !app.VerifyRegistration || skip {
		return false
	}
	reg.Verified, reg.VerifiedInstant = false, 0
	return true
}

// issueRegistrationVerification prepares reg's verificationId with the
// tenant's generator and lifetime (externalIdentifierConfiguration.
// registrationVerification*) and app's strategy, and, when send, its mail.
func (m *Mailer) issueRegistrationVerification(ctx context.Context, t storage.Tenant, app storage.Application, u storage.User,
	reg storage.Registration, now time.Time, send bool) (verificationFor, error) {
	c := t.ExternalIdentifierConfiguration.WithDefaults()
	spec := verificationSpec{kind: storage.IdentifierRegistrationVerification, idGen: c.RegistrationVerificationIDGenerator,
		ttl: c.RegistrationVerificationIDTimeToLiveInSeconds, mail: mailRegistrationVerification,
		data: storage.IdentifierData{RegistrationID: reg.ID}}
	if app.VerificationStrategy == "FormField" {
		spec.code = &c.RegistrationVerificationOneTimeCodeGenerator
	}
	return m.issueWith(ctx, MailFor{Tenant: t, App: &app, User: u}, now, send, spec)
}

// VerifyRegistration is POST /api/user/verify-registration.
type VerifyRegistration struct {
	VerificationID, OneTimeCode string
}

// VerifyRegistration marks the registration a verificationId names
// verified (verifiedInstant now) and sends user.registration.verified, in
// one transaction that consumes the id and voids the registration's other
// ids. Unknown, used, expired ids, and those of a registration that is gone
// or of a user outside scope, are ErrNotFound with nothing changed; with
// the FormField strategy the one-time code must come with the id.
func (a *Accounts) VerifyRegistration(ctx context.Context, scope Scope, in VerifyRegistration) error {
	if in.VerificationID == "" {
		return invalid("blank", "verificationId", "You must specify the [verificationId] property.")
	}
	if !auth.ValidIdentifier(in.VerificationID) {
		return ErrNotFound
	}
	ref := storage.IdentifierRef{Kind: storage.IdentifierRegistrationVerification, Hash: auth.HashIdentifier(in.VerificationID)}
	id, err := a.Store.GetIdentifier(ctx, ref.Kind, ref.Hash, a.Now())
	if err != nil {
		return notFound(err)
	}
	if !scope.Sees(id.TenantID) {
		return ErrNotFound
	}
	u, err := a.Store.GetUser(ctx, id.UserID)
	if err != nil {
		return notFound(err)
	}
	reg, err := a.registration(ctx, u.ID, id.Data.ApplicationID)
	if err != nil {
		return err
	}
	if reg.ID != id.Data.RegistrationID || reg.Verified {
		return ErrNotFound
	}
	if err := a.checkVerificationCode(ctx, ref, id, in.OneTimeCode); err != nil {
		return err
	}
	now := a.Now().UnixMilli()
	reg.Verified, reg.VerifiedInstant = true, now
	evs, err := eventMessages(ctx, a.Events, u.TenantID, events.UserRegistrationVerified, func(ev *events.Event) {
		u.Registrations = nil
		ev.ApplicationID, ev.Registration, ev.User = reg.ApplicationID, &reg, events.UserView(u)
	})
	if err != nil {
		return err
	}
	return notFound(a.commit(ctx, storage.UserChange{UserID: u.ID, Now: a.Now(), Consume: &ref,
		DropRegistrationVerifications: reg.ApplicationID,
		VerifyRegistration:            &storage.RegistrationVerified{RegistrationID: reg.ID, Instant: now}, Outbox: evs}))
}

// registration is userID's registration for appID, ErrNotFound when none.
func (a *Accounts) registration(ctx context.Context, userID, appID string) (storage.Registration, error) {
	regs, err := a.Store.ListRegistrations(ctx, userID)
	if err != nil {
		return storage.Registration{}, err
	}
	for _, r := range regs {
		if r.ApplicationID == appID {
			return r, nil
		}
	}
	return storage.Registration{}, ErrNotFound
}

// ResendRegistrationVerification is PUT /api/user/verify-registration
// (API key only).
type ResendRegistrationVerification struct {
	Email, ApplicationID string
	// Send=false (sendVerifyPasswordEmail=false, the client's
	// generateRegistrationVerificationId) answers the id without a mail.
	Send bool
}

// ResendRegistrationVerification issues a new verificationId for the
// unverified registration of the user of Email for ApplicationID, voiding
// the registration's earlier ones, and mails it unless Send is false. It
// answers the id (and the FormField code). ErrNotFound: no such user in
// scope, no such registration, or it is verified; ErrDisabled: the
// application does not verify registrations.
func (a *Accounts) ResendRegistrationVerification(ctx context.Context, scope Scope, in ResendRegistrationVerification) (id, code string, err error) {
	e := &Invalid{}
	if in.Email == "" {
		e.Field("blank", "email", "You must specify the [email] parameter.")
	}
	if in.ApplicationID == "" {
		e.Field("blank", "applicationId", "You must specify the [applicationId] parameter.")
	} else if err := checkApplication(ctx, a.Store, e, "applicationId", in.ApplicationID); err != nil {
		return "", "", err
	}
	if err := e.Err(); err != nil {
		return "", "", err
	}
	u, err := a.Users.Find(ctx, scope, UserQuery{Email: in.Email})
	if err != nil {
		return "", "", err
	}
	f, err := a.mailFor(ctx, u, in.ApplicationID)
	if err != nil {
		return "", "", err
	}
	if f.App == nil || !scope.Sees(f.App.TenantID) {
		return "", "", ErrNotFound
	}
	if !f.App.VerifyRegistration {
		return "", "", ErrDisabled
	}
	reg, err := a.registration(ctx, u.ID, in.ApplicationID)
	if err != nil {
		return "", "", err
	}
	if reg.Verified {
		return "", "", ErrNotFound // nothing to verify
	}
	v, err := a.Mail.issueRegistrationVerification(ctx, f.Tenant, *f.App, u, reg, a.Now(), in.Send)
	if err != nil {
		return "", "", err
	}
	err = a.commit(ctx, storage.UserChange{UserID: u.ID, Now: a.Now(), DropRegistrationVerifications: reg.ApplicationID,
		Issue: []storage.Identifier{v.id}, Outbox: v.mail})
	return v.raw, v.code, err
}

// IssueLoginRegistrationVerification is a 213's verification with the
// FormField strategy: a fresh id for the form, the code by mail, the
// registration's earlier ids voided (auth.EmailVerifier).
func (a *Accounts) IssueLoginRegistrationVerification(ctx context.Context, t storage.Tenant, app storage.Application,
	u storage.User, reg storage.Registration) (string, error) {
	v, err := a.Mail.issueRegistrationVerification(ctx, t.WithDefaults(), app, u, reg, a.Now(), true)
	if err != nil {
		return "", err
	}
	err = a.commit(ctx, storage.UserChange{UserID: u.ID, Now: a.Now(), DropRegistrationVerifications: app.ID,
		Issue: []storage.Identifier{v.id}, Outbox: v.mail})
	return v.raw, err
}
