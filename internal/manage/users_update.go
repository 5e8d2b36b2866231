package manage

import (
	"context"
	"errors"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Update replaces the profile of user id with change's result (a PUT, or a
// PATCH applied to the current user). The password is kept when the input
// has none; setting one revokes the user's refresh tokens and clears their
// lockout when the tenant's refreshTokenRevocationPolicy.onPasswordChanged
// says so (the default). An error of change is returned as it is.
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
		if err := us.setPassword(e, &u, in, tenant); err != nil {
			return u, err
		}
	}
	if err := e.Err(); err != nil {
		return u, err
	}
	cur.Registrations, cur.Memberships = nil, nil
	entry := audit(ctx, us.Now(), u.TenantID, "Updated the user with Id ["+u.ID+"]", cur, u)
	if err := us.Store.UpdateUser(ctx, u, entry); errors.Is(err, storage.ErrConflict) {
		return u, invalid("duplicate", "user.email", "A user with this email or username already exists.")
	} else if err != nil {
		return u, err
	}
	if changed && tenant.JWTConfiguration.RefreshTokenRevocationPolicy.OnPasswordChanged {
		if err := us.revokeSessions(ctx, u.ID, "password_changed"); err != nil {
			return u, err
		}
	}
	return us.withRegistrations(ctx, u)
}

// Reactivate makes a soft-deleted user active again.
func (us *Users) Reactivate(ctx context.Context, scope Scope, id string) (storage.User, error) {
	u, err := us.load(ctx, scope, id)
	if err != nil {
		return u, err
	}
	old := u
	u.Active, u.LastUpdateInstant = true, us.Now().UnixMilli()
	if err := us.Store.UpdateUser(ctx, u, audit(ctx, us.Now(), u.TenantID, "Reactivated the user with Id ["+u.ID+"]", old, u)); err != nil {
		return u, err
	}
	return us.withRegistrations(ctx, u)
}

// Deactivate is the soft delete: the user becomes inactive and their
// refresh tokens are revoked at once.
func (us *Users) Deactivate(ctx context.Context, scope Scope, id string) error {
	u, err := us.load(ctx, scope, id)
	if err != nil {
		return err
	}
	old := u
	u.Active, u.LastUpdateInstant = false, us.Now().UnixMilli()
	if err := us.Store.UpdateUser(ctx, u, audit(ctx, us.Now(), u.TenantID, "Deactivated the user with Id ["+u.ID+"]", old, u)); err != nil {
		return err
	}
	return us.revokeSessions(ctx, u.ID, "user_deactivated")
}

// Delete removes the user with their registrations and tokens; their
// sessions stay in the revocation feed as tombstones (storage.DeleteUserAt).
func (us *Users) Delete(ctx context.Context, scope Scope, id string) error {
	u, err := us.load(ctx, scope, id)
	if err != nil {
		return err
	}
	return us.Store.DeleteUserAt(ctx, u.ID, us.Now(), audit(ctx, us.Now(), u.TenantID, "Deleted the user with Id ["+u.ID+"]", u, nil))
}
