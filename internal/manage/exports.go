package manage

import (
	"context"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// ExportPage is how many rows an export reads per query: an export holds
// one page in memory, whatever the number of rows it writes.
const ExportPage = 500

// AuditExport is a validated audit log export (audit-logs.mdx "Export Audit
// Logs"): the entries the same query's search finds, newest first, every
// page of them.
type AuditExport struct {
	Format InstantFormat
	store  AuditLogsStore
	search storage.AuditSearch
}

// Export validates an export of the entries q selects for the caller, and
// o. Paging and order are the export's own: startRow, numberOfResults and
// orderBy of q are ignored, as FusionAuth's export ignores them.
func (al *AuditLogs) Export(ctx context.Context, scope Scope, q AuditQuery, o ExportOptions) (AuditExport, error) {
	q.StartRow, q.NumberOfResults, q.OrderBy = 0, 0, ""
	s, err := auditSearch(scope, q)
	if err != nil {
		return AuditExport{}, err
	}
	f, err := exportFormat(ctx, al.Store, o)
	if err != nil {
		return AuditExport{}, err
	}
	s.Limit, s.SkipTotal = ExportPage, true
	return AuditExport{Format: f, store: al.Store, search: s}, nil
}

// Each calls fn with every entry, ExportPage at a time (keyset pages, so an
// entry written meanwhile neither repeats nor hides one), until fn or the
// store fails.
func (x AuditExport) Each(ctx context.Context, fn func(storage.AuditEntry) error) error {
	s := x.search
	for {
		page, _, err := x.store.SearchAuditEntries(ctx, s)
		if err != nil {
			return err
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(page) < s.Limit {
			return nil
		}
		last := page[len(page)-1]
		s.After = &storage.AuditCursor{InsertInstant: last.InsertInstant, ID: last.ID}
	}
}

// LoginRecordExport is a validated login record export (login/export.mdx):
// the records the same query's search finds, newest first.
type LoginRecordExport struct {
	Format InstantFormat
	store  LoginRecordsStore
	filter storage.LoginRecordFilter
}

// Export validates an export of the records q selects for the caller
// (Search's rules; startRow, numberOfResults and retrieveTotal ignored),
// and o.
func (lr *LoginRecords) Export(ctx context.Context, scope Scope, q LoginRecordQuery, o ExportOptions) (LoginRecordExport, error) {
	q.StartRow, q.NumberOfResults, q.RetrieveTotal = 0, 0, false
	if err := checkLoginRecordQuery(q); err != nil {
		return LoginRecordExport{}, err
	}
	f, err := exportFormat(ctx, lr.Store, o)
	if err != nil {
		return LoginRecordExport{}, err
	}
	q.NumberOfResults = ExportPage
	return LoginRecordExport{Format: f, store: lr.Store, filter: loginRecordFilter(scope, q)}, nil
}

// Each calls fn with every record, ExportPage at a time (AuditExport.Each).
func (x LoginRecordExport) Each(ctx context.Context, fn func(storage.LoginRecord) error) error {
	f := x.filter
	for {
		page, _, err := x.store.ListLoginRecords(ctx, f)
		if err != nil {
			return err
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(page) < f.Limit {
			return nil
		}
		last := page[len(page)-1]
		f.After = &storage.LoginRecordCursor{Instant: last.Instant, ID: last.ID}
	}
}
