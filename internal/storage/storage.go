package storage

import (
	"context"
	"time"
)

// Storage is the one contract every backend implements (SQLite and PostgreSQL
// through sqlstorage). Records are passed by value, ctx first. Every method is
// atomic on its own; there are no transactions in the interface.
type Storage interface {
	TenantStore
	ApplicationStore
	UserStore
	LoginStore
	RegistrationStore
	APIKeyStore
	SystemConfigStore
	RefreshTokenStore
	RevocationFeed
	SigningKeyStore
	LockoutStore
	KickstartStore
	SecretStore
	MailStore
	OAuthStore
	EntityStore
	IdentityProviderStore
	HealthStore
	ChangeFeed
	GroupStore
	RoleStore
	UserActionStore
	UserSearchStore
	AuditStore
	LoginRecordStore
	AccountStore
	TwoFactorStore
	ChallengeStore
	WebAuthnStore
	DatabaseClock
	JanitorStore
	WebhookStore
	LambdaStore
	EventWriteStore
	ImportStore
	EventCountStore
	UserCommentStore
	FamilyStore
	ConsentStore
	EventLogStore
	IdentityProviderConnectionTestStore

	// Ping answers nil while the database answers (GET /api/status, readiness).
	Ping(ctx context.Context) error
	Close() error
}

// TenantStore stores tenants.
type TenantStore interface {
	CreateTenant(ctx context.Context, t Tenant) error // ErrConflict on duplicate id
	GetTenant(ctx context.Context, id string) (Tenant, error)
	ListTenants(ctx context.Context) ([]Tenant, error)
	// UpdateTenant replaces the tenant: ErrNotFound; ErrStale, nothing
	// written, when t.Revision is not 0 and not the row's.
	UpdateTenant(ctx context.Context, t Tenant, audit ...AuditEntry) error
}

// ApplicationStore stores applications.
type ApplicationStore interface {
	CreateApplication(ctx context.Context, a Application, audit ...AuditEntry) error // ErrConflict on duplicate id
	GetApplication(ctx context.Context, id string) (Application, error)
	// ListApplications lists active applications, or inactive ones when inactive is true.
	ListApplications(ctx context.Context, inactive bool) ([]Application, error)
	// UpdateApplication replaces the application: ErrNotFound; ErrStale,
	// nothing written, when a.Revision is not 0 and not the row's.
	UpdateApplication(ctx context.Context, a Application, audit ...AuditEntry) error
	// DeleteApplication removes the application, its registrations and its
	// refresh tokens, leaving their sessions as tombstones in the revocation
	// feed (stamped with the wall clock; DeleteApplicationAt takes the time).
	DeleteApplication(ctx context.Context, id string) error
	// DeleteApplicationAt is DeleteApplication that records the application's
	// sessions as revoked at at, like DeleteUserAt.
	DeleteApplicationAt(ctx context.Context, id string, at time.Time, audit ...AuditEntry) error
	// DeleteApplicationWith is DeleteApplicationAt that enqueues d.Outbox
	// (the jwt.refresh-token.revoke of the application's sessions) in the
	// same transaction: ErrNotFound (unknown application) stores none.
	DeleteApplicationWith(ctx context.Context, d ApplicationDeletion) error
}

// ApplicationDeletion is one hard delete of an application
// (DeleteApplicationWith): its sessions are tombstoned as revoked at At.
type ApplicationDeletion struct {
	ID     string
	At     time.Time
	Outbox []OutboxMessage
	Audit  []AuditEntry
}

// UserStore stores users. Email and username are unique per tenant,
// case-insensitively.
type UserStore interface {
	CreateUser(ctx context.Context, u User, audit ...AuditEntry) error // ErrConflict on duplicate id, email or username
	GetUser(ctx context.Context, id string) (User, error)
	// FindUser finds one user by email or username within a tenant; a
	// login id with a control character (a NUL) is ErrNotFound.
	FindUser(ctx context.Context, f UserFilter) (User, error)
	// UpdateUser replaces the user row (including the password hash).
	UpdateUser(ctx context.Context, u User, audit ...AuditEntry) error // ErrNotFound, ErrConflict (ErrDuplicateEmail, ErrDuplicateUsername)
	// DeleteUser removes the user, their registrations, refresh tokens and
	// lockout counters (hard delete; soft delete is UpdateUser with
	// Active=false), leaving the sessions as tombstones in the revocation feed
	// (stamped with the wall clock; DeleteUserAt takes the time).
	DeleteUser(ctx context.Context, id string) error
	// DeleteUserAt is DeleteUser that, in the same transaction, records the
	// user's sessions as revoked at at for ListRevocations (already-revoked
	// ones keep their time). DeleteUser does the same with the wall clock.
	DeleteUserAt(ctx context.Context, id string, at time.Time, audit ...AuditEntry) error
}

