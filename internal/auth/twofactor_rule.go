package auth

import (
	"context"
	"fmt"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The 242 outcome (accounts spec §10.8) as a rule of loginRules
// (outcome.go): decided before anything is written, after the first factor
// verified, so a login that needs a second factor writes no refresh token
// and no lastLoginInstant;
// only the pending login (the twoFactorId) is stored. It comes first, as
// in FusionAuth's BaseLoginAction: a user who must also change their
// password or verify their email is told so only after the second factor.

// needsSecondFactor holds when the login has methods to ask for.
func needsSecondFactor(f loginFacts) *Withheld {
	if f.secondFactorDone || len(f.twoFactor) == 0 {
		return nil
	}
	ms := make([]storage.TwoFactorMethod, len(f.twoFactor))
	for i, m := range f.twoFactor {
		m.Secret = nil
		ms[i] = m
	}
	return &Withheld{Methods: ms}
}

// startSecondFactor stores the pending login and puts its twoFactorId in
// the answer. The lockout counter is NOT reset here: a password alone must
// not clear the failures that wrong codes counted, or knowing the password
// would buy unlimited code guesses. What the password rules say now (a
// 203 for a weak or breached password can only be judged while the
// password is known) travels with the pending login.
func startSecondFactor(ctx context.Context, s *Service, f loginFacts, w *Withheld) error {
	later := f
	later.twoFactor = nil
	var reason string
	if cp := mustChangePassword(later); cp != nil {
		reason = cp.ChangePasswordReason
	}
	id, err := s.startTwoFactor(ctx, f.req, f.tenant, f.app, f.user, reason, f.now)
	if err != nil {
		return err
	}
	w.TwoFactorID = id
	return nil
}

// secondFactorMethods are the methods a login of user must be asked for:
// none when the login policy (the application's multiFactorConfiguration
// .loginPolicy, else the tenant's; Enabled by default) is Disabled, when
// the user has none, or when the request carries a trust of this device.
func (s *Service) secondFactorMethods(ctx context.Context, req LoginRequest, tenant storage.Tenant, app storage.Application,
	user storage.User) ([]storage.TwoFactorMethod, error) {
	policy := tenant.MultiFactor().LoginPolicy
	if c := app.MultiFactorConfiguration; c != nil && c.LoginPolicy != "" {
		policy = c.LoginPolicy
	}
	if policy == "Disabled" {
		return nil, nil
	}
	methods, err := s.cfg.Store.ListTwoFactorMethods(ctx, user.ID)
	if err != nil {
		return nil, fmt.Errorf("auth: list two-factor methods: %w", err)
	}
	if len(methods) == 0 {
		return nil, nil
	}
	if ok, err := s.trusted(ctx, req.TwoFactorTrustID, app, user); err != nil || ok {
		return nil, err
	}
	return methods, nil
}
