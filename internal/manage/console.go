package manage

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The admin console signs in through latchkey's own login, to a built-in
// application. Its id is FusionAuth's own admin application id, so a
// FusionAuth Kickstart that registers its first admin to
// #{FUSIONAUTH_APPLICATION_ID} with the role "admin" does the same here
// (kickstart.mdx).
const (
	AdminApplicationID = "3c219e58-ed0e-4b18-ad48-f4f92793ae32"
	AdminRole          = "admin"
	// LockActionID is the user action the console takes to lock a user
	// (temporal, preventLogin) and cancels to unlock: the FusionAuth way of
	// locking, so the lock shows in /api/user/action and answers 409.
	LockActionID = "3c219e58-ed0e-4b18-ad48-00000000a10c"
)

// Console holds the console's own use cases; everything it changes goes
// through the other use cases, audited with the admin as the actor.
type Console struct {
	Applications  *Applications
	Users         *Users
	Registrations *Registrations
	UserActions   *UserActions
	Actions       *Actions
	Now           func() time.Time
}

// AdminApplication is the built-in application: the admin role, short
// access tokens (the console reads the session on every request anyway),
// and refresh tokens of a working day that rotate on use.
func AdminApplication() storage.Application {
	a := ApplicationDefaults()
	a.Name = "Latchkey admin console"
	a.TenantID = DefaultTenantID
	a.Roles = []storage.ApplicationRole{{Name: AdminRole, IsSuperRole: true}}
	a.JWTConfiguration.Enabled = true
	a.JWTConfiguration.TimeToLiveInSeconds = 300
	a.JWTConfiguration.RefreshTokenTimeToLiveInMinutes = 480
	a.LoginConfiguration = storage.ApplicationLoginConfig{GenerateRefreshTokens: true, AllowTokenRefresh: true,
		RequireAuthentication: true}
	return a
}

// EnsureSetup creates the admin application and the lock action when they
// are missing; another node doing the same at once is not an error.
func (c *Console) EnsureSetup(ctx context.Context) error {
	if _, err := c.Applications.Get(ctx, Scope{}, AdminApplicationID); errors.Is(err, ErrNotFound) {
		if _, err := c.Applications.Create(ctx, AdminApplicationID, AdminApplication()); err != nil && !duplicate(err) {
			return err
		}
	} else if err != nil {
		return err
	}
	if _, err := c.UserActions.Get(ctx, LockActionID); errors.Is(err, ErrNotFound) {
		_, err := c.UserActions.Create(ctx, LockActionID, storage.UserAction{Name: "Lock (admin console)",
			PreventLogin: true, Temporal: true})
		if err != nil && !duplicate(err) {
			return err
		}
	} else if err != nil {
		return err
	}
	return nil
}

// duplicate: a concurrent creation won; what it created is what we wanted.
func duplicate(err error) bool {
	var inv *Invalid
	return errors.Is(err, storage.ErrConflict) || (errors.As(err, &inv) &&
		slices.ContainsFunc(inv.Problems, func(p Problem) bool { return p.Kind == "duplicate" }))
}

// CreateAdmin makes email an admin of the console: a new user with that
// password, or an existing one (whose password is left alone), registered
// to the admin application with the admin role.
func (c *Console) CreateAdmin(ctx context.Context, email, password string) (storage.User, error) {
	if err := c.EnsureSetup(ctx); err != nil {
		return storage.User{}, err
	}
	u, err := c.Users.Find(ctx, Scope{}, UserQuery{Email: email})
	if errors.Is(err, ErrNotFound) {
		// Created without an application, then registered: no session is
		// issued that nobody holds (RegisterNew would issue one).
		created, cerr := c.Users.Create(ctx, NewUser{User: UserInput{User: storage.User{Email: email},
			Password: password, SkipVerification: true}})
		u, err = created.User, cerr
	}
	if err != nil {
		return u, err
	}
	if _, err := c.Registrations.Get(ctx, Scope{}, u.ID, AdminApplicationID); errors.Is(err, ErrNotFound) {
		_, err = c.Registrations.Register(ctx, Scope{}, u.ID, storage.Registration{ApplicationID: AdminApplicationID,
			Roles: []string{AdminRole}}, true)
		return u, err
	} else if err != nil {
		return u, err
	}
	_, err = c.Registrations.Update(ctx, Scope{}, u.ID, AdminApplicationID, func(r storage.Registration) (storage.Registration, error) {
		if !slices.Contains(r.Roles, AdminRole) {
			r.Roles = append(r.Roles, AdminRole)
		}
		return r, nil
	})
	return u, err
}

// IsAdmin reports whether u may use the console: active, and registered
// to the admin application with the admin role.
func IsAdmin(u storage.User) bool {
	if !u.Active {
		return false
	}
	for _, r := range u.Registrations {
		if r.ApplicationID == AdminApplicationID && slices.Contains(r.Roles, AdminRole) {
			return true
		}
	}
	return false
}

// Lock locks userID until until (a temporal action that prevents login:
// the user's sessions end with it when the tenant's onLoginPrevented says
// so, the default).
func (c *Console) Lock(ctx context.Context, userID, comment string, until time.Time) (storage.UserActionLog, error) {
	if err := c.EnsureSetup(ctx); err != nil {
		return storage.UserActionLog{}, err
	}
	return c.Actions.Take(ctx, Scope{}, ActionRequest{ActioneeUserID: userID, ActionerUserID: ActorFrom(ctx).UserID,
		UserActionID: LockActionID, Comment: comment, Expiry: until.UnixMilli()})
}

// Unlock cancels every action in force on userID that prevents login.
func (c *Console) Unlock(ctx context.Context, userID, comment string) (int, error) {
	logs, err := c.Actions.List(ctx, Scope{}, userID, ActionFilter{PreventingLogin: true})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, l := range logs {
		if _, err := c.Actions.Cancel(ctx, Scope{}, l.ID, ActionRequest{ActionerUserID: ActorFrom(ctx).UserID, Comment: comment}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