// LoginStore writes everything a login changes, across the user, the
// registration, the lockout counter and the refresh token, in one transaction,
// and takes a speculative login back.
type LoginStore interface {
	// RecordLogin writes everything a successful login changes in ONE
	// transaction (one commit, one fsync): user.lastLoginInstant, the
	// registration's when l.ApplicationID is set, the lockout counter reset
	// when asked, and the new refresh token when given. All or nothing:
	// ErrNotFound (unknown user or registration) or ErrConflict (refresh token
	// id or hash taken) leaves every row as it was.
	RecordLogin(ctx context.Context, l Login) error
	// UndoLogin takes back a RecordLogin that was stored speculatively, while
	// the password was still being checked, once the login is refused; in the
	// same transaction it counts the failure when u.Policy is set (as
	// RecordLoginFailure would), so a refused login costs one commit. The
	// refresh token (matched by id AND hash) is deleted, not revoked: it was
	// never handed out, so the revocation feed must not list it. Each
	// lastLoginInstant returns to its previous value only where it still
	// holds u.Login.At, so a real login that landed meanwhile is kept.
	// The login record (matched by id) is deleted too.
	// Idempotent: undoing a login that was never stored changes nothing but
	// the counter. A speculative login must not reset the counter (a reset
	// cannot be undone without losing concurrent failures), so
	// u.Login.ResetFailures is refused with an error and nothing changes.
	UndoLogin(ctx context.Context, u LoginUndo) (LoginFailures, error)
}

// LoginUndo names what UndoLogin takes back and the failure it counts.
type LoginUndo struct {
	Login Login // exactly as given to RecordLogin
	// PrevUserLastLogin and PrevRegistrationLastLogin are the
	// lastLoginInstants before the speculative write (0: none).
	PrevUserLastLogin, PrevRegistrationLastLogin int64
	// Policy, when not nil, counts one failure of Login.UserID at FailedAt.
	// Nil for a refusal that is not a wrong guess (inactive user, ...).
	Policy   *LockoutPolicy
	FailedAt time.Time
	// Outbox messages (the refusal's webhook events) are enqueued in the
	// same transaction.
	Outbox []OutboxMessage
}

// Login is one successful login as RecordLogin stores it.
type Login struct {
	UserID string
	// ApplicationID, when set, names the registration whose lastLoginInstant
	// is set too; it must exist.
	ApplicationID string
	At            int64 // ms since the epoch (FusionAuth instant)
	// ResetFailures deletes every lockout counter of the user (a success
	// after failures, legacy callers); false skips the statement.
	ResetFailures bool
	// Refund, when not nil, gives back the login's reservation
	// (ReserveLoginAttempt): counters with ResetOnSuccess are deleted, the
	// others lose the login's pending charge (and a lock the count no
	// longer reaches) where their window is still the reserved one.
	Refund *LoginReservation
	// RefreshToken, when not nil, is created as by CreateRefreshToken.
	RefreshToken *RefreshToken
	// Outbox messages (the login's webhook events) are enqueued in the
	// same transaction.
	Outbox []OutboxMessage
	// Record, when not nil, is stored as the login's record (recent
	// logins, login-record search) in the same transaction.
	Record *LoginRecord
	// Gate, when not nil, refuses the login with a *LoginPrevented error,
	// writing nothing, when a user action in force at At prevents it. It is
	// checked inside the transaction, after the user row is locked, and
	// TakeUserAction locks that row too, so a login and a lock racing on
	// two nodes end either with the login refused or with its session
	// revoked by the lock, never with a session the lock missed.
	Gate *LoginGate
}

// LoginGate names the application a login is for: an action in force that
// names no applications, or names this one, prevents it.
type LoginGate struct {
	ApplicationID string
}

