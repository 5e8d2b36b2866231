package manage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/mail"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// RegistrationsStore is what Registrations uses besides Users.
type RegistrationsStore interface {
	applicationReader
	sessionRevoker
	CreateRegistration(ctx context.Context, r storage.Registration, audit ...storage.AuditEntry) error
	GetRegistration(ctx context.Context, userID, applicationID string) (storage.Registration, error)
	UpdateRegistration(ctx context.Context, r storage.Registration, audit ...storage.AuditEntry) error
	DeleteRegistration(ctx context.Context, userID, applicationID string, audit ...storage.AuditEntry) error
}

// Registrations is the registration API (registrations.mdx;
// fusionauth-api.md §7.2): a user's membership of an application, with its
// roles. It creates users through Users when a registration comes with one.
type Registrations struct {
	Store RegistrationsStore
	Users *Users
	Now   func() time.Time
	// Revokes prepares the jwt.refresh-token.revoke of a deleted
	// registration's sessions (nil: none).
	Revokes RevokeEventer

	updates recordLocks // Update's, by user and application id
}

// NewRegistration registers a user created in the same call (the form
// Kickstart uses).
type NewRegistration struct {
	UserID       string // "" generates one
	User         UserInput
	Registration storage.Registration
	IPAddress    string
	// SkipRegistrationVerification creates the registration verified even
	// when the application verifies registrations (an API key's choice).
	SkipRegistrationVerification bool
}

// Registered is a registration made, with the verificationId (and the
// FormField one-time code) of one that starts unverified, for the API
// key's answer (registrationVerificationId).
type Registered struct {
	Registration   storage.Registration
	VerificationID string
	OneTimeCode    string
}

// Register registers the existing user userID. The application must exist
// and be active, roles must be the application's role names (its default
// roles when none are given), and the user must not be registered yet. For
// an application that verifies registrations the registration starts
// unverified, unless skipVerification, and its verification mail goes with it.
func (rs *Registrations) Register(ctx context.Context, scope Scope, userID string, in storage.Registration, skipVerification bool) (Registered, error) {
	u, err := rs.Users.load(ctx, scope, userID)
	if err != nil {
		return Registered{}, err
	}
	reg, app, e, err := rs.newRegistration(ctx, u.ID, in, true)
	if err == nil {
		err = e.Err()
	}
	if err != nil {
		return Registered{Registration: reg}, err
	}
	var v verificationFor
	if startsUnverified(app, &reg, skipVerification) {
		t, err := rs.Users.Store.GetTenant(ctx, u.TenantID)
		if err != nil {
			return Registered{}, err
		}
		if v, err = rs.Users.Mail.issueRegistrationVerification(ctx, t.WithDefaults(), app, u, reg, rs.Now(), true); err != nil {
			return Registered{}, err
		}
	}
	err = rs.store(ctx, u, reg, v)
	return Registered{Registration: reg, VerificationID: v.raw, OneTimeCode: v.code}, err
}

// RegisterNew creates a user and their registration in one call, and
// issues the tokens FusionAuth returns with it (access and refresh token).
// Nothing is stored when validation fails. The user, the registration and
// the verification mail commit together, before the tokens are issued: when
// issuing fails after that commit (a database error, the request's deadline),
// the call returns the error but the user and registration stay, and the
// same request sent again is refused as a duplicate.
func (rs *Registrations) RegisterNew(ctx context.Context, in NewRegistration) (Created, error) {
	u, tenant, e, err := rs.Users.newUser(ctx, in.UserID, in.User)
	if err != nil {
		return Created{}, err
	}
	reg, app, re, err := rs.newRegistration(ctx, u.ID, in.Registration, false)
	if err != nil {
		return Created{}, err
	}
	e.Problems = append(e.Problems, re.Problems...)
	if err := e.Err(); err != nil {
		return Created{}, err
	}
	startsUnverified(app, &reg, in.SkipRegistrationVerification)
	// The user, the registration and the verification mails commit together.
	v, err := rs.Users.storeNew(ctx, u, &reg, tenant, &app, in.User.SendSetPasswordEmail)
	if err != nil {
		return Created{}, err
	}
	t, err := rs.Users.issue(ctx, auth.IssueRequest{UserID: u.ID, ApplicationID: reg.ApplicationID,
		AuthenticationType: auth.AuthRegistration, RefreshToken: true, IPAddress: in.IPAddress})
	if err != nil {
		return Created{}, err
	}
	u.Registrations = []storage.Registration{reg}
	return Created{User: u, Registration: reg, Tokens: t, RegistrationVerificationID: v.raw, RegistrationOneTimeCode: v.code}, nil
}

