package storage

import (
	"context"
	"time"
)

// Kinds of single-use identifiers (Identifier.Kind).
const (
	// IdentifierChangePassword is FusionAuth's changePasswordId: from forgot
	// password (emailed or returned to an API key) or a login answered 203.
	IdentifierChangePassword = "change_password"
	// IdentifierEmailVerification is FusionAuth's email verificationId.
	IdentifierEmailVerification = "email_verification"
	// IdentifierOneTimePassword is the oneTimePassword a change-password
	// answer carries, exchanged once at POST /api/login.
	IdentifierOneTimePassword = "one_time_password"
	// IdentifierTrustToken is FusionAuth's trustToken: the proof of a
	// completed two-factor login, spent by one change of the password of a
	// user with two-factor methods (POST /api/user/change-password).
	IdentifierTrustToken = "trust_token"
	// IdentifierRegistrationVerification is FusionAuth's registration
	// verificationId: it verifies the registration Data.RegistrationID.
	IdentifierRegistrationVerification = "registration_verification"
)

// Identifier is a single-use secret handed to a user: a changePasswordId, a
// verificationId, a oneTimePassword. Only its SHA-256 is stored, so a
// database reader cannot use one; it must therefore carry at least 128 bits
// of entropy (a short code belongs in Data beside a random identifier, as the
// FormField verification code does). It is gone once used, and unusable
// after ExpiresAt (FusionAuth tenant.externalIdentifierConfiguration).
type Identifier struct {
	Hash      []byte
	Kind      string
	UserID    string
	TenantID  string
	CreatedAt time.Time
	ExpiresAt time.Time
	Data      IdentifierData
}

// IdentifierData is what the flow that issued an identifier needs back when
// it is presented. Stored as JSON; fields are added as flows need them.
type IdentifierData struct {
	// ApplicationID is the application the flow ran for (template choice,
	// the one-time password's token audience).
	ApplicationID string `json:"applicationId,omitempty"`
	// State is forgot password's state, returned by change password and by
	// the one-time-password login (FusionAuth users.mdx).
	State map[string]any `json:"state,omitempty"`
	// Email is the address a verificationId verifies, or the address a
	// changePasswordId was mailed to (implicit verification).
	Email string `json:"email,omitempty"`
	// CodeHash is the SHA-256 of the FormField verification strategy's
	// one-time code, which must be presented with the identifier.
	CodeHash []byte `json:"codeHash,omitempty"`
	// RegistrationID is the registration a registration verificationId
	// verifies (with ApplicationID, its application).
	RegistrationID string `json:"registrationId,omitempty"`
	// Reason is the changePasswordReason of a login answered 203.
	Reason string `json:"reason,omitempty"`
	// The one-time password's login (FusionAuth BaseLoginAction): a JWT is
	// issued when IssueJWT; a refresh token when IssueRefreshToken, starting
	// at RefreshTokenStart (the original session's start, so a password
	// change does not lengthen the session) and authenticated at AuthTime.
	IssueJWT          bool  `json:"issueJWT,omitempty"`
	IssueRefreshToken bool  `json:"issueRefreshToken,omitempty"`
	RefreshTokenStart int64 `json:"refreshTokenStart,omitempty"` // ms
	AuthTime          int64 `json:"authTime,omitempty"`          // ms
	// TrustChallenge is the SHA-256 of the trustChallenge a trustToken is
	// bound to (POST /api/two-factor/start): the token is only good with it.
	TrustChallenge []byte `json:"trustChallenge,omitempty"`
}

// IdentifierRef names an identifier to consume.
type IdentifierRef struct {
	Kind string
	Hash []byte
}

// UserFields are user document fields a UserChange sets; nil (or zero for
// the instants) leaves a field as stored, so a concurrent change of other
// fields is kept.
type UserFields struct {
	Active                    *bool `json:"active,omitempty"`
	Verified                  *bool `json:"verified,omitempty"`
	PasswordChangeRequired    *bool `json:"passwordChangeRequired,omitempty"`
	PasswordLastUpdateInstant int64 `json:"passwordLastUpdateInstant,omitempty"`
	LastUpdateInstant         int64 `json:"lastUpdateInstant,omitempty"`
}

