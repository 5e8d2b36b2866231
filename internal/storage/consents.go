package storage

import "context"

// Consent is FusionAuth's consent definition (apis/consents): global, its
// name unique without case. Stored as given; manage validates it.
type Consent struct {
	ID                     string `json:"id"`
	Name                   string `json:"name"`
	ConsentEmailTemplateID string `json:"consentEmailTemplateId,omitempty"`
	// CountryMinimumAgeForSelfConsent overrides DefaultMinimumAgeForSelfConsent
	// for a user whose preferred language names one of its locales.
	CountryMinimumAgeForSelfConsent map[string]int `json:"countryMinimumAgeForSelfConsent,omitempty"`
	Data                            map[string]any `json:"data,omitempty"`
	// DefaultMinimumAgeForSelfConsent is required; nil when a request omits it.
	DefaultMinimumAgeForSelfConsent *int       `json:"defaultMinimumAgeForSelfConsent"`
	EmailPlus                       *EmailPlus `json:"emailPlus,omitempty"`
	MultipleValuesAllowed           bool       `json:"multipleValuesAllowed"`
	Values                          []string   `json:"values,omitempty"`
	InsertInstant                   int64      `json:"insertInstant"`
	LastUpdateInstant               int64      `json:"lastUpdateInstant"`
	// Revision is the row's write counter as read, which UpdateConsent
	// names to write only an unchanged row. Never serialized.
	Revision int64 `json:"-"`
}

// EmailPlus is consent.emailPlus: a follow-up mail to the giver.
type EmailPlus struct {
	Enabled                       bool   `json:"enabled"`
	EmailTemplateID               string `json:"emailTemplateId,omitempty"`
	MaximumTimeToSendEmailInHours int    `json:"maximumTimeToSendEmailInHours"`
	MinimumTimeToSendEmailInHours int    `json:"minimumTimeToSendEmailInHours"`
}

// UserConsent is a consent granted to a user (FusionAuth's UserConsent):
// it goes with its user and with its consent; a revoked one stays, its
// Status Revoked.
type UserConsent struct {
	ID                string         `json:"id"`
	UserID            string         `json:"userId"`
	TenantID          string         `json:"tenantId"` // the user's
	ConsentID         string         `json:"consentId"`
	GiverUserID       string         `json:"giverUserId"`
	Status            string         `json:"status"` // Active or Revoked
	Values            []string       `json:"values"`
	Data              map[string]any `json:"data,omitempty"`
	InsertInstant     int64          `json:"insertInstant"`
	LastUpdateInstant int64          `json:"lastUpdateInstant"`
	Revision          int64          `json:"-"` // as Consent.Revision
}

// ConsentStore stores consents and user consents.
type ConsentStore interface {
	// CreateConsent stores c with the audit entries; ErrConflict, nothing
	// stored, on a duplicate id or name (without case).
	CreateConsent(ctx context.Context, c Consent, audit ...AuditEntry) error
	GetConsent(ctx context.Context, id string) (Consent, error) // ErrNotFound
	// ListConsents lists every consent ordered by name, then id.
	ListConsents(ctx context.Context) ([]Consent, error)
	// UpdateConsent replaces c with the audit entries: ErrNotFound; ErrStale
	// when c.Revision is not 0 and not the row's; ErrConflict when another
	// consent has the name. Nothing is written on an error.
	UpdateConsent(ctx context.Context, c Consent, audit ...AuditEntry) error
	// DeleteConsent removes the consent and every user consent of it, with
	// the audit entries; ErrNotFound.
	DeleteConsent(ctx context.Context, id string, audit ...AuditEntry) error

	// CreateUserConsent stores uc with the outbox messages it causes (the
	// giver's notice and Email Plus reminder) and the audit entries, its
	// TenantID the user's: ErrNotFound, nothing stored, when uc.UserID
	// names no user or uc.ConsentID no consent; ErrConflict on a duplicate
	// id.
	CreateUserConsent(ctx context.Context, uc UserConsent, outbox []OutboxMessage, audit ...AuditEntry) error
	GetUserConsent(ctx context.Context, id string) (UserConsent, error) // ErrNotFound
	// ListUserConsents lists a user's consents by insertInstant, then id.
	ListUserConsents(ctx context.Context, userID string) ([]UserConsent, error)
	// UpdateUserConsent replaces uc's status, values and lastUpdateInstant
	// (its user, giver and consent never change) with the audit entries:
	// ErrNotFound; ErrStale as UpdateConsent's.
	UpdateUserConsent(ctx context.Context, uc UserConsent, audit ...AuditEntry) error
}
