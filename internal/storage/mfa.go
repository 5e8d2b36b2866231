package storage

import (
	"context"
	"time"
)

// Records and roles of issue 10: two-factor methods and recovery codes,
// pending challenges (a twoFactorId, a WebAuthn challenge, a passwordless
// code, a trusted device), passkeys, and a counter for rate limits.

// TwoFactorMethod is one of a user's second factors (FusionAuth
// user.twoFactor.methods[x], accounts spec §10.2). Secret is the sealed TOTP
// secret of an authenticator method: storage keeps the bytes it is given
// and never interprets them.
type TwoFactorMethod struct {
	ID          string // four characters, unique per user
	UserID      string
	Method      string // authenticator | email
	Email       string
	MobilePhone string
	Name        string
	Secret      []byte
	// LastStep is the highest TOTP time step accepted for this method
	// (RFC 6238 §5.2: a code is accepted once); 0 before the first use.
	LastStep   int64
	LastUsedAt time.Time
	InsertedAt time.Time
}

// TwoFactorStore keeps two-factor methods and recovery codes. Recovery
// codes are stored as hashes only and are single use.
type TwoFactorStore interface {
	// AddTwoFactorMethod adds m. When recovery is not nil the user's
	// recovery codes are replaced by these hashes in the same transaction
	// (the first method of a user). ErrNotFound for an unknown user,
	// ErrConflict when the user already has a method with m.ID.
	AddTwoFactorMethod(ctx context.Context, m TwoFactorMethod, recovery [][]byte) error
	// ListTwoFactorMethods lists the user's methods, oldest first.
	ListTwoFactorMethods(ctx context.Context, userID string) ([]TwoFactorMethod, error)
	// RenameTwoFactorMethod sets a method's name; ErrNotFound when unknown.
	RenameTwoFactorMethod(ctx context.Context, userID, id, name string) error
	// RemoveTwoFactorMethod deletes one method; removing the last one also
	// deletes the recovery codes. Every twoFactorTrustId of the user ends
	// with it. ErrNotFound when unknown. The audit entries are written in
	// the same transaction.
	RemoveTwoFactorMethod(ctx context.Context, userID, id string, audit ...AuditEntry) error
	// RemoveTwoFactorMethods deletes every method, recovery code and
	// twoFactorTrustId of the user (an administrator's override: no code
	// asked) and writes the audit entries, in one transaction. ErrNotFound when the user has no
	// method, and then nothing is written.
	RemoveTwoFactorMethods(ctx context.Context, userID string, audit ...AuditEntry) error
	// UseTwoFactorStep records that the TOTP code of step was accepted: it
	// succeeds only while step is above the method's LastStep, so of two
	// uses of one code (or of an older one) at most one succeeds, on any
	// number of nodes; ErrConflict otherwise, ErrNotFound when unknown.
	UseTwoFactorStep(ctx context.Context, userID, id string, step int64, at time.Time) error
	// MarkTwoFactorUsed sets LastUsedAt (an email code was accepted).
	MarkTwoFactorUsed(ctx context.Context, userID, id string, at time.Time) error
	// ReplaceRecoveryCodes replaces the user's recovery codes.
	ReplaceRecoveryCodes(ctx context.Context, userID string, hashes [][]byte) error
	// ConsumeRecoveryCode deletes the code; ErrNotFound when the user has
	// no such code. Of concurrent calls with one code at most one succeeds.
	ConsumeRecoveryCode(ctx context.Context, userID string, hash []byte) error
	// DisableTwoFactor consumes the recovery code and deletes every method,
	// recovery code and twoFactorTrustId of the user, in one transaction (FusionAuth: a
	// recovery code turns two-factor off). ErrNotFound when the code is not
	// the user's, and then nothing changes.
	DisableTwoFactor(ctx context.Context, userID string, recoveryHash []byte) error
	// CountRecoveryCodes is how many unused codes the user has.
	CountRecoveryCodes(ctx context.Context, userID string) (int, error)
	// ListTwoFactorSecrets lists at most limit methods whose Secret begins
	// with prefix (compared as bytes), in (UserID, ID) order: the secrets
	// sealed with one key, which auth re-seals after a key change.
	ListTwoFactorSecrets(ctx context.Context, prefix []byte, limit int) ([]TwoFactorMethod, error)
	// ReplaceTwoFactorSecret sets a method's Secret to next if it is still
	// prev (compare-and-swap): ErrConflict when it is not, ErrNotFound when
	// the method is gone.
	ReplaceTwoFactorSecret(ctx context.Context, userID, id string, prev, next []byte) error
}

