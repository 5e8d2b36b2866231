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
	Device                           storage.DeviceInfo
	NoJWT                            bool
	DPoPJKT, TwoFactorTrustID        string
	// Method is AuthWebAuthn or AuthPasswordless (the token's
	// authenticationType).
	Method string
	// SecondFactor: the credential is worth two factors (a passkey that
	// verified the user: something held and something known or been), so a
	// user with two-factor methods is not asked for one more.
	SecondFactor bool
	State        map[string]any
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
	req := LoginRequest{ApplicationID: r.ApplicationID, IPAddress: r.IPAddress, NoJWT: r.NoJWT, Device: r.Device,
		DPoPJKT: r.DPoPJKT, TwoFactorTrustID: r.TwoFactorTrustID, HasAPIKey: true, authType: r.Method}
	app, tenant, err := s.loginContext(ctx, req)
	if err != nil {
		return Tokens{}, err
	}
	fail := event{name: evLoginFailure, level: slog.LevelInfo, userID: user.ID, appID: app.ID, ip: r.IPAddress}
	failures, err := s.checkLock(ctx, user.ID, fail)
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
	if !r.SecondFactor {
		if err := s.challengeSecondFactor(ctx, req, tenant, app, user); err != nil {
			return Tokens{}, err
		}
	}
	out, err := s.grantLogin(ctx, req, tenant, app, user, failures, now)
	out.State = r.State
	return out, err
}

// TwoFactorRequired is the 242 answer: the first factor was right and a
// second is needed (accounts spec §10.8). No token was issued and nothing
// but the pending login was written.
type TwoFactorRequired struct {
	TwoFactorID string
	Methods     []storage.TwoFactorMethod
}

func (e *TwoFactorRequired) Error() string { return "auth: two-factor authentication required" }

// challengeSecondFactor returns a *TwoFactorRequired when the login policy
// asks this user for a second factor and no trust of this device skips it;
// nil otherwise.
func (s *Service) challengeSecondFactor(ctx context.Context, req LoginRequest, tenant storage.Tenant, app storage.Application,
	user storage.User) error {
	methods, need, err := s.secondFactorNeeded(ctx, req.TwoFactorTrustID, tenant, app, user)
	if err != nil || !need {
		return err
	}
	id, err := s.startTwoFactor(ctx, req, tenant, app, user, s.cfg.Now())
	if err != nil {
		return err
	}
	s.emit(ctx, event{name: evLoginWithheldTwoFactor, level: slog.LevelInfo, userID: user.ID, appID: app.ID,
		ip: req.IPAddress, outcome: "two_factor_required"})
	for i := range methods {
		methods[i].Secret = nil
	}
	return &TwoFactorRequired{TwoFactorID: id, Methods: methods}
}

// secondFactorNeeded applies the login policy (the application's
// multiFactorConfiguration.loginPolicy, else the tenant's; Enabled by
// default): a user with at least one method is asked for one unless the
// device is trusted. Disabled never asks.
func (s *Service) secondFactorNeeded(ctx context.Context, trustID string, tenant storage.Tenant, app storage.Application,
	user storage.User) ([]storage.TwoFactorMethod, bool, error) {
	policy := tenant.MultiFactor().LoginPolicy
	if c := app.MultiFactorConfiguration; c != nil && c.LoginPolicy != "" {
		policy = c.LoginPolicy
	}
	if policy == "Disabled" {
		return nil, false, nil
	}
	methods, err := s.cfg.Store.ListTwoFactorMethods(ctx, user.ID)
	if err != nil {
		return nil, false, fmt.Errorf("auth: list two-factor methods: %w", err)
	}
	if len(methods) == 0 {
		return nil, false, nil
	}
	ok, err := s.trusted(ctx, trustID, app, user)
	if err != nil || ok {
		return nil, false, err
	}
	return methods, true, nil
}
