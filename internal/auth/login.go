package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// defaultScheme is FusionAuth's default tenant hashing scheme (§6.4), used
// when a tenant record leaves it empty.
const defaultScheme = "salted-pbkdf2-hmac-sha256"

// Login authenticates credentials and issues tokens (POST /api/login,
// fusionauth-api.md §1, and the password grant, §4.2). Every credential
// failure (unknown user, wrong password, inactive user) returns
// ErrInvalidCredentials after the same hashing work, so neither the answer
// nor its timing tells an attacker which accounts exist (security-bar L2).
func (s *Service) Login(ctx context.Context, req LoginRequest) (Tokens, error) {
	if req.OneTimePassword != "" {
		return s.oneTimePasswordLogin(ctx, req)
	}
	app, tenant, err := s.loginContext(ctx, req)
	if err != nil {
		return Tokens{}, err
	}
	fail := event{name: evLoginFailure, level: slog.LevelInfo, appID: app.ID, ip: req.IPAddress}

	user, err := s.findUser(ctx, tenant.ID, req.LoginID)
	if errors.Is(err, storage.ErrNotFound) {
		return Tokens{}, s.unknownUser(ctx, tenant, app, req, fail)
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: find user: %w", err)
	}
	fail.userID = user.ID

	// The attempt is charged before the hash is evaluated, and a locked
	// account (from this address, or past its ceiling) is refused unhashed:
	// a guess made during the lock is never checked, and N concurrent
	// guesses get at most the threshold's number of checks.
	ch, err := s.reserve(ctx, tenant, user.ID, req.lockoutIP(), fail)
	if err != nil {
		return Tokens{}, err
	}
	defer ch.settled()

	// An outcome that withholds tokens (outcome.go) is decided before
	// anything is written.
	// A read that fails here (the client gone, the database down) ends a
	// login whose password was never checked: its reservation goes back,
	// as when its hashing turn never came, or a correct password could
	// lock the account.
	facts := loginFacts{req: req, tenant: tenant, app: app, user: user, now: s.cfg.Now()}
	if facts.preventions, err = s.loginPreventions(ctx, user.ID, facts.now); err != nil {
		return Tokens{}, s.notHashed(ctx, ch, err)
	}
	if facts.twoFactor, err = s.secondFactorMethods(ctx, req, tenant, app, user); err != nil {
		return Tokens{}, s.notHashed(ctx, ch, err)
	}
	if rule, w := withheld(facts); w != nil {
		return Tokens{}, s.heldLogin(ctx, facts, rule, w, ch, fail)
	}
	return s.passwordLogin(ctx, req, tenant, app, user, ch, fail)
}

// loginContext resolves the application and tenant and enforces the API-key
// requirement (fusionauth-api.md §1.2): the application's
// loginConfiguration.requireAuthentication when applicationId is given, the
// tenant's otherwise. OAuth logins authenticated the client instead. An
// unknown application is treated as requiring a key (FusionAuth's default),
// so anonymous callers cannot probe which application ids exist.
func (s *Service) loginContext(ctx context.Context, req LoginRequest) (storage.Application, storage.Tenant, error) {
	var app storage.Application
	tenantID := s.cfg.TenantID
	needKey := false
	if req.ApplicationID != "" {
		a, err := s.application(ctx, req.ApplicationID)
		switch {
		case errors.Is(err, storage.ErrNotFound) || (err == nil && !appActive(a)):
			if !req.OAuth && !req.HasAPIKey {
				return app, storage.Tenant{}, ErrAPIKeyRequired
			}
			return app, storage.Tenant{}, ErrUnknownApplication
		case err != nil:
			return app, storage.Tenant{}, fmt.Errorf("auth: get application: %w", err)
		}
		app, needKey = a, a.LoginConfiguration.RequireAuthentication
		if a.TenantID != "" {
			tenantID = a.TenantID
		}
	} else if req.OAuth {
		return app, storage.Tenant{}, ErrUnknownApplication
	}
	tenant, err := s.tenant(ctx, tenantID)
	if err != nil {
		return app, storage.Tenant{}, fmt.Errorf("auth: get tenant %q: %w", tenantID, err)
	}
	if req.ApplicationID == "" {
		needKey = tenant.LoginConfiguration.RequireAuthentication
	}
	if needKey && !req.OAuth && !req.HasAPIKey {
		return app, tenant, ErrAPIKeyRequired
	}
	return app, tenant, nil
}

// findUser looks the login id up as an email, then as a username, both
// case-insensitively within the tenant (FusionAuth's default loginIdTypes
// order). An empty id matches nobody, even users without an email.
func (s *Service) findUser(ctx context.Context, tenantID, loginID string) (storage.User, error) {
	if loginID == "" {
		return storage.User{}, storage.ErrNotFound
	}
	u, err := s.cfg.Store.FindUser(ctx, storage.UserFilter{TenantID: tenantID, Email: loginID})
	if errors.Is(err, storage.ErrNotFound) {
		u, err = s.cfg.Store.FindUser(ctx, storage.UserFilter{TenantID: tenantID, Username: loginID})
	}
	return u, err
}

// countFailure charges a failure of a step checked before it was charged
// (checkLock: a password asked for again) to the attempt's counters and
// settles it at once, with the failure's events (msgs) in the settling
// write; a locked counter takes no charge, and the events are written on
// their own.
func (s *Service) countFailure(ctx context.Context, ch charge, ev event, msgs []storage.OutboxMessage) error {
	s.emit(ctx, ev)
	// Counted even when the client hangs up: a guess must not go uncounted
	// because its sender stopped listening.
	wctx, cancel := detached(ctx)
	defer cancel()
	r, err := s.chargeCounters(wctx, ch.counters)
	if err != nil {
		return fmt.Errorf("auth: record login failure: %w", err)
	}
	if r.Allowed {
		ch.res = &r
		locked, err := s.settleFailure(wctx, ch, msgs)
		if err != nil {
			return err
		}
		s.noteLock(ctx, locked, ev)
		return nil
	}
	if len(msgs) == 0 {
		return nil
	}
	if err := s.cfg.Store.EnqueueOutbox(wctx, msgs...); err != nil {
		return fmt.Errorf("auth: store events: %w", err)
	}
	s.cfg.Events.Committed(msgs)
	return nil
}

// tenantScheme is the tenant's default hashing scheme and factor (0 = the
// scheme's default).
func tenantScheme(t storage.Tenant) (string, int) {
	c := t.PasswordEncryptionConfiguration
	if c.EncryptionScheme == "" {
		return defaultScheme, c.EncryptionSchemeFactor
	}
	return c.EncryptionScheme, c.EncryptionSchemeFactor
}

// wantsRefresh says whether a login issues a refresh token: /api/login when
// an application is named, the user is registered, the application's
// loginConfiguration.generateRefreshTokens is on and noJWT is off (§1.4); the
// password grant when offline_access was requested and
// oauthConfiguration.generateRefreshTokens is on (§4.4). Both require a
// registration, because Refresh re-reads the roles from it.
func wantsRefresh(req LoginRequest, app storage.Application, reg *storage.Registration) bool {
	if app.ID == "" || reg == nil || req.NoJWT {
		return false
	}
	if req.OAuth {
		return app.OAuthConfiguration.GenerateRefreshTokens && slices.Contains(req.Scopes, scopeOfflineAccess)
	}
	return app.LoginConfiguration.GenerateRefreshTokens
}