// Kinds of Challenge.
const (
	// ChallengeTwoFactorLogin is a pending login's twoFactorId (242).
	ChallengeTwoFactorLogin = "two_factor_login"
	// ChallengeTwoFactorEnable holds an emailed code proving an address
	// before an email method is enabled (POST /api/two-factor/send).
	ChallengeTwoFactorEnable = "two_factor_enable"
	// ChallengeTwoFactorTrust is a twoFactorTrustId (trust this device).
	ChallengeTwoFactorTrust = "two_factor_trust"
	// ChallengeWebAuthnRegistration and ChallengeWebAuthnAuthentication
	// are WebAuthn challenges between start and complete.
	ChallengeWebAuthnRegistration   = "webauthn_registration"
	ChallengeWebAuthnAuthentication = "webauthn_authentication"
	// ChallengePasswordless is a passwordless login code.
	ChallengePasswordless = "passwordless"
	// ChallengePendingIdPLink is a pendingIdPLinkId (PendingIdPLink).
	ChallengePendingIdPLink = "idp_pending_link"
)

// Challenge is a short-lived secret between two steps of a flow. Only the
// SHA-256 of its value is stored (Hash), so a database reader cannot use
// one. UserID is empty for a challenge bound to no user yet (a
// usernameless passkey login). Data belongs to the flow; storage keeps it
// as given (JSON).
type Challenge struct {
	Hash      []byte
	Kind      string
	UserID    string
	TenantID  string
	CreatedAt time.Time
	ExpiresAt time.Time
	// Attempts counts wrong answers (FailChallenge), or answers reserved
	// before their check (ReserveChallengeAttempt).
	Attempts int
	Data     []byte
}

// ChallengeStore keeps challenges and counts rate-limited events.
type ChallengeStore interface {
	// CreateChallenge stores c; ErrConflict when the hash exists.
	CreateChallenge(ctx context.Context, c Challenge) error
	// GetChallenge returns the challenge of kind with hash while it is live
	// at now (not expired); ErrNotFound otherwise. It is not consumed.
	GetChallenge(ctx context.Context, kind string, hash []byte, now time.Time) (Challenge, error)
	// ConsumeChallenge deletes and returns the live challenge; ErrNotFound
	// when there is none. Of concurrent calls at most one succeeds.
	ConsumeChallenge(ctx context.Context, kind string, hash []byte, now time.Time) (Challenge, error)
	// FailChallenge counts one wrong answer and returns the new count; at
	// max the challenge is deleted (it can no longer be answered).
	// ErrNotFound when it is not live.
	FailChallenge(ctx context.Context, kind string, hash []byte, now time.Time, max int) (int, error)
	// ReserveChallengeAttempt counts one answer before it is checked and
	// returns the new count, only while fewer than max were counted: of any
	// number of concurrent calls (on any number of nodes) at most max
	// succeed. ErrNotFound when the challenge is not live or has max
	// already; it is not deleted (a right answer under the last reservation
	// can still consume it), so readers refuse one whose Attempts reached
	// their max.
	ReserveChallengeAttempt(ctx context.Context, kind string, hash []byte, now time.Time, max int) (int, error)
	// UpdateChallengeData replaces a live challenge's Data; ErrNotFound when
	// it is not live.
	UpdateChallengeData(ctx context.Context, kind string, hash []byte, data []byte, now time.Time) error
	// DeleteChallenges deletes the user's challenges of kind.
	DeleteChallenges(ctx context.Context, userID, kind string) (int, error)
	// PurgeChallenges deletes at most limit challenges that expired at or
	// before the instant (the janitor's task; an expired one is never
	// answered anyway).
	PurgeChallenges(ctx context.Context, expiredBefore time.Time, limit int) (int, error)
	// PurgeRateCounters deletes at most limit counters whose window started
	// before the instant: their next event starts a new window anyway.
	PurgeRateCounters(ctx context.Context, windowBefore time.Time, limit int) (int, error)
	// CountEvent counts one event under key in a fixed window starting at
	// its first event and returns the count in the current window, so N
	// nodes share one limit.
	CountEvent(ctx context.Context, key string, at time.Time, window time.Duration) (int, error)
	// IssueChallenge counts one event under l.Key at c.CreatedAt (as
	// CountEvent) and, while the count is at most l.Max, stores c and
	// enqueues msgs (the mail carrying c's secret), in one transaction:
	// the count, the challenge and its messages commit together or not at
	// all. It returns the count; over l.Max nothing is stored, the count
	// included. ErrConflict when c's hash or a message's id exists, and
	// then nothing is stored either: a message id derived from a job's id
	// makes a retry of a job that committed a no-op.
	IssueChallenge(ctx context.Context, c Challenge, l RateLimit, msgs ...OutboxMessage) (int, error)
}

