package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Outcomes of the password step that refuse the login. A wrong password and
// an inactive user feed the lockout counter: both answer the same
// ErrInvalidCredentials, so counting only the first would let a caller near
// the threshold tell "right password, deactivated account" from "wrong
// password" by whether the next try locks (security-bar L2). An expired user
// is answered 410 (§1.3), a different shape already, and is not counted; an
// unusable stored hash is the operator's fault, not a guess. A hash that
// never ran (its wait for a hashing turn ended first) checked nothing and
// is no refusal at all (notHashed).
const (
	outcomeNotHashed     = "not_hashed"
	outcomeHashError     = "hash_error"
	outcomeWrongPassword = "wrong_password"
	outcomeInactive      = "inactive_user"
	outcomeExpired       = "expired_user"
)

// verdict judges a found, unlocked user once the hash has answered: ""
// accepts the login, anything else names the refusal and its error. The
// expiry is told only to someone who knows the password (§1.3: 410).
func verdict(ok bool, verr error, user storage.User, now time.Time) (string, error) {
	switch {
	case errors.Is(verr, password.ErrBusy):
		return outcomeNotHashed, fmt.Errorf("auth: verify password: %w", verr)
	case verr != nil:
		return outcomeHashError, ErrInvalidCredentials
	case !ok:
		return outcomeWrongPassword, ErrInvalidCredentials
	case !user.Active:
		return outcomeInactive, ErrInvalidCredentials
	case user.Expiry != 0 && now.UnixMilli() >= user.Expiry:
		return outcomeExpired, ErrExpiredUser
	}
	return "", nil
}

// passwordLogin checks the password, then writes exactly once: the login
// (RecordLogin: lastLoginInstant, the lockout reset, the refresh token, one
// transaction) or the failure count. Nothing is written before the hash has
// answered, so a process killed at any moment leaves either a whole login
// or none, and a refused login never leaves a session or a lastLoginInstant
// behind (docs/decisions.md "A login writes once, after its hash"). A
// success costs the hash plus one commit, like every refusal. The login's
// webhook events ride in that one write (webhooks.go); a transactional
// user.login.success first waits for its webhooks, which may refuse it.
func (s *Service) passwordLogin(ctx context.Context, req LoginRequest, tenant storage.Tenant, app storage.Application,
	user storage.User, ch charge, fail event) (Tokens, error) {
	ok, verr := s.pw.Verify(ctx, req.Password, user.Password)
	now := s.cfg.Now()
	outcome, err := verdict(ok, verr, user, now)
	if scheme, factor := tenantScheme(tenant); outcome != "" || !s.pw.NeedsRehash(user.Password, scheme, factor) {
		// No hash is left to compute (a success due a rehash keeps its slot).
		releaseHashSlot(ctx)
	}
	if outcome != "" {
		return Tokens{}, s.refuse(ctx, tenant, ch, verr, fail, outcome, err, &attempt{req, user})
	}
	out, err := s.grantLogin(ctx, req, tenant, app, user, ch, now)
	switch {
	case err == nil:
		s.rehash(ctx, tenant, &out.User, req.Password)
	case errors.Is(err, ErrRegistrationRequired):
		// Refused as a guess is: its charge settles as a failure.
		if serr := s.settleRefused(ctx, ch); serr != nil {
			return Tokens{}, errors.Join(err, serr)
		}
		s.rehash(ctx, tenant, &user, req.Password)
	case ch.res != nil:
		// The password was right and the login ended without its tokens
		// (the client gone, the database down, a webhook's veto, a lock
		// that came between the read and the write): no guess to count.
		// The success's own write gives the reservation back (Refund); this
		// one does when that write did not happen.
		if rerr := s.giveBackUnlessLoggedIn(ctx, *ch.res, user.ID, now); rerr != nil {
			return Tokens{}, errors.Join(err, rerr)
		}
	}
	return out, err
}

// giveBackUnlessLoggedIn gives the reservation of a login with a correct
// password back unless the login's write happened after all: a commit whose
// answer was lost (PostgreSQL's, when the connection drops or the caller's
// context ends during COMMIT) has given it back already, and refunds are
// not idempotent (a second would erase a real failure). The write sets the
// user's lastLoginInstant to the login's instant, which tells.
func (s *Service) giveBackUnlessLoggedIn(ctx context.Context, r storage.LoginReservation, userID string, now time.Time) error {
	wctx, cancel := detached(ctx)
	defer cancel()
	u, err := s.cfg.Store.GetUser(wctx, userID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("auth: read user after an unfinished login: %w", err)
	}
	if err == nil && u.LastLoginInstant == now.UnixMilli() {
		return nil
	}
	return s.giveBack(ctx, r, false)
}