// newRegistration validates a registration for userID: the application must
// exist and be active, roles must be the application's role names (its
// default roles when none are given), and an existing user must not be
// registered yet.
func (rs *Registrations) newRegistration(ctx context.Context, userID string, in storage.Registration, userExists bool) (storage.Registration, storage.Application, *Invalid, error) {
	e := &Invalid{}
	now := rs.Now().UnixMilli()
	reg := in
	reg.ID, reg.UserID, reg.Verified, reg.InsertInstant, reg.LastUpdateInstant, reg.LastLoginInstant = newID(), userID, true, now, now, 0
	reg.VerifiedInstant = now // until startsUnverified says otherwise
	if reg.ApplicationID == "" {
		e.Field("blank", "registration.applicationId", "You must specify the [registration.applicationId] property.")
		return reg, storage.Application{}, e, nil
	}
	app, err := rs.Store.GetApplication(ctx, reg.ApplicationID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !app.Active) || !ValidID(reg.ApplicationID) {
		e.Field("invalid", "registration.applicationId", "No active application exists with Id ["+truncate(reg.ApplicationID, 64)+"].")
		return reg, app, e, nil
	}
	if err != nil {
		return reg, app, nil, err
	}
	reg.Roles = checkRoles(e, app, reg.Roles, true)
	checkNUL(e, "registration", reg)
	if userExists {
		if _, err := rs.Store.GetRegistration(ctx, userID, app.ID); err == nil {
			e.Field("duplicate", "registration", "The user is already registered for application ["+app.ID+"].")
		} else if !errors.Is(err, storage.ErrNotFound) {
			return reg, app, nil, err
		}
	}
	return reg, app, e, nil
}

// store creates reg for u with its user.registration.create event, its
// audit entry and its verification v (none when v.raw is empty), in one
// transaction (storage.UserChange.Register).
func (rs *Registrations) store(ctx context.Context, u storage.User, reg storage.Registration, v verificationFor) error {
	evs, err := registrationEvent(ctx, rs.Users.Events, u, reg)
	if err != nil {
		return err
	}
	entry := audit(ctx, rs.Now(), u.TenantID,
		"Registered the user with Id ["+reg.UserID+"] for the application with Id ["+reg.ApplicationID+"]", nil, reg)
	c := storage.UserChange{UserID: u.ID, Now: rs.Now(), Register: &reg, Outbox: append(v.mail, evs...),
		Audit: []storage.AuditEntry{entry}}
	if v.raw != "" {
		c.Issue = []storage.Identifier{v.id}
	}
	err = rs.Users.Store.ChangeUser(ctx, c)
	if errors.Is(err, storage.ErrConflict) {
		return invalid("duplicate", "registration", "The user is already registered for this application.")
	}
	if errors.Is(err, storage.ErrNotFound) {
		// The user was deleted since it was read (or the application,
		// which its foreign key finds): the caller's 404.
		return ErrNotFound
	}
	if err == nil {
		if len(v.mail) > 0 {
			rs.Users.Mail.notify(mail.Queue)
		}
		rs.Users.Events.Committed(evs)
	}
	return err
}

// Get returns the registration of userID for appID. The user is looked up
// first (ErrNotFound when unknown or outside scope); appID comes from the URL
// and must then be a UUID.
func (rs *Registrations) Get(ctx context.Context, scope Scope, userID, appID string) (storage.Registration, error) {
	u, err := rs.Users.load(ctx, scope, userID)
	if err != nil {
		return storage.Registration{}, err
	}
	if !ValidID(appID) {
		return storage.Registration{}, invalid("couldNotConvert", "applicationId",
			"Invalid [applicationId] on the URL ["+truncate(appID, 64)+"]. It must be a UUID.")
	}
	reg, err := rs.Store.GetRegistration(ctx, u.ID, strings.ToLower(appID))
	return reg, notFound(err)
}

