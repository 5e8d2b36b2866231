package storage

import (
	"context"
	"time"
)

// Webhook is FusionAuth's webhook object (apis/webhooks,
// _webhook-request-body). Webhooks are global records, as in FusionAuth: a
// webhook serves every tenant when Global, else the tenants it lists.
// Instants are milliseconds since the epoch.
type Webhook struct {
	ID             string `json:"id"`
	URL            string `json:"url"`
	ConnectTimeout int    `json:"connectTimeout"` // ms
	ReadTimeout    int    `json:"readTimeout"`    // ms
	Description    string `json:"description,omitempty"`
	// EventsEnabled says which event types this webhook receives; the
	// tenant must enable a type too (Tenant.EventConfiguration).
	EventsEnabled map[string]bool   `json:"eventsEnabled"`
	Global        bool              `json:"global"`
	TenantIDs     []string          `json:"tenantIds"`
	Headers       map[string]string `json:"headers"`
	// HTTP Basic credentials sent with each delivery. The password is
	// stored; the HTTP layer never returns it.
	HTTPAuthenticationUsername string                 `json:"httpAuthenticationUsername,omitempty"`
	HTTPAuthenticationPassword string                 `json:"httpAuthenticationPassword,omitempty"`
	SignatureConfiguration     SignatureConfiguration `json:"signatureConfiguration"`
	// SSLCertificateKeyID and SSLCertificate (FusionAuth's trust anchor for
	// the receiver's TLS certificate) are kept only so that a request
	// naming one is refused rather than silently ignored: latchkey trusts
	// the system's roots.
	SSLCertificateKeyID string         `json:"sslCertificateKeyId,omitempty"`
	SSLCertificate      string         `json:"sslCertificate,omitempty"`
	Data                map[string]any `json:"data,omitempty"`
	InsertInstant       int64          `json:"insertInstant"`
	LastUpdateInstant   int64          `json:"lastUpdateInstant"`
	// Revision is the row's write counter as read (1 for a new row; every
	// write adds 1), which UpdateWebhook names to write only an unchanged row.
	// Never serialized.
	Revision int64 `json:"-"`
}

// SignatureConfiguration is webhook.signatureConfiguration: when Enabled,
// every delivery carries X-FusionAuth-Signature-JWT signed with the key
// SigningKeyID names (a signing key's id, its kid).
type SignatureConfiguration struct {
	Enabled      bool   `json:"enabled"`
	SigningKeyID string `json:"signingKeyId,omitempty"`
	// SigningKeyAlgorithm is the algorithm of the key SigningKeyID named
	// when the webhook was saved (ES256, RS256): deliveries keep it once
	// that key is retired and no longer says. Stored, never on the wire.
	SigningKeyAlgorithm string `json:"-"`
}

// EventConfiguration is tenant.eventConfiguration: which event types the
// tenant sends at all, and how a transactional one decides
// (FusionAuth's TransactionType: None, Any, SimpleMajority,
// SuperMajority, AbsoluteMajority).
type EventConfiguration struct {
	Events map[string]EventConfigurationData `json:"events"`
}

// EventConfigurationData is one event type's entry.
type EventConfigurationData struct {
	Enabled         bool   `json:"enabled"`
	TransactionType string `json:"transactionType"`
}

// Lambda is FusionAuth's lambda object (apis/lambdas), stored as given;
// internal/lambda validates and runs it.
type Lambda struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	Type              string `json:"type"`
	Body              string `json:"body"`
	Debug             bool   `json:"debug"`
	Enabled           bool   `json:"enabled"`
	EngineType        string `json:"engineType"`
	InsertInstant     int64  `json:"insertInstant"`
	LastUpdateInstant int64  `json:"lastUpdateInstant"`
	// Revision is the row's write counter as read (1 for a new row; every
	// write adds 1), which UpdateLambda names to write only an unchanged row.
	// Never serialized.
	Revision int64 `json:"-"`
}

// LambdaConfiguration is application.lambdaConfiguration: the JWTPopulate
// lambdas run on the access and id tokens the application's logins get.
type LambdaConfiguration struct {
	AccessTokenPopulateID string `json:"accessTokenPopulateId,omitempty"`
	IDTokenPopulateID     string `json:"idTokenPopulateId,omitempty"`
}

