package manage

import (
	"context"
	"errors"
	"strings"

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
func (us *Users) Update(ctx context.Context, scope Scope, id string, change func(storage.User) (UserInput, error)) (storage.User, error) {
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
	changed := in.Password != ""
	if changed {
		prev, err := previousPasswords(ctx, us.Store, cur, tenant)
		if err != nil {
			return u, err
		}
		if err := us.setPassword(e, &u, in, tenant, prev); err != nil {
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
	cur.Registrations, cur.Memberships = nil, nil
	c.Audit = []storage.AuditEntry{audit(ctx, us.Now(), u.TenantID, "Updated the user with Id ["+u.ID+"]", cur, u)}
	if err := us.Store.ChangeUser(ctx, c); errors.Is(err, storage.ErrConflict) {
		return u, invalid("duplicate", "user.email", "A user with this email or username already exists.")
	} else if err != nil {
		return u, err
	}
	if len(c.Outbox) > 0 {
		us.Mail.notify(mail.Queue)
	}
	return us.withRegistrations(ctx, u)
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

// Reactivate makes a soft-deleted user active again.
func (us *Users) Reactivate(ctx context.Context, scope Scope, id string) (storage.User, error) {
	u, err := us.load(ctx, scope, id)
	if err != nil {
		return u, err
	}
	old := u
	u.Active, u.LastUpdateInstant = true, us.Now().UnixMilli()
	active := true
	if err := us.Store.ChangeUser(ctx, storage.UserChange{UserID: u.ID, Now: us.Now(),
		Fields: storage.UserFields{Active: &active, LastUpdateInstant: u.LastUpdateInstant},
		Audit:  []storage.AuditEntry{audit(ctx, us.Now(), u.TenantID, "Reactivated the user with Id ["+u.ID+"]", old, u)}}); err != nil {
		return u, err
	}
	return us.withRegistrations(ctx, u)
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
	inactive := false
	return us.Store.ChangeUser(ctx, storage.UserChange{UserID: u.ID, Now: us.Now(),
		Fields:       storage.UserFields{Active: &inactive, LastUpdateInstant: u.LastUpdateInstant},
		RevokeReason: "user_deactivated", ResetFailures: true,
		Audit: []storage.AuditEntry{audit(ctx, us.Now(), u.TenantID, "Deactivated the user with Id ["+u.ID+"]", old, u)}})
}

// Delete removes the user with their registrations and tokens; their
// sessions stay in the revocation feed as tombstones (storage.DeleteUserAt),
// all in one transaction.
func (us *Users) Delete(ctx context.Context, scope Scope, id string) error {
	u, err := us.load(ctx, scope, id)
	if err != nil {
		return err
	}
	return us.Store.DeleteUserAt(ctx, u.ID, us.Now(), audit(ctx, us.Now(), u.TenantID, "Deleted the user with Id ["+u.ID+"]", u, nil))
}