// grantLogin is the one way a login that is authenticated ends in tokens,
// whichever credential did it (password, password and second factor,
// passkey, passwordless): plan, sign, then ONE RecordLogin write (the
// refresh token, lastLoginInstant, the lockout reset, and the
// user.login.success webhook event with the credential's
// authenticationType), then the success log event. Signing comes before the
// write, so a signing failure leaves nothing, and nothing is written before
// the credential has been checked (docs/decisions.md "A login writes once,
// after its hash"). A transactional user.login.success first waits for its
// webhooks, which may refuse the login.
func (s *Service) grantLogin(ctx context.Context, req LoginRequest, tenant storage.Tenant, app storage.Application,
	user storage.User, ch charge, now time.Time) (Tokens, error) {
	p, err := s.planLogin(ctx, req, tenant, app, user, ch, now)
	if err != nil {
		return Tokens{}, err
	}
	if p.refused {
		return Tokens{}, s.refuseRegistration(ctx, req, app, user.ID)
	}
	if unverifiedRegistration(app, p.reg) {
		return Tokens{}, s.withholdRegistration(ctx, req, tenant, app, user, *p.reg, now)
	}
	out, ev, err := s.commitLogin(ctx, req, tenant, app, user, p, now)
	if err != nil {
		return Tokens{}, err
	}
	s.emit(ctx, ev)
	return out, nil
}

// attempt is the login a refusal refuses.
type attempt struct {
	req  LoginRequest
	user storage.User
}

// refuse ends a login the password step refused: it logs an unusable hash
// and counts a guess (counted). An attempt reserved before its hash
// (ch.res) has a pending charge: a counted refusal settles it as a failure,
// with its user.login.failed event when the tenant sends one, in one write
// (settleFailure, the write an unknown login id's refusal mirrors); an
// uncounted refusal gives the reservation back. A step checked before it
// was charged is charged now (countFailure). A counted refusal of a login
// (a; nil for a password asked for again) is a user.login.failed event.
// The caller's answer is err, whatever the cause.
func (s *Service) refuse(ctx context.Context, tenant storage.Tenant, ch charge, verr error, fail event,
	outcome string, err error, a *attempt) error {
	if outcome == outcomeNotHashed {
		return s.notHashed(ctx, ch, err)
	}
	if verr != nil {
		// An unreadable stored hash is an operator problem, not the caller's;
		// it is logged and answered like a wrong password, without counting.
		s.log.ErrorContext(ctx, "stored password hash unusable", "user_id", fail.userID, "err", verr)
	}
	fail.outcome = outcome
	if !counted(outcome) {
		s.emit(ctx, fail)
		if ch.res != nil {
			if rerr := s.giveBack(ctx, *ch.res, false); rerr != nil {
				return rerr
			}
		}
		return err
	}
	var msgs []storage.OutboxMessage
	var perr error
	if a != nil {
		msgs, perr = s.loginFailed(ctx, tenant, a.req, fail.appID, a.user)
	}
	if ch.res == nil {
		if perr != nil {
			return perr
		}
		if cerr := s.countFailure(ctx, ch, fail, msgs); cerr != nil {
			return cerr
		}
		return err
	}
	s.emit(ctx, fail)
	// Settled even when the events could not be prepared: the password
	// was checked, and a charge left pending would hold a place.
	locked, serr := s.settleFailure(ctx, ch, msgs)
	if perr != nil || serr != nil {
		return errors.Join(perr, serr)
	}
	s.noteLock(ctx, locked, fail)
	return err
}

// notHashed ends an attempt whose hash never ran: its wait for a hashing
// turn ended first (password.ErrBusy, err: the gate's wait passed, or the
// client went away). Nothing was checked, so nothing is counted: the
// reservation is given back as if the login never happened (its one
// charge; failures counted before stay), and nothing else is written,
// emitted or issued. The server answers 503, as its gate does when busy.
// An unknown login id's attempt ends here the same way, after the same
// reads and with the same write, so a busy server tells nobody which
// accounts exist.
func (s *Service) notHashed(ctx context.Context, ch charge, err error) error {
	if ch.res != nil {
		if rerr := s.giveBack(ctx, *ch.res, false); rerr != nil {
			return rerr
		}
	}
	return err
}

// giveBack refunds a reservation on its own: its one charge, and with
// reset the deletion of the counters a success resets.
func (s *Service) giveBack(ctx context.Context, r storage.LoginReservation, reset bool) error {
	if !reset {
		r.Charged = slices.Clone(r.Charged)
		for i := range r.Charged {
			r.Charged[i].ResetOnSuccess = false
		}
	}
	wctx, cancel := detached(ctx)
	defer cancel()
	if err := s.cfg.Store.RefundLoginAttempt(wctx, r); err != nil {
		return fmt.Errorf("auth: refund login attempt: %w", err)
	}
	return nil
}

// settleRefused settles the charge of a login refused after its credential
// was accepted (the password grant of a user not registered for the client)
// as a failure, as its charge was always counted: a charge left pending
// would fill the counter until its window restarts.
func (s *Service) settleRefused(ctx context.Context, ch charge) error {
	if ch.res == nil {
		return nil
	}
	_, err := s.settleFailure(ctx, ch, nil)
	return err
}

// counted reports whether a refusal feeds the lockout counter (see the
// outcome constants): in the same single write whichever it is.
func counted(outcome string) bool {
	return outcome == outcomeWrongPassword || outcome == outcomeInactive
}

// noteLock emits the lockout event when the failure just counted locked
// the account (lockedUntil: the lock the charge set).
func (s *Service) noteLock(ctx context.Context, lockedUntil time.Time, ev event) {
	if lockedUntil.After(s.cfg.Now()) {
		ev.name, ev.level, ev.outcome = evLockout, slog.LevelWarn, "locked"
		s.emit(ctx, ev)
	}
}
