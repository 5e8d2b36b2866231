package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// authOneTimePassword is the authenticationType of a one-time-password
// login (FusionAuth authenticationtype.json).
const authOneTimePassword = "ONE_TIME_PASSWORD"

// oneTimePasswordLogin is POST /api/login {"oneTimePassword"} (login.mdx;
// accounts spec §4.3): the oneTimePassword a change-password answer
// carried, exchanged once, within its lifetime
// (oneTimePasswordTimeToLiveInSeconds), for the tokens its issuer allowed:
// a JWT, and a refresh token only when the change said so — continuing
// the caller's session from its original start after a change with an
// access token, so a password change never lengthens a session. Unknown,
// used and expired values, and a request naming another application than
// the one it was issued for, are the same ErrInvalidCredentials as a wrong
// password. A locked account is refused as by a password login, the value
// left unspent. The value is a first factor only (it proves the mailbox that
// got the forgot-password mail): a user with two-factor methods is asked
// for one (242, secondFactorMethods: the login policy, the user's
// methods, a trusted device) as after a password. The value is spent all
// the same, so a 242 leaves nothing reusable but its twoFactorId; the
// pending login carries what the value allowed, and TwoFactorLogin issues
// that (issueOneTimePassword).
func (s *Service) oneTimePasswordLogin(ctx context.Context, req LoginRequest) (Tokens, error) {
	if !ValidIdentifier(req.OneTimePassword) {
		return Tokens{}, ErrInvalidCredentials
	}
	hash := HashIdentifier(req.OneTimePassword)
	peek, err := s.cfg.Store.GetIdentifier(ctx, storage.IdentifierOneTimePassword, hash, s.cfg.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return Tokens{}, ErrInvalidCredentials
	} else if err != nil {
		return Tokens{}, fmt.Errorf("auth: one-time password: %w", err)
	}
	if app := peek.Data.ApplicationID; app != "" && req.ApplicationID != "" && app != req.ApplicationID {
		return Tokens{}, ErrInvalidCredentials
	} else if req.ApplicationID == "" {
		req.ApplicationID = app
	}
	app, tenant, err := s.loginContext(ctx, req)
	if err != nil {
		return Tokens{}, err
	}
	// A locked account is refused as a password login is (*LockedError,
	// 409), before the value is consumed: a password login refused so is
	// neither checked nor charged, and this one spends nothing either, so
	// the refusal writes nothing and the value stays usable, within its
	// lifetime, once the lock has passed.
	fail := event{name: evLoginFailure, level: slog.LevelInfo, userID: peek.UserID, appID: app.ID, ip: req.IPAddress}
	ch, err := s.checkLock(ctx, tenant, peek.UserID, req.lockoutIP(), fail)
	if err != nil {
		return Tokens{}, err
	}
	// Consumed before anything is issued: of two concurrent logins with one
	// value, one finds it gone.
	id, err := s.cfg.Store.ConsumeIdentifier(ctx, storage.IdentifierOneTimePassword, hash, s.cfg.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return Tokens{}, ErrInvalidCredentials
	} else if err != nil {
		return Tokens{}, fmt.Errorf("auth: one-time password: %w", err)
	}
	user, err := s.cfg.Store.GetUser(ctx, id.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		return Tokens{}, ErrInvalidCredentials
	} else if err != nil {
		return Tokens{}, fmt.Errorf("auth: get user: %w", err)
	}
	now := s.cfg.Now()
	if _, err := verdict(true, nil, user, now); err != nil {
		return Tokens{}, err
	}
	req.authType, req.oneTimePassword = authOneTimePassword, &id.Data
	// The same outcomes as a password login's (409, 242, 203, 212), decided
	// before anything is written; no password was typed, so the password
	// rules judge only its age.
	facts := loginFacts{req: req, tenant: tenant, app: app, user: user, now: now, withoutPassword: true}
	if facts.preventions, err = s.loginPreventions(ctx, user.ID, now); err != nil {
		return Tokens{}, err
	}
	if facts.twoFactor, err = s.secondFactorMethods(ctx, req, tenant, app, user); err != nil {
		return Tokens{}, err
	}
	if rule, w := withheld(facts); w != nil {
		return Tokens{}, s.withhold(ctx, facts, rule, w, charge{})
	}
	// A success resets the failures of this account and address, as a
	// password login's does (ch.refund).
	return s.issueOneTimePassword(ctx, req, tenant, app, user, id.Data, ch, now)
}

// issueOneTimePassword signs and stores the login the identifier allows
// (at once, or after the second factor with that step's charge).
func (s *Service) issueOneTimePassword(ctx context.Context, req LoginRequest, tenant storage.Tenant, app storage.Application,
	user storage.User, d storage.IdentifierData, ch charge, now time.Time) (Tokens, error) {
	req.NoJWT = req.NoJWT || !d.IssueJWT
	p, err := s.planLogin(ctx, req, tenant, app, user, ch, now)
	if err != nil {
		return Tokens{}, err
	}
	if unverifiedRegistration(app, p.reg) {
		return Tokens{}, s.withholdRegistration(ctx, req, tenant, app, user, *p.reg, now)
	}
	p.g.authType = authOneTimePassword
	if rt := p.rec.RefreshToken; rt != nil {
		if !d.IssueRefreshToken {
			p.rec.RefreshToken, p.raw, p.g.refreshID = nil, "", ""
		} else if d.RefreshTokenStart != 0 {
			start, authAt := time.UnixMilli(d.RefreshTokenStart).UTC(), time.UnixMilli(d.AuthTime).UTC()
			rt.StartInstant, rt.AuthTime, p.g.authTime = start, authAt, authAt
			rt.ExpiresAt = p.g.set.refreshExpiry(start, now)
			if !rt.ExpiresAt.After(now) {
				p.rec.RefreshToken, p.raw, p.g.refreshID = nil, "", "" // the session it continued has ended
			}
		}
	}
	out, ev, err := s.commitLogin(ctx, req, tenant, app, user, p, now)
	if err != nil {
		return Tokens{}, err
	}
	out.State = d.State
	ev.outcome = "success_one_time_password"
	s.emit(ctx, ev)
	return out, nil
}

// CheckPassword checks u's current password as Login checks a password,
// for the flows that ask for it again (change password with an access
// token or an API key): a locked account is refused without hashing
// (*LockedError), a wrong password (or an inactive user) costs one hash,
// counts toward the lockout and is ErrInvalidCredentials.
func (s *Service) CheckPassword(ctx context.Context, t storage.Tenant, u storage.User, plain string) error {
	fail := event{name: evPasswordCheck, level: slog.LevelInfo, userID: u.ID}
	ch, err := s.checkLock(ctx, t.WithDefaults(), u.ID, "", fail)
	if err != nil {
		return err
	}
	ok, verr := s.pw.Verify(ctx, plain, u.Password)
	if outcome, err := verdict(ok, verr, u, s.cfg.Now()); outcome != "" {
		return s.refuse(ctx, t.WithDefaults(), ch, verr, fail, outcome, err, nil)
	}
	return nil
}