// RegistrationStore stores registrations (user x application).
type RegistrationStore interface {
	CreateRegistration(ctx context.Context, r Registration, audit ...AuditEntry) error // ErrConflict when already registered
	GetRegistration(ctx context.Context, userID, applicationID string) (Registration, error)
	ListRegistrations(ctx context.Context, userID string) ([]Registration, error)
	// UpdateRegistration replaces the registration of (r.UserID,
	// r.ApplicationID): ErrNotFound when there is none; when r.Revision is
	// not 0 (r was read, then changed), ErrStale and nothing changed when
	// the row has another revision.
	UpdateRegistration(ctx context.Context, r Registration, audit ...AuditEntry) error
	DeleteRegistration(ctx context.Context, userID, applicationID string, audit ...AuditEntry) error
}

// APIKeyStore stores management API keys by hash.
type APIKeyStore interface {
	CreateAPIKey(ctx context.Context, k APIKey, audit ...AuditEntry) error // ErrConflict on duplicate id or hash
	GetAPIKeyByHash(ctx context.Context, hash []byte) (APIKey, error)
	CountAPIKeys(ctx context.Context) (int, error)
	// GetAPIKey returns the key with id (its hash, never a value).
	GetAPIKey(ctx context.Context, id string) (APIKey, error)
	// ListAPIKeys lists every key ordered by insert instant and id.
	ListAPIKeys(ctx context.Context) ([]APIKey, error)
	// DeleteAPIKey removes the key with id, with the audit entries in the
	// same transaction; ErrNotFound (and nothing written) when none.
	DeleteAPIKey(ctx context.Context, id string, audit ...AuditEntry) error
	// UpdateAPIKey replaces the key with k.ID (its hash included), with the
	// audit entries in the same transaction; ErrNotFound when none has the
	// id, ErrConflict when another key has the hash.
	UpdateAPIKey(ctx context.Context, k APIKey, audit ...AuditEntry) error
}

// SystemConfigStore stores the single system configuration.
type SystemConfigStore interface {
	// GetSystemConfiguration returns ErrNotFound before the first Put.
	GetSystemConfiguration(ctx context.Context) (SystemConfiguration, error)
	// PutSystemConfiguration stores c (creating the row on the first
	// Put); ErrStale, nothing written, when c.Revision is not 0 and not
	// the row's (Unstored: a row exists).
	PutSystemConfiguration(ctx context.Context, c SystemConfiguration, audit ...AuditEntry) error
}

// RefreshTokenStore stores refresh-token families.
type RefreshTokenStore interface {
	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	GetRefreshToken(ctx context.Context, id string) (RefreshToken, error)
	// FindRefreshTokenByHash finds the record whose current hash, or any
	// superseded hash kept in the history, equals hash. current reports
	// which: false means the presented secret was rotated away (grace or
	// reuse, the caller decides). A current hash that a rotation without
	// history wrote (Rotation.NoHistory: a value that names its family), or
	// the first hash of a family created ReadByID, is not looked up by hash:
	// that family is found by id.
	FindRefreshTokenByHash(ctx context.Context, hash []byte) (t RefreshToken, current bool, err error)
	// FindRefreshSession is a refresh's one read: the family k names, with
	// its user and the user's registrations, in one round trip. Revoked
	// families are returned too. ErrNotFound when there is none.
	FindRefreshSession(ctx context.Context, k SessionKey) (RefreshSession, error)
	// ListRefreshTokens lists a user's live (unrevoked) tokens.
	ListRefreshTokens(ctx context.Context, userID string) ([]RefreshToken, error)
	// RotateRefreshToken is the single-row compare-and-swap of a rotation: it
	// succeeds only while r.OldHash is the current hash and the token is not
	// revoked; otherwise ErrConflict (or ErrNotFound when the id is unknown).
	// Exactly one of N concurrent rotations of one token succeeds.
	RotateRefreshToken(ctx context.Context, r Rotation) (RefreshToken, error)
	// TouchRefreshToken records a use without rotating (Reusable policy):
	// LastUsedAt and ExpiresAt. readExpiresAt is the expiry the caller read, as
	// Rotation.OldExpiresAt: storage may leave an unchanged expiry
	// unwritten while the row holds it (zero asks nothing). ErrNotFound
	// when unknown or revoked.
	TouchRefreshToken(ctx context.Context, id string, at, expiresAt, readExpiresAt time.Time) error
	// RevokeRefreshTokens revokes every live token matching f and returns them.
	// A filter naming only a user (all of that user's tokens) also ends the
	// user's live login sessions at at, in the same transaction: single
	// sign-on ends with them (FusionAuth's SSO session is a refresh token).
	RevokeRefreshTokens(ctx context.Context, f RefreshTokenFilter, at time.Time, reason string, audit ...AuditEntry) ([]RefreshToken, error)
	// AddSessionApplication records that access tokens of the live session
	// sessionID (their sid) were issued for appID (GET /api/jwt/issue), so
	// that ListRevocations(appID) lists the session once it is revoked.
	// Idempotent; the session's own application records nothing (its feed
	// lists it already). ErrNotFound when the session is unknown or revoked.
	AddSessionApplication(ctx context.Context, sessionID, appID string) error
	// DeleteExpiredRefreshTokens removes tokens (and their history) that expired
	// or were revoked before the given instant, and tombstones of deleted
	// sessions revoked before it. Returns how many.
	DeleteExpiredRefreshTokens(ctx context.Context, before time.Time) (int, error)
}

