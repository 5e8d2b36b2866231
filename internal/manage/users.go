package manage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/mail"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// UsersStore is what Users uses.
type UsersStore interface {
	tenantReader
	applicationReader
	userReader
	sessionRevoker
	CreateUser(ctx context.Context, u storage.User, audit ...storage.AuditEntry) error
	UpdateUser(ctx context.Context, u storage.User, audit ...storage.AuditEntry) error
	DeleteUserAt(ctx context.Context, id string, at time.Time, audit ...storage.AuditEntry) error
	ListRegistrations(ctx context.Context, userID string) ([]storage.Registration, error)
	ListGroupMembers(ctx context.Context, f storage.GroupMemberFilter) ([]storage.GroupMember, int, error)
	ResetLoginFailures(ctx context.Context, userID string) error
	// The account flows' atomic writes: a user with their registration,
	// verification and mail; a change with what it revokes and sends.
	CreateAccount(ctx context.Context, a storage.NewAccount) error
	ChangeUser(ctx context.Context, c storage.UserChange) error
	PasswordHistory(ctx context.Context, userID string, n int) ([]storage.PasswordHash, error)
}

// Users is the user API (users.mdx; fusionauth-api.md §7.1).
type Users struct {
	Store  UsersStore
	Tokens TokenIssuer
	Mail   *Mailer
	Now    func() time.Time
	// Hash hashes a user's password once it passed the policy (nil:
	// password.Hash). The Kickstart dry run sets password.HashCheap.
	Hash func(ctx context.Context, plain, scheme string, factor int) (storage.PasswordHash, error)
	// Events publishes user.create, user.update, ... (nil: none).
	Events *events.Publisher
	// Revokes prepares the jwt.refresh-token.revoke of a deactivation,
	// deletion or password change that ends sessions (nil: none).
	Revokes RevokeEventer

	updates recordLocks // Update's, by user id
}

// UserInput is the user of a create or update request: the profile plus the
// plain-text password, which is hashed and never stored or echoed, with an
// optional scheme and factor (users.mdx: encryptionScheme, factor).
type UserInput struct {
	User             storage.User
	Password         string
	EncryptionScheme string
	Factor           int
	// SkipVerification (an API key's skipVerification) creates the user
	// verified although the tenant verifies addresses, and sends no mail.
	SkipVerification bool
	// SendSetPasswordEmail (a create's sendSetPasswordEmail) mails the new
	// user a changePasswordId to choose their password with (the tenant's
	// or application's set password template); Password may then be empty,
	// and the user has no password until they set it (users.mdx).
	SendSetPasswordEmail bool
}

// NewUser is a create request.
type NewUser struct {
	ID   string // "" generates one
	User UserInput
	// ApplicationID, when set, must name an active application: the
	// token FusionAuth returns with the user is for it.
	ApplicationID string
	IPAddress     string // for the token's refresh metadata and events
}

// Created is a created user (with their registration, for
// Registrations.RegisterNew) and the tokens FusionAuth returns with it
// (users.mdx: USER_CREATE; registrations.mdx: REGISTRATION).
type Created struct {
	User         storage.User
	Registration storage.Registration
	Tokens       auth.Tokens
	// The verification of a registration that starts unverified (for an
	// API key's answer only).
	RegistrationVerificationID, RegistrationOneTimeCode string
}

// UserQuery finds a user by email, login id (email, then username:
// FusionAuth's default loginIdTypes order) or username; the first one set
// is used. Email matching is case-insensitive.
type UserQuery struct {
	Email, LoginID, Username string
}

// Create validates and stores a new user and issues the token FusionAuth
// returns with it. Server-owned fields (id, tenant, instants, active,
// verified) are never taken from the input (mass assignment,
// security-bar.md §4.12).
func (us *Users) Create(ctx context.Context, in NewUser) (Created, error) {
	u, tenant, e, err := us.newUser(ctx, in.ID, in.User)
	if err == nil && in.ApplicationID != "" {
		err = checkApplication(ctx, us.Store, e, "applicationId", in.ApplicationID)
	}
	if err == nil {
		err = e.Err()
	}
	if err == nil {
		_, err = us.storeNew(ctx, u, nil, tenant, nil, in.User.SendSetPasswordEmail)
	}
	if err != nil {
		return Created{}, err
	}
	t, err := us.issue(ctx, auth.IssueRequest{UserID: u.ID, ApplicationID: in.ApplicationID,
		AuthenticationType: auth.AuthUserCreate, IPAddress: in.IPAddress})
	return Created{User: u, Tokens: t}, err
}

