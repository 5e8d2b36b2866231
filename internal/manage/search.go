package manage

import (
	"context"
	"slices"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// SearchStore is what UserSearch uses.
type SearchStore interface {
	SearchUsers(ctx context.Context, q storage.UserSearch) ([]storage.User, int, error)
	GetUsers(ctx context.Context, ids []string) ([]storage.User, error)
	ListRegistrationsOf(ctx context.Context, userIDs []string) (map[string][]storage.Registration, error)
	ListGroupMembers(ctx context.Context, f storage.GroupMemberFilter) ([]storage.GroupMember, int, error)
}

// UserSearch is the user search API (users.mdx "Search for Users") with
// FusionAuth's database search engine, and its bulk retrieve by ids.
type UserSearch struct {
	Store SearchStore
}

// SearchQuery is a search request (GET query parameters or POST
// {"search":{...}}).
type SearchQuery struct {
	IDs         []string
	QueryString string
	// Query is an Elasticsearch query: refused, latchkey has the database
	// engine only.
	Query           string
	SortFields      []SortField
	StartRow        int
	NumberOfResults int // 0: 25; more than MaxPageSize: MaxPageSize
	// AccurateTotal counts every match; without it total stops at
	// TotalCap, as FusionAuth's search does without accurateTotal.
	AccurateTotal bool
}

// TotalCap is where total stops counting without accurateTotal (FusionAuth:
// "the total is accurate up to 10,000"), so a search matching most of a
// large directory answers as fast as a narrow one.
const TotalCap = 10000

// SortField is one of search.sortFields.
type SortField struct {
	Name  string `json:"name"`
	Order string `json:"order"` // asc (default) or desc
}

// SearchResult is FusionAuth's search response.
type SearchResult struct {
	Total int            `json:"total"`
	Users []storage.User `json:"users"`
}

// Search answers q for the caller: by ids (bulk retrieve, in the order
// given, no paging) or by queryString. Users of tenants the scope does not
// see are neither returned nor counted. Users come with their registrations
// and memberships.
func (s *UserSearch) Search(ctx context.Context, scope Scope, q SearchQuery) (SearchResult, error) {
	if err := checkSearch(q).Err(); err != nil {
		return SearchResult{}, err
	}
	var users []storage.User
	var total int
	var err error
	if len(q.IDs) > 0 {
		users, err = s.Store.GetUsers(ctx, lowerIDs(q.IDs))
		users = slices.DeleteFunc(users, func(u storage.User) bool { return !scope.Sees(u.TenantID) })
		total = len(users)
	} else {
		sq := storage.UserSearch{TenantID: scope.TenantID, QueryString: q.QueryString,
			Offset: q.StartRow, Limit: pageSize(q.NumberOfResults, 25)}
		if !q.AccurateTotal {
			sq.CountLimit = TotalCap
		}
		for _, f := range q.SortFields {
			sq.Sort = append(sq.Sort, storage.SortField{Name: f.Name, Desc: strings.EqualFold(f.Order, "desc")})
		}
		users, total, err = s.Store.SearchUsers(ctx, sq)
	}
	if err != nil {
		return SearchResult{}, err
	}
	if err := s.expand(ctx, users); err != nil {
		return SearchResult{}, err
	}
	return SearchResult{Total: total, Users: users}, nil
}

// expand fills registrations and memberships, one query each for the page.
func (s *UserSearch) expand(ctx context.Context, users []storage.User) error {
	if len(users) == 0 {
		return nil
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	regs, err := s.Store.ListRegistrationsOf(ctx, ids)
	if err != nil {
		return err
	}
	members, _, err := s.Store.ListGroupMembers(ctx, storage.GroupMemberFilter{UserIDs: ids})
	if err != nil {
		return err
	}
	for i := range users {
		users[i].Registrations = regs[users[i].ID]
		for _, m := range members {
			if m.UserID == users[i].ID {
				users[i].Memberships = append(users[i].Memberships, m)
			}
		}
	}
	return nil
}

// checkUserSelection checks users chosen by ids or by a queryString (the
// user search's and the bulk delete's), naming the request's fields: an
// Elasticsearch query is refused (the database engine answers), ids and a
// queryString together are refused, and both are bounded.
func checkUserSelection(e *Invalid, queryField, idsField, queryStringField, query string, ids []string, queryString string) {
	if query != "" {
		e.Field("invalid", queryField, "latchkey searches its database: use [queryString] (Elasticsearch queries are not supported).")
	}
	if len(ids) > 0 && queryString != "" {
		e.Field("invalid", idsField, "Choose users by ["+fieldName(idsField)+"] or by [queryString], not both.")
	}
	if len(ids) > MaxPageSize {
		e.Field("tooMany", idsField, "At most "+itoa(MaxPageSize)+" ids per request.")
	}
	checkFilterIDs(e, idsField, ids)
	if len(queryString) > 1024 {
		e.Field("tooLong", queryStringField, "The [queryString] is longer than 1024 characters.")
	}
}

// fieldName is the last part of a dotted request field name.
func fieldName(f string) string {
	return f[strings.LastIndex(f, ".")+1:]
}

// checkSearch refuses what the database engine cannot answer, with
// FusionAuth's field names.
func checkSearch(q SearchQuery) *Invalid {
	e := &Invalid{}
	checkUserSelection(e, "search.query", "search.ids", "search.queryString", q.Query, q.IDs, q.QueryString)
	checkPaging(e, searchPaging(q.StartRow, q.NumberOfResults)...)
	if len(q.SortFields) > 5 {
		e.Field("tooMany", "search.sortFields", "At most 5 sort fields.")
	}
	for i, f := range q.SortFields {
		p := "search.sortFields[" + itoa(i) + "]"
		if !slices.Contains(storage.UserSortNames, f.Name) {
			e.Field("invalid", p+".name", "Sort by one of "+strings.Join(storage.UserSortNames, ", ")+".")
		}
		if f.Order != "" && !strings.EqualFold(f.Order, "asc") && !strings.EqualFold(f.Order, "desc") {
			e.Field("invalid", p+".order", "The order is asc or desc.")
		}
	}
	return e
}

func lowerIDs(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strings.ToLower(id)
	}
	return out
}
