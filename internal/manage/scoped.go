package manage

import (
	"context"
	"slices"
)

// scopedGet reads the record id with get and hides it outside scope: an
// unknown record and one of another tenant are the same ErrNotFound, so a
// tenant-scoped key learns nothing about other tenants' ids.
func scopedGet[T any](ctx context.Context, get func(context.Context, string) (T, error), id string,
	scope Scope, tenantOf func(T) string) (T, error) {
	rec, err := get(ctx, id)
	if err == nil && !scope.Sees(tenantOf(rec)) {
		var none T
		return none, ErrNotFound
	}
	return rec, notFound(err)
}

// scopedList returns the records of list that scope sees.
func scopedList[T any](ctx context.Context, list func(context.Context) ([]T, error), scope Scope, tenantOf func(T) string) ([]T, error) {
	recs, err := list(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(recs, func(rec T) bool { return !scope.Sees(tenantOf(rec)) }), nil
}