// newUser validates a create request and builds the record; the problems
// are returned for the caller to add to (RegisterNew) or report.
//
// user.verified is real (accounts spec §5.3): false while the tenant
// verifies addresses (emailConfiguration.verifyEmail) and this one is not
// verified yet, true otherwise (FusionAuth's legacy field for a tenant that
// does not verify, or a user without an address).
func (us *Users) newUser(ctx context.Context, id string, in UserInput) (storage.User, storage.Tenant, *Invalid, error) {
	if id == "" {
		id = newID()
	}
	e := &Invalid{}
	tenant, err := us.Store.GetTenant(ctx, DefaultTenantID)
	if err != nil {
		return storage.User{}, tenant, nil, err
	}
	tenant = tenant.WithDefaults()
	if _, err := us.Store.GetUser(ctx, id); err == nil {
		e.Field("duplicate", "user.id", "A user with Id ["+id+"] already exists.")
	} else if !errors.Is(err, storage.ErrNotFound) {
		return storage.User{}, tenant, nil, err
	}
	u := in.User
	now := us.Now().UnixMilli()
	u.ID, u.TenantID, u.Active = id, tenant.ID, true
	u.InsertInstant, u.LastUpdateInstant, u.LastLoginInstant, u.Registrations = now, now, 0, nil
	u.PasswordLastUpdateInstant = 0
	if err := us.checkIdentity(ctx, e, &u, ""); err != nil {
		return storage.User{}, tenant, nil, err
	}
	u.Verified = !tenant.EmailConfiguration.VerifyEmail || in.SkipVerification || u.Email == ""
	checkBirthDate(e, u.BirthDate)
	checkParentEmail(e, &u)
	checkNUL(e, "user", u)
	switch {
	case in.Password != "":
		if err := us.setPassword(ctx, e, &u, in, tenant, nil); err != nil {
			return storage.User{}, tenant, nil, err
		}
	case !in.SendSetPasswordEmail:
		e.Field("blank", "user.password", "You must specify the [user.password] property.")
	}
	if in.SendSetPasswordEmail && u.Email == "" {
		e.Field("blank", "user.email", "You must specify the [user.email] property to send the set password email.")
	}
	return u, tenant, e, nil
}

// storeNew creates u (and reg when given) in one transaction with the
// verification of u's address when the tenant asks for one (the mail goes
// out with the commit; app, when known, picks its template and links), the
// set password mail and its changePasswordId when setPassword, and the
// user.create (and user.registration.create) events, and the messages
// more (a child's parent mail), and reports a lost uniqueness race as the
// duplicate the pre-check would have found.
func (us *Users) storeNew(ctx context.Context, u storage.User, reg *storage.Registration, tenant storage.Tenant, app *storage.Application, setPassword bool,
	more ...storage.OutboxMessage) (verificationFor, error) {
	a := storage.NewAccount{User: u, Registration: reg, Outbox: more,
		Audit: []storage.AuditEntry{audit(ctx, us.Now(), u.TenantID, "Created the user with Id ["+u.ID+"]", nil, u)}}
	if reg != nil {
		a.Audit = append(a.Audit, audit(ctx, us.Now(), u.TenantID,
			"Registered the user with Id ["+reg.UserID+"] for the application with Id ["+reg.ApplicationID+"]", nil, *reg))
	}
	if needsVerification(tenant, u) {
		v, err := us.Mail.issueVerification(ctx, MailFor{Tenant: tenant, App: app, User: u}, us.Now(), true)
		if err != nil {
			return verificationFor{}, err
		}
		a.Issue, a.Outbox = []storage.Identifier{v.id}, append(a.Outbox, v.mail...)
	}
	if setPassword {
		id, msg, err := us.Mail.issueSetPassword(ctx, MailFor{Tenant: tenant, App: app, User: u}, us.Now())
		if err != nil {
			return verificationFor{}, err
		}
		a.Issue, a.Outbox = append(a.Issue, id), append(a.Outbox, msg...)
	}
	var rv verificationFor
	if reg != nil && app != nil && !reg.Verified {
		var err error
		if rv, err = us.Mail.issueRegistrationVerification(ctx, tenant, *app, u, *reg, us.Now(), true); err != nil {
			return rv, err
		}
		a.Issue, a.Outbox = append(a.Issue, rv.id), append(a.Outbox, rv.mail...)
	}
	mailed := len(a.Outbox) > 0
	created := u
	if reg != nil {
		created.Registrations = []storage.Registration{*reg}
	}
	evs, err := userEvent(ctx, us.Events, events.UserCreate, created)
	if err != nil {
		return rv, err
	}
	if reg != nil {
		more, err := registrationEvent(ctx, us.Events, u, *reg)
		if err != nil {
			return verificationFor{}, err
		}
		evs = append(evs, more...)
	}
	a.Outbox = append(a.Outbox, evs...)
	err = us.Store.CreateAccount(ctx, a)
	if errors.Is(err, storage.ErrConflict) {
		return rv, duplicateUser(err, u)
	}
	if err == nil && mailed {
		us.Mail.notify(mail.Queue)
	}
	if err == nil {
		us.Events.Committed(evs)
	}
	return rv, err
}