// RevocationFeed is the read side of revocations: what resource servers poll.
type RevocationFeed interface {
	// ListRevocations lists appID's refresh tokens revoked after the cursor
	// (since, afterID) in (RevokedAt, ID) order, at most limit: the
	// revocation feed resource servers poll (GET /api/jwt/revocations). The
	// id breaks ties, so a bulk revocation sharing one instant pages through.
	// Sessions of hard-deleted users and applications are listed too
	// (tombstones, RevokeReason user_deleted / application_deleted), so a
	// hard delete does not leave their JWTs accepted until exp. So are
	// revoked sessions of other applications that issued tokens for appID
	// (AddSessionApplication), with their own ApplicationID.
	ListRevocations(ctx context.Context, appID string, since time.Time, afterID string, limit int) ([]RefreshToken, error)
}

// SigningKeyStore stores JWT signing keys. At most one key per algorithm is
// active at a time.
type SigningKeyStore interface {
	// InsertSigningKey adds an active key; ErrConflict when an active key of
	// that algorithm exists already (so N nodes starting at once create one).
	InsertSigningKey(ctx context.Context, k SigningKey) error
	// RotateSigningKey atomically marks the algorithm's active key retiring
	// (published until retireOldAt) and inserts next as active (signing
	// from next.ActivateAt; until then the retiring key still signs), with
	// the audit entries in the same transaction.
	RotateSigningKey(ctx context.Context, next SigningKey, retireOldAt time.Time, audit ...AuditEntry) error
	// ListSigningKeys lists keys that are active or not yet retired at now.
	ListSigningKeys(ctx context.Context, now time.Time) ([]SigningKey, error)
}

// LockoutStore counts failed logins.
type LockoutStore interface {
	// RecordLoginFailure counts one failure atomically: the count restarts when
	// the window has passed; reaching the threshold sets LockedUntil.
	RecordLoginFailure(ctx context.Context, userID string, at time.Time, p LockoutPolicy) (LoginFailures, error)
	// GetLoginFailures returns the counter (zero value with nil error if none).
	GetLoginFailures(ctx context.Context, userID string) (LoginFailures, error)
	// ResetLoginFailures drops every counter of the account userID.
	ResetLoginFailures(ctx context.Context, userID string) error
	// ReserveLoginAttempt charges one pending attempt at at to every
	// counter in ONE transaction, before the password is checked, so N
	// concurrent guesses on any number of nodes get at most Threshold
	// checks per window: a counter whose count (settled failures and
	// pending charges) has reached its threshold takes no charge. Nothing
	// is then charged and the answer is not Allowed: LockedUntil when the
	// counter is locked or its settled failures alone reach the threshold,
	// InFlight when pending charges fill it (they may yet be refunded).
	// A charge never locks; its settlement does (SettleLoginFailure), and a
	// success refunds it (Login.Refund).
	//
	// heldUntil is the latest the attempt can settle or refund its charges
	// (its deadline and a margin): a counter's pending charges are in
	// flight until the latest heldUntil of any of them. Past it they lapse
	// (their attempt's node died): a reservation that finds the counter
	// full of lapsed charges counts them as failures settled at that
	// instant (locking from then when they reach the threshold) instead of
	// waiting for them. A settlement arriving after its charge lapsed
	// changes nothing (the charge counts already); a refund gives the
	// lapsed failure back.
	ReserveLoginAttempt(ctx context.Context, at, heldUntil time.Time, counters []LoginCounter) (LoginReservation, error)
	// RefundLoginAttempt gives a reservation back on its own, as
	// Login.Refund does inside RecordLogin (a login whose right password
	// ends in a withheld answer rather than a session).
	RefundLoginAttempt(ctx context.Context, r LoginReservation) error
	// SettleLoginFailure turns r's pending charges into failures at at, with
	// outbox enqueued in the same transaction: a counter whose settled
	// failures reach its threshold is locked from at for its LockDuration.
	// A counter whose window restarted, or that was reset, since the charge,
	// or whose charge lapsed, is left as it is. It returns the latest lock
	// it set (zero: none).
	SettleLoginFailure(ctx context.Context, at time.Time, r LoginReservation, outbox []OutboxMessage) (time.Time, error)
}

