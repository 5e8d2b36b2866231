package manage

import (
	"context"
	"crypto/subtle"
	"errors"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// A change of the password of a user with two-factor methods needs a
// trustToken (FusionAuth users.mdx "Change a User's Password", the
// multi-factor guide's "Trust Tokens and Trust Challenges"): the proof,
// from POST /api/two-factor/login, that the second factor was just
// presented. Without it a mailbox (forgot password) or a stolen access token
// would be enough to take the account. The token is spent by the change,
// in its transaction (storage.UserChange.ConsumeTrust), so a refusal for
// any later reason leaves it, and the changePasswordId, live.

// trustTokenRequired is FusionAuth's 400 {generalErrors: [TrustTokenRequired]}.
func trustTokenRequired() error {
	e := &Invalid{}
	e.General("TrustTokenRequired", "This user has two-factor authentication: complete a two-factor login "+
		"(POST /api/two-factor/start, then POST /api/two-factor/login) and send its trustToken.")
	return e
}

// trustNeeded is trustTokenRequired when u has a two-factor method.
func (a *Accounts) trustNeeded(ctx context.Context, u storage.User) error {
	if has, err := a.hasTwoFactor(ctx, u); err != nil || !has {
		return err
	}
	return trustTokenRequired()
}

// hasTwoFactor reports whether u has a two-factor method.
func (a *Accounts) hasTwoFactor(ctx context.Context, u storage.User) (bool, error) {
	ms, err := a.Store.ListTwoFactorMethods(ctx, u.ID)
	return len(ms) > 0, err
}

// trust is the trustToken a change of u's password spends: nil when u has
// no two-factor method; trustTokenRequired when in has none that is live,
// u's, and (when its start gave a trustChallenge) sent with the same
// challenge. It is only looked at here; the change consumes it.
func (a *Accounts) trust(ctx context.Context, u storage.User, in ChangePassword) (*storage.IdentifierRef, error) {
	if has, err := a.hasTwoFactor(ctx, u); err != nil || !has {
		return nil, err
	}
	if !auth.ValidIdentifier(in.TrustToken) {
		return nil, trustTokenRequired()
	}
	ref := storage.IdentifierRef{Kind: storage.IdentifierTrustToken, Hash: auth.HashIdentifier(in.TrustToken)}
	id, err := a.Store.GetIdentifier(ctx, ref.Kind, ref.Hash, a.Now())
	if errors.Is(err, storage.ErrNotFound) || (err == nil && id.UserID != u.ID) {
		return nil, trustTokenRequired()
	}
	if err != nil {
		return nil, err
	}
	if want := id.Data.TrustChallenge; want != nil && subtle.ConstantTimeCompare(want, auth.TrustChallengeHash(in.TrustChallenge)) != 1 {
		return nil, trustTokenRequired()
	}
	return &ref, nil
}

// trustSpent is a change's commit error, told apart when the trustToken it
// spent was gone at commit (spent by a concurrent change): the caller's
// [TrustTokenRequired], not a 404.
func trustSpent(err error, trust *storage.IdentifierRef) error {
	if trust != nil && errors.Is(err, storage.ErrNotFound) {
		return trustTokenRequired()
	}
	return err
}
