package manage

import (
	"context"
	"errors"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/mail"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Update replaces the profile of user id with change's result (a PUT, or a
// PATCH applied to the current user). The password is kept when the input
// has none. Everything the update causes commits with it in one
// transaction (storage.ChangeUser): a new password revokes the user's
// refresh tokens and clears their lockout when the tenant's
// refreshTokenRevocationPolicy.onPasswordChanged says so (the default),
// joins the password history, voids outstanding changePasswordIds and
// sends the password-update notice when the tenant names one; a changed
// email address is unverified and gets a verification mail when
// emailConfiguration.verifyEmailWhenChanged says so. An error of change is
// returned as it is.
//
// The write is conditional on the user's revision as read (optimistic
// concurrency, docs/decisions.md): when another write of the user
// committed in between (another update, a login's lastLoginInstant), the
// user is read again and change applied again (retryStale), so no
// acknowledged write is overwritten; everything the update causes (mail,
// events, audit) is computed anew by each try and commits only with the
// one that wins. ErrContended when every try lost; ErrNotFound when the
// user was deleted meanwhile.
func (us *Users) Update(ctx context.Context, scope Scope, id string, change func(storage.User) (UserInput, error)) (storage.User, error) {
	var u storage.User
	unlock := us.updates.lock(strings.ToLower(id))
	err := retryStale(func() error {
		var err error
		u, err = us.updateOnce(ctx, scope, id, change)
		return err
	})
	unlock()
	if err != nil {
		return u, err
	}
	return us.withRegistrations(ctx, u)
}

// updateOnce is one try of Update: read, apply change, write on the
// condition that the user's revision is still the one read (storage.ErrStale
// otherwise, nothing written).
func (us *Users) updateOnce(ctx context.Context, scope Scope, id string, change func(storage.User) (UserInput, error)) (storage.User, error) {
	cur, err := us.load(ctx, scope, id)
	if err != nil {
		return cur, err
	}
	in, err := change(cur)
	if err != nil {
		return storage.User{}, err
	}
	tenant, err := us.Store.GetTenant(ctx, cur.TenantID)
	if err != nil {
		return storage.User{}, err
	}
	tenant = tenant.WithDefaults()
	u := in.User
	u.ID, u.TenantID, u.Active, u.Verified, u.Password = cur.ID, cur.TenantID, cur.Active, cur.Verified, cur.Password
	u.InsertInstant, u.LastLoginInstant, u.PasswordLastUpdateInstant = cur.InsertInstant, cur.LastLoginInstant, cur.PasswordLastUpdateInstant
	u.LastUpdateInstant, u.Registrations = us.Now().UnixMilli(), nil
	e := &Invalid{}
	if err := us.checkIdentity(ctx, e, &u, cur.ID); err != nil {
		return u, err
	}
	checkBirthDate(e, u.BirthDate)
	checkParentEmail(e, &u)
	checkNUL(e, "user", u)
	changed := in.Password != ""
	if changed {
		prev, err := previousPasswords(ctx, us.Store, cur, tenant)
		if err != nil {
			return u, err
		}
		if err := us.setPassword(ctx, e, &u, in, tenant, prev); err != nil {
			return u, err
		}
	}
	if err := e.Err(); err != nil {
		return u, err
	}
	c, err := us.updateChange(ctx, cur, &u, tenant, changed)
	if err != nil {
		return u, err
	}
	mailed := len(c.Outbox) > 0
	evs, err := us.updateEvents(ctx, cur, u, changed)
	if err != nil {
		return u, err
	}
	c.Outbox = append(c.Outbox, evs...)
	cur.Registrations, cur.Memberships = nil, nil
	c.Audit = []storage.AuditEntry{audit(ctx, us.Now(), u.TenantID, "Updated the user with Id ["+u.ID+"]", cur, u)}
	c.IfRevision = cur.Revision
	switch err := us.Store.ChangeUser(ctx, c); {
	case errors.Is(err, storage.ErrConflict):
		return u, duplicateUser(err, u)
	case errors.Is(err, storage.ErrNotFound):
		// Deleted since the read: the caller's 404, as if it had come first.
		return u, ErrNotFound
	case err != nil:
		return u, err
	}
	if mailed {
		us.Mail.notify(mail.Queue)
	}
	us.Events.Committed(evs)
	return u, nil
}

// updateEvents are user.update (the user before and after, with their
// registrations) and, when the password changed, user.password.update.
func (us *Users) updateEvents(ctx context.Context, cur, u storage.User, pwChanged bool) ([]storage.OutboxMessage, error) {
	pl, err := us.Events.Plan(ctx, u.TenantID, events.UserUpdate)
	if err != nil {
		return nil, err
	}
	var evs []storage.OutboxMessage
	if !pl.Empty() {
		regs, err := us.Store.ListRegistrations(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		cur.Registrations, u.Registrations = regs, regs
		if evs, err = us.Events.Prepare(ctx, pl, &events.Event{Original: events.UserView(cur), User: events.UserView(u)}); err != nil {
			return nil, err
		}
	}
	if !pwChanged {
		return evs, nil
	}
	more, err := userEvent(ctx, us.Events, events.UserPasswordUpdate, u)
	return append(evs, more...), err
}

// updateChange is what an update writes besides the user row.
func (us *Users) updateChange(ctx context.Context, cur storage.User, u *storage.User, tenant storage.Tenant, pwChanged bool) (storage.UserChange, error) {
	now := us.Now()
	c := storage.UserChange{UserID: u.ID, Now: now, Replace: u}
	emailChanged := !strings.EqualFold(u.Email, cur.Email)
	if emailChanged {
		// A verificationId proves the old address only.
		c.DropIdentifiers = append(c.DropIdentifiers, storage.IdentifierEmailVerification)
		if tenant.EmailConfiguration.VerifyEmailWhenChanged && u.Email != "" {
			u.Verified = false
			v, err := us.Mail.issueVerification(ctx, MailFor{Tenant: tenant, User: *u}, now, true)
			if err != nil {
				return c, err
			}
			c.Issue, c.Outbox = append(c.Issue, v.id), append(c.Outbox, v.mail...)
		}
	}
	if !pwChanged {
		return c, nil
	}
	c.RememberPasswords = remembered(tenant)
	c.DropIdentifiers = append(c.DropIdentifiers, storage.IdentifierChangePassword)
	if tenant.JWTConfiguration.RefreshTokenRevocationPolicy.OnPasswordChanged {
		c.RevokeReason, c.ResetFailures = "password_changed", true
		evs, err := us.revokeUserEvents(ctx, *u)
		if err != nil {
			return c, err
		}
		c.Outbox = append(c.Outbox, evs...)
	}
	msg, ok, err := us.Mail.message(ctx, mailPasswordUpdate, MailFor{Tenant: tenant, User: *u}, nil, now)
	if err != nil {
		return c, err
	}
	if ok {
		c.Outbox = append(c.Outbox, msg)
	}
	return c, nil
}

// Reactivate makes a soft-deleted user active again (user.reactivate).
func (us *Users) Reactivate(ctx context.Context, scope Scope, id string) (storage.User, error) {
	u, err := us.load(ctx, scope, id)
	if err != nil {
		return u, err
	}
	old := u
	u.Active, u.LastUpdateInstant = true, us.Now().UnixMilli()
	entry := audit(ctx, us.Now(), u.TenantID, "Reactivated the user with Id ["+u.ID+"]", old, u)
	if u, err = us.withRegistrations(ctx, u); err != nil {
		return u, err
	}
	evs, err := userEvent(ctx, us.Events, events.UserReactivate, u)
	if err != nil {
		return u, err
	}
	active := true
	if err := us.Store.ChangeUser(ctx, storage.UserChange{UserID: u.ID, Now: us.Now(),
		Fields: storage.UserFields{Active: &active, LastUpdateInstant: u.LastUpdateInstant}, Outbox: evs,
		Audit: []storage.AuditEntry{entry}}); err != nil {
		return u, err
	}
	us.Events.Committed(evs)
	return u, nil
}

// Deactivate is the soft delete: the user becomes inactive, their refresh
// tokens are revoked and their lockout cleared in the same transaction, so
// no session outlives the deactivation even for a moment.
func (us *Users) Deactivate(ctx context.Context, scope Scope, id string) error {
	u, err := us.load(ctx, scope, id)
	if err != nil {
		return err
	}
	old := u
	u.Active, u.LastUpdateInstant = false, us.Now().UnixMilli()
	evs, err := us.userEventWithRegistrations(ctx, events.UserDeactivate, u)
	if err != nil {
		return err
	}
	revs, err := us.revokeUserEvents(ctx, u)
	if err != nil {
		return err
	}
	evs = append(evs, revs...)
	inactive := false
	if err := us.Store.ChangeUser(ctx, storage.UserChange{UserID: u.ID, Now: us.Now(),
		Fields:       storage.UserFields{Active: &inactive, LastUpdateInstant: u.LastUpdateInstant},
		RevokeReason: "user_deactivated", ResetFailures: true, Outbox: evs,
		Audit: []storage.AuditEntry{audit(ctx, us.Now(), u.TenantID, "Deactivated the user with Id ["+u.ID+"]", old, u)}}); err != nil {
		return err
	}
	us.Events.Committed(evs)
	return nil
}

// Delete removes the user with their registrations and tokens; their
// sessions stay in the revocation feed as tombstones, and the user.delete
// event is queued, all in one transaction (storage.UserChange.Delete).
func (us *Users) Delete(ctx context.Context, scope Scope, id string) error {
	u, err := us.load(ctx, scope, id)
	if err != nil {
		return err
	}
	evs, err := us.userEventWithRegistrations(ctx, events.UserDelete, u)
	if err != nil {
		return err
	}
	revs, err := us.revokeUserEvents(ctx, u)
	if err != nil {
		return err
	}
	evs = append(evs, revs...)
	if err := us.Store.ChangeUser(ctx, storage.UserChange{UserID: u.ID, Now: us.Now(), Delete: true, Outbox: evs,
		Audit: []storage.AuditEntry{audit(ctx, us.Now(), u.TenantID, "Deleted the user with Id ["+u.ID+"]", u, nil)}}); err != nil {
		return notFound(err)
	}
	us.Events.Committed(evs)
	return nil
}

// userEventWithRegistrations is userEvent with u's registrations read
// first, only when a webhook wants the event.
func (us *Users) userEventWithRegistrations(ctx context.Context, typ string, u storage.User) ([]storage.OutboxMessage, error) {
	pl, err := us.Events.Plan(ctx, u.TenantID, typ)
	if err != nil || pl.Empty() {
		return nil, err
	}
	if u, err = us.withRegistrations(ctx, u); err != nil {
		return nil, err
	}
	return us.Events.Prepare(ctx, pl, &events.Event{User: events.UserView(u)})
}

// revokeUserEvents prepares jwt.refresh-token.revoke for a change that ends
// every session of u (deactivation, deletion, a password change under the
// tenant's onPasswordChanged), committed with the change.
func (us *Users) revokeUserEvents(ctx context.Context, u storage.User) ([]storage.OutboxMessage, error) {
	return revokeEvents(ctx, us.Revokes, auth.Revoked{TenantID: u.TenantID, Filter: storage.RefreshTokenFilter{UserID: u.ID}, User: &u})
}