// RateLimit is at most Max events under Key per fixed Window (CountEvent's
// counter).
type RateLimit struct {
	Key    string
	Window time.Duration
	Max    int
}

// WebAuthnCredential is a passkey (FusionAuth WebAuthnCredential, accounts
// spec §11.7). PublicKey is the COSE key the authenticator gave.
type WebAuthnCredential struct {
	ID              string `json:"id"`
	TenantID        string `json:"tenantId"`
	UserID          string `json:"userId"`
	CredentialID    []byte `json:"-"`
	PublicKey       []byte `json:"-"`
	Algorithm       int    `json:"algorithm"`
	AttestationType string `json:"attestationType"`
	AAGUID          []byte `json:"-"`
	SignCount       uint32 `json:"signCount"`
	// Transports the authenticator reported (usb, nfc, ble, internal, hybrid).
	Transports []string `json:"transports"`
	// Discoverable: a resident key (credProps.rk), usable without a user name.
	Discoverable bool `json:"discoverable"`
	// UserVerified: the authenticator verified the user at registration
	// (authenticatorSupportsUserVerification).
	UserVerified   bool   `json:"authenticatorSupportsUserVerification"`
	BackupEligible bool   `json:"-"`
	BackupState    bool   `json:"-"`
	RelyingPartyID string `json:"relyingPartyId"`
	DisplayName    string `json:"displayName"`
	Name           string `json:"name"`
	UserAgent      string `json:"userAgent,omitempty"`
	InsertInstant  int64  `json:"insertInstant"`
	LastUseInstant int64  `json:"lastUseInstant"`
}

// WebAuthnStore keeps passkeys.
type WebAuthnStore interface {
	// CreateWebAuthnCredential stores c; ErrConflict when its id or
	// credential id exists, ErrNotFound for an unknown user.
	CreateWebAuthnCredential(ctx context.Context, c WebAuthnCredential) error
	GetWebAuthnCredential(ctx context.Context, id string) (WebAuthnCredential, error)
	// FindWebAuthnCredential finds a passkey by the authenticator's
	// credential id.
	FindWebAuthnCredential(ctx context.Context, credentialID []byte) (WebAuthnCredential, error)
	// ListWebAuthnCredentials lists the user's passkeys, oldest first.
	ListWebAuthnCredentials(ctx context.Context, userID string) ([]WebAuthnCredential, error)
	DeleteWebAuthnCredential(ctx context.Context, id string) error // ErrNotFound
	DeleteWebAuthnCredentials(ctx context.Context, userID string) (int, error)
	// UseWebAuthnCredential records an assertion: the sign count moves from
	// prev to next and LastUseInstant becomes at, only while the stored
	// count is still prev (compare-and-swap), so of two assertions racing
	// with one counter value at most one is accepted. ErrConflict otherwise.
	UseWebAuthnCredential(ctx context.Context, id string, prev, next uint32, backupState bool, at time.Time) error
}
