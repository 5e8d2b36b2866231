package storage

import (
	"context"
	"time"
)

// AuditEntry is FusionAuth's audit log entry
// (https://fusionauth.io/docs/apis/audit-logs). Write methods take optional
// entries and store them in the transaction of the change they describe, so
// a change is never committed without its entry, nor an entry without its
// change. OldValue and NewValue hold only what changed, secrets redacted
// (internal/manage builds them).
type AuditEntry struct {
	ID            int64          `json:"id"` // assigned by the store (a sequence, as FusionAuth's Long ids)
	InsertInstant int64          `json:"insertInstant"`
	InsertUser    string         `json:"insertUser"`
	Message       string         `json:"message"`
	Reason        string         `json:"reason,omitempty"`
	Data          map[string]any `json:"data,omitempty"`
	OldValue      any            `json:"oldValue,omitempty"`
	NewValue      any            `json:"newValue,omitempty"`
	// TenantID is the tenant of the changed record ("" for system-wide
	// changes): a tenant-scoped API key sees its tenant's entries only.
	TenantID string `json:"-"`
}

// AuditSearch selects audit entries. Message, User (insertUser), Reason,
// OldValue and NewValue are patterns: '*' matches any run of characters, a
// pattern without '*' matches values containing it; all case-insensitive.
// Start and End bound insertInstant (ms, inclusive; 0: open).
type AuditSearch struct {
	TenantID                                  string // "" sees every entry
	Message, User, Reason, OldValue, NewValue string
	Start, End                                int64
	OrderBy                                   string // insertInstant (default), insertUser, message, id
	Asc                                       bool   // default newest first
	Offset, Limit                             int
	// After continues the default order (newest first) after the entry it
	// names: keyset paging for an export that reads every match in pages,
	// where an OFFSET would rescan the pages before it and an entry written
	// meanwhile would shift a page. Any other order with After is an error.
	After *AuditCursor
	// SkipTotal leaves the total 0 (the count is a second query).
	SkipTotal bool
}

// AuditCursor is the last entry of a page: its insertInstant and id.
type AuditCursor struct {
	InsertInstant, ID int64
}

// AuditStore stores the audit log.
type AuditStore interface {
	// CreateAuditEntry stores e on its own and returns it with its id.
	CreateAuditEntry(ctx context.Context, e AuditEntry) (AuditEntry, error)
	GetAuditEntry(ctx context.Context, id int64) (AuditEntry, error)
	// SearchAuditEntries returns one page and the number of matches.
	SearchAuditEntries(ctx context.Context, s AuditSearch) ([]AuditEntry, int, error)
}

// LoginRecord is one successful login (FusionAuth's login record,
// https://fusionauth.io/docs/apis/users#retrieve-recent-logins), written by
// RecordLogin in the login's own transaction.
type LoginRecord struct {
	ID            string // chosen by the caller, so UndoLogin can take it back
	UserID        string
	TenantID      string
	ApplicationID string // "" when the login named none
	Instant       int64  // ms
	IPAddress     string
	LoginID       string // the email or username the user typed
}

// LoginRecordFilter selects login records, newest first. Set fields are
// ANDed; Start and End bound the instant (ms, inclusive; 0: open).
type LoginRecordFilter struct {
	TenantID, UserID, ApplicationID string
	Start, End                      int64
	Offset, Limit                   int
	// Count asks for the number of matches in all (an extra query).
	Count bool
	// After continues the listing after the record it names (keyset
	// paging, AuditSearch.After's reasons).
	After *LoginRecordCursor
}

// LoginRecordCursor is the last record of a page: its instant and id.
type LoginRecordCursor struct {
	Instant int64
	ID      string
}

// LoginRecordStore reads and purges login records.
type LoginRecordStore interface {
	// ListLoginRecords returns one page and, with f.Count, the total.
	ListLoginRecords(ctx context.Context, f LoginRecordFilter) ([]LoginRecord, int, error)
	// PurgeLoginRecords deletes at most limit records older than before,
	// oldest first, and returns how many (the janitor's task login_records
	// calls it again while batches come back full).
	PurgeLoginRecords(ctx context.Context, before time.Time, limit int) (int, error)
}