// KickstartStore makes the Kickstart run once across restarts and nodes, in
// two phases: one node holds the claim (claimed_at, renewed while it works)
// until it marks the Kickstart done (done_at). Other nodes wait for done
// before serving; a claim not renewed since staleBefore and never done (its
// node crashed mid-apply) can be taken over.
type KickstartStore interface {
	// ClaimKickstart takes the claim for owner (a random id per attempt)
	// and returns true when nobody holds it, when owner holds it already
	// (a renewal: claimed_at becomes at), or when the holder's claimed_at is
	// before staleBefore and it is not done. Of N concurrent callers at most
	// one gets true. After CompleteKickstart it returns false for everyone.
	ClaimKickstart(ctx context.Context, owner string, at, staleBefore time.Time) (bool, error)
	// CompleteKickstart marks owner's claim done; ErrConflict when owner no
	// longer holds an undone claim (another node took it over).
	CompleteKickstart(ctx context.Context, owner string, at time.Time) error
	// ReleaseKickstart drops owner's undone claim so a later start retries;
	// it does nothing when owner does not hold one.
	ReleaseKickstart(ctx context.Context, owner string) error
	// KickstartDone reports whether a Kickstart completed on this database.
	KickstartDone(ctx context.Context) (bool, error)
}

// SecretStore keeps server-wide values every node shares. Not for keys whose
// leak with a database copy matters: those derive from the server secret,
// which is kept out of the database (internal/secret; the refresh-token
// successor key moved there, migration 0020).
type SecretStore interface {
	// ServerSecret stores candidate under name unless a value exists, and
	// returns the stored value: concurrent first calls on N nodes agree.
	ServerSecret(ctx context.Context, name string, candidate []byte) ([]byte, error)
}

// DatabaseClock reads the database's clock: the one clock every node of a
// deployment shares, which internal/dbclock follows so that grace periods,
// expiry and lockout windows do not depend on each node's own clock.
type DatabaseClock interface {
	// DatabaseTime is the database server's current time (PostgreSQL
	// clock_timestamp(); SQLite runs in this process, so this process's).
	DatabaseTime(ctx context.Context) (time.Time, error)
}

// JanitorStore purges what would otherwise grow forever (internal/janitor).
// Every purge deletes at most limit rows in one short transaction and
// returns how many, so a caller bounds each write and loops; none touches a
// row a login, a refresh or the revocation feed can still need.
type JanitorStore interface {
	// PurgeRefreshTokens deletes refresh tokens (with their history) that
	// expired before expiredBefore without being revoked, or were revoked
	// before revokedBefore (once no access token of the session can be valid,
	// so the revocation feed no longer needs them).
	PurgeRefreshTokens(ctx context.Context, expiredBefore, revokedBefore time.Time, limit int) (int, error)
	// PurgeTombstones deletes the feed entries of hard-deleted sessions
	// revoked before before.
	PurgeTombstones(ctx context.Context, before time.Time, limit int) (int, error)
	// PurgeLoginFailures deletes lockout counters whose window started
	// before windowBefore and that hold no lock at now: the next failure
	// would restart them anyway.
	PurgeLoginFailures(ctx context.Context, windowBefore, now time.Time, limit int) (int, error)
	// PurgeSigningKeys deletes keys (private parts included) retired before
	// retiredBefore; they are no longer published or trusted.
	PurgeSigningKeys(ctx context.Context, retiredBefore time.Time, limit int) (int, error)
	// ClaimLease takes or renews the named lease for owner until expires,
	// when it is free, expired at now, or owner's already. Of concurrent
	// claimers at most one gets true: one node at a time does the work.
	ClaimLease(ctx context.Context, name, owner string, now, expires time.Time) (bool, error)
}
