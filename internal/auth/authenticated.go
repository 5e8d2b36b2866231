package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Authentication types of logins without a password (FusionAuth
// authenticationtype.json).
const (
	AuthWebAuthn     = "WebAuthn"
	AuthPasswordless = "PASSWORDLESS"
)

// AuthenticatedLogin is a login whose user a credential other than a
// password already proved: a passkey (internal/mfa, go-webauthn) or a
// passwordless code.
type AuthenticatedLogin struct {
	UserID, ApplicationID, IPAddress string
	// LockoutIP is the address whose lock the login checks (LoginRequest's
	// rule). Empty: IPAddress.
	LockoutIP string
	// UserAgent is the request's, for the login events' info (as a
	// password login's).
	UserAgent                 string
	Device                    storage.DeviceInfo
	NoJWT                     bool
	DPoPJKT, TwoFactorTrustID string
	// Method is AuthWebAuthn or AuthPasswordless (the token's
	// authenticationType).
	Method string
	// SecondFactor: the credential is worth two factors (a passkey that
	// verified the user: something held and something known or been), so a
	// user with two-factor methods is not asked for one more.
	SecondFactor bool
	State        map[string]any
	// OAuth: the login is the hosted page's (the authorization endpoint
	// authenticated the client), judged as the page's password login is.
	OAuth bool
}

// LoginAuthenticated ends an authenticated login exactly as /api/login
// ends a password login: the same checks of the user and application, the
// same lockout (a locked account stays locked whatever the credential),
// the same second-factor rule, and tokens through grantLogin.
func (s *Service) LoginAuthenticated(ctx context.Context, r AuthenticatedLogin) (Tokens, error) {
	now := s.cfg.Now()
	user, err := s.cfg.Store.GetUser(ctx, r.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		return Tokens{}, ErrInvalidCredentials
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: get user: %w", err)
	}
	req := LoginRequest{ApplicationID: r.ApplicationID, IPAddress: r.IPAddress, UserAgent: r.UserAgent, NoJWT: r.NoJWT, Device: r.Device,
		DPoPJKT: r.DPoPJKT, TwoFactorTrustID: r.TwoFactorTrustID, HasAPIKey: true, OAuth: r.OAuth, authType: r.Method}
	app, tenant, err := s.loginContext(ctx, req)
	if err != nil {
		return Tokens{}, err
	}
	// A user is only ever logged in to its own tenant's applications, as a
	// password login finds its login id only in the application's tenant:
	// whatever proved the user (a passkey, a code, an identity provider),
	// another tenant's user is refused before anything is written.
	if user.TenantID != tenant.ID {
		return Tokens{}, ErrInvalidCredentials
	}
	fail := event{name: evLoginFailure, level: slog.LevelInfo, userID: user.ID, appID: app.ID, ip: r.IPAddress}
	ch, err := s.checkLock(ctx, tenant, user.ID, lockoutIP(r.LockoutIP, r.IPAddress), fail)
	if err != nil {
		return Tokens{}, err
	}
	switch {
	case !user.Active:
		fail.outcome = outcomeInactive
		s.emit(ctx, fail)
		return Tokens{}, ErrInvalidCredentials
	case user.Expiry != 0 && now.UnixMilli() >= user.Expiry:
		return Tokens{}, ErrExpiredUser
	}
	facts := loginFacts{req: req, tenant: tenant, app: app, user: user, now: now, withoutPassword: true,
		secondFactorDone: r.SecondFactor}
	if facts.preventions, err = s.loginPreventions(ctx, user.ID, now); err != nil {
		return Tokens{}, err
	}
	if !r.SecondFactor {
		if facts.twoFactor, err = s.secondFactorMethods(ctx, req, tenant, app, user); err != nil {
			return Tokens{}, err
		}
	}
	// The same outcomes as a password login (409, then 242), decided before
	// anything is written.
	if rule, w := withheld(facts); w != nil {
		return Tokens{}, s.withhold(ctx, facts, rule, w, charge{})
	}
	out, err := s.grantLogin(ctx, req, tenant, app, user, ch, now)
	out.State, out.SecondFactor = r.State, r.SecondFactor
	return out, err
}
