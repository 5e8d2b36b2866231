package storage

import (
	"context"
	"time"
)

// MailStore stores email templates and the durable outbox.
type MailStore interface {
	EmailTemplateStore
	OutboxStore
}

// EmailTemplate is FusionAuth's email template
// (https://fusionauth.io/docs/apis/emails). Templates are global, as in
// FusionAuth; names are unique. The template fields hold FreeMarker source
// that internal/mail parses when the template is saved.
type EmailTemplate struct {
	ID                     string            `json:"id"`
	Name                   string            `json:"name"`
	DefaultFromName        string            `json:"defaultFromName,omitempty"`
	DefaultSubject         string            `json:"defaultSubject"`
	DefaultHTMLTemplate    string            `json:"defaultHtmlTemplate"`
	DefaultTextTemplate    string            `json:"defaultTextTemplate"`
	FromEmail              string            `json:"fromEmail,omitempty"`
	LocalizedFromNames     map[string]string `json:"localizedFromNames,omitempty"`
	LocalizedSubjects      map[string]string `json:"localizedSubjects,omitempty"`
	LocalizedHTMLTemplates map[string]string `json:"localizedHtmlTemplates,omitempty"`
	LocalizedTextTemplates map[string]string `json:"localizedTextTemplates,omitempty"`
	InsertInstant          int64             `json:"insertInstant"`
	LastUpdateInstant      int64             `json:"lastUpdateInstant"`
	// Revision is the row's write counter as read (1 for a new row; every
	// write adds 1), which UpdateEmailTemplate names to write only an unchanged row.
	// Never serialized.
	Revision int64 `json:"-"`
}

// EmailTemplateStore stores email templates.
type EmailTemplateStore interface {
	CreateEmailTemplate(ctx context.Context, t EmailTemplate) error // ErrConflict on duplicate id or name
	GetEmailTemplate(ctx context.Context, id string) (EmailTemplate, error)
	// ListEmailTemplates lists every template ordered by name.
	ListEmailTemplates(ctx context.Context) ([]EmailTemplate, error)
	// UpdateEmailTemplate: ErrNotFound, ErrConflict (name taken); ErrStale
	// when t.Revision is not 0 and not the row's (nothing written).
	UpdateEmailTemplate(ctx context.Context, t EmailTemplate) error
	DeleteEmailTemplate(ctx context.Context, id string) error // ErrNotFound
}

// Outbox message states.
const (
	OutboxPending = "pending" // waiting to be sent (or leased by a worker)
	OutboxSent    = "sent"    // delivered; its payload is cleared
	OutboxDead    = "dead"    // given up; kept with its payload for operators
)

// OutboxMessage is one message in the durable outbox: an email today
// (Queue "mail"), webhook deliveries later. It is written in the same
// transaction as the change that caused it, and a worker delivers it at
// least once: a lease (LeaseOwner until LeaseUntil) keeps other workers off
// while one delivers, and an expired lease makes it claimable again.
type OutboxMessage struct {
	ID       string // unique; also the Message-ID of an email, so receivers can de-duplicate
	Queue    string
	TenantID string
	// Payload is the queue's own JSON (internal/mail.Message for "mail").
	// Cleared when the message is sent: an email's body carries live links.
	Payload []byte
	// Ref is the queue's reference for lookups (a webhook delivery's event
	// id) and Summary a description without user data, kept when Payload
	// is cleared (the webhook event log).
	Ref           string
	Summary       []byte
	State         string
	Attempts      int // claims so far (a crash mid-delivery counts too)
	NextAttemptAt time.Time
	LeaseOwner    string
	LeaseUntil    time.Time
	LastError     string
	CreatedAt     time.Time
	DoneAt        time.Time // when sent or declared dead
}

// OutboxClaim asks for up to Limit messages of Queue that are pending, due
// (NextAttemptAt <= Now) and not leased (LeaseUntil <= Now), and leases
// them to Owner until LeaseUntil.
type OutboxClaim struct {
	Queue      string
	Owner      string
	Now        time.Time
	LeaseUntil time.Time
	Limit      int
}

// OutboxFilter selects messages for operators (ListOutbox).
type OutboxFilter struct {
	Queue string
	State string // "" for any
	Ref   string // "" for any
	// Since and Until bound CreatedAt (inclusive); zero for no bound.
	Since, Until time.Time
	Limit        int // 0: 100
}

// OutboxDepth summarises a queue (metrics, readiness).
type OutboxDepth struct {
	Pending, Dead int
	OldestPending time.Time // zero when nothing is pending
}

