package manage

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The application and email template searches (applications.mdx "Search
// for Applications", emails.mdx "Search for Email Templates") answer from
// the list in memory, as the entity type and group searches do: name is a
// case-insensitive pattern (MatchPattern: no '*' means *name*), orderBy
// one of a few fields then ASC or DESC ("name ASC" by default), and the
// paging is PageOf's.

// orderKey is one field a search may be ordered by.
type orderKey[T any] struct {
	name string
	cmp  func(a, b T) int
}

// parseOrderBy reads a search's orderBy, "<field> [ASC|DESC]" in any case,
// against the fields the search sorts by: the field as fields spells it and
// whether the order is descending. An empty orderBy is def, a field
// without a direction is desc by default; an unknown field, direction or
// anything more is [invalid]search.orderBy in e (ok false).
func parseOrderBy(e *Invalid, orderBy string, fields []string, def string, desc bool) (field string, isDesc, ok bool) {
	f := strings.Fields(orderBy)
	if len(f) == 0 {
		return def, desc, true
	}
	dir := "DESC"
	if !desc {
		dir = "ASC"
	}
	if len(f) > 1 {
		dir = strings.ToUpper(f[1])
	}
	i := slices.IndexFunc(fields, func(name string) bool { return strings.EqualFold(name, f[0]) })
	if i < 0 || len(f) > 2 || (dir != "ASC" && dir != "DESC") {
		names := strings.Join(fields, ", ")
		if n := len(fields); n > 1 {
			names = strings.Join(fields[:n-1], ", ") + " or " + fields[n-1]
		}
		e.Field("invalid", "search.orderBy", "Order by "+names+", then ASC or DESC.")
		return "", false, false
	}
	return fields[i], dir == "DESC", true
}

// sortByOrder orders list by orderBy ("<field> [ASC|DESC]", "name ASC" when
// empty; parseOrderBy), ties by id so that pages do not overlap; an unknown
// field or direction is [invalid]search.orderBy in e and leaves list as it is.
func sortByOrder[T any](e *Invalid, list []T, orderBy string, keys []orderKey[T], id func(T) string) {
	names := make([]string, len(keys))
	for j, k := range keys {
		names[j] = k.name
	}
	field, desc, ok := parseOrderBy(e, orderBy, names, "name", false)
	if !ok {
		return
	}
	i := slices.Index(names, field)
	slices.SortStableFunc(list, func(a, b T) int {
		c := keys[i].cmp(a, b)
		if desc {
			c = -c
		}
		return cmp.Or(c, strings.Compare(id(a), id(b)))
	})
}

// byName compares names without case, then as they are.
func byName(a, b string) int {
	return cmp.Or(strings.Compare(strings.ToLower(a), strings.ToLower(b)), strings.Compare(a, b))
}

// ApplicationSearch is FusionAuth's ApplicationSearchCriteria.
type ApplicationSearch struct {
	Name                      string
	State                     string // "Active", "Inactive" or "" for both
	TenantID                  string // overridden by a tenant-scoped key's tenant
	OrderBy                   string // id, insertInstant, name (default) or tenant (its name), then ASC or DESC
	StartRow, NumberOfResults int
}

// Search returns one page of the applications scope sees that match q, and
// how many match.
func (as *Applications) Search(ctx context.Context, scope Scope, q ApplicationSearch) ([]storage.Application, int, error) {
	e := &Invalid{}
	if q.State != "" && q.State != "Active" && q.State != "Inactive" {
		e.Field("invalid", "search.state", "The [state] must be Active or Inactive.")
	}
	checkFilterID(e, "search.tenantId", q.TenantID)
	checkPaging(e, searchPaging(q.StartRow, q.NumberOfResults)...)
	if err := e.Err(); err != nil {
		return nil, 0, err
	}
	var all []storage.Application
	for _, inactive := range []bool{false, true} {
		if (q.State == "Active" && inactive) || (q.State == "Inactive" && !inactive) {
			continue
		}
		apps, err := as.List(ctx, scope, inactive)
		if err != nil {
			return nil, 0, err
		}
		all = append(all, apps...)
	}
	tenant := strings.ToLower(q.TenantID)
	if scope.TenantID != "" {
		tenant = scope.TenantID
	}
	out := []storage.Application{}
	for _, a := range all {
		if (tenant == "" || a.TenantID == tenant) && (q.Name == "" || MatchPattern(q.Name, a.Name)) {
			out = append(out, a)
		}
	}
	// The tenants' names are read only to order by them.
	tenants := map[string]string{}
	if f := strings.Fields(q.OrderBy); len(f) > 0 && strings.EqualFold(f[0], "tenant") {
		ts, err := as.Store.ListTenants(ctx)
		if err != nil {
			return nil, 0, err
		}
		for _, t := range ts {
			tenants[t.ID] = t.Name
		}
	}
	sortByOrder(e, out, q.OrderBy, []orderKey[storage.Application]{
		{"id", func(a, b storage.Application) int { return strings.Compare(a.ID, b.ID) }},
		{"insertInstant", func(a, b storage.Application) int { return cmp.Compare(a.InsertInstant, b.InsertInstant) }},
		{"name", func(a, b storage.Application) int { return byName(a.Name, b.Name) }},
		{"tenant", func(a, b storage.Application) int { return byName(tenants[a.TenantID], tenants[b.TenantID]) }},
	}, func(a storage.Application) string { return a.ID })
	if err := e.Err(); err != nil {
		return nil, 0, err
	}
	page, err := PageOf(out, q.StartRow, q.NumberOfResults)
	return page, len(out), err
}

// EmailTemplateSearch is FusionAuth's EmailTemplateSearchCriteria.
type EmailTemplateSearch struct {
	Name                      string
	OrderBy                   string // id, insertInstant or name (default), then ASC or DESC
	StartRow, NumberOfResults int
}

// Search returns one page of the templates that match q, and how many
// match. Templates are global: no scope.
func (et *EmailTemplates) Search(ctx context.Context, q EmailTemplateSearch) ([]storage.EmailTemplate, int, error) {
	e := &Invalid{}
	checkPaging(e, searchPaging(q.StartRow, q.NumberOfResults)...)
	if err := e.Err(); err != nil {
		return nil, 0, err
	}
	all, err := et.List(ctx)
	if err != nil {
		return nil, 0, err
	}
	out := []storage.EmailTemplate{}
	for _, t := range all {
		if q.Name == "" || MatchPattern(q.Name, t.Name) {
			out = append(out, t)
		}
	}
	sortByOrder(e, out, q.OrderBy, []orderKey[storage.EmailTemplate]{
		{"id", func(a, b storage.EmailTemplate) int { return strings.Compare(a.ID, b.ID) }},
		{"insertInstant", func(a, b storage.EmailTemplate) int { return cmp.Compare(a.InsertInstant, b.InsertInstant) }},
		{"name", func(a, b storage.EmailTemplate) int { return byName(a.Name, b.Name) }},
	}, func(t storage.EmailTemplate) string { return t.ID })
	if err := e.Err(); err != nil {
		return nil, 0, err
	}
	page, err := PageOf(out, q.StartRow, q.NumberOfResults)
	return page, len(out), err
}
