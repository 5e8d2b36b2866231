package manage

import (
	"errors"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// ErrContended: the record kept changing under a request (another write
// won each of staleTries tries). Nothing of this request was written; the
// server answers 409 [ConcurrentModification] and the client sends it again.
var ErrContended = errors.New("manage: the record kept changing while the request was applied")

// staleTries bounds retryStale. Each try is a read and one conditional
// write, so only a record written this often at once exhausts it: a try
// loses only to a write that committed after its read, so among n
// requests writing one record at once each loses at most n-1 tries, and
// none is refused while n <= staleTries (20 permissions added to one
// entity type at once all apply: TestConcurrentPermissionChangesAllKept).
const staleTries = 32

// retryStale runs try — read the record, apply the request's change to
// what was read, write it on the condition that the record is unchanged
// since the read — again while the write answers storage.ErrStale.
// A read-modify-write of a whole record (a PATCH of one key of a user's
// data, a permission added to an entity type, a cancelled user action)
// then never overwrites a concurrent write answered before it: each
// request either applies to the latest record or fails with ErrContended.
func retryStale(try func() error) error {
	for range staleTries {
		if err := try(); !errors.Is(err, storage.ErrStale) {
			return err
		}
	}
	return ErrContended
}