// WebhookStore stores webhooks.
type WebhookStore interface {
	CreateWebhook(ctx context.Context, w Webhook) error // ErrConflict on a duplicate id
	GetWebhook(ctx context.Context, id string) (Webhook, error)
	// ListWebhooks lists every webhook ordered by id.
	ListWebhooks(ctx context.Context) ([]Webhook, error)
	// UpdateWebhook: ErrNotFound; ErrStale when w.Revision is not 0 and not
	// the row's (nothing written).
	UpdateWebhook(ctx context.Context, w Webhook) error
	DeleteWebhook(ctx context.Context, id string) error // ErrNotFound
}

// LambdaStore stores lambdas.
type LambdaStore interface {
	CreateLambda(ctx context.Context, l Lambda) error // ErrConflict on a duplicate id
	GetLambda(ctx context.Context, id string) (Lambda, error)
	// ListLambdas lists every lambda ordered by name, then id.
	ListLambdas(ctx context.Context) ([]Lambda, error)
	// UpdateLambda: ErrNotFound; ErrStale when l.Revision is not 0 and not
	// the row's (nothing written).
	UpdateLambda(ctx context.Context, l Lambda) error
	DeleteLambda(ctx context.Context, id string) error // ErrNotFound
}

// Revocation is RevokeRefreshTokens with the outbox messages (the events)
// that commit with it.
type Revocation struct {
	Filter RefreshTokenFilter
	At     time.Time
	Reason string
	Outbox []OutboxMessage
	Audit  []AuditEntry // stored with the revocation (audit.go)
	// EndTrusts: the twoFactorTrustIds of Filter.UserID are deleted in the
	// same transaction (every session of the user is being ended, so every
	// trusted device proves itself again).
	EndTrusts bool
}

// KeyRotation is RotateSigningKey with the outbox messages that commit
// with it.
type KeyRotation struct {
	Next        SigningKey
	RetireOldAt time.Time
	Outbox      []OutboxMessage
	Audit       []AuditEntry // stored with the rotation (audit.go)
}

// ActionTaking is TakeUserAction with the outbox messages (user.action and
// the revocation's jwt.refresh-token.revoke) that commit with it.
type ActionTaking struct {
	Log    UserActionLog
	Revoke *SessionRevocation // nil: no session is revoked
	Audit  []AuditEntry
	Outbox []OutboxMessage
}

// LoginFailure is RecordLoginFailure with the outbox messages (the
// user.login.failed event) that commit with the count.
type LoginFailure struct {
	UserID string
	At     time.Time
	Policy LockoutPolicy
	Outbox []OutboxMessage
}

// EventWriteStore holds the writes whose events (webhook deliveries, as
// outbox messages) have no other method to commit with: every other change
// that causes an event takes its outbox messages in its own argument
// (UserChange, NewAccount, Login, Rotation, UserImport).
type EventWriteStore interface {
	// RevokeRefreshTokensWith is RevokeRefreshTokens that enqueues
	// r.Outbox (and, with r.EndTrusts, deletes the user's
	// twoFactorTrustIds) in the same transaction: all or nothing.
	RevokeRefreshTokensWith(ctx context.Context, r Revocation) ([]RefreshToken, error)
	// RotateSigningKeyWith is RotateSigningKey that enqueues r.Outbox in
	// the same transaction: both or neither.
	RotateSigningKeyWith(ctx context.Context, r KeyRotation) error
	// RecordLoginFailureWith is RecordLoginFailure that enqueues f.Outbox
	// in the same transaction: both or neither.
	RecordLoginFailureWith(ctx context.Context, f LoginFailure) (LoginFailures, error)
	// TakeUserActionWith is TakeUserAction that enqueues a.Outbox in the
	// same transaction: all or nothing.
	TakeUserActionWith(ctx context.Context, a ActionTaking) ([]RefreshToken, error)
	// UpdateUserActionLogWith is UpdateUserActionLog that enqueues outbox
	// in the same transaction (a modify's or cancel's user.action).
	UpdateUserActionLogWith(ctx context.Context, l UserActionLog, outbox []OutboxMessage, audit ...AuditEntry) error
	// DueUserActionEnds lists at most limit actions whose end event is due
	// at now (ms; UserActionLog.EndDue), the earliest first.
	DueUserActionEnds(ctx context.Context, now int64, limit int) ([]UserActionLog, error)
	// EndUserActionWith marks l's end event sent (EndEventSent) and
	// enqueues outbox in one transaction, if the end read from
	// DueUserActionEnds is still due (not cancelled, not modified, not
	// sent since); false, with nothing written, otherwise.
	EndUserActionWith(ctx context.Context, l UserActionLog, outbox []OutboxMessage) (bool, error)
}
