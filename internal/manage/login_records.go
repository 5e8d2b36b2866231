package manage

import (
	"context"
	"errors"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// LoginRecordsStore is what LoginRecords uses.
type LoginRecordsStore interface {
	applicationReader
	ListLoginRecords(ctx context.Context, f storage.LoginRecordFilter) ([]storage.LoginRecord, int, error)
	PurgeLoginRecords(ctx context.Context, before time.Time, limit int) (int, error)
	GetSystemConfiguration(ctx context.Context) (storage.SystemConfiguration, error)
}

// LoginRecords reads the record every successful login leaves
// (recent-logins.mdx, login/search.mdx) and keeps their number bounded.
type LoginRecords struct {
	Store LoginRecordsStore
}

// LoginRecordView is FusionAuth's login record (DisplayableRawLogin).
type LoginRecordView struct {
	ApplicationID   string `json:"applicationId,omitempty"`
	ApplicationName string `json:"applicationName,omitempty"`
	Instant         int64  `json:"instant"`
	IPAddress       string `json:"ipAddress,omitempty"`
	LoginID         string `json:"loginId,omitempty"`
	UserID          string `json:"userId"`
}

// LoginRecordQuery is a search (or, with Recent, GET /api/user/recent-login).
type LoginRecordQuery struct {
	UserID, ApplicationID string
	Start, End            int64 // ms, inclusive; 0 open
	StartRow              int
	NumberOfResults       int // 0: 25 (search) or 10 (recent); at most MaxPageSize
	RetrieveTotal         bool
}

// Recent returns a user's (or, without userID, everyone's) newest logins:
// offset and limit as GET /api/user/recent-login takes them.
func (lr *LoginRecords) Recent(ctx context.Context, scope Scope, userID string, offset, limit int) ([]LoginRecordView, error) {
	e := &Invalid{}
	checkPaging(e, paging{"offset", offset}, paging{"limit", limit})
	checkFilterID(e, "userId", userID)
	if err := e.Err(); err != nil {
		return nil, err
	}
	views, _, err := lr.search(ctx, scope, LoginRecordQuery{UserID: userID, StartRow: offset, NumberOfResults: pageSize(limit, 10)})
	return views, err
}

// Search answers POST/GET /api/system/login-record/search; the total only
// when asked (it costs a count).
func (lr *LoginRecords) Search(ctx context.Context, scope Scope, q LoginRecordQuery) ([]LoginRecordView, int, error) {
	if err := checkLoginRecordQuery(q); err != nil {
		return nil, 0, err
	}
	q.NumberOfResults = pageSize(q.NumberOfResults, 25)
	return lr.search(ctx, scope, q)
}

// checkLoginRecordQuery is a search's (and an export's) validation.
func checkLoginRecordQuery(q LoginRecordQuery) error {
	e := &Invalid{}
	checkPaging(e, searchPaging(q.StartRow, q.NumberOfResults)...)
	checkFilterID(e, "search.userId", q.UserID)
	checkFilterID(e, "search.applicationId", q.ApplicationID)
	if q.Start != 0 && q.End != 0 && q.End < q.Start {
		e.Field("invalid", "search.end", "The [end] is before the [start].")
	}
	return e.Err()
}

// loginRecordFilter is q in the caller's tenant, as the store reads it.
func loginRecordFilter(scope Scope, q LoginRecordQuery) storage.LoginRecordFilter {
	return storage.LoginRecordFilter{TenantID: scope.TenantID, UserID: q.UserID, ApplicationID: q.ApplicationID,
		Start: q.Start, End: q.End, Offset: q.StartRow, Limit: q.NumberOfResults, Count: q.RetrieveTotal}
}

func (lr *LoginRecords) search(ctx context.Context, scope Scope, q LoginRecordQuery) ([]LoginRecordView, int, error) {
	recs, total, err := lr.Store.ListLoginRecords(ctx, loginRecordFilter(scope, q))
	if err != nil {
		return nil, 0, err
	}
	names := map[string]string{}
	out := make([]LoginRecordView, len(recs))
	for i, r := range recs {
		name, ok := names[r.ApplicationID]
		if !ok && r.ApplicationID != "" {
			app, err := lr.Store.GetApplication(ctx, r.ApplicationID)
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return nil, 0, err
			}
			name, names[r.ApplicationID] = app.Name, app.Name // a deleted application has no name
		}
		out[i] = LoginRecordView{ApplicationID: r.ApplicationID, ApplicationName: name, Instant: r.Instant,
			IPAddress: r.IPAddress, LoginID: r.LoginID, UserID: r.UserID}
	}
	return out, total, nil
}

// DefaultLoginRecordRetention is how many days login records are kept when
// the system configuration does not say (FusionAuth's
// loginRecordConfiguration.delete.numberOfDaysToRetain default, with
// deletion on by default in latchkey: a busy server writes one row per login).
const DefaultLoginRecordRetention = 365

// Purge deletes at most limit records older than the system
// configuration's retention at now and returns how many; nothing when
// deletion is turned off. It is the janitor's task login_records
// (internal/app), and reads the configuration at every call, so a change
// through the API applies at the next pass.
func (lr *LoginRecords) Purge(ctx context.Context, now time.Time, limit int) (int, error) {
	c, err := lr.Store.GetSystemConfiguration(ctx)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return 0, err
	}
	d := LoginRecordSettings(c).Delete
	if !d.Enabled {
		return 0, nil
	}
	return lr.Store.PurgeLoginRecords(ctx, now.AddDate(0, 0, -d.NumberOfDaysToRetain), limit)
}

// LoginRecordSettings is c's loginRecordConfiguration, or the default when
// it has none (a configuration stored before it existed).
func LoginRecordSettings(c storage.SystemConfiguration) storage.LoginRecordConfiguration {
	if c.LoginRecordConfiguration == nil {
		return storage.LoginRecordConfiguration{Delete: storage.LoginRecordDelete{Enabled: true, NumberOfDaysToRetain: DefaultLoginRecordRetention}}
	}
	return *c.LoginRecordConfiguration
}
