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
		return Tokens{}, s.unknownUser(ctx, tenant, req, fail)
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: find user: %w", err)
	}
	fail.userID = user.ID

	// A locked account is refused before the hash is evaluated: a guess made
	// during the lock is never checked, so the lock really stops guessing.
	failures, err := s.checkLock(ctx, user.ID, fail)
	if err != nil {
		return Tokens{}, err
	}

	// An outcome that withholds tokens (outcome.go) is decided before
	// anything is written.
	facts := loginFacts{req: req, tenant: tenant, app: app, user: user, now: s.cfg.Now()}
	if facts.preventions, err = s.loginPreventions(ctx, user.ID, facts.now); err != nil {
		return Tokens{}, err
	}
	if facts.twoFactor, err = s.secondFactorMethods(ctx, req, tenant, app, user); err != nil {
		return Tokens{}, err
	}
	if rule, w := withheld(facts); w != nil {
		return Tokens{}, s.heldLogin(ctx, facts, rule, w, failures, fail)
	}
	return s.passwordLogin(ctx, req, tenant, app, user, failures, fail)
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

// countFailure feeds the tenant lockout counter (failedAuthenticationConfiguration,
// counted in the database so it holds across restarts and nodes).
// ev.outcome says why (wrong_password, unknown_user). The failure's events
// (msgs, user.login.failed) commit with the count (RecordLoginFailureWith);
// without lockout they are stored on their own.
func (s *Service) countFailure(ctx context.Context, t storage.Tenant, userID string, ev event, msgs []storage.OutboxMessage) error {
	s.emit(ctx, ev)
	p, ok := lockoutPolicy(t.FailedAuthenticationConfiguration)
	if !ok {
		return s.publish(ctx, msgs)
	}
	// Counted even when the client hangs up: a guess must not go uncounted
	// because its sender stopped listening.
	wctx, cancel := detached(ctx)
	defer cancel()
	var f storage.LoginFailures
	var err error
	if len(msgs) > 0 {
		f, err = s.cfg.Store.RecordLoginFailureWith(wctx, storage.LoginFailure{UserID: userID, At: s.cfg.Now(), Policy: p, Outbox: msgs})
	} else {
		f, err = s.cfg.Store.RecordLoginFailure(wctx, userID, s.cfg.Now(), p)
	}
	if err != nil {
		return fmt.Errorf("auth: record login failure: %w", err)
	}
	s.cfg.Events.Committed(msgs)
	s.noteLock(ctx, f, ev)
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
