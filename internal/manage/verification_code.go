package manage

import (
	"context"
	"crypto/subtle"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// maxCodeAnswers answers end a verificationId sent with a FormField
// one-time code, as five end a twoFactorId or a passwordless code: a short
// code on an id that lives a day would otherwise take guesses without end.
// FusionAuth's documentation names no cap (docs/compatibility.md).
const maxCodeAnswers = 5

// checkVerificationCode checks the one-time code presented with the
// verificationId ref names (id, as read), when it was issued with one.
// One of the id's maxCodeAnswers is reserved before the compare, so of any
// number of concurrent answers at most maxCodeAnswers are compared, on any
// number of nodes; once they are spent the id is ErrNotFound, the right
// code too, as for an unknown id. A wrong code is 400 [invalid]oneTimeCode.
func (a *Accounts) checkVerificationCode(ctx context.Context, ref storage.IdentifierRef, id storage.Identifier, code string) error {
	if len(id.Data.CodeHash) == 0 {
		return nil
	}
	if code == "" {
		return invalid("blank", "oneTimeCode", "You must specify the [oneTimeCode] property.")
	}
	if _, err := a.Store.ReserveIdentifierAttempt(ctx, ref.Kind, ref.Hash, a.Now(), maxCodeAnswers); err != nil {
		return notFound(err)
	}
	if subtle.ConstantTimeCompare(auth.HashIdentifier(auth.NormalizeCode(code)), id.Data.CodeHash) != 1 {
		return invalid("invalid", "oneTimeCode", "The [oneTimeCode] does not match.")
	}
	return nil
}