// UserChange is one change of a user together with everything that must
// change with it, committed by AccountStore.ChangeUser in one transaction:
// a new password, its history, the refresh tokens it revokes, the
// identifier it consumes and the ones it issues, the mail it causes. All of
// it commits, or none.
type UserChange struct {
	UserID string
	// Now stamps revocations, and decides whether Consume is still live.
	Now time.Time
	// IfRevision, when not 0, is the revision of the user the change was
	// computed from (User.Revision): ChangeUser answers ErrStale and
	// changes nothing when the row has another, because a write committed
	// since the read. Every write of the row, with a condition or not,
	// adds 1 to its revision.
	IfRevision int64
	// Replace, when set, replaces the whole user row as UpdateUser does
	// (the management API's PUT and PATCH), password hash included.
	Replace *User
	// Fields are merged into the stored document.
	Fields UserFields
	// Password, when set (and Replace is not), replaces the password hash.
	Password *PasswordHash
	// RememberPasswords > 0 keeps the hash being replaced in the user's
	// password history, trimmed to that many entries, when the hash changes.
	RememberPasswords int
	// Consume names a live identifier of this user that is deleted; when
	// there is none (unknown, used, expired, another user's), ChangeUser
	// returns ErrNotFound and changes nothing.
	Consume *IdentifierRef
	// ConsumeTrust names a second live identifier of this user that is
	// deleted, as Consume (the trustToken a change of the password of a user
	// with two-factor methods spends).
	ConsumeTrust *IdentifierRef
	// DropIdentifiers deletes the user's identifiers of these kinds (the
	// outstanding changePasswordIds once the password changed).
	DropIdentifiers []string
	// DropRegistrationVerifications deletes the user's registration
	// verificationIds for this application id (a new one voids the earlier).
	DropRegistrationVerifications string
	// VerifyRegistration, when set, marks the user's registration verified;
	// ErrNotFound (nothing changed) when the user has no registration with
	// its id.
	VerifyRegistration *RegistrationVerified
	// Issue creates identifiers (after DropIdentifiers).
	Issue []Identifier
	// RevokeReason, when not empty, revokes every live refresh token of the
	// user at Now with this reason, and ends the user's live login sessions
	// (single sign-on).
	RevokeReason string
	// ResetFailures deletes the user's lockout counter.
	ResetFailures bool
	// Register, when set, creates this registration of the user
	// (ErrConflict when they are registered for its application already).
	Register *Registration
	// Delete removes the user as DeleteUserAt does at Now (registrations
	// and refresh tokens go, sessions stay as tombstones in the revocation
	// feed). Only Outbox and Audit apply with it; every other field is ignored.
	Delete bool
	// Outbox messages are enqueued with the change (the mail and the
	// webhook events it causes).
	Outbox []OutboxMessage
	// Audit entries are stored with the change (audit.go).
	Audit []AuditEntry
}

// RegistrationVerified is a registration verified at Instant (ms).
type RegistrationVerified struct {
	RegistrationID string
	Instant        int64
}

// NewAccount is a user created with what comes with them, committed by
// AccountStore.CreateAccount in one transaction.
type NewAccount struct {
	User         User
	Registration *Registration // nil: none
	Issue        []Identifier
	Outbox       []OutboxMessage
	Audit        []AuditEntry // stored with the account (audit.go)
}

// AccountStore is the storage of the account flows (forgot and change
// password, email verification, sign-up): single-use identifiers, the
// password history, and changes of a user that commit atomically with what
// they cause.
type AccountStore interface {
	// CreateAccount creates the user, the registration when given, the
	// identifiers and the outbox messages, all or nothing. ErrConflict on a
	// duplicate id, email or username (nothing is created).
	CreateAccount(ctx context.Context, a NewAccount) error
	// ChangeUser applies c in one transaction. ErrNotFound when the user is
	// unknown or Consume or ConsumeTrust names no live identifier of
	// theirs; ErrStale when IfRevision is not the row's; ErrConflict
	// (ErrDuplicateEmail, ErrDuplicateUsername) when Replace takes another
	// user's email or username. On any error nothing changed.
	ChangeUser(ctx context.Context, c UserChange) error
	// GetIdentifier returns the identifier of kind whose hash is hash while
	// it is live at now (ErrNotFound otherwise); it is not consumed.
	GetIdentifier(ctx context.Context, kind string, hash []byte, now time.Time) (Identifier, error)
	// ConsumeIdentifier deletes and returns the identifier of kind whose
	// hash is hash if it is live at now; ErrNotFound otherwise. Of
	// concurrent calls with one identifier, at most one succeeds.
	ConsumeIdentifier(ctx context.Context, kind string, hash []byte, now time.Time) (Identifier, error)
	// ReserveIdentifierAttempt counts one answer to a live identifier (a
	// verificationId's one-time code) before the answer is checked, and
	// returns the new count, only while fewer than max were counted: of any
	// number of concurrent calls at most max succeed. ErrNotFound when the
	// identifier is not live or max answers were counted already.
	ReserveIdentifierAttempt(ctx context.Context, kind string, hash []byte, now time.Time, max int) (int, error)
	// PasswordHistory returns up to n of the user's previous password
	// hashes, newest first (the current one is on the user).
	PasswordHistory(ctx context.Context, userID string, n int) ([]PasswordHash, error)
	// DeleteExpiredIdentifiers removes identifiers that expired before the
	// given instant and returns how many.
	DeleteExpiredIdentifiers(ctx context.Context, before time.Time) (int, error)
}