// duplicateUser is the problem of a uniqueness race lost at the database
// (checkIdentity found no holder, a concurrent write took the value since):
// the field that collided, as the pre-check would have named it. A conflict
// on neither index is the id's (a create's only other unique key).
func duplicateUser(err error, u storage.User) error {
	switch {
	case errors.Is(err, storage.ErrDuplicateUsername):
		return invalid("duplicate", "user.username", "A user with username ["+u.Username+"] already exists.")
	case errors.Is(err, storage.ErrDuplicateEmail):
		return invalid("duplicate", "user.email", "A user with email ["+u.Email+"] already exists.")
	}
	return invalid("duplicate", "user.id", "A user with Id ["+u.ID+"] already exists.")
}

// issue mints the token of a create. The user is already stored; if minting
// fails (a signing or storage failure, never bad input) the user is removed
// again so the request can simply be retried, as FusionAuth's single
// transaction would leave nothing behind.
func (us *Users) issue(ctx context.Context, req auth.IssueRequest) (auth.Tokens, error) {
	t, err := us.Tokens.Issue(ctx, req)
	if err != nil {
		return t, us.undoCreate(ctx, req.UserID, err)
	}
	return t, nil
}

// undoCreate removes a user whose create failed after it was stored, and
// returns cause together with any failure to do so. The removal is audited
// too, so the log never shows a user created that does not exist.
func (us *Users) undoCreate(ctx context.Context, userID string, cause error) error {
	entry := audit(ctx, us.Now(), DefaultTenantID, "Removed the user with Id ["+userID+"] again: the rest of its create failed", nil, nil)
	if err := us.Store.DeleteUserAt(ctx, userID, us.Now(), entry); err != nil {
		return errors.Join(cause, fmt.Errorf("undo user create of %s: %w", userID, err))
	}
	return cause
}

// Get returns the user id with their registrations; ErrNotFound when unknown
// or outside scope.
func (us *Users) Get(ctx context.Context, scope Scope, id string) (storage.User, error) {
	u, err := us.load(ctx, scope, id)
	if err != nil {
		return u, err
	}
	return us.withRegistrations(ctx, u)
}

func (us *Users) load(ctx context.Context, scope Scope, id string) (storage.User, error) {
	if !ValidID(id) { // every user id is a UUID; nothing else reaches a query
		return storage.User{}, ErrNotFound
	}
	return scopedGet(ctx, us.Store.GetUser, id, scope, func(u storage.User) string { return u.TenantID })
}

// withRegistrations fills what a user response shows beside the user row:
// registrations and group memberships (user.memberships).
func (us *Users) withRegistrations(ctx context.Context, u storage.User) (storage.User, error) {
	regs, err := us.Store.ListRegistrations(ctx, u.ID)
	if err != nil {
		return u, err
	}
	members, _, err := us.Store.ListGroupMembers(ctx, storage.GroupMemberFilter{UserIDs: []string{u.ID}})
	if err != nil {
		return u, err
	}
	u.Registrations, u.Memberships = regs, nilIfNone(members)
	return u, nil
}

// nilIfNone is nil for an empty list, so an omitempty property is left out.
func nilIfNone[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// Find returns the user q names, with their registrations.
func (us *Users) Find(ctx context.Context, scope Scope, q UserQuery) (storage.User, error) {
	var filters []storage.UserFilter
	switch {
	case q.Email != "":
		filters = []storage.UserFilter{{Email: q.Email}}
	case q.LoginID != "":
		filters = []storage.UserFilter{{Email: q.LoginID}, {Username: q.LoginID}}
	case q.Username != "":
		filters = []storage.UserFilter{{Username: q.Username}}
	default:
		e := &Invalid{}
		e.General("missing", "Specify the user by email, loginId or username, or use GET /api/user/{userId}.")
		return storage.User{}, e
	}
	for _, f := range filters {
		f.TenantID = DefaultTenantID
		f.Email = strings.ToLower(f.Email)
		u, err := us.Store.FindUser(ctx, f)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && !scope.Sees(u.TenantID)) {
			continue
		}
		if err != nil {
			return u, err
		}
		return us.withRegistrations(ctx, u)
	}
	return storage.User{}, ErrNotFound
}
