package manage

import (
	"context"
	"errors"
	"slices"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// UserBulkDelete is FusionAuth's bulk delete (users.mdx "Bulk Delete
// Users", DELETE /api/user/bulk; the clients' deleteUsers and
// deleteUsersByQuery): the users named by id, or found by the user search's
// queryString, each deactivated or deleted by the single-user use case, so
// that each gets exactly what DELETE /api/user/{id} does (its event, its
// refresh tokens revoked, its tombstones, its audit entry).
type UserBulkDelete struct {
	Search *UserSearch
	Users  *Users
}

// BulkDeleteQuery is a bulk delete request (FusionAuth's UserDeleteRequest).
type BulkDeleteQuery struct {
	UserIDs     []string
	QueryString string
	// Query is an Elasticsearch query: refused, as the user search refuses
	// it (latchkey has the database engine only).
	Query string
	// Limit is at most how many users one call deletes: 0 or more than
	// MaxPageSize is MaxPageSize (FusionAuth's default is 10,000), so one
	// call's work stays within a request's deadline; the caller repeats the
	// call for more.
	Limit      int
	DryRun     bool
	HardDelete bool
}

// BulkDeleteResult is FusionAuth's UserDeleteResponse: the users deleted,
// or those a dry run would delete.
type BulkDeleteResult struct {
	DryRun     bool     `json:"dryRun"`
	HardDelete bool     `json:"hardDelete"`
	Total      int      `json:"total"`
	UserIDs    []string `json:"userIds"`
}

// Delete finds the users q names that scope sees (ids of no such user are
// skipped; a soft delete skips inactive users), at most q.Limit of them,
// and unless q.DryRun deactivates each (Users.Deactivate), or deletes it
// with q.HardDelete (Users.Delete). Each user is its own transaction, as when deleted one by one: a failure
// partway answers the error with the users before it already deleted, and
// a repeated call carries on. A user deleted meanwhile by someone else is
// left out of the result.
func (b *UserBulkDelete) Delete(ctx context.Context, scope Scope, q BulkDeleteQuery) (BulkDeleteResult, error) {
	if err := checkBulkDelete(q).Err(); err != nil {
		return BulkDeleteResult{}, err
	}
	users, err := b.find(ctx, scope, q)
	if err != nil {
		return BulkDeleteResult{}, err
	}
	res := BulkDeleteResult{DryRun: q.DryRun, HardDelete: q.HardDelete, UserIDs: []string{}}
	del := b.Users.Deactivate
	if q.HardDelete {
		del = b.Users.Delete
	}
	for _, u := range users {
		if !q.DryRun {
			if err := del(ctx, scope, u.ID); errors.Is(err, ErrNotFound) {
				continue
			} else if err != nil {
				return BulkDeleteResult{}, err
			}
		}
		res.UserIDs = append(res.UserIDs, u.ID)
	}
	res.Total = len(res.UserIDs)
	return res, nil
}

// find is the users q names: by id in the order given (each once:
// GetUsers), or the search's first matches in id order. A soft delete
// skips users already inactive, so that a caller repeating a soft delete by
// queryString until total is 0 gets there: the search pages past them, up
// to TotalCap matches read.
func (b *UserBulkDelete) find(ctx context.Context, scope Scope, q BulkDeleteQuery) ([]storage.User, error) {
	limit := pageSize(q.Limit, MaxPageSize)
	wanted := func(u storage.User) bool { return scope.Sees(u.TenantID) && (q.HardDelete || u.Active) }
	if len(q.UserIDs) > 0 {
		users, err := b.Search.Store.GetUsers(ctx, lowerIDs(q.UserIDs))
		if err != nil {
			return nil, err
		}
		users = slices.DeleteFunc(users, func(u storage.User) bool { return !wanted(u) })
		return users[:min(len(users), limit)], nil
	}
	var out []storage.User
	for offset := 0; offset < TotalCap && len(out) < limit; offset += MaxPageSize {
		page, _, err := b.Search.Store.SearchUsers(ctx, storage.UserSearch{TenantID: scope.TenantID, QueryString: q.QueryString,
			Sort: []storage.SortField{{Name: "id"}}, Offset: offset, Limit: MaxPageSize, CountLimit: 1})
		if err != nil {
			return nil, err
		}
		for _, u := range page {
			if wanted(u) && len(out) < limit {
				out = append(out, u)
			}
		}
		if len(page) < MaxPageSize {
			break
		}
	}
	return out, nil
}

// checkBulkDelete refuses what would delete nobody on purpose, or more than
// the caller named: no selection at all (never "everyone"), ids and a
// queryString together, an Elasticsearch query, ids that are not UUIDs.
// Field names are the request's (UserDeleteRequest).
func checkBulkDelete(q BulkDeleteQuery) *Invalid {
	e := &Invalid{}
	checkUserSelection(e, "query", "userIds", "queryString", q.Query, q.UserIDs, q.QueryString)
	if len(q.UserIDs) == 0 && q.QueryString == "" && q.Query == "" {
		e.Field("blank", "userIds", "Name the users to delete with [userIds] or [queryString].")
	}
	checkPaging(e, paging{"limit", q.Limit})
	return e
}