// OutboxStore is the durable outbox. Backends also accept outbox messages
// inside the storage methods that cause mail (so the message commits with
// the change or not at all); EnqueueOutbox is the standalone form.
type OutboxStore interface {
	// EnqueueOutbox stores msgs as pending in one transaction (all or
	// nothing). NextAttemptAt zero means CreatedAt. ErrConflict on a
	// duplicate id.
	EnqueueOutbox(ctx context.Context, msgs ...OutboxMessage) error
	// EnqueueOutboxAudited stores msgs (none is allowed) and the audit
	// entries in one transaction: the entries are written exactly when the
	// messages are.
	EnqueueOutboxAudited(ctx context.Context, msgs []OutboxMessage, audit ...AuditEntry) error
	// ClaimOutbox leases due messages to c.Owner and counts an attempt on
	// each. With several workers (and several nodes sharing PostgreSQL) no
	// two claims overlap: a message is leased to one owner at a time.
	ClaimOutbox(ctx context.Context, c OutboxClaim) ([]OutboxMessage, error)
	// CompleteOutbox marks a message sent and clears its payload. Like
	// RetryOutbox and FailOutbox it needs owner to still hold the message:
	// ErrConflict when another worker took it over after the lease expired
	// (or it is no longer pending), ErrNotFound when the id is unknown.
	CompleteOutbox(ctx context.Context, id, owner string, at time.Time) error
	// RetryOutbox releases the lease and schedules another attempt.
	RetryOutbox(ctx context.Context, id, owner string, next time.Time, lastError string) error
	// FailOutbox declares the message dead (kept for operators).
	FailOutbox(ctx context.Context, id, owner string, at time.Time, lastError string) error
	// RequeueOutbox makes a dead message pending again with no attempts,
	// due at at. ErrConflict when it is not dead.
	RequeueOutbox(ctx context.Context, id string, at time.Time) error
	GetOutboxMessage(ctx context.Context, id string) (OutboxMessage, error)
	// ListOutbox lists messages newest first.
	ListOutbox(ctx context.Context, f OutboxFilter) ([]OutboxMessage, error)
	OutboxDepth(ctx context.Context, queue string) (OutboxDepth, error)
	// PurgeSentOutbox deletes messages sent before the given instant; dead
	// ones stay until an operator requeues them. Returns how many.
	PurgeSentOutbox(ctx context.Context, before time.Time) (int, error)
}

// EmailConfiguration is FusionAuth's tenant.emailConfiguration
// (https://fusionauth.io/docs/apis/tenants), the part latchkey uses. It is
// plain data here so that storage.Tenant can hold it (storage imports no
// other latchkey package); internal/mail validates it and sends with it.
type EmailConfiguration struct {
	Host string `json:"host,omitempty"` // default localhost
	Port int    `json:"port,omitempty"` // default 25
	// Security: NONE, SSL (implicit TLS, port 465) or TLS (STARTTLS, port 587).
	Security string `json:"security,omitempty"`
	Username string `json:"username,omitempty"`
	// Password is stored with the tenant; the HTTP layer must not echo it.
	Password          string        `json:"password,omitempty"`
	DefaultFromEmail  string        `json:"defaultFromEmail,omitempty"`
	DefaultFromName   string        `json:"defaultFromName,omitempty"`
	AdditionalHeaders []EmailHeader `json:"additionalHeaders,omitempty"`

	VerifyEmail                      bool                   `json:"verifyEmail"`
	VerifyEmailWhenChanged           bool                   `json:"verifyEmailWhenChanged"`
	VerificationStrategy             string                 `json:"verificationStrategy,omitempty"` // ClickableLink | FormField
	Unverified                       EmailUnverifiedOptions `json:"unverified"`
	ImplicitEmailVerificationAllowed *bool                  `json:"implicitEmailVerificationAllowed,omitempty"` // nil: true
	EmailTemplateIDs                                        // template ids, inlined as in FusionAuth's JSON
}

// EmailHeader is one of emailConfiguration.additionalHeaders.
type EmailHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// EmailUnverifiedOptions is emailConfiguration.unverified.
type EmailUnverifiedOptions struct {
	Behavior                  string `json:"behavior,omitempty"` // Allow (default) | Gated
	AllowEmailChangeWhenGated bool   `json:"allowEmailChangeWhenGated"`
}

// EmailTemplateIDs names the template of each email latchkey sends; empty
// means the built-in default (internal/mail.Defaults).
type EmailTemplateIDs struct {
	VerificationEmailTemplateID          string `json:"verificationEmailTemplateId,omitempty"`
	EmailVerifiedEmailTemplateID         string `json:"emailVerifiedEmailTemplateId,omitempty"`
	ForgotPasswordEmailTemplateID        string `json:"forgotPasswordEmailTemplateId,omitempty"`
	SetPasswordEmailTemplateID           string `json:"setPasswordEmailTemplateId,omitempty"`
	PasswordlessEmailTemplateID          string `json:"passwordlessEmailTemplateId,omitempty"`
	PasswordUpdateEmailTemplateID        string `json:"passwordUpdateEmailTemplateId,omitempty"`
	PasswordResetSuccessEmailTemplateID  string `json:"passwordResetSuccessEmailTemplateId,omitempty"`
	TwoFactorMethodAddEmailTemplateID    string `json:"twoFactorMethodAddEmailTemplateId,omitempty"`
	TwoFactorMethodRemoveEmailTemplateID string `json:"twoFactorMethodRemoveEmailTemplateId,omitempty"`
	EmailUpdateEmailTemplateID           string `json:"emailUpdateEmailTemplateId,omitempty"`
}