// Update replaces roles, data, username, timezone and preferredLanguages of
// a registration with change's result (a PUT, or a PATCH applied to the
// current one); roles must be the application's. An error of change is
// returned as it is. Like Users.Update, the write is conditional on the
// registration's revision as read, and a try that lost to another write
// (another update, a login's lastLoginInstant) reads and applies change
// again (retryStale): ErrContended when every try lost, ErrNotFound when
// the registration was deleted meanwhile.
func (rs *Registrations) Update(ctx context.Context, scope Scope, userID, appID string, change func(storage.Registration) (storage.Registration, error)) (storage.Registration, error) {
	var reg storage.Registration
	defer rs.updates.lock(strings.ToLower(userID + "/" + appID))()
	err := retryStale(func() error {
		var err error
		reg, err = rs.updateOnce(ctx, scope, userID, appID, change)
		return err
	})
	return reg, err
}

// updateOnce is one try of Update.
func (rs *Registrations) updateOnce(ctx context.Context, scope Scope, userID, appID string, change func(storage.Registration) (storage.Registration, error)) (storage.Registration, error) {
	cur, err := rs.Get(ctx, scope, userID, appID)
	if err != nil {
		return cur, err
	}
	reg, err := change(cur)
	if err != nil {
		return reg, err
	}
	app, err := rs.Store.GetApplication(ctx, cur.ApplicationID)
	if err != nil {
		return reg, err
	}
	e := &Invalid{}
	reg.ID, reg.UserID, reg.ApplicationID, reg.Verified, reg.VerifiedInstant = cur.ID, cur.UserID, cur.ApplicationID, cur.Verified, cur.VerifiedInstant
	reg.InsertInstant, reg.LastLoginInstant, reg.LastUpdateInstant = cur.InsertInstant, cur.LastLoginInstant, rs.Now().UnixMilli()
	reg.Revision = cur.Revision // the condition of the write
	reg.Roles = checkRoles(e, app, reg.Roles, false)
	checkNUL(e, "registration", reg)
	if err := e.Err(); err != nil {
		return reg, err
	}
	err = rs.Store.UpdateRegistration(ctx, reg, audit(ctx, rs.Now(), app.TenantID,
		"Updated the registration of the user with Id ["+reg.UserID+"] for the application with Id ["+reg.ApplicationID+"]", cur, reg))
	return reg, notFound(err) // deleted since the read: the caller's 404
}

// Delete removes a registration; the user's refresh tokens for that
// application are revoked with it.
func (rs *Registrations) Delete(ctx context.Context, scope Scope, userID, appID string) error {
	reg, err := rs.Get(ctx, scope, userID, appID)
	if err != nil {
		return err
	}
	u, err := rs.Users.load(ctx, scope, userID)
	if err != nil {
		return err
	}
	err = rs.Store.DeleteRegistration(ctx, reg.UserID, reg.ApplicationID, audit(ctx, rs.Now(), u.TenantID,
		"Deleted the registration of the user with Id ["+reg.UserID+"] for the application with Id ["+reg.ApplicationID+"]", reg, nil))
	if err == nil {
		err = revokeWith(ctx, rs.Store, rs.Revokes, rs.Users.Events, auth.Revoked{TenantID: u.TenantID, User: &u,
			Filter: storage.RefreshTokenFilter{UserID: reg.UserID, ApplicationID: reg.ApplicationID}}, rs.Now(), "registration_deleted")
	}
	return err
}

// checkRoles keeps roles to the application's role names: an unknown name is
// [invalid]registration.roles, never silently granted.
func checkRoles(e *Invalid, app storage.Application, roles []string, useDefaults bool) []string {
	if len(roles) == 0 && useDefaults {
		roles = []string{}
		for _, r := range app.Roles {
			if r.IsDefault {
				roles = append(roles, r.Name)
			}
		}
		return roles
	}
	out := []string{}
	for _, name := range roles {
		if !slices.ContainsFunc(app.Roles, func(r storage.ApplicationRole) bool { return r.Name == name }) {
			e.Field("invalid", "registration.roles", "The role ["+truncate(name, 64)+"] does not exist in the application.")
		} else if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}
