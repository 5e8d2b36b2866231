package password

import (
	"context"
	"errors"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// MaxRemembered bounds the hashes one password change verifies (each is a
// full KDF run): 24, Windows' "Enforce password history" maximum. A tenant
// rememberPreviousPasswords.count above it should be refused when the
// tenant is saved; Reused clamps to it regardless.
const MaxRemembered = 24

// Reused reports whether plain matches any of the first count hashes of
// previous (newest first; count is clamped to MaxRemembered). It verifies
// every one of them whichever matches, so the time taken tells nothing
// about which one did; a password over MaxBytes matches none and costs
// nothing. A hash that cannot be verified (unknown scheme, malformed)
// cannot match; the first such error is returned for logging, next to the
// answer for the others. A wait for a hashing turn that ctx ends stops it
// with ErrBusy: the answer is then unknown, and the caller must not take it
// for "not reused".
func Reused(ctx context.Context, plain string, previous []storage.PasswordHash, count int) (bool, error) {
	n := min(count, len(previous), MaxRemembered)
	if n <= 0 || len(plain) > MaxBytes {
		return false, nil
	}
	var reused bool
	var first error
	for _, h := range previous[:n] {
		ok, err := Verify(ctx, plain, h)
		if errors.Is(err, ErrBusy) {
			return false, err
		}
		reused = reused || ok
		if err != nil && first == nil {
			first = err
		}
	}
	return reused, first
}
