package manage

import (
	"context"
	"errors"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// ChangePassword is a change-password request (users.mdx "Change a
// User's Password"; accounts spec §4.1) in one of FusionAuth's three modes,
// chosen in this order: ChangePasswordID (no authentication: the id is the
// credential), UserID (the subject of a verified access token, with the
// current password), LoginID (an API key, the current password optional).
type ChangePassword struct {
	ChangePasswordID string
	UserID           string
	LoginID          string
	WithKey          bool
	CurrentPassword  string
	Password         string
	ApplicationID    string
	// RefreshToken is the caller's refresh token in the access-token mode
	// (the cookie wins over the body): the oneTimePassword's login then
	// issues a refresh token continuing that session, which the change
	// itself revoked with every other.
	RefreshToken string
	// TrustToken and TrustChallenge: the proof of a just-completed second
	// factor that a change of the password of a user with two-factor
	// methods spends, in every mode (trust.go).
	TrustToken     string
	TrustChallenge string
}

// PasswordChanged is the answer: a oneTimePassword that logs in once
// (POST /api/login {"oneTimePassword"}), and the forgot-password state.
// Empty for the API-key mode, which FusionAuth answers with no body.
type PasswordChanged struct {
	OneTimePassword string
	State           map[string]any
}

// ChangePassword changes a password. In one transaction with the new hash
// (storage.ChangeUser): the changePasswordId is consumed (single use; a
// concurrent second use finds nothing), every refresh token of the user is
// revoked when the tenant's onPasswordChanged says so (the default), the
// old hash joins the history, every outstanding changePasswordId is voided,
// the lockout is cleared, the oneTimePassword is stored and the
// password-update notice queued. Refusals: an unknown, used or expired id,
// or a wrong current password without an API key, is ErrNotFound (404, as
// FusionAuth); policy violations are [kind]password field errors.
func (a *Accounts) ChangePassword(ctx context.Context, scope Scope, in ChangePassword) (PasswordChanged, error) {
	switch {
	case in.ChangePasswordID != "":
		return a.changeWithID(ctx, in)
	case in.UserID != "":
		return a.changeWithJWT(ctx, in)
	case in.LoginID != "" && !in.WithKey:
		return PasswordChanged{}, ErrForbidden
	case in.LoginID != "":
		return PasswordChanged{}, a.changeWithKey(ctx, scope, in)
	}
	e := &Invalid{}
	e.General("invalid", "Give a changePasswordId, an access token or, with an API key, a loginId.")
	return PasswordChanged{}, e
}

// changeWithID is mode A: the id from forgot password (or a 203 login).
// Completing it with an id that was mailed verifies the address
// (implicitEmailVerificationAllowed, default true).
func (a *Accounts) changeWithID(ctx context.Context, in ChangePassword) (PasswordChanged, error) {
	if in.Password == "" {
		return PasswordChanged{}, invalid("blank", "password", "You must specify the [password] property.")
	}
	if !auth.ValidIdentifier(in.ChangePasswordID) {
		return PasswordChanged{}, ErrNotFound
	}
	ref := storage.IdentifierRef{Kind: storage.IdentifierChangePassword, Hash: auth.HashIdentifier(in.ChangePasswordID)}
	id, err := a.Store.GetIdentifier(ctx, ref.Kind, ref.Hash, a.Now())
	if err != nil {
		return PasswordChanged{}, notFound(err)
	}
	u, err := a.Store.GetUser(ctx, id.UserID)
	if err != nil {
		return PasswordChanged{}, notFound(err)
	}
	if !u.Active {
		return PasswordChanged{}, ErrNotFound // a deactivated account is not recovered by email
	}
	trust, err := a.trust(ctx, u, in)
	if err != nil {
		return PasswordChanged{}, err
	}
	appID := id.Data.ApplicationID
	if appID == "" {
		appID = in.ApplicationID
	}
	f, err := a.mailFor(ctx, u, appID)
	if err != nil {
		return PasswordChanged{}, err
	}
	otp := storage.IdentifierData{ApplicationID: appID, State: id.Data.State, IssueJWT: true, IssueRefreshToken: true}
	c, otpRaw, err := a.passwordChange(ctx, f, in.Password, false, otp)
	if err != nil {
		return PasswordChanged{}, err
	}
	c.Consume, c.ConsumeTrust = &ref, trust
	if e := f.Tenant.EmailConfiguration; id.Data.Email != "" && id.Data.Email == u.Email && e.VerifyEmail && !u.Verified &&
		(e.ImplicitEmailVerificationAllowed == nil || *e.ImplicitEmailVerificationAllowed) {
		verified := true
		c.Fields.Verified = &verified
	}
	if err := a.commit(ctx, c); err != nil {
		return PasswordChanged{}, notFound(err)
	}
	return PasswordChanged{OneTimePassword: otpRaw, State: id.Data.State}, nil
}

// changeWithJWT is mode B: the user of a verified access token, who must
// give the current password (checked as a login checks it: the lockout
// counts a wrong one, and a wrong one is the same 404 as FusionAuth's).
func (a *Accounts) changeWithJWT(ctx context.Context, in ChangePassword) (PasswordChanged, error) {
	e := &Invalid{}
	if in.CurrentPassword == "" {
		e.Field("blank", "currentPassword", "You must specify the [currentPassword] property.")
	}
	if in.Password == "" {
		e.Field("blank", "password", "You must specify the [password] property.")
	}
	if err := e.Err(); err != nil {
		return PasswordChanged{}, err
	}
	u, err := a.Store.GetUser(ctx, in.UserID)
	if err != nil {
		return PasswordChanged{}, notFound(err)
	}
	// Before the current password: a stolen access token without the
	// second factor cannot even try passwords.
	trust, err := a.trust(ctx, u, in)
	if err != nil {
		return PasswordChanged{}, err
	}
	f, err := a.mailFor(ctx, u, in.ApplicationID)
	if err != nil {
		return PasswordChanged{}, err
	}
	if err := a.Auth.CheckPassword(ctx, f.Tenant, u, in.CurrentPassword); errors.Is(err, auth.ErrInvalidCredentials) {
		return PasswordChanged{}, ErrNotFound
	} else if err != nil {
		return PasswordChanged{}, err
	}
	otp := storage.IdentifierData{ApplicationID: in.ApplicationID, IssueJWT: true}
	if rt, err := a.Auth.FindRefreshToken(ctx, in.RefreshToken); err == nil && rt.UserID == u.ID {
		// The session the caller holds goes on after the change, from its
		// original start: a password change does not lengthen a session.
		otp.IssueRefreshToken, otp.ApplicationID = true, rt.ApplicationID
		otp.RefreshTokenStart, otp.AuthTime = rt.StartInstant.UnixMilli(), rt.AuthTime.UnixMilli()
	}
	c, otpRaw, err := a.passwordChange(ctx, f, in.Password, true, otp)
	if err != nil {
		return PasswordChanged{}, err
	}
	c.ConsumeTrust = trust
	if err := a.commit(ctx, c); err != nil {
		return PasswordChanged{}, trustSpent(err, trust)
	}
	return PasswordChanged{OneTimePassword: otpRaw}, nil
}

// changeWithKey is mode C: an API key names the user by login id; a
// current password, when given, must be right ([invalid]currentPassword).
func (a *Accounts) changeWithKey(ctx context.Context, scope Scope, in ChangePassword) error {
	if in.Password == "" {
		return invalid("blank", "password", "You must specify the [password] property.")
	}
	u, err := a.Users.Find(ctx, scope, UserQuery{LoginID: in.LoginID})
	if errors.Is(err, ErrNotFound) {
		return invalid("invalid", "loginId", "No user exists with the [loginId].")
	} else if err != nil {
		return err
	}
	// FusionAuth asks the API key for the trustToken too (its GET check
	// has a loginId form for this): an administrator without the user's
	// second factor sets a password with PUT /api/user instead.
	trust, err := a.trust(ctx, u, in)
	if err != nil {
		return err
	}
	f, err := a.mailFor(ctx, u, in.ApplicationID)
	if err != nil {
		return err
	}
	if in.CurrentPassword != "" {
		if err := a.Auth.CheckPassword(ctx, f.Tenant, u, in.CurrentPassword); errors.Is(err, auth.ErrInvalidCredentials) {
			return invalid("invalid", "currentPassword", "The [currentPassword] is not the user's password.")
		} else if err != nil {
			return err
		}
	}
	c, _, err := a.passwordChange(ctx, f, in.Password, true, storage.IdentifierData{})
	if err != nil {
		return err
	}
	c.Issue = nil // FusionAuth answers the API-key mode with no body: no oneTimePassword
	c.ConsumeTrust = trust
	return trustSpent(a.commit(ctx, c), trust)
}

// passwordChange checks plain against the tenant's policy (field
// "password"; the minimum age applies to the user's own changes, not to a
// reset by email) and builds the change that sets it, with a
// oneTimePassword carrying otp.
func (a *Accounts) passwordChange(ctx context.Context, f MailFor, plain string, minimumAge bool, otp storage.IdentifierData) (storage.UserChange, string, error) {
	prev, err := previousPasswords(ctx, a.Store, f.User, f.Tenant)
	if err != nil {
		return storage.UserChange{}, "", err
	}
	pe := f.Tenant.PasswordEncryptionConfiguration
	e := &Invalid{}
	h, err := hashChecked(ctx, e, policyCheck{field: "password", plain: plain, user: f.User, tenant: f.Tenant,
		scheme: pe.EncryptionScheme, factor: pe.EncryptionSchemeFactor, previous: prev, minimumAge: minimumAge, now: a.Now()})
	if err != nil {
		return storage.UserChange{}, "", err
	}
	if err := e.Err(); err != nil {
		return storage.UserChange{}, "", err
	}
	now := a.Now()
	notRequired := false
	c := storage.UserChange{UserID: f.User.ID, Now: now, Password: h, RememberPasswords: remembered(f.Tenant),
		Fields: storage.UserFields{PasswordChangeRequired: &notRequired, PasswordLastUpdateInstant: now.UnixMilli(),
			LastUpdateInstant: now.UnixMilli()},
		DropIdentifiers: []string{storage.IdentifierChangePassword, storage.IdentifierTrustToken}, ResetFailures: true}
	if f.Tenant.JWTConfiguration.RefreshTokenRevocationPolicy.OnPasswordChanged {
		c.RevokeReason = "password_changed"
		revs, err := revokeEvents(ctx, a.Revokes, auth.Revoked{TenantID: f.User.TenantID,
			Filter: storage.RefreshTokenFilter{UserID: f.User.ID}, User: &f.User})
		if err != nil {
			return storage.UserChange{}, "", err
		}
		c.Outbox = append(c.Outbox, revs...)
	}
	ec := f.Tenant.ExternalIdentifierConfiguration
	raw, rec := auth.NewIdentifier(storage.IdentifierOneTimePassword, ec.ChangePasswordIDGenerator, ec.OneTimePasswordTimeToLiveInSeconds, f.User, now, otp)
	c.Issue = []storage.Identifier{rec}
	msg, ok, err := a.Mail.message(ctx, mailPasswordUpdate, f, nil, now)
	if err != nil {
		return c, "", err
	}
	if ok {
		c.Outbox = append(c.Outbox, msg)
	}
	evs, err := userEvent(ctx, a.Events, events.UserPasswordUpdate, f.User)
	if err != nil {
		return c, "", err
	}
	c.Outbox = append(c.Outbox, evs...)
	return c, raw, nil
}

// commit stores c and wakes the workers of the queues it wrote to.
func (a *Accounts) commit(ctx context.Context, c storage.UserChange) error {
	if err := a.Store.ChangeUser(ctx, c); err != nil {
		return err
	}
	var evs []storage.OutboxMessage
	for _, m := range c.Outbox {
		if m.Queue == events.Queue {
			evs = append(evs, m)
		} else {
			a.Mail.notify(m.Queue)
		}
	}
	a.Events.Committed(evs)
	return nil
}

// CheckChangePassword is FusionAuth's "check" (GET /api/user/change-password;
// accounts spec §4.2): nil when a change of this kind could go ahead, the
// [TrustTokenRequired] refusal when the user has two-factor methods (the
// change needs a trustToken; the check takes none). It consumes nothing. The id is checked without authentication, the user of
// an access token, or (API key) a login id.
func (a *Accounts) CheckChangePassword(ctx context.Context, scope Scope, in ChangePassword) error {
	switch {
	case in.ChangePasswordID != "":
		if !auth.ValidIdentifier(in.ChangePasswordID) {
			return ErrNotFound
		}
		id, err := a.Store.GetIdentifier(ctx, storage.IdentifierChangePassword, auth.HashIdentifier(in.ChangePasswordID), a.Now())
		if err != nil {
			return notFound(err)
		}
		u, err := a.Store.GetUser(ctx, id.UserID)
		if err != nil {
			return notFound(err)
		}
		return a.trustNeeded(ctx, u)
	case in.UserID != "":
		u, err := a.Store.GetUser(ctx, in.UserID)
		if err != nil {
			return notFound(err)
		}
		return a.trustNeeded(ctx, u)
	case in.LoginID != "" && !in.WithKey:
		return ErrForbidden
	case in.LoginID != "":
		u, err := a.Users.Find(ctx, scope, UserQuery{LoginID: in.LoginID})
		if err != nil {
			return err
		}
		return a.trustNeeded(ctx, u)
	}
	e := &Invalid{}
	e.General("invalidGET", "Give a changePasswordId, an access token or, with an API key, a loginId.")
	return e
}

// UserByIdentifier is GET /api/user?changePasswordId= and
// ?verificationId= (API key; accounts spec §4.4): the user a live
// identifier belongs to, which is not consumed.
func (a *Accounts) UserByIdentifier(ctx context.Context, scope Scope, kind, raw string) (storage.User, error) {
	if !auth.ValidIdentifier(raw) {
		return storage.User{}, ErrNotFound
	}
	id, err := a.Store.GetIdentifier(ctx, kind, auth.HashIdentifier(raw), a.Now())
	if err != nil {
		return storage.User{}, notFound(err)
	}
	return a.Users.Get(ctx, scope, id.UserID)
}
