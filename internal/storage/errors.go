package storage

import (
	"context"
	"errors"
	"fmt"
)

// Sentinel errors. Backends wrap driver errors into these so that callers never
// inspect driver-specific codes.
var (
	// ErrNotFound: no record matches.
	ErrNotFound = errors.New("storage: not found")
	// ErrConflict: a uniqueness constraint was violated (duplicate id, email,
	// username, registration) or a compare-and-swap lost its race.
	ErrConflict = errors.New("storage: conflict")
	// ErrStale: a conditional write found the record changed since the
	// caller read it (optimistic concurrency: the write names the revision
	// it read). Nothing was written; the caller reads again and re-applies
	// its change (manage.retryStale), so no acknowledged write is lost.
	ErrStale = errors.New("storage: changed since it was read")
	// ErrDuplicateEmail and ErrDuplicateUsername are the ErrConflict of a
	// user's email or username held by another user of the tenant (errors.Is
	// matches both them and ErrConflict), so a caller names the field that
	// collided without reading driver errors.
	ErrDuplicateEmail    = fmt.Errorf("%w: email", ErrConflict)
	ErrDuplicateUsername = fmt.Errorf("%w: username", ErrConflict)
	// ErrUnavailable: the database cannot be reached right now. The HTTP layer
	// answers 503 and the caller may retry.
	ErrUnavailable = errors.New("storage: unavailable")
	// ErrSessionEnded: the login session a record was issued under has
	// ended (logout, or the revocation of all its user's tokens), so the
	// write it would have allowed was refused and nothing was written.
	ErrSessionEnded = errors.New("storage: login session ended")
)

// Transient reports an error after which the same read may succeed later
// without anything changing: the database did not answer (ErrUnavailable)
// or not in time. Caches keep serving their last good value on these
// (internal/cache), never on ErrNotFound.
func Transient(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded)
}
