package manage

import (
	"context"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// AuditLogsStore is what AuditLogs uses.
type AuditLogsStore interface {
	CreateAuditEntry(ctx context.Context, e storage.AuditEntry) (storage.AuditEntry, error)
	GetAuditEntry(ctx context.Context, id int64) (storage.AuditEntry, error)
	SearchAuditEntries(ctx context.Context, s storage.AuditSearch) ([]storage.AuditEntry, int, error)
	GetSystemConfiguration(ctx context.Context) (storage.SystemConfiguration, error)
}

// AuditLogs is the audit log API (audit-logs.mdx). Every management change
// writes its own entry in its transaction (audit.go); this is the API that
// reads them, and lets a caller add one.
type AuditLogs struct {
	Store AuditLogsStore
	Now   func() time.Time
}

// AuditInput is POST /api/system/audit-log's auditLog.
type AuditInput struct {
	InsertUser string         `json:"insertUser"`
	Message    string         `json:"message"`
	Reason     string         `json:"reason"`
	Data       map[string]any `json:"data"`
	OldValue   any            `json:"oldValue"`
	NewValue   any            `json:"newValue"`
}

// Create stores a caller's entry in its tenant. data.actor names the API
// key (or admin) that really wrote it, whatever insertUser claims, and the
// values are redacted like every entry's.
func (al *AuditLogs) Create(ctx context.Context, scope Scope, in AuditInput) (storage.AuditEntry, error) {
	e := &Invalid{}
	if strings.TrimSpace(in.InsertUser) == "" {
		e.Field("blank", "auditLog.insertUser", "You must specify the [auditLog.insertUser] property.")
	}
	if strings.TrimSpace(in.Message) == "" {
		e.Field("blank", "auditLog.message", "You must specify the [auditLog.message] property.")
	}
	if err := e.Err(); err != nil {
		return storage.AuditEntry{}, err
	}
	data := in.Data
	if data == nil {
		data = map[string]any{}
	}
	data = redact(data).(map[string]any)
	data["actor"] = ActorFrom(ctx).data()
	// No stored text holds a NUL (PostgreSQL's cannot): dropped, as the
	// event log drops it.
	noNUL := func(s string) string { return strings.ReplaceAll(s, "\x00", "") }
	entry := storage.AuditEntry{InsertInstant: al.Now().UnixMilli(), InsertUser: noNUL(in.InsertUser), Message: noNUL(in.Message),
		Reason: noNUL(in.Reason), Data: data, OldValue: redact(jsonValue(in.OldValue)), NewValue: redact(jsonValue(in.NewValue)),
		TenantID: scope.TenantID}
	return al.Store.CreateAuditEntry(ctx, entry)
}

// Get returns one entry; ErrNotFound when unknown or of another tenant
// than a scoped caller's (system-wide entries are for unscoped callers).
func (al *AuditLogs) Get(ctx context.Context, scope Scope, id int64) (storage.AuditEntry, error) {
	e, err := al.Store.GetAuditEntry(ctx, id)
	if err == nil && scope.TenantID != "" && e.TenantID != scope.TenantID {
		return storage.AuditEntry{}, ErrNotFound
	}
	return e, notFound(err)
}

// AuditQuery is an audit log search (audit-logs.mdx "Search the Audit Log").
type AuditQuery struct {
	Message, User, Reason, OldValue, NewValue string
	Start, End                                int64
	OrderBy                                   string // "insertInstant DESC" (default), insertUser, message, id; ASC or DESC
	StartRow, NumberOfResults                 int
}

var auditOrderFields = []string{"insertInstant", "insertUser", "message", "id"}

// Search returns one page of the entries the caller sees and their total.
func (al *AuditLogs) Search(ctx context.Context, scope Scope, q AuditQuery) ([]storage.AuditEntry, int, error) {
	s, err := auditSearch(scope, q)
	if err != nil {
		return nil, 0, err
	}
	return al.Store.SearchAuditEntries(ctx, s)
}

// auditSearch is q validated as the store's search, in the caller's tenant
// (Search and Export).
func auditSearch(scope Scope, q AuditQuery) (storage.AuditSearch, error) {
	s := storage.AuditSearch{TenantID: scope.TenantID, Message: q.Message, User: q.User, Reason: q.Reason,
		OldValue: q.OldValue, NewValue: q.NewValue, Start: q.Start, End: q.End,
		Offset: q.StartRow, Limit: pageSize(q.NumberOfResults, 25)}
	e := &Invalid{}
	var desc bool
	s.OrderBy, desc, _ = parseOrderBy(e, q.OrderBy, auditOrderFields, "", true)
	s.Asc = !desc
	checkPaging(e, searchPaging(q.StartRow, q.NumberOfResults)...)
	return s, e.Err()
}
