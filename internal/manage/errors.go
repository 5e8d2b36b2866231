package manage

import (
	"errors"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

var (
	// ErrNotFound: the record the caller named does not exist, or the
	// caller's Scope does not see it (one answer, so a tenant-scoped key
	// learns nothing about other tenants' ids). It is not storage's
	// sentinel: a record that vanishes under a use case midway (the tenant
	// of a user being updated, say) is a fault, not the caller's 404.
	ErrNotFound = errors.New("manage: not found")
	// ErrForbidden: the caller is authenticated but may not do this
	// (FusionAuth answers 401).
	ErrForbidden = errors.New("manage: not allowed for this caller")
)

// Problem is one reason a request is refused. Kind is FusionAuth's error
// kind (blank, invalid, duplicate, tooShort, ...); Field is the property path
// ("user.email"), empty for a general problem. FusionAuth's error code is
// "[kind]field" (errors.mdx).
type Problem struct {
	Kind, Field, Message string
}

// Invalid is a request refused for its content: its problems, in the order
// found.
type Invalid struct {
	Problems []Problem
}

// Field adds a problem with one property.
func (v *Invalid) Field(kind, field, message string) {
	v.Problems = append(v.Problems, Problem{Kind: kind, Field: field, Message: message})
}

// General adds a problem with the request as a whole.
func (v *Invalid) General(kind, message string) {
	v.Problems = append(v.Problems, Problem{Kind: kind, Message: message})
}

// Empty reports whether no problem was added.
func (v *Invalid) Empty() bool { return v == nil || len(v.Problems) == 0 }

// Error makes *Invalid an error value.
func (v *Invalid) Error() string { return "validation failed" }

// Err is v as an error, nil when it holds no problem (never a typed nil).
func (v *Invalid) Err() error {
	if v.Empty() {
		return nil
	}
	return v
}

// invalid is a one-problem *Invalid.
func invalid(kind, field, message string) error {
	v := &Invalid{}
	v.Field(kind, field, message)
	return v
}

// notFound turns the store's ErrNotFound for the record the caller named
// into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return ErrNotFound
	}
	return err
}
