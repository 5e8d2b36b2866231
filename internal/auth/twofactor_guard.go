package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// A second factor's code checked outside a login: the user's own JWT
// removing a method (DELETE /api/user/two-factor), where no twoFactorId
// caps the guesses. A stolen access token must not be a place to grind
// codes until one hits and the second factor is gone (security-bar L3: a
// second factor is a credential, guesses count), so each check is charged
// to the same lockout counters as /api/two-factor/login (the tenant's
// policy per account and address, the address's hourly share, the
// account's hourly ceiling), reserved before the code is checked as a
// password login reserves before its hash: a locked account is refused
// unchecked, and N concurrent guesses get at most the threshold's number of
// checks.

// CodeCheck names whose code is checked, and from where.
type CodeCheck struct {
	User      storage.User
	IPAddress string
}

// GuardCode runs check, which checks a code of c.User's second factor and
// acts on a right one, under a charge of the user's lockout counters
// reserved before it. A locked account gets a *LockedError and check does
// not run. check's false (a wrong code) settles the charge as a failure, and GuardCode
// answers ErrInvalidTwoFactorCode; its true, or its error (nothing was
// judged), gives the charge back. A right code is no login: it gives back
// its own charge and resets nothing.
func (s *Service) GuardCode(ctx context.Context, c CodeCheck, check func(ctx context.Context) (bool, error)) error {
	tenant, err := s.tenant(ctx, c.User.TenantID)
	if err != nil {
		return fmt.Errorf("auth: get tenant: %w", err)
	}
	fail := event{name: evTwoFactorFailure, level: slog.LevelInfo, userID: c.User.ID, ip: c.IPAddress}
	ch, err := s.reserve(ctx, tenant, c.User.ID, c.IPAddress, fail)
	if err != nil {
		return err
	}
	defer ch.settled()
	ok, err := check(ctx)
	if err != nil || ok {
		if rerr := s.giveBack(ctx, *ch.res, false); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	fail.outcome = "wrong_code"
	s.emit(ctx, fail)
	locked, err := s.settleFailure(ctx, ch, nil)
	if err != nil {
		return err
	}
	s.noteLock(ctx, locked, fail)
	return ErrInvalidTwoFactorCode
}
